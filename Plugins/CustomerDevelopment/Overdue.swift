import Foundation
import SalesKit

/// Items of 客户开发 past their deadline now (`DepartmentModule.overdue`), each with the person who
/// should have acted; the host escalates them to that person's supervisor, then to the GM. One
/// indexed query per kind of deadline:
///
/// - **visit plans** (002 §14: the 新客户开发计划及实施表 is filled before *and after* each visit):
///   a plan still 待实施 after its planned day — due at the end of that day, the rep's;
/// - **quarterly re-rating** (003 §2.3: existing customers are re-rated every quarter): a customer
///   whose class in force predates the previous quarter, with no re-rating under review — it was
///   due in the previous quarter, so it is due at the start of this one, the owner's;
/// - **quarterly survey reports** (003 §5.2: a 市场 / 客户 / 同行调查报告 every quarter): a sales
///   rep's report of the previous quarter not filed — due at the start of this quarter, the rep's.
///
/// **Not built**: pending rating proposals and evaluated applications have no review deadline in
/// the seeds (003 §2.4, 002 §8–§12 set none); they stay in the reviewers' inboxes.
enum Overdue {
    /// At most this many items of each kind (the oldest first).
    static let cap: Int64 = 500

    static func items(_ ctx: Context) throws -> [OverdueItem] {
        try visitPlans(ctx) + reRatings(ctx) + surveyReports(ctx)
    }

    /// 002 §14: plans still 待实施 after their day (index `crm_visit_plans_state`).
    static func visitPlans(_ ctx: Context) throws -> [OverdueItem] {
        try ctx.db.query("""
            SELECT p.id, p.rep_id, p.planned_date, c.name FROM crm_visit_plans p JOIN crm_customers c ON c.id = p.customer_id
            WHERE p.state = 'planned' AND p.planned_date < \(ctx.today.description)
            ORDER BY p.planned_date, p.id LIMIT \(cap)
            """).compactMap { r in
            guard let rep = r.int("rep_id"), let day = LocalDate(r.string("planned_date") ?? "") else { return nil }
            return OverdueItem(InboxItem(title: "拜访实施结果逾期未填：\(r.string("name") ?? "")",
                                         detail: "计划日期 \(day)，应于当日填写新客户开发计划及实施表的实施结果（002 第14条）",
                                         url: "/crm/visits/plans/\(r.int("id") ?? 0)", due: day.adding(days: 1).start(in: ctx.timeZone),
                                         urgent: true),
                               responsibleUserID: rep, due: day.adding(days: 1).start(in: ctx.timeZone))
        }
    }

    /// 003 §2.3: customers not re-rated in the quarter after their class was approved (index
    /// `crm_customers_rerating`).
    static func reRatings(_ ctx: Context) throws -> [OverdueItem] {
        let quarter = SurveyReportPages.Quarter(ctx.today)
        let due = quarter.first.start(in: ctx.timeZone)
        let previousStart = Int64(quarter.previous.first.start(in: ctx.timeZone).timeIntervalSince1970)
        return try ctx.db.query("""
            SELECT c.id, c.name, c.owner_id, c.rated_at FROM crm_customers c
            WHERE c.status = 'customer' AND c.rated_at < \(previousStart)
              AND NOT EXISTS (SELECT 1 FROM crm_ratings r WHERE r.customer_id = c.id AND r.state IN ('proposed', 'reviewed'))
            ORDER BY c.rated_at, c.id LIMIT \(cap)
            """).compactMap { r in
            guard let owner = r.int("owner_id") else { return nil }
            return OverdueItem(InboxItem(title: "季度复评逾期：\(r.string("name") ?? "")",
                                         detail: "上次评定 \(ctx.displayEpoch(r.int("rated_at")))，\(quarter.previous.title)内应复评（003 第2.3条）",
                                         url: "/crm/customers/\(r.int("id") ?? 0)/rate", due: due, urgent: true),
                               responsibleUserID: owner, due: due)
        }
    }

    /// 003 §5.2: the previous quarter's reports each active sales rep has not filed (a rep whose
    /// account was made after that quarter owes none).
    static func surveyReports(_ ctx: Context) throws -> [OverdueItem] {
        let quarter = SurveyReportPages.Quarter(ctx.today).previous
        let due = quarter.last.adding(days: 1).start(in: ctx.timeZone)
        let reps = try ctx.db.query("""
            SELECT u.id, u.display_name FROM users u JOIN user_roles ur ON ur.user_id = u.id
            WHERE ur.role_id = \(Role.salesRep.id) AND u.active = 1 AND u.created_at < \(Int64(due.timeIntervalSince1970))
            ORDER BY u.id LIMIT \(cap)
            """)
        guard !reps.isEmpty else { return [] }
        var filed = Set<String>()
        for r in try ctx.db.query("SELECT rep_id, kind FROM crm_survey_reports WHERE quarter = \(quarter.key)") {
            filed.insert("\(r.int("rep_id") ?? 0)/\(r.string("kind") ?? "")")
        }
        var items: [OverdueItem] = []
        for rep in reps {
            guard let id = rep.int("id") else { continue }
            for k in SurveyReportPages.kinds where !filed.contains("\(id)/\(k.value)") {
                items.append(OverdueItem(InboxItem(title: "\(quarter.title)\(k.label)逾期未提交：\(rep.string("display_name") ?? "")",
                                                   detail: "每季度作市场、客户、同行调查报告（003 第5.2条），应于季度末前提交",
                                                   url: "/crm/survey-reports/new?kind=\(k.value)", due: due, urgent: true),
                                         responsibleUserID: id, due: due))
            }
        }
        return items
    }
}
