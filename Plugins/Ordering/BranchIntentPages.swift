import Foundation
import SalesKit

/// 要货意向清单 (002 §7): each week the branch manager, with the storekeeper and the sales clerk,
/// lists next week's needs; it is due at the company's sales department each Friday before close.
/// How well the list matched the orders actually placed that week is shown per branch manager.
enum BranchIntentPages {
    static let form = FormSchema([
        FormField("lines", "要货意向", .rows(FormSchema([
            FormField("product", "品名规格", required: true, rules: [BranchAdminPages.productRule]),
            FormField("quantity", "意向数量", .integer, required: true, rules: [.range(0, 1_000_000_000)]),
        ]), minRows: 1, blankRows: 5)),
    ], checks: [{ v in
        let products = v.rows("lines").map { $0.string("product").trimmingCharacters(in: .whitespaces) }
        return Set(products).count == products.count ? [] : [FormError(field: "lines", "同一品名规格只能填写一行")]
    }])

    /// The Friday the list is for: `?due=` (a Friday), else the one due next.
    static func due(_ req: Request, _ ctx: Context) throws -> LocalDate {
        guard let text = req.query["due"] else { return BranchMath.intentDueDate(on: ctx.today) }
        guard let d = LocalDate(text), BranchMath.weekday(d) == 5 else { throw HTTPError.notFound }
        return d
    }

    /// The week's intent list of a branch.
    struct IntentFormPage: PageModel {
        static let template = "branch-intent-form"
        var b: BranchData.Head
        var start: String
        var end: String
        var deadline: String
        var late: Bool
        var form: FormView
    }

    /// Intent lists compared with the orders placed, per list and per branch manager.
    struct IntentReportPage: PageModel {
        static let template = "branch-intent-report"

        struct Manager: TemplateModel {
            var id: Int64
            var name: String
            var selected: Bool
        }

        struct Summary: TemplateModel {
            var manager: String
            var lists: Int
            var late: Int
            var average: String
        }

        var header: [String]
        var rows: [Cells]
        var hasRows: Bool
        var summary: [Summary]
        var managers: [Manager]
        var csvHref: String
    }

    static let submit: Handler = { req, ctx in
        let b = try BranchData.branch(try req.id(), ctx)
        let bid = try b.requireInt("id")
        let due = try due(req, ctx)
        let period = BranchMath.intentPeriod(due: due)
        let deadline = BranchMath.deadline(due: due, timeZone: ctx.timeZone)
        if let sent = try ctx.db.first("SELECT id FROM order_branch_intents WHERE branch_id = \(bid) AND due_date = \(due.description)") {
            throw HTTPError.conflict("本期（\(period.start)–\(period.end)）要货意向清单已于此前报送（#\(sent.int("id") ?? 0)）。")
        }
        var initial = FormData()
        for (i, s) in try BranchData.stock(bid, ctx).enumerated() { initial.append("lines.\(i).product", s.product) }
        return try ctx.handleForm(form, title: "要货意向清单", initial: initial, page: { form in
            IntentFormPage(b: BranchData.Head(b), start: period.start.description, end: period.end.description,
                           deadline: ctx.display(deadline), late: ctx.now > deadline, form: form)
        }) { v in
            let user = try ctx.requireUser()
            let late = ctx.now > deadline
            try ctx.db.transaction {
                if try ctx.db.scalar("SELECT COUNT(*) FROM order_branch_intents WHERE branch_id = \(bid) AND due_date = \(due.description)") ?? 0 > 0 {
                    throw FormRejection("本期要货意向清单已报送")
                }
                let id = try ctx.db.insert("""
                    INSERT INTO order_branch_intents (branch_id, due_date, period_start, period_end, manager_id, submitted_by, submitted_at, late)
                    VALUES (\(bid), \(due.description), \(period.start.description), \(period.end.description), \(b.int("manager_id")),
                            \(user.id), \(ctx.epoch), \(late)) RETURNING id
                    """)
                for l in v.rows("lines") {
                    try ctx.db.execute("""
                        INSERT INTO order_branch_intent_lines (intent_id, product, quantity)
                        VALUES (\(id), \(l.string("product").trimmingCharacters(in: .whitespaces)), \(l.int("quantity") ?? 0))
                        """)
                }
                try ctx.audit(AuditEntry(entity: "order.branch_intent", entityID: String(id), action: "submit",
                                         to: late ? "late" : "on_time", reason: "\(b.string("name") ?? "") \(period.start)–\(period.end)"))
            }
            return .redirect(to: "/order/branches/\(bid)")
        }
    }

    /// One intent list compared with the orders of its week (rejected orders do not count).
    struct Comparison {
        var intentID: Int64
        var branch: String
        var manager: String
        var start: String
        var end: String
        var late: Bool
        var intended: Int64
        var ordered: Int64
        var conformity: Int
    }

    static func comparisons(_ ctx: Context, manager: Int64?) throws -> [Comparison] {
        var w: SQL = "WHERE 1 = 1"
        if let manager { w = w + " AND i.manager_id = \(manager)" }
        let intents = try ctx.db.query("""
            SELECT i.id, i.branch_id, i.period_start, i.period_end, i.late, b.name, COALESCE(u.display_name, '') AS manager
            FROM order_branch_intents i JOIN order_branch_branches b ON b.id = i.branch_id LEFT JOIN users u ON u.id = i.manager_id
            \(w) ORDER BY i.period_start DESC, b.name, i.id LIMIT 500
            """)
        return try intents.map { r in
            let id = r.int("id") ?? 0
            var intended: [String: Int64] = [:], ordered: [String: Int64] = [:]
            for l in try ctx.db.query("SELECT product, quantity FROM order_branch_intent_lines WHERE intent_id = \(id)") {
                let k = l.string("product") ?? ""
                intended[k] = try Stored.add(intended[k] ?? 0, l.int("quantity") ?? 0)
            }
            for l in try ctx.db.query("""
                SELECT l.product, SUM(l.quantity) AS q FROM order_branch_order_lines l JOIN order_branch_orders o ON o.id = l.order_id
                WHERE o.branch_id = \(r.int("branch_id") ?? 0) AND o.state <> 'rejected'
                  AND o.order_date >= \(r.string("period_start") ?? "") AND o.order_date <= \(r.string("period_end") ?? "")
                GROUP BY l.product
                """) {
                let k = l.string("product") ?? ""
                ordered[k] = try Stored.add(ordered[k] ?? 0, l.int("q") ?? 0)
            }
            return Comparison(intentID: id, branch: r.string("name") ?? "", manager: r.string("manager") ?? "",
                              start: r.string("period_start") ?? "", end: r.string("period_end") ?? "", late: r.bool("late"),
                              intended: try Stored.total(intended.values), ordered: try Stored.total(ordered.values),
                              conformity: BranchMath.conformity(intended: intended, ordered: ordered))
        }
    }

    static let report: Handler = { req, ctx in
        let manager = req.query["manager"].flatMap { Int64($0) }
        let rows = try comparisons(ctx, manager: manager)
        func cells(_ c: Comparison) -> [String] {
            [c.manager, c.branch, "\(c.start)–\(c.end)", c.late ? "逾期" : "按时", String(c.intended), String(c.ordered), "\(c.conformity)%"]
        }
        let header = ["分支机构经理", "分支机构", "要货周期", "报送", "意向数量", "实际订货数量", "符合率"]
        if req.query["format"] == "csv" { return .csv(filename: "要货意向与实际订货.csv", CSVTable(header: header, rows: rows.map(cells))) }
        // Per manager: lists, late lists, average agreement.
        var byManager: [String: [Comparison]] = [:]
        for c in rows { byManager[c.manager, default: []].append(c) }
        let summary = byManager.keys.sorted().map { name in
            let cs = byManager[name] ?? []
            return IntentReportPage.Summary(manager: name, lists: cs.count, late: cs.filter(\.late).count,
                                      average: "\(cs.map(\.conformity).reduce(0, +) / max(1, cs.count))%")
        }
        let managers = try ctx.db.query("""
            SELECT DISTINCT u.id, u.display_name FROM order_branch_intents i JOIN users u ON u.id = i.manager_id ORDER BY u.id
            """).sortedByPinyin { $0.text("display_name") }
        let page = IntentReportPage(
            header: header, rows: rows.map { Cells(cells: cells($0)) }, hasRows: !rows.isEmpty, summary: summary,
            managers: managers.map { IntentReportPage.Manager(id: $0.int("id") ?? 0, name: $0.text("display_name"), selected: $0.int("id") == manager) },
            csvHref: "/order/branch-intents?format=csv" + (manager.map { "&manager=\($0)" } ?? ""))
        return ctx.render(page, title: "要货意向与实际订货对比")
    }
}
