import SalesKit

extension OrderMigrations {
    /// The product master (产品目录, issue #14): 品名, 规格, unit, list price and standard cost in 分,
    /// active. The former price list (`order_prices`, used for sporadic customers, 003 §4.1.3)
    /// becomes its list prices; order lines remember the product they were picked from (NULL: a
    /// free-text line, e.g. a variant never made, 001 篇二 §6.2).
    static let v8 = Migration(8, "product master", """
            CREATE TABLE order_products (
                id INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                spec TEXT NOT NULL DEFAULT '',
                unit TEXT NOT NULL DEFAULT '',
                list_price_fen INTEGER NOT NULL DEFAULT 0,
                std_cost_fen INTEGER NOT NULL DEFAULT 0,
                active INTEGER NOT NULL DEFAULT 1,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                UNIQUE (name, spec));
            CREATE INDEX order_products_active ON order_products (active, name, spec);
            INSERT INTO order_products (name, spec, unit, list_price_fen, std_cost_fen, active, created_at, updated_at)
            SELECT product, spec, '', unit_price_fen, 0, 1, updated_at, updated_at FROM order_prices;
            ALTER TABLE order_lines ADD COLUMN product_id INTEGER;
            UPDATE order_lines SET product_id = (
                SELECT p.id FROM order_products p WHERE p.name = order_lines.product AND p.spec = order_lines.spec);
            """)
}
