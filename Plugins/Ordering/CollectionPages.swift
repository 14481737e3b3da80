import CustomerDevelopmentAPI
import Foundation
import SalesKit

/// The pages of collections (issue #14, `Collections`): the yearly 回款额度 per rep (set by finance
/// or the sales manager, 003 §5.5.1), the per-rep collection report against plan (回款率 = collected
/// ÷ plan, 003 §5.4), the year's 新品 (003 §8.1.5) and the monthly 3‰ bonus report (003 §8.1.4–§8.1.5).
enum CollectionPages {
    /// 财务部 and the 销售经理 set each rep's yearly 回款额度 and the year's 新品 (003 §5.5.1: the sales
    /// department allocates the company's yearly plan to each rep).
    static let plan = Permission("order", "collection_plan", title: "下达回款额度、设定当年新品（财务部、销售经理）",
                                 defaultRoles: [.finance, .salesManager])

    static let planForm = FormSchema([
        FormField("rep_id", "业务员", .integer, required: true),
        FormField("year", "年度", .integer, required: true, rules: [.range(2000, 2100)]),
        FormField("amount", "年度回款额度（元）", .money, required: true, rules: [.range(1, 100_000_000_000_000)]),
        FormField("note", "说明（区域、客户分类、产品类别等分配依据）", rules: [.length(min: nil, max: 200)]),
    ])

    static let newProductForm = FormSchema([
        FormField("product_id", "产品", .integer, required: true),
        FormField("year", "年度", .integer, required: true, rules: [.range(2000, 2100)]),
    ])

    /// The plan form with the reps as choices (declared as an integer: the choices are the users).
    static func planSchema(_ ctx: Context) throws -> FormSchema {
        var s = planForm
        let reps = try Collections.reps(ctx).map { Choice(String($0.id), $0.name) }
        if let i = s.fields.firstIndex(where: { $0.name == "rep_id" }), !reps.isEmpty { s.fields[i].kind = .select(reps) }
        return s
    }

    static func productSchema(_ ctx: Context) throws -> FormSchema {
        var s = newProductForm
        let products = try ctx.db.query("SELECT id, name, spec FROM order_products WHERE active = 1 ORDER BY name, spec, id").map {
            Choice(String($0.int("id") ?? 0), [$0.text("name"), $0.text("spec")].filter { !$0.isEmpty }.joined(separator: " "))
        }
        if let i = s.fields.firstIndex(where: { $0.name == "product_id" }), !products.isEmpty { s.fields[i].kind = .select(products) }
        return s
    }

    // MARK: Pages

    /// 回款额度与回款考核表 of a year.
    struct ReportPage: PageModel {
        static let template = "order-collections"

        struct Line: TemplateModel {
            var rep: String
            var plan: String
            var collected: String
            var rate: String
            var customers: String
            var customerCount: Int
            var shipped: String
            var receivable: String
            var receivablePct: String
            var losses: String
            var lossPermille: String
            var doubtful: String
            var doubtfulPermille: String
            var short: Bool
            /// The owner is not an active rep: the customers need one (003 §5.5.1).
            var orphan: Bool
        }

        var year: Int
        var prev: Int
        var next: Int
        var lines: [Line]
        var total: Line
        var canPlan: Bool
        var newProducts: [String]
        var hasNewProducts: Bool
    }

    /// A plan or new-product form with the year's current list beside it.
    struct PlanFormPage: PageModel {
        static let template = "order-collection-form"
        var heading: String
        var intro: String
        var button: String
        var form: FormView
        var current: [Cells]
        var header: [String]
        var year: Int
    }

    /// 回款及新品提成月报 (003 §8.1.4–§8.1.5).
    struct BonusPage: PageModel {
        static let template = "order-bonus"

        struct Line: TemplateModel {
            var rep: String
            var matureCollected: String
            var otherCollected: String
            var collectionBonus: String
            var newProductSales: String
            var newProductBonus: String
            var total: String
        }

        var month: String
        var prev: String
        var next: String
        var lines: [Line]
        var total: Line
    }

    static let pages: [any PageModel.Type] = [ReportPage.self, PlanFormPage.self, BonusPage.self]

    static let reportHeader = ["业务员", "回款额度（元）", "本年回款（元）", "回款率（目标 100%）", "负责客户数", "本年发货（元）", "年末应收（元）",
                               "应收占发货（目标 10–15%）", "货款损失（核销，元）", "货款损失率（≤ 5‰）", "呆坏账（逾期一年以上，元）", "呆坏账率（≤ 5‰）", "负责的客户"]

    static func line(rep: String, plan: Int64?, customers: [String], orphan: Bool = false, _ t: Collections.Totals) -> ReportPage.Line {
        ReportPage.Line(
            rep: rep, plan: plan.map { Money.format($0) } ?? "未下达", collected: Money.format(t.collected),
            rate: plan.map { Collections.ratio(t.collected, $0) } ?? "—", customers: customers.joined(separator: "、"),
            customerCount: customers.count, shipped: Money.format(t.shipped), receivable: Money.format(t.receivable),
            receivablePct: Collections.ratio(t.receivable, t.shipped), losses: Money.format(t.writtenOff),
            lossPermille: Collections.ratio(t.writtenOff, t.shipped, scale: 1000, unit: "‰"), doubtful: Money.format(t.doubtful),
            doubtfulPermille: Collections.ratio(t.doubtful, t.shipped, scale: 1000, unit: "‰"),
            short: plan.map { t.collected < $0 } ?? false, orphan: orphan)
    }

    static let report: Handler = { req, ctx in
        let year = Collections.year(req.query["year"], ctx)
        let reps = try Collections.repYears(year: year, ctx)
        var all = Collections.Totals()
        var planTotal: Int64 = 0
        var lines: [ReportPage.Line] = []
        for r in reps {
            lines.append(line(rep: r.name, plan: r.plan, customers: r.customers, orphan: !r.isRep && !r.customers.isEmpty, r.totals))
            try all.add(Collections.CustomerYear(customerID: 0, shipped: r.totals.shipped, collected: r.totals.collected,
                                                 writtenOff: r.totals.writtenOff, receivable: r.totals.receivable, doubtful: r.totals.doubtful))
            planTotal = try Stored.add(planTotal, r.plan ?? 0)
        }
        let total = line(rep: "合计", plan: planTotal > 0 ? planTotal : nil, customers: [], all)
        if req.query["format"] == "csv" {
            let rows = (lines + [total]).map {
                [$0.rep, $0.plan, $0.collected, $0.rate, String($0.customerCount), $0.shipped, $0.receivable, $0.receivablePct,
                 $0.losses, $0.lossPermille, $0.doubtful, $0.doubtfulPermille, $0.customers]
            }
            return .csv(filename: "回款考核表-\(year).csv", CSVTable(header: reportHeader, rows: rows))
        }
        let products = try newProducts(year: year, ctx).map { $0[0] }
        return ctx.render(ReportPage(year: year, prev: year - 1, next: year + 1, lines: lines, total: total, canPlan: ctx.can(plan),
                                     newProducts: products, hasNewProducts: !products.isEmpty),
                          title: "回款考核表 \(year)")
    }

    /// The year's plans as table rows.
    static func planRows(year: Int, _ ctx: Context) throws -> [[String]] {
        try ctx.db.query("""
            SELECT p.amount_fen, p.note, p.updated_at, u.display_name FROM order_collection_plans p LEFT JOIN users u ON u.id = p.rep_id
            WHERE p.year = \(year) ORDER BY p.rep_id
            """).sortedByPinyin { $0.text("display_name") }.map { [$0.text("display_name"), Money.format($0.int("amount_fen") ?? 0), $0.text("note"), ctx.displayEpoch($0.int("updated_at"))] }
    }

    static func newProducts(year: Int, _ ctx: Context) throws -> [[String]] {
        try ctx.db.query("""
            SELECT p.name, p.spec FROM order_new_products n JOIN order_products p ON p.id = n.product_id
            WHERE n.year = \(year) ORDER BY p.name, p.spec
            """).map { [[$0.text("name"), $0.text("spec")].filter { !$0.isEmpty }.joined(separator: " ")] }
    }

    /// Sets (or changes) a rep's yearly 回款额度 (003 §5.5.1). **Decision:** a past year's plan is
    /// closed (its report is final) and cannot be changed; a rep must be a user who registers
    /// orders. Each change is audited with the old and new amount.
    static let planPage: Handler = { req, ctx in
        let year = Collections.year(req.query["year"], ctx)
        let schema = try planSchema(ctx)
        return try ctx.handleForm(schema, title: "下达回款额度", initial: FormData([("year", String(year))]), page: {
            PlanFormPage(heading: "下达年度回款额度",
                         intro: "按公司年度销售计划，分配每个业务员（含片区）的年度销售回款额度（003 §5.5.1）；回款率 = 本年回款 ÷ 回款额度（003 §5.4.1，目标 100%）。"
                             + "往年的额度已结算，不能修改。",
                         button: "保存", form: $0, current: try planRows(year: year, ctx).map { Cells(cells: $0) },
                         header: ["业务员", "回款额度（元）", "说明", "更新时间"], year: year)
        }) { v in
            let rep = Int64(v.string("rep_id")) ?? 0
            guard try Collections.reps(ctx).contains(where: { $0.id == rep }) else {
                throw FormRejection(field: "rep_id", "请选择登记订单的在职业务员")
            }
            let y = Int(v.int("year") ?? 0)
            guard y >= ctx.today.year else { throw FormRejection(field: "year", "\(y) 年已结算，不能再修改其回款额度") }
            let amount = v.money("amount") ?? 0
            let user = try ctx.requireUser()
            try ctx.db.transaction {
                let old = try ctx.db.first("SELECT id, amount_fen FROM order_collection_plans WHERE rep_id = \(rep) AND year = \(y)")
                // One row per rep and year; a concurrent first save becomes an update, not an error.
                let id = try ctx.db.insert("""
                    INSERT INTO order_collection_plans (rep_id, year, amount_fen, note, updated_by, updated_at)
                    VALUES (\(rep), \(y), \(amount), \(v.string("note")), \(user.id), \(ctx.epoch))
                    ON CONFLICT (rep_id, year) DO UPDATE SET amount_fen = excluded.amount_fen, note = excluded.note,
                        updated_by = excluded.updated_by, updated_at = excluded.updated_at
                    RETURNING id
                    """)
                try ctx.audit(AuditEntry(entity: "order.collection_plan", entityID: String(id), action: old == nil ? "create" : "update",
                                         from: old.map { Money.format($0.int("amount_fen") ?? 0) }, to: Money.format(amount),
                                         reason: "\(try Collections.userName(rep, ctx)) \(y) 年回款额度 ¥\(Money.format(amount))"
                                             + (v.optionalString("note").map { "：\($0)" } ?? "")))
            }
            return .redirect(to: "/order/collections?year=\(y)", flash: .ok("已保存回款额度。"))
        }
    }

    /// Marks a product as 新品 for a year (003 §8.1.5); audited.
    static let newProductPage: Handler = { req, ctx in
        let year = Collections.year(req.query["year"], ctx)
        let schema = try productSchema(ctx)
        return try ctx.handleForm(schema, title: "设定当年新品", initial: FormData([("year", String(year))]), page: {
            PlanFormPage(heading: "设定当年新品",
                         intro: "当年实现新品销售的，业务员另按新品销售挂帐金额的 3‰ 奖励（003 §8.1.5）。此处标记的产品在该年度的发货计为新品销售。",
                         button: "加入新品", form: $0, current: try newProducts(year: year, ctx).map { Cells(cells: $0) },
                         header: ["\(year) 年新品"], year: year)
        }) { v in
            let pid = Int64(v.string("product_id")) ?? 0
            guard let p = try ctx.db.first("SELECT id, name, spec FROM order_products WHERE id = \(pid) AND active = 1") else {
                throw FormRejection(field: "product_id", "请从产品目录中选择在用的产品")
            }
            let y = Int(v.int("year") ?? 0)
            guard y >= ctx.today.year else { throw FormRejection(field: "year", "\(y) 年已结算，不能再设定新品") }
            let user = try ctx.requireUser()
            try ctx.db.transaction {
                let id = try ctx.db.scalar("""
                    INSERT INTO order_new_products (product_id, year, created_by, created_at) VALUES (\(pid), \(y), \(user.id), \(ctx.epoch))
                    ON CONFLICT (product_id, year) DO NOTHING RETURNING id
                    """)
                if let id {
                    try ctx.audit(AuditEntry(entity: "order.new_product", entityID: String(id), action: "create", to: "new",
                                             reason: "\(p.text("name")) \(p.text("spec")) 列为 \(y) 年新品"))
                }
            }
            return .redirect(to: "/order/collections?year=\(y)", flash: .ok("已设定新品。"))
        }
    }

    static let bonusHeader = ["业务员", "成熟客户回款（元）", "其他客户回款（不提成，元）", "回款提成 3‰（元）", "新品销售挂帐（元）", "新品提成 3‰（元）", "提成合计（元）"]

    static let bonusReport: Handler = { req, ctx in
        let today = ctx.today
        let (year, month) = Collections.parseMonth(req.query["month"]) ?? (today.year, today.month)
        let rows = try Collections.bonus(year: year, month: month, ctx)
        var t = Collections.RepBonus(repID: 0, name: "合计")
        for b in rows {
            t.matureCollected = try Stored.add(t.matureCollected, b.matureCollected)
            t.otherCollected = try Stored.add(t.otherCollected, b.otherCollected)
            t.collectionBonus = try Stored.add(t.collectionBonus, b.collectionBonus)
            t.newProductSales = try Stored.add(t.newProductSales, b.newProductSales)
            t.newProductBonus = try Stored.add(t.newProductBonus, b.newProductBonus)
            t.total = try Stored.add(t.total, b.total)
        }
        func view(_ b: Collections.RepBonus) -> BonusPage.Line {
            BonusPage.Line(rep: b.name, matureCollected: Money.format(b.matureCollected), otherCollected: Money.format(b.otherCollected),
                           collectionBonus: Money.format(b.collectionBonus), newProductSales: Money.format(b.newProductSales),
                           newProductBonus: Money.format(b.newProductBonus), total: Money.format(b.total))
        }
        let label = Collections.monthText(year, month)
        if req.query["format"] == "csv" {
            let lines = (rows + [t]).map(view).map {
                [$0.rep, $0.matureCollected, $0.otherCollected, $0.collectionBonus, $0.newProductSales, $0.newProductBonus, $0.total]
            }
            return .csv(filename: "回款及新品提成-\(label).csv", CSVTable(header: bonusHeader, rows: lines))
        }
        let prev = month == 1 ? Collections.monthText(year - 1, 12) : Collections.monthText(year, month - 1)
        let next = month == 12 ? Collections.monthText(year + 1, 1) : Collections.monthText(year, month + 1)
        return ctx.render(BonusPage(month: label, prev: prev, next: next, lines: rows.map(view), total: view(t)),
                          title: "回款及新品提成 \(label)")
    }

    static let menu: [MenuItem] = [
        MenuItem("回款考核表", path: "collections", access: .permission(OrderPages.view)),
        MenuItem("回款及新品提成", path: "collections/bonus", access: .permission(OrderPages.view)),
        MenuItem("下达回款额度", path: "collections/plans", access: .permission(plan)),
        MenuItem("月度对账单", path: "statements/month", access: .permission(OrderPages.view)),
    ]

    static let forms: [String: FormSchema] = ["collection_plan": planForm, "new_product": newProductForm]

    static func routes(_ r: inout RouteBuilder) {
        // Every order role; a rep sees only their own line (checked in `Collections`).
        r.get("collections", .permission(OrderPages.view), report)
        r.get("collections/bonus", .permission(OrderPages.view), bonusReport)
        r.form("collections/plans", .permission(plan), planPage)
        r.form("collections/new-products", .permission(plan), newProductPage)
    }
}
