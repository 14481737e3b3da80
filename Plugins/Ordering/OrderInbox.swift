import Foundation
import SalesKit

/// To-do items of the order flow: GM approvals, releases and overdue oral notices for the sales
/// head, written confirmations and delivery paperwork for the rep, scheduling for production.
enum OrderInbox {
    static func items(for user: User, _ ctx: Context) throws -> [InboxItem] {
        var out: [InboxItem] = []
        let now = ctx.epoch
        func url(_ r: Row) -> String { "/order/orders/\(r.int("id") ?? 0)" }
        func label(_ r: Row) -> String { "\(r.string("order_no") ?? "") \(r.string("customer_name") ?? "")" }
        if user.can(OrderPages.approve) {
            for r in try ctx.db.query("SELECT * FROM order_orders WHERE state IN ('credit_blocked', 'sporadic_pending') ORDER BY id") {
                let over = r.string("state") == OrderState.creditBlocked.rawValue
                out.append(InboxItem(title: over ? "超警戒线订单待批准：\(label(r))" : "零星客户订单待批准：\(label(r))",
                                     detail: over ? "超出 ¥\(Money.format(r.int("over_fen") ?? 0))（003 §4.2）" : "按价格表、全额预付（003 §4.1.3）",
                                     url: url(r), urgent: true))
            }
            for r in try ctx.db.query("SELECT * FROM order_writeoffs WHERE state = 'pending' ORDER BY id") {
                out.append(InboxItem(title: "坏账核销待批准：\(r.text("customer_code")) \(r.text("customer_name")) ¥\(Money.format(r.int("amount_fen") ?? 0))",
                                     detail: "RULES §6", url: "/order/writeoffs/\(r.int("id") ?? 0)", urgent: true))
            }
            // 003 §3.7: only contracts 技术部、品质部、生产部 all agreed to.
            for c in try ctx.db.query("SELECT id, contract_no, title FROM order_contracts WHERE state = 'pending_gm' ORDER BY id") {
                out.append(InboxItem(title: "销售合同待总经理价格评审及批准：\(c.text("contract_no")) \(c.text("title"))", detail: "003 §3.7",
                                     url: "/order/contracts/\(c.int("id") ?? 0)"))
            }
        }
        if user.can(PriceControl.approve) {
            for r in try ctx.db.query("SELECT * FROM order_orders WHERE state = 'price_pending' ORDER BY id") {
                out.append(InboxItem(title: "低价订单待销售经理批准：\(label(r))", detail: "\(r.text("price_result"))",
                                     url: url(r), urgent: true))
            }
        }
        if user.can(OrderPages.release) {
            for r in try ctx.db.query("SELECT * FROM order_orders WHERE state = 'accepted' ORDER BY id") {
                if let oral = r.int("oral_notice_at") {
                    let due = Date(timeIntervalSince1970: Double(OrderUtil.plusDay(oral)))
                    let late = OrderUtil.plusDay(oral) < now
                    out.append(InboxItem(title: (late ? "口头通知已超 24 小时，须补销售计划下达表：" : "口头通知后须 24 小时内补下达表：") + label(r),
                                         detail: "003 §4.3.2", url: url(r), due: due, urgent: late))
                } else {
                    out.append(InboxItem(title: "待签发销售计划下达表：\(label(r))", detail: "003 §4.3.4", url: url(r)))
                }
            }
        }
        if user.can(OrderPages.register) {
            for r in try ctx.db.query("SELECT * FROM order_orders WHERE created_by = \(user.id) AND written_pending = 1 AND state NOT IN ('cancelled', 'rejected', 'completed') ORDER BY id") {
                out.append(InboxItem(title: "电话订货待书面确认：\(label(r))", detail: "003 §4.3.1", url: url(r)))
            }
            for r in try ctx.db.query("""
                SELECT o.id, o.order_no, o.customer_name, d.arrived_at FROM order_deliveries d JOIN order_orders o ON o.id = d.order_id
                WHERE o.created_by = \(user.id) AND d.accepted_at IS NULL ORDER BY d.id
                """) {
                let due = r.int("arrived_at").map { Date(timeIntervalSince1970: Double($0) + 86_400) }
                out.append(InboxItem(title: "完成交、验货手续：\(label(r))", detail: "到货后 24 小时内（003 §4.3.6）", url: url(r), due: due,
                                     urgent: r.int("arrived_at").map { $0 < now - 86_400 } ?? false))
            }
        }
        if user.can(OrderPages.finance) {
            // 003 §4.1.3: a sporadic order waits until finance confirms the full prepayment.
            for r in try ctx.db.query("""
                SELECT o.id, o.order_no, o.customer_name, o.total_fen,
                    (SELECT COALESCE(SUM(l.amount_fen), 0) FROM order_ledger l WHERE l.order_id = o.id AND l.kind = 'prepayment') AS confirmed
                FROM order_orders o WHERE o.state = 'sporadic_pending' ORDER BY o.id
                """) where (r.int("confirmed") ?? 0) < (r.int("total_fen") ?? 0) {
                out.append(InboxItem(title: "零星客户订单待确认预付款：\(label(r))", detail: "订单金额 ¥\(Money.format(r.int("total_fen") ?? 0))（003 §4.1.3）",
                                     url: url(r)))
            }
        }
        if user.can(OrderPages.production) {
            for r in try ctx.db.query("SELECT * FROM order_orders WHERE state = 'released' ORDER BY id") {
                out.append(InboxItem(title: "待排产：\(label(r))", detail: "销售计划下达表 \(r.string("plan_no") ?? "")", url: url(r)))
            }
        }
        out += try OrderChangePages.inbox(for: user, ctx)
        if user.can(OrderPaths.technical) {
            for r in try ctx.db.query("""
                SELECT t.id, o.order_no, l.product, l.spec FROM order_trials t JOIN order_orders o ON o.id = t.order_id
                JOIN order_lines l ON l.id = t.line_id WHERE t.state = 'requested' ORDER BY t.id
                """) {
                out.append(InboxItem(title: "待试制样品：\(r.string("product") ?? "") \(r.string("spec") ?? "")（订单 \(r.string("order_no") ?? "")）",
                                     detail: "001 篇二 §6.2", url: "/order/trials/\(r.int("id") ?? 0)"))
            }
        }
        return out
    }
}
