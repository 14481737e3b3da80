import SalesKit

extension OrderMigrations {
    /// Return credits by line (RULES §6: at the order's price, never more than was shipped): each
    /// credited quantity is allocated to a shipped delivery line (latest shipment first), priced at
    /// that order line's unit price; what was allocated is never allocated again.
    static let v6 = Migration(6, "return credits allocated to shipped lines", """
            CREATE INDEX order_delivery_lines_delivery ON order_delivery_lines (delivery_id);
            CREATE INDEX order_delivery_lines_line ON order_delivery_lines (line_id);
            CREATE INDEX order_lines_product ON order_lines (product, spec);
            CREATE TABLE order_return_credits (
                id INTEGER PRIMARY KEY,
                entry_id INTEGER NOT NULL REFERENCES order_ledger (id),
                customer_id INTEGER NOT NULL,
                order_id INTEGER NOT NULL REFERENCES order_orders (id),
                delivery_line_id INTEGER NOT NULL REFERENCES order_delivery_lines (id),
                product TEXT NOT NULL,
                spec TEXT NOT NULL DEFAULT '',
                qty INTEGER NOT NULL,
                unit_price_fen INTEGER NOT NULL,
                amount_fen INTEGER NOT NULL,
                reference TEXT NOT NULL DEFAULT '');
            CREATE INDEX order_return_credits_line ON order_return_credits (delivery_line_id);
            CREATE INDEX order_return_credits_entry ON order_return_credits (entry_id);
            """)
}
