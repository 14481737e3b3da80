import Foundation
import SalesKit

/// Inbox items of the implementation follow-up (§26) and the team award (§23.4), added to
/// `SuggestionInbox`: difficulties awaiting the chair's ruling, effects awaiting the committee's
/// confirmation, and the last quarter's team award not yet recorded.
enum ImplInbox {
    static func items(for user: User, _ ctx: Context) throws -> [InboxItem] {
        guard user.can(SuggestionsModule.review), let seat = try Committee.position(user.id, ctx) else { return [] }
        var items: [InboxItem] = []
        if seat == "chair" {
            for r in try ctx.db.query("""
                SELECT o.id, o.department, o.issue_kind, s.title FROM ideas_orders o JOIN ideas_suggestions s ON s.id = o.suggestion_id
                WHERE o.issue_open = 1 AND o.state <> 'confirmed' ORDER BY o.updated_at, o.id LIMIT 50
                """) {
                items.append(InboxItem(title: "待裁决：\(IdeasDepartments.title(r.string("department") ?? "", ctx))报告\(ImplPages.issueTitles[r.string("issue_kind") ?? ""] ?? "实施困难")",
                                       detail: r.string("title") ?? "", url: "/ideas/orders/\(r.int("id") ?? 0)", urgent: true))
            }
            let q = TeamRanking.Quarter(containing: ctx.currentMonth).previous
            let adopted = try ctx.db.scalar("""
                SELECT COUNT(*) FROM ideas_suggestions WHERE published = 1 AND outcome IN ('grade1', 'grade2', 'grade3', 'grade4')
                AND batch IN (\(list: q.batches.map(\.description)))
                """) ?? 0
            if adopted > 0, try TeamPages.awarded(q, ctx) == nil {
                let meeting = SuggestionCalendar.awardMeeting(afterQuarterOf: q.lastBatch)
                items.append(InboxItem(title: "团体奖待颁发：\(q.title)", detail: "全员颁奖大会 \(meeting)（002 第21条、第23条第4款）",
                                       url: "/ideas/team?\(q.query)", due: meeting.start(in: ctx.timeZone).addingTimeInterval(86400),
                                       urgent: ctx.today > meeting))
            }
        }
        for r in try ctx.db.query("""
            SELECT o.id, o.department, o.plan_date, s.title FROM ideas_orders o JOIN ideas_suggestions s ON s.id = o.suggestion_id
            WHERE o.state = 'planned' AND o.issue_open = 0 AND o.plan_date <= \(ctx.today.description) ORDER BY o.plan_date, o.id LIMIT 50
            """) {
            items.append(InboxItem(title: "建议实施效果待确认：\(r.string("title") ?? "")",
                                   detail: "\(IdeasDepartments.title(r.string("department") ?? "", ctx))已于 \(r.string("plan_date") ?? "") 实施（002 第26条第5款）",
                                   url: "/ideas/orders/\(r.int("id") ?? 0)"))
        }
        return items
    }
}
