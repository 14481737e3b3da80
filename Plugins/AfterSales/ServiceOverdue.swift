import Foundation
import SalesKit

/// 售后服务's items past their deadline (#16, `DepartmentModule.overdue`), each with the person
/// who should have acted, for the host to escalate. One indexed query per kind of deadline.
enum ServiceOverdue {
    static func items(_ ctx: Context) throws -> [OverdueItem] {
        try complaints(ctx) + returns(ctx) + visits(ctx)
    }

    /// 003 §7.8: a complaint not closed within 24 h (in the city) / 48 h (outside) of being
    /// received. Who answers for it: while it is with the departments (001 篇二 §5.1), the head of
    /// each department whose part is not filled in — or of 技术部 when only the remedy is missing;
    /// otherwise its handler (who routed it), or the head of 销售部 where nobody has yet (the
    /// sales VP / manager handles complaints personally, 001 篇二 §4.2a). Uses the index on
    /// (state, due_at).
    static func complaints(_ ctx: Context) throws -> [OverdueItem] {
        let rows = try ctx.db.query("""
            SELECT c.id, c.customer_name, c.state, c.due_at, d.department,
                   (SELECT r.routed_by FROM service_complaint_departments r WHERE r.complaint_id = c.id ORDER BY r.id LIMIT 1) AS handler
            FROM service_complaints c
            LEFT JOIN service_complaint_departments d ON d.complaint_id = c.id AND d.finding IS NULL AND c.state = 'routed'
            WHERE c.state IN ('open', 'routed', 'decided', 'verified') AND c.due_at < \(ctx.epoch)
            ORDER BY c.due_at, c.id, d.id
            """)
        var heads: [String: Int64?] = [:]
        func head(_ code: String) throws -> Int64? {
            if let h = heads[code] { return h }
            let h = try ServiceDepartments.head(code, ctx)
            heads[code] = h
            return h
        }
        var items: [OverdueItem] = []
        for r in rows {
            let id = r.int("id") ?? 0, due = r.int("due_at") ?? 0
            let handler = try r.int("handler") ?? head(StandardDepartment.sales.rawValue)
            let what: String
            let responsible: Int64?
            if let dept = r.string("department") {
                what = "\(ServiceDepartments.title(dept, ctx))未填写投诉处理意见"
                responsible = try head(dept) ?? handler
            } else if r.string("state") == "routed" {
                what = "投诉待技术部决定处理措施"
                responsible = try head(StandardDepartment.technical.rawValue) ?? handler
            } else {
                what = r.string("state") == "decided" ? "投诉待结案" : "投诉待处理"
                responsible = handler
            }
            guard let responsible else { continue }
            let at = Date(timeIntervalSince1970: TimeInterval(due))
            items.append(OverdueItem(
                InboxItem(title: "【超时】\(what)：\(r.string("customer_name") ?? "") \(DocNo.complaint(id))",
                          detail: "处理时限 \(ctx.displayEpoch(due))（003 §7.8）", url: "/service/complaints/\(id)", due: at, urgent: true),
                responsibleUserID: responsible, due: at))
        }
        return items
    }

    /// 003 §6.2 (RULES §6 "Returns"): the customer's rep has not reached the customer within the
    /// policy time after the return was registered. The rep answers for it. Uses the index on
    /// (arrived_at, arrival_due_at).
    static func returns(_ ctx: Context) throws -> [OverdueItem] {
        try ctx.db.query("""
            SELECT id, customer_name, owner_id, arrival_due_at FROM service_returns
            WHERE arrived_at IS NULL AND arrival_due_at < \(ctx.epoch) AND state NOT IN ('refused', 'settled')
            ORDER BY arrival_due_at, id
            """).compactMap { r in
            guard let owner = r.int("owner_id"), owner != 0, let due = r.int("arrival_due_at") else { return nil }
            let id = r.int("id") ?? 0
            let at = Date(timeIntervalSince1970: TimeInterval(due))
            return OverdueItem(
                InboxItem(title: "【超时】退货未按时到达客户：\(r.string("customer_name") ?? "") \(DocNo.returnOrder(id))",
                          detail: "应于 \(ctx.displayEpoch(due)) 前到达客户（003 §6.2）", url: "/service/returns/\(id)", due: at, urgent: true),
                responsibleUserID: owner, due: at)
        }
    }

    /// 002 第九章 §9: the patrol visit's daily report (巡访日报) is due by the end of the planned
    /// day; the patroller answers for it. Uses the index on (state, planned_date).
    static func visits(_ ctx: Context) throws -> [OverdueItem] {
        try ctx.db.query("""
            SELECT id, customer_name, patroller_id, planned_date FROM service_patrol_visits
            WHERE state = 'assigned' AND planned_date < \(ctx.today.description)
            ORDER BY planned_date, id
            """).compactMap { r in
            guard let planned = LocalDate(r.string("planned_date") ?? ""), let patroller = r.int("patroller_id") else { return nil }
            let id = r.int("id") ?? 0
            let at = planned.adding(days: 1).start(in: ctx.timeZone)
            return OverdueItem(
                InboxItem(title: "【超时】巡访日报未提交：\(r.string("customer_name") ?? "")（计划 \(planned)）",
                          detail: "巡访当日应提交日报（002 第九章 §9）", url: "/service/patrol/visits/\(id)", due: at, urgent: true),
                responsibleUserID: patroller, due: at)
        }
    }
}
