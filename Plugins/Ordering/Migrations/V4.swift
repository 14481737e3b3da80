import SalesKit

extension OrderMigrations {
    /// One customer's orders by date (年度订货统计表 for a customer reads its year as one range,
    /// already in page order; issue #7).
    static let v4 = Migration(4, "index of a customer's orders by date", """
            CREATE INDEX order_orders_customer_received ON order_orders (customer_id, received_on, id);
            """)
}
