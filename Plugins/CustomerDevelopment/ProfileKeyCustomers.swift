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

    /// This request's figures (`salesFigures`), fetched once for the cards and the cells. A
    /// failure of the other module's query shows as no figures (a cell cannot fail the page).
    static func requestFigures(_ ctx: Context) -> Figures? {
        ctx.memo("crm.key-customers.figures") { try? salesFigures(ctx) }
    }

    /// 重点客户管理表 as the paper form lays it out: the three top-10 tables (`ListSummary`), then
    /// the key customers (sortable, paged, CSV with 措施, 建议 and 设定人 as well). 已取消的
    /// shows the removed ones instead of the current ones.
    static let listPage = ListPage(
        title: "重点客户管理表", path: "/crm/key-customers",
        select: """
            c.id, c.name, c.code, COALESCE(u.display_name, '') AS owner_name, k.sales_target_fen, k.reason, k.actions,
            k.service_manager_advice, k.gm_advice, k.marked_at, k.updated_at, COALESCE(m.display_name, '') AS marked_by_name
            """,
        from: """
            crm_key_customers k JOIN crm_customers c ON c.id = k.customer_id
            LEFT JOIN users u ON u.id = c.owner_id LEFT JOIN users m ON m.id = k.marked_by
            """,
        // The checkbox chooses between the current and the removed key customers: one of the
        // two conditions always applies, so it is part of the scope, not a filter's condition.
        scope: { ctx in "\(try Visibility.filter(ctx)) AND k.active = \(ctx.request.query["removed"] == nil ? 1 : 0)" },
        columns: [
            .link("name", "客户名称", sql: "c.name_sort", column: "name", to: "/crm/key-customers/"),   // 拼音 order (#16 point 10)
            .code("code", "客户代码", sql: "c.code"),
            .init("owner", "负责人", sql: "COALESCE(u.display_name, '')", rowKey: "owner_name") { r, w, _ in w.text(r, "owner_name") },
            .init("target", "销售额目标", sql: "k.sales_target_fen", style: .number) { r, w, _ in
                w.text(Money.format(r.int("sales_target_fen") ?? 0))
            },
            .init("sales", "本年销售额", sql: "k.sales_target_fen", sortable: false, style: .number) { r, w, ctx in
                if let f = requestFigures(ctx)?[r.int("id") ?? 0] { w.text(Money.format(f.sales)) }
            },
            .init("achieved", "目标达成率", sql: "k.sales_target_fen", sortable: false, style: .number) { r, w, ctx in
                guard let f = requestFigures(ctx)?[r.int("id") ?? 0], let target = r.int("sales_target_fen"), target > 0 else { return }
                w.text(percent(basisPoints(f.sales, over: target)))
            },
            .excerpt("reason", "将其设为重点客户的原因", sql: "k.reason"),
            .text("actions", "实现目标的行动措施", sql: "k.actions").exportOnly(),
            .text("service", "客户服务部经理建议", sql: "k.service_manager_advice").exportOnly(),
            .text("gm", "总经理建议", sql: "k.gm_advice").exportOnly(),
            .text("by", "设定人", sql: "marked_by_name").exportOnly(),
            .time("marked", "设定时间", sql: "k.marked_at"),
            .time("updated", "更新时间", sql: "k.updated_at"),
        ],
        filters: [
            .search("q", "客户名称或代码") { s, _ in let like = "%" + s + "%"; return "c.name LIKE \(like) OR c.code LIKE \(like)" },
            .init("removed", "已取消的", .checkbox) { _, _ in nil },
        ],
        actions: [.init("设为重点客户", href: "/crm/key-customers/new")],
        defaultSort: "target", defaultDescending: true, tiebreaker: "c.id", empty: "没有符合条件的重点客户。",
        csvName: "重点客户管理表.csv",
        intro: "002 第九章 第三节 客户服务管理表格 · 一、2.重点客户管理表",
        summaries: { _, ctx in try tops(requestFigures(ctx), ctx) })

    static let list: Handler = { req, ctx in try listPage.respond(req, ctx) }

    /// The three top-10 sections, each with its ten numbered lines (blank lines when fewer).
    static func tops(_ figures: Figures?, _ ctx: Context) throws -> [ListSummary] {
        let titles = [("销售额前10名", "销售额"), ("销售额增长率前10名", "增长率"), ("销售利润率前10名", "利润率")]
        func columns(_ value: String) -> [(String, ListPage.CellStyle)] { [("序号", .number), ("客户名称", .text), (value, .number)] }
        guard let figures else {
            return titles.enumerated().map { i, t in
                ListSummary(title: t.0, columns: columns(t.1), rows: [], note: i == 2 ? noMarginNote : noFiguresNote)
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
            let lines = (0..<10).map { i -> [ListCell] in
                guard i < items.count, let name = names[items[i].customerID] else {
                    return [ListCell(String(i + 1)), ListCell(""), ListCell("")]
                }
                return [ListCell(String(i + 1)), ListCell(name, href: "/crm/key-customers/\(items[i].customerID)"), ListCell(show(items[i].value))]
            }
            return ListSummary(title: title.0, columns: columns(title.1), rows: lines)
        }
    }

    /// 设为重点客户: a formal customer not yet a key customer, picked from the list of them; the
    /// pick opens that customer's form.
    static let pick: Handler = { req, ctx in
        if let id = req.query["customer"].flatMap({ Int64($0) }), id > 0 { return .redirect(to: "/crm/key-customers/\(id)") }
        let candidates = try ctx.db.query("""
            SELECT c.id, c.name, c.code FROM crm_customers c
            WHERE \(try Visibility.filter(ctx)) AND c.status = 'customer'
              AND NOT EXISTS (SELECT 1 FROM crm_key_customers k WHERE k.customer_id = c.id AND k.active = 1)
            ORDER BY c.name_sort, c.id LIMIT 1000
            """)
        return ctx.render(KeyCustomerPickPage(
            candidates: candidates.map { .init(id: $0.int("id") ?? 0, name: $0.string("name") ?? "", code: $0.string("code") ?? "") }),
            title: "设为重点客户")
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

/// 设为重点客户: the formal customers that are not key customers yet.
struct KeyCustomerPickPage: PageModel {
    static let template = "keycustomers-pick"
    var candidates: [Candidate]

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
