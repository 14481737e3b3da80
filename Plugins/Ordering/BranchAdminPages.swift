import Foundation
import SalesKit

/// Branches, their stock per product and their monthly sales (002 §5–§6, §8).
enum BranchAdminPages {
    static let branchForm = FormSchema([
        FormField("name", "分支机构名称", required: true, rules: [.length(min: 2, max: 50)]),
        FormField("manager_id", "分支机构经理", .integer, required: true),
        FormField("capital_limit", "资金占用限额（元）", .money, required: true, rules: [.range(0, 100_000_000_000)],
                  help: "公司定期核定（002 第8条）。限额内的订货予以保证，超出部分须营销总监审批。"),
        FormField("reason", "变更说明", rules: [.length(min: nil, max: 200)]),
    ])

    /// 1–100 characters and nothing blank at either end: the pages trim `.whitespaces` (which on
    /// Linux include U+200B and U+00A0) before using the name as a key, so "\u{200B}" alone would
    /// pass `required` and be stored as an empty product.
    static let productRule = FieldRule.custom { v in
        guard case .text(let s) = v else { return nil }
        if s.trimmingCharacters(in: .whitespaces) != s { return "品名规格首尾不能有空白字符" }
        return s.count > 100 ? "最多 100 个字" : nil
    }

    static let stockForm = FormSchema([
        FormField("product", "品名规格", required: true, rules: [productRule]),
        FormField("on_hand", "库存量", .integer, required: true, rules: [.range(0, 1_000_000_000)]),
        FormField("transit_days", "在途时间（天）", .integer, required: true, rules: [.range(0, 365)],
                  help: "货物从公司到本分支机构的在途天数（002 第6条）。"),
    ])

    static let salesForm = FormSchema([
        FormField("product", "品名规格", required: true, rules: [productRule]),
        FormField("month", "月份（YYYY-MM）", required: true,
                  rules: [.pattern("[0-9]{4}-(0[1-9]|1[0-2])", message: "请按 YYYY-MM 填写月份，例如 2026-02")]),
        FormField("quantity", "当月销量", .integer, required: true, rules: [.range(0, 1_000_000_000)]),
    ])

    /// A branch's name, manager (a select of the staff who may order) and capital limit.
    struct BranchFormPage: PageModel {
        static let template = "branch-form"

        /// The fields laid out by hand: the manager is a select filled per request.
        struct Fields: TemplateModel {
            var name: FieldView
            var managerId: FieldView
            var capitalLimit: FieldView
            var reason: FieldView

            init(_ form: FormView) throws {
                name = try form.field("name")
                managerId = try form.field("manager_id")
                capitalLimit = try form.field("capital_limit")
                reason = try form.field("reason")
            }
        }

        struct Manager: TemplateModel {
            var id: Int64
            var name: String
            var current: Bool
        }

        var isNew: Bool
        /// The branch being edited (nil for a new one).
        var b: BranchData.Head?
        var managers: [Manager]
        var form: FormView
        var field: Fields
    }

    /// A branch: stock with reorder points and prompts, intent lists, recent orders, sales.
    struct BranchDetailPage: PageModel {
        static let template = "branch-detail"

        struct Order: TemplateModel {
            var id: Int64
            var date: String
            var amount: String
            var state: String
        }

        struct Intent: TemplateModel {
            var dueDate: String
            var periodStart: String
            var periodEnd: String
            var submitted: String
            var isLate: Bool
        }

        struct Sales: TemplateModel {
            var month: String
            var product: String
            var quantity: Int64
        }

        var b: BranchData.Head
        var limit: String
        var occupancy: String
        var available: String
        var month: String
        var lastMonth: String
        var lastYearMonth: String
        var stock: [BranchData.StockView]
        var hasStock: Bool
        var prompts: [BranchData.StockView]
        var hasPrompts: Bool
        var sales: [Sales]
        var hasSales: Bool
        var orders: [Order]
        var hasOrders: Bool
        var due: String
        var deadline: String
        var intents: [Intent]
        var canAdmin: Bool
    }

    /// A form about one branch (stock, monthly sales).
    struct StockFormPage: PageModel {
        static let template = "branch-stock-form"
        var b: BranchData.Head
        var form: FormView
    }

    struct SalesFormPage: PageModel {
        static let template = "branch-sales-form"
        var b: BranchData.Head
        var form: FormView
    }

    /// 002 §5–§6 in SQL: how many stocked products of branch `b` must be ordered this month —
    /// the same decision as `BranchData.stock(_:_:)`'s `mustOrder`, exactly (checked against it in
    /// `BranchListTests`), so the list counts, sorts and filters by it with no query per branch.
    ///
    /// For a stock row `s`: q₁ = last month's sales (`lastMonth`, d₁ days), q₂ = the same month
    /// last year's (d₂ days), each at least 0 (none recorded: 0). The daily demand is q₂/d₂ when
    /// q₂·d₁ > q₁·d₂, else q₁/d₁ (`BranchMath.dailyDemand`); the reorder point is 0 when the
    /// demand's quantity or the transit days are not positive, `Int64.max` when q·transit passes
    /// it, else ceil(q·transit / d); order when on hand ≤ the point. q·d is compared in two 32-bit
    /// halves, so stored numbers of any size give the Swift answer (no overflow, no REAL).
    /// Portable SQL (SQLite and PostgreSQL): CASE, integer `/ % >> &`, no MAX(a, b) or GREATEST.
    static func mustOrderCountSQL(branch: String, today: LocalDate) -> String {
        let (py, pm) = BranchMath.previousMonth(year: today.year, month: today.month)
        let lastMonth = BranchMath.monthKey(year: py, month: pm), lastYear = BranchMath.monthKey(year: today.year - 1, month: today.month)
        let d1 = LocalDate.daysIn(year: py, month: pm), d2 = LocalDate.daysIn(year: today.year - 1, month: today.month)
        let q1 = "(CASE WHEN l.quantity > 0 THEN l.quantity ELSE 0 END)", q2 = "(CASE WHEN y.quantity > 0 THEN y.quantity ELSE 0 END)"
        let t = "s.transit_days"
        // q·d as (high, low 32 bits): q = hi·2³² + lo, so q·d = (hi·d + carry(lo·d))·2³² + low(lo·d).
        func high(_ q: String, _ d: Int) -> String { "((\(q) >> 32) * \(d) + (((\(q) & 4294967295) * \(d)) >> 32))" }
        func low(_ q: String, _ d: Int) -> String { "(((\(q) & 4294967295) * \(d)) & 4294967295)" }
        let lastYearHigher = "(\(high(q2, d1)) > \(high(q1, d2)) OR (\(high(q2, d1)) = \(high(q1, d2)) AND \(low(q2, d1)) > \(low(q1, d2))))"
        func point(_ q: String, _ d: Int) -> String {
            """
            CASE WHEN \(q) <= 0 OR \(t) <= 0 THEN 0 WHEN \(q) > 9223372036854775807 / \(t) THEN 9223372036854775807 \
            ELSE (\(q) * \(t)) / \(d) + CASE WHEN (\(q) * \(t)) % \(d) = 0 THEN 0 ELSE 1 END END
            """
        }
        // Month keys and day counts are made here from the date (digits and '-'), never from a request.
        return """
            (SELECT COUNT(*) FROM order_branch_stock s
              LEFT JOIN order_branch_sales l ON l.branch_id = s.branch_id AND l.product = s.product AND l.month = '\(lastMonth)'
              LEFT JOIN order_branch_sales y ON y.branch_id = s.branch_id AND y.product = s.product AND y.month = '\(lastYear)'
             WHERE s.branch_id = \(branch)
               AND s.on_hand <= CASE WHEN \(lastYearHigher) THEN \(point(q2, d2)) ELSE \(point(q1, d1)) END)
            """
    }

    /// Every branch with its limit, occupancy, products to reorder (a danger tag, the row marked
    /// urgent) and orders waiting for the 营销总监 (002 §5–§8). Made per request: the reorder
    /// points are this month's (`mustOrderCountSQL`). The counts are columns of a derived table,
    /// so they sort and page (keyset) like stored columns.
    static func listPage(_ ctx: Context) -> ListPage {
        ListPage(
            title: "分支机构", path: "/order/branches",
            select: "v.*",
            from: """
                (SELECT b.id, b.name, b.capital_limit, COALESCE(u.display_name, '') AS manager,
                   (SELECT COALESCE(SUM(o.amount), 0) FROM order_branch_orders o WHERE o.branch_id = b.id AND o.state = 'released') AS occupancy,
                   (SELECT COUNT(*) FROM order_branch_orders o WHERE o.branch_id = b.id AND o.state = 'pending') AS pending,
                   \(mustOrderCountSQL(branch: "b.id", today: ctx.today)) AS prompts
                 FROM order_branch_branches b LEFT JOIN users u ON u.id = b.manager_id) v
                """,
            scope: { _ in "1 = 1" },
            columns: [
                .link("name", "分支机构", sql: "v.name", to: "/order/branches/"),
                .text("manager", "经理", sql: "v.manager"),
                .init("limit", "资金占用限额（元）", sql: "v.capital_limit") { r, _ in ListCell(Money.format(r.int("capital_limit") ?? 0)) },
                .init("occupancy", "当前资金占用（元）", sql: "v.occupancy") { r, _ in ListCell(Money.format(r.int("occupancy") ?? 0)) },
                ListPage.Column("prompts", "需订货品种", sql: "v.prompts", style: .number) { r, cell, _ in
                    cell.text(r, "prompts")
                    if (r.int("prompts") ?? 0) > 0 { cell.cls("tag danger") }
                },
                .number("pending", "待审批订单", sql: "v.pending"),
            ],
            filters: [
                .search("q", "分支机构或经理") { s, _ in
                    let like = "%" + s + "%"
                    return "v.name LIKE \(like) OR v.manager LIKE \(like)"
                },
                .checkbox("reorder", "仅需订货") { _ in "v.prompts > 0" },
            ],
            actions: [.init("新增分支机构", href: "/order/branches/new", shown: { $0.can(BranchPages.admin) })],
            defaultSort: "name", tiebreaker: "v.id", empty: "还没有分支机构。", csvName: "分支机构.csv",
            intro: "各分支机构每月按品种确定订货点，库存达到或低于订货点时应及时订货（002 第5–6条）；限额内的订货予以保证，超出须营销总监审批（002 第8条）。",
            rowClass: { r, _ in (r.int("prompts") ?? 0) > 0 ? "urgent" : nil })
    }

    static let list: Handler = { req, ctx in try listPage(ctx).respond(req, ctx) }

    static func managerOptions(_ ctx: Context, chosen: Int64?) throws -> [BranchFormPage.Manager] {
        try BranchData.managers(ctx).map {
            BranchFormPage.Manager(id: $0.int("id") ?? 0, name: $0.text("display_name"), current: $0.int("id") == chosen)
        }
    }

    static func formPage(_ form: FormView, branch: Row?, chosen: Int64?, _ ctx: Context) throws -> BranchFormPage {
        BranchFormPage(isNew: branch == nil, b: branch.map(BranchData.Head.init), managers: try managerOptions(ctx, chosen: chosen),
                       form: form, field: try BranchFormPage.Fields(form))
    }

    static func checkManager(_ id: Int64, _ ctx: Context) throws {
        guard try BranchData.managers(ctx).contains(where: { $0.int("id") == id }) else {
            throw FormRejection(field: "manager_id", "请选择有分支机构订货权限的在职人员")
        }
    }

    static func checkName(_ name: String, except id: Int64?, _ ctx: Context) throws {
        let clash = try ctx.db.scalar("SELECT COUNT(*) FROM order_branch_branches WHERE name = \(name) AND id <> \(id ?? 0)") ?? 0
        if clash > 0 { throw FormRejection(field: "name", "已有同名分支机构") }
    }

    static let create: Handler = { req, ctx in
        let chosen = req.method == "POST" ? Int64(req.form["manager_id"] ?? "") : nil
        return try ctx.handleForm(branchForm, title: "新增分支机构", page: { try formPage($0, branch: nil, chosen: chosen, ctx) }) { v in
            let manager = try v.requireInt("manager_id")
            try checkManager(manager, ctx)
            try checkName(v.string("name"), except: nil, ctx)
            let id: Int64 = try ctx.db.transaction {
                let now = ctx.epoch
                let id = try ctx.db.insert("""
                    INSERT INTO order_branch_branches (name, manager_id, capital_limit, created_at, updated_at)
                    VALUES (\(v.string("name")), \(manager), \(v.money("capital_limit") ?? 0), \(now), \(now)) RETURNING id
                    """)
                try ctx.audit(AuditEntry(entity: "order.branch", entityID: String(id), action: "create", to: "active",
                                         reason: "限额 \(Money.yuan(v.money("capital_limit") ?? 0))" + (v.optionalString("reason").map { "（\($0)）" } ?? "")))
                return id
            }
            return .redirect(to: "/order/branches/\(id)")
        }
    }

    static let edit: Handler = { req, ctx in
        let b = try BranchData.branch(try req.id(), ctx)
        let id = try b.requireInt("id")
        let chosen = req.method == "POST" ? Int64(req.form["manager_id"] ?? "") : b.int("manager_id")
        let initial = FormData([("name", b.string("name") ?? ""), ("manager_id", String(b.int("manager_id") ?? 0)),
                                ("capital_limit", Money.format(b.int("capital_limit") ?? 0, grouping: false))])
        return try ctx.handleForm(branchForm, title: "修改分支机构", initial: initial,
                                  page: { try formPage($0, branch: b, chosen: chosen, ctx) }) { v in
            let manager = try v.requireInt("manager_id")
            try checkManager(manager, ctx)
            try checkName(v.string("name"), except: id, ctx)
            let limit = v.money("capital_limit") ?? 0
            var changes: [String] = []
            if v.string("name") != b.string("name") { changes.append("名称 \(b.string("name") ?? "") → \(v.string("name"))") }
            if manager != b.int("manager_id") { changes.append("经理 #\(b.int("manager_id") ?? 0) → #\(manager)") }
            if limit != b.int("capital_limit") {
                changes.append("限额 \(Money.yuan(b.int("capital_limit") ?? 0)) → \(Money.yuan(limit))")
            }
            guard !changes.isEmpty else { throw FormRejection("没有需要保存的变化") }
            try ctx.db.transaction {
                try ctx.db.execute("""
                    UPDATE order_branch_branches SET name = \(v.string("name")), manager_id = \(manager), capital_limit = \(limit),
                        updated_at = \(ctx.epoch) WHERE id = \(id)
                    """)
                let why = changes.joined(separator: "；") + (v.optionalString("reason").map { "（\($0)）" } ?? "")
                try ctx.audit(AuditEntry(entity: "order.branch", entityID: String(id), action: "edit", reason: why))
            }
            return .redirect(to: "/order/branches/\(id)")
        }
    }

    static let detail: Handler = { req, ctx in
        let b = try BranchData.branch(try req.id(), ctx)
        let id = try b.requireInt("id")
        let stock = try BranchData.stock(id, ctx)
        let occupancy = try BranchData.occupancy(id, ctx)
        let limit = b.int("capital_limit") ?? 0
        let today = ctx.today
        let (py, pm) = BranchMath.previousMonth(year: today.year, month: today.month)
        let sales = try ctx.db.query("""
            SELECT product, month, quantity FROM order_branch_sales WHERE branch_id = \(id) ORDER BY month DESC, product LIMIT 60
            """)
        let orders = try ctx.db.query("""
            SELECT id, state, order_date, amount FROM order_branch_orders WHERE branch_id = \(id) ORDER BY created_at DESC, id DESC LIMIT 20
            """)
        let due = BranchMath.intentDueDate(on: today)
        let intents = try ctx.db.query("""
            SELECT id, due_date, period_start, period_end, submitted_at, late FROM order_branch_intents
            WHERE branch_id = \(id) ORDER BY due_date DESC LIMIT 8
            """)
        let prompts = stock.filter(\.mustOrder)
        let page = BranchDetailPage(
            b: BranchData.Head(b),
            limit: Money.format(limit), occupancy: Money.format(occupancy),
            available: Money.format(max(0, try Stored.subtract(limit, occupancy))),
            month: BranchMath.monthKey(year: today.year, month: today.month),
            lastMonth: BranchMath.monthKey(year: py, month: pm),
            lastYearMonth: BranchMath.monthKey(year: today.year - 1, month: today.month),
            stock: stock.map(BranchData.StockView.init), hasStock: !stock.isEmpty,
            prompts: prompts.map(BranchData.StockView.init), hasPrompts: !prompts.isEmpty,
            sales: sales.map { .init(month: $0.text("month"), product: $0.text("product"), quantity: $0.int("quantity") ?? 0) },
            hasSales: !sales.isEmpty,
            orders: orders.map { r in
                .init(id: r.int("id") ?? 0, date: r.text("order_date"), amount: Money.format(r.int("amount") ?? 0),
                      state: BranchOrderPages.stateTitles[r.text("state")] ?? "")
            },
            hasOrders: !orders.isEmpty,
            due: due.description, deadline: ctx.display(BranchMath.deadline(due: due, timeZone: ctx.timeZone)),
            intents: intents.map { r in
                .init(dueDate: r.text("due_date"), periodStart: r.text("period_start"), periodEnd: r.text("period_end"),
                      submitted: ctx.displayEpoch(r.int("submitted_at")), isLate: r.bool("late"))
            },
            canAdmin: ctx.can(BranchPages.admin))
        return ctx.render(page, title: b.string("name") ?? "分支机构")
    }

    /// Records a product's stock and transit days (a new product, or a correction), audited.
    static let stock: Handler = { req, ctx in
        let b = try BranchData.branch(try req.id(), ctx)
        let id = try b.requireInt("id")
        var initial = FormData()
        if let p = req.query["product"],
           let s = try ctx.db.first("SELECT product, on_hand, transit_days FROM order_branch_stock WHERE branch_id = \(id) AND product = \(p)") {
            initial = FormData([("product", s.string("product") ?? ""), ("on_hand", String(s.int("on_hand") ?? 0)),
                                ("transit_days", String(s.int("transit_days") ?? 0))])
        }
        return try ctx.handleForm(stockForm, title: "库存与在途时间", initial: initial,
                                  page: { StockFormPage(b: BranchData.Head(b), form: $0) }) { v in
            let product = v.string("product").trimmingCharacters(in: .whitespaces)
            let onHand = try v.requireInt("on_hand"), transit = try v.requireInt("transit_days")
            try ctx.db.transaction {
                let old = try ctx.db.first("SELECT id, on_hand, transit_days FROM order_branch_stock WHERE branch_id = \(id) AND product = \(product)")
                let sid: Int64
                if let old {
                    sid = try old.requireInt("id")
                    try ctx.db.execute("""
                        UPDATE order_branch_stock SET on_hand = \(onHand), transit_days = \(transit), updated_at = \(ctx.epoch)
                        WHERE id = \(sid)
                        """)
                } else {
                    sid = try ctx.db.insert("""
                        INSERT INTO order_branch_stock (branch_id, product, on_hand, transit_days, updated_at)
                        VALUES (\(id), \(product), \(onHand), \(transit), \(ctx.epoch)) RETURNING id
                        """)
                }
                try ctx.audit(AuditEntry(entity: "order.branch_stock", entityID: String(sid), action: old == nil ? "create" : "update",
                                         from: old.map { "库存 \($0.int("on_hand") ?? 0)，在途 \($0.int("transit_days") ?? 0) 天" },
                                         to: "库存 \(onHand)，在途 \(transit) 天", reason: "\(b.string("name") ?? "") · \(product)"))
            }
            return .redirect(to: "/order/branches/\(id)")
        }
    }

    /// Records (or corrects) a product's sales total for a month, audited.
    static let sales: Handler = { req, ctx in
        let b = try BranchData.branch(try req.id(), ctx)
        let id = try b.requireInt("id")
        let today = ctx.today
        let (py, pm) = BranchMath.previousMonth(year: today.year, month: today.month)
        return try ctx.handleForm(salesForm, title: "月销量", initial: FormData([("month", BranchMath.monthKey(year: py, month: pm))]),
                                  page: { SalesFormPage(b: BranchData.Head(b), form: $0) }) { v in
            let product = v.string("product").trimmingCharacters(in: .whitespaces)
            let month = v.string("month"), quantity = try v.requireInt("quantity")
            guard let (y, m) = BranchMath.parseMonth(month) else { throw FormRejection(field: "month", "月份无效") }
            guard (y, m) <= (today.year, today.month) else { throw FormRejection(field: "month", "不能填写未来月份的销量") }
            try ctx.db.transaction {
                let old = try ctx.db.first("SELECT id, quantity FROM order_branch_sales WHERE branch_id = \(id) AND product = \(product) AND month = \(month)")
                let sid = try ctx.db.insert("""
                    INSERT INTO order_branch_sales (branch_id, product, month, quantity, updated_at)
                    VALUES (\(id), \(product), \(month), \(quantity), \(ctx.epoch))
                    ON CONFLICT (branch_id, product, month) DO UPDATE SET quantity = excluded.quantity, updated_at = excluded.updated_at
                    RETURNING id
                    """)
                try ctx.audit(AuditEntry(entity: "order.branch_sales", entityID: String(sid), action: old == nil ? "create" : "update",
                                         from: old.map { String($0.int("quantity") ?? 0) }, to: String(quantity),
                                         reason: "\(b.string("name") ?? "") · \(product) · \(month)"))
            }
            return .redirect(to: "/order/branches/\(id)")
        }
    }
}
