import Foundation
import SalesKit

/// 新客户开发日报表 (002 §16): each day the rep reports the progress of the day, the results
/// achieved and the problems met, to the sales supervisor. One report per rep per day; it waits
/// in the inbox of the holders of `crm.approve` (销售主管, 销售经理) until one marks it reviewed
/// (audited). A rep sees own reports; holders of `crm.view_all` or `crm.approve` see all.
enum VisitDailyPages {
    static let stateTitles = ["submitted": "待审阅", "reviewed": "已审阅"]

    static let form = FormSchema([
        FormField("report_date", "日期", .date, required: true, rules: [.notInFuture]),
        FormField("progress", "工作进展", .textarea, required: true, rules: [.length(min: 2, max: 4000)],
                  help: "今天拜访、洽谈、调查了哪些客户，进行到哪一步"),
        FormField("results", "取得的成绩", .textarea, rules: [.length(min: nil, max: 4000)]),
        FormField("problems", "存在的问题", .textarea, rules: [.length(min: nil, max: 4000)],
                  help: "需要销售主管指导或协调的事项（002 第15条）"),
    ])

    static let reviewForm = FormSchema([
        FormField("review_note", "审阅意见", .textarea, rules: [.length(min: nil, max: 2000)],
                  help: "对工作的指导意见（002 第15条），可不填"),
    ])

    /// The list (a `ListPage`): 工作进展 shortened on the page; the CSV carries every field of the
    /// paper form in full (进展, 成绩, 问题, 审阅意见), in the form's order.
    static let listPage = ListPage(
        title: "新客户开发日报表", path: "/crm/reports/daily",
        select: """
            d.id, d.report_date, d.progress, d.results, d.problems, d.state, d.review_note,
            COALESCE(u.display_name, '') AS rep_name, COALESCE(r.display_name, '') AS reviewer_name
            """,
        from: "crm_daily_reports d LEFT JOIN users u ON u.id = d.rep_id LEFT JOIN users r ON r.id = d.reviewed_by",
        scope: { ctx in try filter(ctx) },
        columns: [
            .link("date", "日期", sql: "d.report_date", to: "/crm/reports/daily/"),
            // Sorted (and paged by keyset) on the expression, shown from its alias.
            .init("rep", "销售专员", sql: "COALESCE(u.display_name, '')", rowKey: "rep_name") { r, cell, _ in cell.text(r, "rep_name") },
            .excerpt("progress", "工作进展", sql: "d.progress"),
            .text("results", "取得的成绩", sql: "d.results").exportOnly(),
            .text("problems", "存在的问题", sql: "d.problems").exportOnly(),
            .choice("state", "状态", sql: "d.state", titles: stateTitles),
            .init("reviewer", "审阅人", sql: "COALESCE(r.display_name, '')", rowKey: "reviewer_name") { r, cell, _ in
                cell.text(r, "reviewer_name")
            },
            .text("review_note", "审阅意见", sql: "d.review_note").exportOnly(),
        ],
        filters: [
            .choice("state", "状态", all: "全部状态", ["submitted", "reviewed"].map { Choice($0, stateTitles[$0] ?? $0) }) { s, _ in
                "d.state = \(s)"
            },
            ListPage.Filter("rep", "销售专员", .select(all: "全部人员", options: { ctx in
                try ctx.db.query("""
                    SELECT DISTINCT u.id, u.display_name FROM users u JOIN crm_daily_reports d ON d.rep_id = u.id ORDER BY u.display_name, u.id
                    """).sortedByPinyin { $0.string("display_name") ?? "" }
                    .map { Choice(String($0.int("id") ?? 0), $0.string("display_name") ?? "") }
            }), shown: { seesAll($0) }) { v, _ in Int64(v).map { "d.rep_id = \($0)" } },
            .dateRange("日期", column: "d.report_date"),
        ],
        actions: [ListPage.Action("填写今日日报", href: "/crm/reports/daily/new")],
        defaultSort: "date", defaultDescending: true, tiebreaker: "d.id", empty: "没有日报。", csvName: "新客户开发日报表.csv",
        intro: "每天的工作进展、取得的成绩和存在的问题，交销售主管审阅（002 第16条）。",
        rowClass: { r, _ in r.string("state") == "submitted" ? "urgent" : nil })

    /// Supervisors (all reports) or the rep (own reports).
    static func seesAll(_ ctx: Context) -> Bool {
        Visibility.seesAll(ctx) || ctx.can(CustomerDevelopmentModule.approve)
    }

    static func filter(_ ctx: Context) throws -> SQL {
        if seesAll(ctx) { return "1 = 1" }
        return "d.rep_id = \(try ctx.requireUser().id)"
    }

    static let list: Handler = { req, ctx in try listPage.respond(req, ctx) }

    static let create: Handler = { _, ctx in
        try ctx.handleForm(form, title: "填写新客户开发日报表", initial: FormData([("report_date", ctx.today.description)]),
                           page: { form in VisitDailyFormPage(form: form) }) { v in
            let user = try ctx.requireUser()
            let date = v.string("report_date")
            let duplicate = FormRejection(field: "report_date", "\(date) 的日报已经提交过，每天一份")
            if try ctx.db.scalar("SELECT COUNT(*) FROM crm_daily_reports WHERE rep_id = \(user.id) AND report_date = \(date)") ?? 0 > 0 {
                throw duplicate
            }
            let id: Int64
            do {
                id = try ctx.db.transaction {
                    let id = try ctx.db.insert("""
                        INSERT INTO crm_daily_reports (rep_id, report_date, progress, results, problems, created_at)
                        VALUES (\(user.id), \(date), \(v.string("progress")), \(v.string("results")), \(v.string("problems")), \(ctx.epoch))
                        RETURNING id
                        """)
                    try ctx.audit(AuditEntry(entity: "crm.daily_report", entityID: String(id), action: "create", to: "submitted"))
                    return id
                }
            } catch let e as StorageError where e.kind == .constraint {
                throw duplicate // submitted twice at the same moment: the UNIQUE (rep_id, report_date) decides
            }
            return .redirect(to: "/crm/reports/daily/\(id)", flash: .ok("开发日报已提交。"))
        }
    }

    /// GET shows the report (with the review form for a supervisor); POST (crm.approve only,
    /// checked by the route) marks it reviewed.
    static let detail: Handler = { req, ctx in
        let id = try req.id()
        let user = try ctx.requireUser()
        guard let d = try ctx.db.first("""
            SELECT d.*, COALESCE(u.display_name, '') AS rep_name, COALESCE(r.display_name, '') AS reviewer_name
            FROM crm_daily_reports d LEFT JOIN users u ON u.id = d.rep_id LEFT JOIN users r ON r.id = d.reviewed_by
            WHERE d.id = \(id)
            """), seesAll(ctx) || d.int("rep_id") == user.id else { throw HTTPError.notFound }
        let pending = d.string("state") == "submitted"
        let canReview = pending && ctx.can(CustomerDevelopmentModule.approve) && d.int("rep_id") != user.id
        if ctx.request.method == "POST" {
            guard d.int("rep_id") != user.id else { throw HTTPError.forbidden } // not one's own report
            guard pending else { throw HTTPError.conflict("该日报已经审阅过。") }
        }
        return try ctx.handleForm(reviewForm, title: "新客户开发日报表", page: { form in
            VisitDailyPage(
                d: .init(rep_name: d.string("rep_name") ?? "", report_date: d.string("report_date") ?? "",
                         progress: d.string("progress") ?? "", results: d.string("results") ?? "", problems: d.string("problems") ?? "",
                         reviewer_name: d.string("reviewer_name") ?? "", review_note: d.string("review_note") ?? ""),
                stateText: stateTitles[d.string("state") ?? ""] ?? "", submittedAt: ctx.displayEpoch(d.int("created_at")),
                pending: pending, reviewedAt: ctx.displayEpoch(d.int("reviewed_at")), hasNote: !(d.string("review_note") ?? "").isEmpty,
                canReview: canReview, form: form)
        }) { v in
            try ctx.db.transaction {
                let changed = try ctx.db.execute("""
                    UPDATE crm_daily_reports SET state = 'reviewed', review_note = \(v.string("review_note")),
                        reviewed_by = \(user.id), reviewed_at = \(ctx.epoch)
                    WHERE id = \(id) AND state = 'submitted'
                    """)
                guard changed == 1 else { throw HTTPError.conflict("该日报已经审阅过。") }
                try ctx.audit(AuditEntry(entity: "crm.daily_report", entityID: String(id), action: "review", from: "submitted",
                                         to: "reviewed", reason: v.optionalString("review_note")))
            }
            return .redirect(to: "/crm/reports/daily/\(id)", flash: .ok("日报已审阅。"))
        }
    }
}

// MARK: - Page models

/// 新客户开发日报表: the list.

/// 填写新客户开发日报表.
struct VisitDailyFormPage: PageModel {
    static let template = "visit-daily-form"
    var form: FormView
}

/// One daily report, with the review form for a supervisor.
struct VisitDailyPage: PageModel {
    static let template = "visit-daily"
    var d: Report
    var stateText: String
    var submittedAt: String
    var pending: Bool
    var reviewedAt: String
    var hasNote: Bool
    var canReview: Bool
    var form: FormView

    struct Report: TemplateModel {
        var rep_name: String
        var report_date: String
        var progress: String
        var results: String
        var problems: String
        var reviewer_name: String
        var review_note: String
    }
}
