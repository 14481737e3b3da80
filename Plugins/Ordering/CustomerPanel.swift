import Foundation
import SalesKit

/// 订货's card on the customer page (the customer hub, issue #16 point 3): what a rep on the
/// phone is asked — 「我的货发了吗、还欠多少」 — with the latest orders, the receivable and the
/// contracts, and the actions the user may take from there.
enum OrderCustomerPanel {
    static func panels(for subject: PanelSubject, _ ctx: Context) throws -> [RecordPanel] {
        // A prospect (no 客户代码 yet) can have no orders: no card to scroll past.
        guard subject.entity == PanelSubject.customerEntity, !subject.code.isEmpty, ctx.can(OrderPages.view),
              try OrderUtil.maySee(customer: subject.id, ctx) else { return [] }
        let orders = try ctx.db.query("""
            SELECT id, order_no, received_on, total_fen, state FROM order_orders
            WHERE customer_id = \(subject.id) ORDER BY received_on DESC, id DESC LIMIT 5
            """)
        let count = try ctx.db.scalar("SELECT COUNT(*) FROM order_orders WHERE customer_id = \(subject.id)") ?? 0
        let contracts = try ctx.db.scalar("SELECT COUNT(*) FROM order_contracts WHERE customer_id = \(subject.id) AND approved = 1") ?? 0
        let balance = try OrderChecks.balance(customer: subject.id, today: ctx.today, ctx)
        var facts: [RecordPanel.Fact] = [
            .init("应收余额", Money.yuan(balance.outstandingFen)),
            .init("其中逾期", Money.yuan(balance.overdueFen), alert: balance.overdueFen > 0),
        ]
        if balance.advanceFen > 0 { facts.append(.init("预收余额", Money.yuan(balance.advanceFen))) }
        facts.append(.init("已批准合同", "\(contracts) 份"))
        var actions: [RecordPanel.Link] = []
        if ctx.can(OrderPages.register) {
            actions.append(.init("登记订单", url: "/order/orders/new?customer=" + URLEncoding.percentEncode(subject.code)))
        }
        actions.append(.init("对账单", url: "/order/statements/\(subject.id)"))
        return [RecordPanel(
            title: "订单与应收",
            facts: facts,
            columns: [.init("订单号码"), .init("接单日期"), .init("金额（元）", number: true), .init("状态")],
            rows: orders.map { r in
                .init([.init(r.text("order_no"), url: "/order/orders/\(r.int("id") ?? 0)"), .init(r.text("received_on")),
                       .init(OrderUtil.yuan(r.int("total_fen")), number: true),
                       .init(OrderState(rawValue: r.text("state"))?.title ?? "")])
            },
            emptyText: "该客户尚无订单。",
            more: count > 5
                ? .init("全部 \(count) 张订单", url: "/order/orders?customer=" + URLEncoding.percentEncode(subject.code)) : nil,
            actions: actions)]
    }
}
