import SalesKit

extension OrderMigrations {
    /// E means no supply (RULES §6, 003 §4.1.2): an order checked while its customer had no
    /// warning line (class E, or not rated) used to wait for the GM as "超出 ¥0.00"; such orders are
    /// refused, with an audit row naming this migration.
    static let v7 = Migration(7, "orders of customers without a warning line are refused, not sent to the GM", """
            INSERT INTO audit_log (at, user_id, username, module, entity, entity_id, action, from_state, to_state, reason)
            SELECT updated_at, NULL, 'system', 'order', 'order.order', CAST(id AS TEXT), 'refuse', state, 'rejected',
                   '客户无销售警戒线（E 类或未评定），不予供货，订单拒绝，不再送总经理审批（003 §4.1.2；迁移 7）'
            FROM order_orders WHERE state = 'credit_blocked' AND line_fen IS NULL;
            UPDATE order_orders SET state = 'rejected', credit_result = credit_result || '；不予供货，订单拒绝（迁移 7）'
            WHERE state = 'credit_blocked' AND line_fen IS NULL;
            """)
}
