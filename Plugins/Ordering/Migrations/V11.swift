import SalesKit

extension OrderMigrations {
    /// Collections, statements of account and reports (issue #14; 003 §5.4, §5.5.1, §5.5.2.4, §8.1.4–§8.1.5):
    /// - `order_collection_plans`: each rep's yearly 回款额度 (one row per rep and year), set by
    ///   finance or the sales manager; every change audited.
    /// - `order_new_products`: the products that count as 新品 in a year (§8.1.5 new-product bonus).
    /// - `order_statements`: the customer's confirmation of a monthly 对账单 (`month` = `YYYY-MM`),
    ///   with the balances it confirmed, who recorded it and when.
    /// - an index for the reports that read the ledger by date.
    ///
    /// Numbered 11: version 10 is taken by the parallel contract-review branch; the migrator applies
    /// versions in ascending order and accepts the gap.
    static let v11 = Migration(11, "collection plans, new products, statements of account", """
            CREATE TABLE order_collection_plans (
                id INTEGER PRIMARY KEY,
                rep_id INTEGER NOT NULL,
                year INTEGER NOT NULL,
                amount_fen INTEGER NOT NULL,
                note TEXT NOT NULL DEFAULT '',
                updated_by INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                UNIQUE (rep_id, year));
            CREATE INDEX order_collection_plans_year ON order_collection_plans (year, rep_id);
            CREATE TABLE order_new_products (
                id INTEGER PRIMARY KEY,
                product_id INTEGER NOT NULL,
                year INTEGER NOT NULL,
                created_by INTEGER NOT NULL,
                created_at INTEGER NOT NULL,
                UNIQUE (product_id, year));
            CREATE INDEX order_new_products_year ON order_new_products (year, product_id);
            CREATE TABLE order_statements (
                id INTEGER PRIMARY KEY,
                customer_id INTEGER NOT NULL,
                customer_code TEXT NOT NULL DEFAULT '',
                customer_name TEXT NOT NULL DEFAULT '',
                month TEXT NOT NULL,
                opening_fen INTEGER NOT NULL,
                closing_fen INTEGER NOT NULL,
                result TEXT NOT NULL,
                confirmed_on TEXT NOT NULL,
                signer TEXT NOT NULL DEFAULT '',
                note TEXT NOT NULL DEFAULT '',
                recorded_by INTEGER NOT NULL,
                recorded_name TEXT NOT NULL DEFAULT '',
                recorded_at INTEGER NOT NULL,
                UNIQUE (customer_id, month));
            CREATE INDEX order_statements_month ON order_statements (month, id);
            CREATE INDEX order_ledger_date ON order_ledger (entry_date, kind);
            """)
}
