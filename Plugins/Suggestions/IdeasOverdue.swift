import Foundation
import SalesKit

/// 建议评审's items past their deadline (#16, `DepartmentModule.overdue`), each with the person who
/// should have acted, for the host to escalate. One indexed query per kind of deadline.
enum IdeasOverdue {
    static func items(_ ctx: Context) throws -> [OverdueItem] {
        try orders(ctx) + batches(ctx)
    }

    /// The committee's chair (主任委员, §22), if seated.
    static func chair(_ ctx: Context) throws -> Int64? {
        try ctx.db.first("SELECT user_id FROM ideas_committee WHERE position = 'chair' ORDER BY user_id LIMIT 1")?.int("user_id")
    }

    /// 002 §26.2: the department manager returns the implementation date and method by the end of
    /// the month after the order (`plan_due`); past it, the head of the order's department answers
    /// for it (the chair where the department has no head, or is not in the directory). Uses the
    /// index on (state, plan_due).
    static func orders(_ ctx: Context) throws -> [OverdueItem] {
        let rows = try ctx.db.query("""
            SELECT o.id, o.department, o.plan_due, s.title FROM ideas_orders o JOIN ideas_suggestions s ON s.id = o.suggestion_id
            WHERE o.state = 'issued' AND o.plan_due < \(ctx.today.description)
            ORDER BY o.plan_due, o.id
            """)
        var heads: [String: Int64?] = [:]
        var chairID: Int64??
        var items: [OverdueItem] = []
        for r in rows {
            guard let due = LocalDate(r.string("plan_due") ?? "") else { continue }
            let code = r.string("department") ?? ""
            if heads[code] == nil { heads[code] = .some(try IdeasDepartments.head(code, ctx)) }
            var responsible = heads[code] ?? nil
            if responsible == nil {
                if chairID == nil { chairID = .some(try chair(ctx)) }
                responsible = chairID ?? nil
            }
            guard let responsible else { continue }
            let id = r.int("id") ?? 0
            let at = due.adding(days: 1).start(in: ctx.timeZone)
            items.append(OverdueItem(
                InboxItem(title: "【逾期】建议实施计划未填报：\(r.string("title") ?? "")（\(ImplPages.number(id))）",
                          detail: "\(IdeasDepartments.title(code, ctx))应于 \(due) 前填写实施日期与要领（002 第26条第2款）",
                          url: ImplPages.managerPath(id), due: at, urgent: true),
                responsibleUserID: responsible, due: at))
        }
        return items
    }

    /// 002 §19: a batch opened on the 20th is reviewed by the end of that month; a batch with
    /// suggestions, not published by then, is overdue and the chair (who publishes it, §22)
    /// answers for it. Uses the index on (batch, id).
    static func batches(_ ctx: Context) throws -> [OverdueItem] {
        // Batches of months before this one have passed their review deadline (the month's end).
        let current = SuggestionCalendar.Batch(year: ctx.today.year, month: ctx.today.month).description
        let rows = try ctx.db.query("""
            SELECT s.batch, COUNT(*) AS n FROM ideas_suggestions s
            WHERE s.batch < \(current) AND NOT EXISTS (SELECT 1 FROM ideas_batches b WHERE b.batch = s.batch AND b.finalized_at IS NOT NULL)
            GROUP BY s.batch ORDER BY s.batch
            """)
        guard !rows.isEmpty, let chair = try chair(ctx) else { return [] }
        return rows.compactMap { r in
            guard let b = SuggestionCalendar.Batch(r.string("batch") ?? ""), b.reviewDue < ctx.today else { return nil }
            let at = b.reviewDue.adding(days: 1).start(in: ctx.timeZone)
            return OverdueItem(
                InboxItem(title: "【逾期】\(b.title)批次未完成评审：\(r.int("n") ?? 0) 条建议",
                          detail: "应于 \(b.reviewDue) 前评审完毕并公布（002 第19条）", url: "/ideas/batches/\(b.description)",
                          due: at, urgent: true),
                responsibleUserID: chair, due: at)
        }
    }
}
