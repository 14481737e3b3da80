import Foundation
import SalesKit

/// 客户开发计划表 (002 第三节 一.1): per rep and month, the customers to visit — 客户分类,
/// 公司名或厂名, 访问时间, 拜访对象, 职务, 所属部门, 电话, 约定 — and afterwards the 访问结果报告
/// (progress and problems), as repeated rows. A rep writes and sees own plans; holders of
/// `crm.view_all` see every rep's.
enum VisitMonthlyPages {
    static let classChoices = ["A", "B", "C", "D"].map { Choice($0, $0 + " " + (Rating.classTitles[$0] ?? "")) }
        + [Choice("P", "潜在客户")]

    static let rowSchema = FormSchema([
        FormField("customer_class", "客户分类", .select(classChoices)),
        FormField("company", "公司名或厂名", required: true, rules: [.length(min: 2, max: 100)]),
        FormField("visit_date", "访问时间", .date),
        FormField("person", "拜访对象", rules: [.length(min: nil, max: 50)]),
        FormField("title", "职务", rules: [.length(min: nil, max: 50)]),
        FormField("department", "所属部门", rules: [.length(min: nil, max: 50)]),
        FormField("phone", "电话", rules: [.pattern("[0-9+()\\- ]{5,30}", message: "请输入有效电话号码")]),
        FormField("agreement", "约定", rules: [.length(min: nil, max: 200)]),
        FormField("result", "访问结果报告（进度与问题）", .textarea, rules: [.length(min: nil, max: 1000)]),
    ])

    static let form = FormSchema([
        FormField("month", "月份", required: true, rules: [.pattern("[0-9]{4}-(0[1-9]|1[0-2])", message: "月份格式为 YYYY-MM，如 2026-03")]),
        FormField("lines", "访问客户", .rows(rowSchema, minRows: 1, blankRows: 3)),
    ], checks: [{ v in
        // 访问时间 lies in the plan's month.
        let month = v.string("month")
        return v.rows("lines").compactMap { row -> FormError? in
            guard let d = row.date("visit_date"), VisitCalendar.monthKey(d) != month, case .integer(let i) = row["_index"] else { return nil }
            return FormError(field: "lines.\(i).visit_date", "访问时间应在 \(month) 内")
        }
    }])

    static let columns = ["customer_class", "company", "visit_date", "person", "title", "department", "phone", "agreement", "result"]

    /// `?month=YYYY-MM` when valid, else the current month.
    static func monthParam(_ query: FormData, _ ctx: Context) -> String {
        if let s = query["month"], s.range(of: "\\A[0-9]{4}-(0[1-9]|1[0-2])\\z", options: .regularExpression) != nil,
           let y = Int(s.prefix(4)), (2000...2100).contains(y) {
            return s
        }
        return VisitCalendar.monthKey(ctx.today)
    }

    static func shift(_ month: String, by n: Int) -> String {
        let y = Int(month.prefix(4)) ?? 2000, m = Int(month.suffix(2)) ?? 1
        let k = y * 12 + (m - 1) + n
        return String(format: "%04d-%02d", k / 12, k % 12 + 1)
    }

    static func loadPlan(rep: Int64, month: String, _ ctx: Context) throws -> (plan: Row?, rows: [Row]) {
        guard let plan = try ctx.db.first("SELECT * FROM crm_monthly_plans WHERE rep_id = \(rep) AND month = \(month)") else {
            return (nil, [])
        }
        let rows = try ctx.db.query("SELECT * FROM crm_monthly_plan_rows WHERE plan_id = \(plan.int("id") ?? 0) ORDER BY position, id")
        return (plan, rows)
    }

    static func classTitle(_ c: String?) -> String { classChoices.first { $0.value == c }?.label ?? "" }

    static let show: Handler = { req, ctx in
        let user = try ctx.requireUser()
        let month = monthParam(req.query, ctx)
        var rep = user.id
        if Visibility.seesAll(ctx), let s = req.query["rep"], let id = Int64(s), id > 0 { rep = id }
        let (plan, rows) = try loadPlan(rep: rep, month: month, ctx)
        let repName = try ctx.db.first("SELECT display_name FROM users WHERE id = \(rep)")?.string("display_name") ?? ""
        if req.query["format"] == "csv" {
            return .csv(filename: "客户开发计划表-\(repName)-\(month).csv", CSVTable(
                header: ["序号", "客户分类", "公司名或厂名", "访问时间", "拜访对象", "职务", "所属部门", "电话", "约定", "访问结果报告"],
                rows: rows.enumerated().map { (i, r) in
                    [String(i + 1), classTitle(r.string("customer_class"))] + columns.dropFirst().map { r.string($0) ?? "" }
                }))
        }
        let months = try ctx.db.query("SELECT month FROM crm_monthly_plans WHERE rep_id = \(rep) ORDER BY month DESC LIMIT 24")
        let reps = Visibility.seesAll(ctx) ? try ctx.db.query("""
            SELECT DISTINCT u.id, u.display_name FROM users u JOIN crm_monthly_plans p ON p.rep_id = u.id ORDER BY u.display_name, u.id
            """).sortedByPinyin { $0.string("display_name") ?? "" } : []
        let repParam = rep == user.id ? "" : "&rep=\(rep)"
        return ctx.render(VisitMonthlyPage(
            month: month, year: String(month.prefix(4)), monthNumber: Int(month.suffix(2)) ?? 0,
            repName: repName, hasPlan: plan != nil, canEdit: rep == user.id,
            updatedAt: ctx.displayEpoch(plan?.int("updated_at")),
            rows: rows.enumerated().map { (i, r) in
                .init(number: i + 1, classText: classTitle(r.string("customer_class")), company: r.string("company") ?? "",
                      visit_date: r.string("visit_date") ?? "", person: r.string("person") ?? "", title: r.string("title") ?? "",
                      department: r.string("department") ?? "", phone: r.string("phone") ?? "", agreement: r.string("agreement") ?? "",
                      result: r.string("result") ?? "")
            },
            prevHref: "/crm/reports/monthly-plan?month=\(shift(month, by: -1))\(repParam)",
            nextHref: "/crm/reports/monthly-plan?month=\(shift(month, by: 1))\(repParam)",
            csvHref: "/crm/reports/monthly-plan?month=\(month)\(repParam)&format=csv",
            months: months.map { r in
                let m = r.string("month") ?? ""
                return .init(month: m, href: "/crm/reports/monthly-plan?month=\(m)\(repParam)", current: m == month)
            },
            hasMonths: !months.isEmpty,
            reps: reps.map { r in .init(id: r.int("id") ?? 0, name: r.string("display_name") ?? "", selected: r.int("id") == rep) },
            hasReps: !reps.isEmpty), title: "客户开发计划表")
    }

    static let edit: Handler = { req, ctx in
        let user = try ctx.requireUser()
        let month = monthParam(req.query, ctx)
        let (_, existing) = try loadPlan(rep: user.id, month: month, ctx)
        var initial = FormData([("month", month)])
        for (i, r) in existing.enumerated() {
            for c in columns { initial.append("lines.\(i).\(c)", r.string(c) ?? "") }
        }
        return try ctx.handleForm(form, title: "填写客户开发计划表", initial: initial,
                                  page: { form in VisitMonthlyFormPage(month: month, repName: user.displayName, form: form) }) { v in
            let month = v.string("month")
            let lines = v.rows("lines")
            try ctx.db.transaction {
                let existed = try ctx.db.scalar("SELECT COUNT(*) FROM crm_monthly_plans WHERE rep_id = \(user.id) AND month = \(month)") ?? 0 > 0
                let planID = try ctx.db.insert("""
                    INSERT INTO crm_monthly_plans (rep_id, month, created_at, updated_at) VALUES (\(user.id), \(month), \(ctx.epoch), \(ctx.epoch))
                    ON CONFLICT (rep_id, month) DO UPDATE SET updated_at = excluded.updated_at
                    RETURNING id
                    """)
                try ctx.db.execute("DELETE FROM crm_monthly_plan_rows WHERE plan_id = \(planID)")
                for (i, row) in lines.enumerated() {
                    try ctx.db.execute("""
                        INSERT INTO crm_monthly_plan_rows (plan_id, position, customer_class, company, visit_date, person, title,
                                                           department, phone, agreement, result)
                        VALUES (\(planID), \(i + 1), \(row.string("customer_class")), \(row.string("company")), \(row.optionalString("visit_date")),
                                \(row.string("person")), \(row.string("title")), \(row.string("department")), \(row.string("phone")),
                                \(row.string("agreement")), \(row.string("result")))
                        """)
                }
                try ctx.audit(AuditEntry(entity: "crm.monthly_plan", entityID: String(planID), action: existed ? "edit" : "create",
                                         to: month, reason: "\(lines.count) 家客户"))
            }
            return .redirect(to: "/crm/reports/monthly-plan?month=\(month)", flash: .ok("客户开发计划表已保存。"))
        }
    }
}

// MARK: - Page models

/// 客户开发计划表 of one rep and month, printable.
struct VisitMonthlyPage: PageModel {
    static let template = "visit-monthly"
    /// `YYYY-MM`.
    var month: String
    var year: String
    var monthNumber: Int
    var repName: String
    var hasPlan: Bool
    var canEdit: Bool
    var updatedAt: String
    var rows: [Line]
    var prevHref: String
    var nextHref: String
    var csvHref: String
    /// The months this rep has a plan for.
    var months: [Month]
    var hasMonths: Bool
    var reps: [Rep]
    var hasReps: Bool

    struct Line: TemplateModel {
        var number: Int
        var classText: String
        var company: String
        var visit_date: String
        var person: String
        var title: String
        var department: String
        var phone: String
        var agreement: String
        var result: String
    }

    struct Month: TemplateModel {
        var month: String
        var href: String
        var current: Bool
    }

    struct Rep: TemplateModel {
        var id: Int64
        var name: String
        var selected: Bool
    }
}

/// 填写客户开发计划表 (the rows of one month).
struct VisitMonthlyFormPage: PageModel {
    static let template = "visit-monthly-form"
    var month: String
    var repName: String
    var form: FormView
}
