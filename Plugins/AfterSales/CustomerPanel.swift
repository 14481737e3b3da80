import Foundation
import SalesKit

/// 售后服务's cards on the customer page (the customer hub, issue #16 point 3): the customer's
/// complaints and returns, and 登记投诉 / 登记退货 from there.
enum ServiceCustomerPanel {
    static func panels(for subject: PanelSubject, _ ctx: Context) throws -> [RecordPanel] {
        guard subject.entity == PanelSubject.customerEntity else { return [] }
        let maySee = try ServiceUtil.directory(ctx).maySee(customerID: subject.id, ctx)
        guard maySee || ctx.can(ComplaintPages.viewAll) else { return [] }
        var panels: [RecordPanel] = []
        if ctx.can(ComplaintPages.view) {
            let rows = try ctx.db.query("""
                SELECT id, kind, summary, state, registered_at FROM service_complaints
                WHERE customer_id = \(subject.id) ORDER BY registered_at DESC, id DESC LIMIT 5
                """)
            let open = try ctx.db.scalar("SELECT COUNT(*) FROM service_complaints WHERE customer_id = \(subject.id) AND state <> 'closed'") ?? 0
            panels.append(RecordPanel(
                title: "客户投诉",
                facts: [.init("未结案", "\(open) 件", alert: open > 0)],
                columns: [.init("投诉编号"), .init("登记时间"), .init("类别"), .init("内容"), .init("状态")],
                rows: rows.map { r in
                    let id = r.int("id") ?? 0
                    return .init([.init(DocNo.complaint(id), url: "/service/complaints/\(id)"), .init(ctx.displayEpoch(r.int("registered_at"))),
                                  .init(r.string("kind") == "quality" ? "质量投诉" : "服务投诉"), .init(r.string("summary") ?? ""),
                                  .init(ComplaintPages.stateTitles[r.string("state") ?? ""] ?? "")])
                },
                emptyText: "该客户没有投诉记录。",
                actions: ctx.can(ComplaintPages.register) ? [.init("登记投诉", url: "/service/complaints/new?customer=\(subject.id)")] : []))
        }
        if ctx.can(ReturnPages.view) {
            let rows = try ctx.db.query("""
                SELECT id, reason_text, state FROM service_returns WHERE customer_id = \(subject.id) ORDER BY id DESC LIMIT 5
                """)
            panels.append(RecordPanel(
                title: "退货",
                columns: [.init("退货编号"), .init("退货原因"), .init("状态")],
                rows: rows.map { r in
                    let id = r.int("id") ?? 0
                    return .init([.init(DocNo.returnOrder(id), url: "/service/returns/\(id)"), .init(r.string("reason_text") ?? ""),
                                  .init(ReturnPages.stateTitles[r.string("state") ?? ""] ?? "")])
                },
                emptyText: "该客户没有退货记录。",
                actions: ctx.can(ReturnPages.register) ? [.init("登记退货", url: "/service/returns/new?customer=\(subject.id)")] : []))
        }
        return panels
    }
}
