import Foundation
import SalesKit

/// The order side's deadline items for the host's escalation (`DepartmentModule.overdue`):
///
/// - **Delivery past the promised date** (订货登记表 预定交货日期, 003 §4.3.5): an order released,
///   scheduled or delivering whose planned delivery date is before today. Responsible: the rep
///   who registered the order (002 §3.2; they check and ship it, 003 §4.3.5).
/// - **Delivery paperwork past 24 hours** (003 §4.3.6): a delivery that arrived more than 24 hours
///   ago without completed acceptance. Responsible: the rep who registered the order.
/// - **Written 销售计划下达表 past 24 hours after an oral pre-notice** (003 §4.3.2): an accepted
///   order whose oral notice is older than 24 hours. Responsible: the sales head who gave the
///   oral notice (its audit row), else the rep who registered the order.
/// - Contract reviews past their deadline: `ContractFlow.overdue`.
enum OrderOverdue {
    static func deliveries(_ ctx: Context) throws -> [OverdueItem] {
        var out: [OverdueItem] = []
        let today = ctx.today.description
        // One query on (state, planned_delivery) (index of migration 10).
        for r in try ctx.db.query("""
            SELECT id, order_no, customer_name, planned_delivery, created_by FROM order_orders
            WHERE state IN (\(list: [OrderState.released, .scheduled, .delivering].map(\.rawValue))) AND planned_delivery < \(today)
            ORDER BY planned_delivery, id
            """) {
            guard let day = LocalDate(r.text("planned_delivery")), let who = r.int("created_by") else { continue }
            // Due at the end of the promised day (company time zone).
            let due = day.adding(days: 1).start(in: ctx.timeZone)
            out.append(OverdueItem(InboxItem(title: "订单逾期未交货：\(r.text("order_no")) \(r.text("customer_name"))（预定交货日期 \(day)）",
                                             detail: "003 §4.3.5", url: "/order/orders/\(r.int("id") ?? 0)", due: due, urgent: true),
                                   responsibleUserID: who, due: due))
        }
        let cutoff = ctx.epoch - 86_400
        for r in try ctx.db.query("""
            SELECT d.id, d.arrived_at, o.id AS order_id, o.order_no, o.customer_name, o.created_by
            FROM order_deliveries d JOIN order_orders o ON o.id = d.order_id
            WHERE d.accepted_at IS NULL AND d.arrived_at < \(cutoff) ORDER BY d.arrived_at, d.id
            """) {
            guard let arrived = r.int("arrived_at"), let who = r.int("created_by") else { continue }
            let due = Date(timeIntervalSince1970: Double(OrderUtil.plusDay(arrived)))
            out.append(OverdueItem(InboxItem(title: "交、验货手续超过 24 小时未完成：\(r.text("order_no")) \(r.text("customer_name"))",
                                             detail: "003 §4.3.6", url: "/order/orders/\(r.int("order_id") ?? 0)", due: due, urgent: true),
                                   responsibleUserID: who, due: due))
        }
        for r in try ctx.db.query("""
            SELECT o.id, o.order_no, o.customer_name, o.oral_notice_at, o.created_by,
                   (SELECT a.user_id FROM audit_log a WHERE a.entity = 'order.order' AND a.entity_id = CAST(o.id AS TEXT)
                    AND a.action = 'oral_notice' ORDER BY a.id DESC LIMIT 1) AS noticed_by
            FROM order_orders o WHERE o.state = \(OrderState.accepted.rawValue) AND o.oral_notice_at < \(cutoff) ORDER BY o.oral_notice_at, o.id
            """) {
            guard let oral = r.int("oral_notice_at"), let who = r.int("noticed_by") ?? r.int("created_by") else { continue }
            let due = Date(timeIntervalSince1970: Double(OrderUtil.plusDay(oral)))
            out.append(OverdueItem(InboxItem(title: "口头通知已超 24 小时，未补销售计划下达表：\(r.text("order_no")) \(r.text("customer_name"))",
                                             detail: "003 §4.3.2", url: "/order/orders/\(r.int("id") ?? 0)", due: due, urgent: true),
                                   responsibleUserID: who, due: due))
        }
        return out
    }
}
