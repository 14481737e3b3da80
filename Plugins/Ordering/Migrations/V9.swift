import SalesKit

extension OrderMigrations {
    /// Price control (001 篇一 1.6, 第十三条; RULES §6): the policy row with the allowed floating
    /// percentage (default 0 %); per order the price check's result and the sales manager's
    /// approval; per line the reference price it was checked against (contract or list price).
    /// Contracts carry product lines with agreed prices (003 §3.2), which the check prefers.
    /// Orders registered before are marked checked (price_ok = 1) with an empty result.
    static let v9 = Migration(9, "price control and contract product lines", """
            CREATE TABLE order_policy (
                id INTEGER PRIMARY KEY,
                price_float_pct INTEGER NOT NULL DEFAULT 0,
                updated_by INTEGER,
                updated_at INTEGER);
            INSERT INTO order_policy (id, price_float_pct) VALUES (1, 0);
            ALTER TABLE order_orders ADD COLUMN price_ok INTEGER NOT NULL DEFAULT 1;
            ALTER TABLE order_orders ADD COLUMN price_result TEXT NOT NULL DEFAULT '';
            ALTER TABLE order_orders ADD COLUMN price_approved INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE order_lines ADD COLUMN ref_price_fen INTEGER;
            ALTER TABLE order_lines ADD COLUMN ref_source TEXT;
            ALTER TABLE order_lines ADD COLUMN below_ref INTEGER NOT NULL DEFAULT 0;
            CREATE TABLE order_contract_lines (
                id INTEGER PRIMARY KEY,
                contract_id INTEGER NOT NULL REFERENCES order_contracts (id),
                line_no INTEGER NOT NULL,
                product_id INTEGER,
                product TEXT NOT NULL,
                spec TEXT NOT NULL DEFAULT '',
                qty INTEGER,
                unit_price_fen INTEGER NOT NULL);
            CREATE INDEX order_contract_lines_contract ON order_contract_lines (contract_id, product, spec);
            """)
}
