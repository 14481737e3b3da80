import Foundation
import SalesKit

/// 004 第六章 5(6): every Friday the week's customer-archive changes go to the 总经理 and the
/// sales head, with the week's additions marked. From Friday 00:00 (company time zone) the
/// holders of `crm.weekly_report` (by default the 总经理 and the 销售经理) find the week's report
/// (`/crm/reports/weekly-changes`, `VisitStatsPages.weeklyChanges`) in their inbox with the counts
/// of additions and changes; it stays there, through the next Thursday, until they mark it read
/// (audited).
enum WeeklyReport: ModuleFeature {

    static func routes(_ r: inout RouteBuilder) {
        r.post("reports/weekly-changes/:week/read", .permission(CustomerDevelopmentModule.weeklyReport), markRead)
    }
    /// The week whose report is delivered on `today`: this week from Friday on, else last week.
    static func deliveredWeek(_ ctx: Context) -> VisitCalendar.Week {
        let today = ctx.today
        return VisitCalendar.week(containing: today.weekday >= 5 ? today : today.adding(days: -7), ctx)
    }

    /// Whether the report of the week starting `monday` has been delivered (by today).
    static func isDelivered(_ week: VisitCalendar.Week, _ ctx: Context) -> Bool {
        week.monday <= deliveredWeek(ctx).monday
    }

    static func readAt(_ week: VisitCalendar.Week, user: Int64, _ ctx: Context) throws -> Int64? {
        try ctx.db.first("SELECT read_at FROM crm_weekly_report_reads WHERE user_id = \(user) AND monday = \(week.monday.description)")?
            .int("read_at")
    }

    static func inbox(for user: User, _ ctx: Context) throws -> [InboxItem] {
        guard user.can(CustomerDevelopmentModule.weeklyReport) else { return [] }
        let week = deliveredWeek(ctx)
        guard try readAt(week, user: user.id, ctx) == nil else { return [] }
        let counts = try ctx.db.first("""
            SELECT COUNT(*) AS total, COALESCE(SUM(CASE WHEN \(VisitStatsPages.isNew(week)) THEN 1 ELSE 0 END), 0) AS added
            FROM crm_customers c WHERE \(try Visibility.filter(ctx)) AND \(VisitStatsPages.changedIn(week))
            """)
        let total = counts?.int("total") ?? 0, added = counts?.int("added") ?? 0
        return [InboxItem(title: "每周客户档案变动（\(week.label)）", detail: "本周新增 \(added) 家，变更 \(total - added) 家（004 第六章 5(6)）",
                          url: "/crm/reports/weekly-changes?week=\(week.monday)")]
    }

    /// Marks a delivered week's report read (POST, no fields: the week is in the path).
    static let markRead: Handler = { req, ctx in
        guard let monday = LocalDate(req.parameters["week"] ?? ""), monday.weekday == 1 else { throw HTTPError.notFound }
        let week = VisitCalendar.week(containing: monday, ctx)
        guard isDelivered(week, ctx) else { throw HTTPError.conflict("该周的客户档案变动报告尚未报送（每周五报送）。") }
        let user = try ctx.requireUser()
        try ctx.db.transaction {
            let inserted = try ctx.db.execute("""
                INSERT INTO crm_weekly_report_reads (user_id, monday, read_at) VALUES (\(user.id), \(monday.description), \(ctx.epoch))
                ON CONFLICT (user_id, monday) DO NOTHING
                """)
            if inserted > 0 {
                try ctx.audit(AuditEntry(entity: "crm.weekly_report", entityID: monday.description, action: "read", to: "read"))
            }
        }
        return .redirect(to: "/crm/reports/weekly-changes?week=\(monday)", flash: .ok("已标记为已阅。"))
    }
}
