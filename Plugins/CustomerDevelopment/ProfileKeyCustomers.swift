import Foundation
import SalesKit

/// 重点客户管理表 (002 第九章 第三节 一、2.; RULES §1.5): the top 10 customers by sales, by sales
/// growth rate and by profit margin, and per key customer its 销售额目标, 将其设为重点客户的原因,
/// 实现目标的行动措施, 客户服务部经理建议 and 总经理建议. The table spans all customers, so only
/// holders of `crm.view_all` open it. Marking, revising and removing a key customer are audited.
enum KeyCustomerPages {
    typealias Figures = [Int64: (sales: Int64, lastYear: Int64, profit: Int64, costKnown: Bool)]

    /// Sales and growth come from 订货's shipments through the platform contract
    /// `CustomerSalesFigures` (订货 depends on 客户开发, so it offers the figures to every module).
    /// Without 订货 installed there are none, and the pages say so.
    static let noFiguresNote = "销售额取自订货模块的发货数据，订货模块未安装或未启用，暂无销售数据"
    /// The margin needs each shipped product's standard cost (订货's product master).
    static let noMarginNote = "毛利待产品标准成本：订货模块未安装或未启用，暂不计算销售利润率"
    /// A customer some of whose shipped products have no standard cost yet: no margin shown.
    static let costMissing = "—（部分产品无标准成本）"

    static func routes(_ r: inout RouteBuilder) {
        r.get("key-customers", .permission(CustomerDevelopmentModule.keyCustomers), list)
        r.get("key-customers/new", .permission(CustomerDevelopmentModule.keyCustomers), pick)
        r.form("key-customers/:id", .permission(CustomerDevelopmentModule.keyCustomers), edit)
        r.form("key-customers/:id/remove", .permission(CustomerDevelopmentModule.keyCustomers), remove)
    }

    /// Per customer id, from 订货 (`CustomerSalesFigures`): this year's shipped value to date, the
    /// same period last year, and the gross profit on this year's shipments, in 分. Nil while no
    /// module offers them (订货 not installed or switched off).
    static func salesFigures(_ ctx: Context) throws -> Figures? {
        guard let service = ctx.optionalService(CustomerSalesFigures.self) else { return nil }
        return try service.figures(asOf: ctx.today, ctx).mapValues { f in
            (sales: f.sales, lastYear: f.lastYear, profit: f.profit, costKnown: f.costKnown)
        }
    }

    struct Ranked: Equatable {
        var customerID: Int64
        /// 分 for sales; basis points (1/10000) for growth and margin.
        var value: Int64
    }

    /// The three top-10 lists of the paper form. Growth needs last year's sales (> 0), margin
    /// needs sales (> 0); ties go to the lower customer id so the order is stable.
    static func rankings(_ figures: Figures, limit: Int = 10) -> (sales: [Ranked], growth: [Ranked], margin: [Ranked]) {
        func top(_ items: [Ranked]) -> [Ranked] {
            Array(items.sorted { $0.value != $1.value ? $0.value > $1.value : $0.customerID < $1.customerID }.prefix(limit))
        }
        let sales = figures.map { Ranked(customerID: $0.key, value: $0.value.sales) }
        let growth = figures.compactMap { id, f in
            f.lastYear > 0 ? Ranked(customerID: id, value: growthBasisPoints(sales: f.sales, lastYear: f.lastYear)) : nil
        }
        let margin = figures.compactMap { id, f in
            f.sales > 0 && f.costKnown ? Ranked(customerID: id, value: basisPoints(f.profit, over: f.sales)) : nil
        }
        return (top(sales), top(growth), top(margin))
    }

    /// `num × 10000 ÷ den` truncated toward zero (as `num * 10_000 / den`), saturating instead of
    /// trapping when amounts are too large for the product (`den` must be > 0, else 0).
    static func basisPoints(_ num: Int64, over den: Int64) -> Int64 {
        guard den > 0 else { return 0 }
        let (q, r) = num.quotientAndRemainder(dividingBy: den)
        let (whole, overflow) = q.multipliedReportingOverflow(by: 10_000)
        if overflow { return q < 0 ? .min : .max }
        let (frac, _) = den.dividingFullWidth(r.multipliedFullWidth(by: 10_000))   // |frac| < 10000
        let (sum, overflow2) = whole.addingReportingOverflow(frac)
        return overflow2 ? (q < 0 ? .min : .max) : sum
    }

    /// Growth over last year in basis points: (sales − lastYear) × 10000 ÷ lastYear, saturating.
    static func growthBasisPoints(sales: Int64, lastYear: Int64) -> Int64 {
        let (diff, overflow) = sales.subtractingReportingOverflow(lastYear)
        return overflow ? .min : basisPoints(diff, over: lastYear)   // only a very negative `sales` overflows
    }

    /// Basis points as a percentage: `1234` → `12.34%`, `-50` → `-0.50%`.
    static func percent(_ bp: Int64) -> String {
        let m = bp.magnitude
        return (bp < 0 ? "-" : "") + "\(m / 100)." + (m % 100 < 10 ? "0" : "") + "\(m % 100)%"
    }

    static let form = FormSchema([
        FormField("sales_target", "销售额目标", .money, required: true, rules: [.range(1, CustomerAmounts.max)]),
        FormField("reason", "将其设为重点客户的原因", .textarea, required: true, rules: [.length(min: 2, max: 2000)]),
        FormField("actions", "实现目标的行动措施", .textarea, rules: [.length(min: nil, max: 2000)]),
        FormField("service_manager_advice", "客户服务部经理建议", .textarea, rules: [.length(min: nil, max: 2000)]),
        FormField("gm_advice", "总经理建议", .textarea, rules: [.length(min: nil, max: 2000)]),
    ])

    static let removeForm = FormSchema([
        FormField("reason", "取消原因", .textarea, required: true, rules: [.length(min: 2, max: 500)]),
    ])

    /// Not a `ListPage`: the table sits between the three top-10 tables and the picker of a new
    /// key customer (a page of four parts, not a list), and each row has a second line (原因) —
    /// neither of which `ListPage` expresses. (Its CSV-only columns 措施, 建议, 设定人 it would:
    /// `Column.exportOnly()`.)
    static let listSpec = ListSpec(columns: [
        .init("name", "客户名称", sql: "c.name_sort"),   // 拼音 order (#16 point 10)
        .init("code", "客户代码", sql: "c.code"),
        .init("owner", "负责人", sql: "owner_name"),
        .init("target", "销售额目标", sql: "k.sales_target_fen"),
        .init("marked", "设定时间", sql: "k.marked_at"),
        .init("updated", "更新时间", sql: "k.updated_at"),
    ], defaultSort: "target", defaultDescending: true, filters: ["q", "removed"], pageSize: 50, tiebreaker: "c.id")

    static let list: Handler = { req, ctx in
        let q = listSpec.parse(req.query)
        var w: SQL = "WHERE \(try Visibility.filter(ctx)) AND k.active = \(q.filters["removed"] == nil ? 1 : 0)"
        if let s = q.filters["q"] { let like = "%" + s + "%"; w = w + " AND (c.name LIKE \(like) OR c.code LIKE \(like))" }
        let rows = try ctx.db.query("""
            SELECT c.id, c.name, c.code, COALESCE(u.display_name, '') AS owner_name, k.sales_target_fen, k.reason, k.actions,
                   k.service_manager_advice, k.gm_advice, k.marked_at, k.updated_at, COALESCE(m.display_name, '') AS marked_by_name
            FROM crm_key_customers k JOIN crm_customers c ON c.id = k.customer_id
            LEFT JOIN users u ON u.id = c.owner_id LEFT JOIN users m ON m.id = k.marked_by
            \(w) ORDER BY \(raw: q.orderBy) LIMIT \(q.limit) OFFSET \(q.offset)
            """)
        let figures = try salesFigures(ctx)
        func achieved(_ r: Row) -> String {
            guard let f = figures?[r.int("id") ?? 0], let target = r.int("sales_target_fen"), target > 0 else { return "" }
            return percent(basisPoints(f.sales, over: target))
        }
        if q.export {
            let header = ["客户名称", "客户代码", "负责人", "销售额目标", "本年销售额", "目标达成率", "将其设为重点客户的原因",
                          "实现目标的行动措施", "客户服务部经理建议", "总经理建议", "设定人", "设定时间", "更新时间"]
            return .csv(filename: "重点客户管理表.csv", CSVTable(header: header, rows: rows.map { r in
                [r.string("name") ?? "", r.string("code") ?? "", r.string("owner_name") ?? "", Money.format(r.int("sales_target_fen") ?? 0),
                 figures?[r.int("id") ?? 0].map { Money.format($0.sales) } ?? "", achieved(r), r.string("reason") ?? "",
                 r.string("actions") ?? "", r.string("service_manager_advice") ?? "", r.string("gm_advice") ?? "",
                 r.string("marked_by_name") ?? "", ctx.displayEpoch(r.int("marked_at")), ctx.displayEpoch(r.int("updated_at"))]
            }))
        }
        let candidates = try ctx.db.query("""
            SELECT c.id, c.name, c.code FROM crm_customers c
            WHERE \(try Visibility.filter(ctx)) AND c.status = 'customer'
              AND NOT EXISTS (SELECT 1 FROM crm_key_customers k WHERE k.customer_id = c.id AND k.active = 1)
            ORDER BY c.name_sort, c.id LIMIT 1000
            """)
        return ctx.render(KeyCustomerListPage(
            tops: try tops(figures, ctx),
            hasFigures: figures != nil,
            keys: rows.prefix(listSpec.pageSize).map { r in
                .init(id: r.int("id") ?? 0, name: r.string("name") ?? "", code: r.string("code") ?? "",
                      owner: r.string("owner_name") ?? "", target: Money.format(r.int("sales_target_fen") ?? 0),
                      sales: figures?[r.int("id") ?? 0].map { Money.format($0.sales) } ?? "", achieved: achieved(r),
                      reason: r.string("reason") ?? "", marked: ctx.displayEpoch(r.int("marked_at")), updated: ctx.displayEpoch(r.int("updated_at")))
            },
            list: q.view(rowsFetched: rows.count, basePath: "/crm/key-customers"),
            q: q.filters["q"] ?? "",
            removed: q.filters["removed"] != nil,
            candidates: candidates.map { .init(id: $0.int("id") ?? 0, name: $0.string("name") ?? "", code: $0.string("code") ?? "") },
            hasCandidates: !candidates.isEmpty), title: "重点客户管理表")
    }

    /// The three top-10 sections, each with its ten numbered lines (blank lines when fewer).
    static func tops(_ figures: Figures?, _ ctx: Context) throws -> [KeyCustomerListPage.Top] {
        let titles = [("销售额前10名", "销售额"), ("销售额增长率前10名", "增长率"), ("销售利润率前10名", "利润率")]
        guard let figures else {
            return titles.enumerated().map { i, t in
                .init(title: t.0, column: t.1, lines: [], hasLines: false, note: i == 2 ? noMarginNote : noFiguresNote)
            }
        }
        let ranked = rankings(figures)
        let ids = Set((ranked.sales + ranked.growth + ranked.margin).map(\.customerID))
        var names: [Int64: String] = [:]
        if !ids.isEmpty {
            for r in try ctx.db.query("SELECT c.id, c.name FROM crm_customers c WHERE \(try Visibility.filter(ctx)) AND c.id IN (\(list: Array(ids)))") {
                names[r.int("id") ?? 0] = r.string("name") ?? ""
            }
        }
        let lists: [([Ranked], (Int64) -> String)] = [(ranked.sales, { Money.format($0) }), (ranked.growth, percent), (ranked.margin, percent)]
        return zip(titles, lists).map { title, entry in
            let (items, show) = entry
            let lines = (0..<10).map { i -> KeyCustomerListPage.Line in
                guard i < items.count, let name = names[items[i].customerID] else {
                    return .init(number: i + 1, id: 0, name: "", value: "", hasCustomer: false)
                }
                return .init(number: i + 1, id: items[i].customerID, name: name, value: show(items[i].value), hasCustomer: true)
            }
            return .init(title: title.0, column: title.1, lines: lines, hasLines: true, note: "")
        }
    }

    /// From the list's customer picker to that customer's form.
    static let pick: Handler = { req, ctx in
        guard let id = req.query["customer"].flatMap({ Int64($0) }), id > 0 else { return .redirect(to: "/crm/key-customers") }
        return .redirect(to: "/crm/key-customers/\(id)")
    }

    static func load(_ id: Int64, _ ctx: Context) throws -> (customer: Row, key: Row?) {
        let c = try Visibility.customer(id, ctx)
        let key = try ctx.db.first("""
            SELECT k.*, COALESCE(m.display_name, '') AS marked_by_name, COALESCE(u.display_name, '') AS updated_by_name
            FROM crm_key_customers k LEFT JOIN users m ON m.id = k.marked_by LEFT JOIN users u ON u.id = k.updated_by
            WHERE k.customer_id = \(id)
            """)
        return (c, key)
    }

    static func page(_ c: Row, _ key: Row?, form: FormView, _ ctx: Context) throws -> KeyCustomerFormPage {
        let cid = try c.requireInt("id")
        let active = key?.bool("active") ?? false
        let figures = try salesFigures(ctx)?[cid].map { f in
            KeyCustomerFormPage.Figures(
                sales: Money.format(f.sales), lastYear: Money.format(f.lastYear),
                growth: f.lastYear > 0 ? percent(growthBasisPoints(sales: f.sales, lastYear: f.lastYear)) : "—",
                margin: !f.costKnown ? costMissing : f.sales > 0 ? percent(basisPoints(f.profit, over: f.sales)) : "—")
        }
        let history = try ctx.history(entity: "crm.key_customer", id: cid, newestFirst: true, limit: 50)
        return KeyCustomerFormPage(
            c: CustomerView(c), isKey: active, wasKey: key != nil && !active,
            markedBy: key?.string("marked_by_name") ?? "", markedAt: ctx.displayEpoch(key?.int("marked_at")),
            updatedBy: key?.string("updated_by_name") ?? "", updatedAt: ctx.displayEpoch(key?.int("updated_at")),
            note: noFiguresNote + "；" + noMarginNote, hasFigures: figures != nil, figures: figures,
            history: history,
            form: form)
    }

    /// The per-customer part of the 重点客户管理表. Saving it marks the customer as a key
    /// customer (audited `mark`), or revises the entry (audited `edit`, naming what changed).
    static let edit: Handler = { req, ctx in
        let (c, key) = try load(try req.id(), ctx)
        let cid = try c.requireInt("id")
        let active = key?.bool("active") ?? false
        guard active || c.string("status") == "customer" else {
            throw HTTPError.conflict("只有正式客户才能设为重点客户。")
        }
        var initial = FormData()
        if let key {
            initial.append("sales_target", Money.format(key.int("sales_target_fen") ?? 0, grouping: false))
            for name in ["reason", "actions", "service_manager_advice", "gm_advice"] { initial.append(name, key.string(name) ?? "") }
        }
        return try ctx.handleForm(form, title: "重点客户：" + (c.string("name") ?? ""), initial: initial,
                                  page: { form in try page(c, key, form: form, ctx) }) { v in
            let user = try ctx.requireUser()
            let target = try v.requireMoney("sales_target")
            let texts = ["reason", "actions", "service_manager_advice", "gm_advice"].map { ($0, v.string($0)) }
            var unchanged = false
            try ctx.db.transaction {
                if let key {
                    var changed: [String] = []
                    if key.int("sales_target_fen") != target { changed.append("销售额目标") }
                    for (name, value) in texts where key.string(name) != value { changed.append(form.field(name)?.label ?? name) }
                    if active && changed.isEmpty {   // nothing changed: nothing to record
                        unchanged = true
                        return
                    }
                    try ctx.db.execute("""
                        UPDATE crm_key_customers SET active = 1, sales_target_fen = \(target), reason = \(v.string("reason")),
                            actions = \(v.string("actions")), service_manager_advice = \(v.string("service_manager_advice")),
                            gm_advice = \(v.string("gm_advice")), updated_by = \(user.id), updated_at = \(ctx.epoch)
                        WHERE customer_id = \(cid)
                        """)
                    if !active {
                        // Marked again after a removal: a new marking.
                        try ctx.db.execute("UPDATE crm_key_customers SET marked_by = \(user.id), marked_at = \(ctx.epoch) WHERE customer_id = \(cid)")
                    }
                    try ctx.audit(AuditEntry(entity: "crm.key_customer", entityID: String(cid), action: active ? "edit" : "mark",
                                             from: active ? "key" : "removed", to: "key",
                                             reason: active ? "修改：" + changed.joined(separator: "、")
                                                 : "销售额目标 \(Money.format(target))；原因：\(v.string("reason"))"))
                } else {
                    let inserted = try ctx.db.execute("""
                        INSERT INTO crm_key_customers (customer_id, active, sales_target_fen, reason, actions, service_manager_advice,
                                                       gm_advice, marked_by, marked_at, updated_by, updated_at)
                        VALUES (\(cid), 1, \(target), \(v.string("reason")), \(v.string("actions")), \(v.string("service_manager_advice")),
                                \(v.string("gm_advice")), \(user.id), \(ctx.epoch), \(user.id), \(ctx.epoch))
                        ON CONFLICT (customer_id) DO NOTHING
                        """)
                    guard inserted == 1 else { throw FormRejection("该客户刚被他人设为重点客户，请刷新后再修改。") }
                    try ctx.audit(AuditEntry(entity: "crm.key_customer", entityID: String(cid), action: "mark", to: "key",
                                             reason: "销售额目标 \(Money.format(target))；原因：\(v.string("reason"))"))
                }
            }
            return .redirect(to: "/crm/key-customers/\(cid)",
                             flash: unchanged ? .info("重点客户管理表没有变化。") : .ok("重点客户管理表已保存。"))
        }
    }

    /// Takes the customer off the key-customer table, with a reason (audited `remove`); the
    /// entry is kept and comes back when the customer is marked again.
    static let remove: Handler = { req, ctx in
        let (c, key) = try load(try req.id(), ctx)
        let cid = try c.requireInt("id")
        guard key?.bool("active") == true else { throw HTTPError.conflict("该客户不是重点客户。") }
        return try ctx.handleForm(removeForm, title: "取消重点客户",
                                  page: { form in KeyCustomerRemovePage(c: CustomerView(c), form: form) }) { v in
            try ctx.db.transaction {
                let user = try ctx.requireUser()
                let changed = try ctx.db.execute("""
                    UPDATE crm_key_customers SET active = 0, updated_by = \(user.id), updated_at = \(ctx.epoch)
                    WHERE customer_id = \(cid) AND active = 1
                    """)
                guard changed == 1 else { throw HTTPError.conflict("该客户已不是重点客户。") }
                try ctx.audit(AuditEntry(entity: "crm.key_customer", entityID: String(cid), action: "remove", from: "key",
                                         to: "removed", reason: v.string("reason")))
            }
            return .redirect(to: "/crm/key-customers", flash: .ok("已取消重点客户，原因已记录。"))
        }
    }
}

// MARK: - Page models

/// 重点客户管理表: the three top-10 lists and the key customers.
struct KeyCustomerListPage: PageModel {
    static let template = "keycustomers-list"
    var tops: [Top]
    var hasFigures: Bool
    var keys: [Key]
    var list: ListView
    /// The search filter's value.
    var q: String
    var removed: Bool
    var candidates: [Candidate]
    var hasCandidates: Bool

    struct Top: TemplateModel {
        var title: String
        var column: String
        var lines: [Line]
        var hasLines: Bool
        /// Why the section has no lines (no sales data; no standard cost for the margin).
        var note: String
    }

    struct Line: TemplateModel {
        var number: Int
        var id: Int64
        var name: String
        var value: String
        var hasCustomer: Bool
    }

    struct Key: TemplateModel {
        var id: Int64
        var name: String
        var code: String
        var owner: String
        var target: String
        var sales: String
        var achieved: String
        var reason: String
        var marked: String
        var updated: String
    }

    struct Candidate: TemplateModel {
        var id: Int64
        var name: String
        var code: String
    }
}

/// One customer's part of the 重点客户管理表 (marks or revises the key customer).
struct KeyCustomerFormPage: PageModel {
    static let template = "keycustomers-form"
    var c: CustomerView
    var isKey: Bool
    var wasKey: Bool
    var markedBy: String
    var markedAt: String
    var updatedBy: String
    var updatedAt: String
    var note: String
    var hasFigures: Bool
    var figures: Figures?
    /// 办理记录 of the entry (`ctx.history`), newest first.
    var history: History
    var form: FormView

    struct Figures: TemplateModel {
        var sales: String
        var lastYear: String
        var growth: String
        var margin: String
    }
}

/// 取消重点客户, with a reason.
struct KeyCustomerRemovePage: PageModel {
    static let template = "keycustomers-remove"
    var c: CustomerView
    var form: FormView
}
