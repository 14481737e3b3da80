import SalesKit

extension ServiceMigrations {
    static let v2 = Migration(2, "returns", """
            CREATE TABLE service_returns (
                id INTEGER PRIMARY KEY,
                customer_id INTEGER NOT NULL, customer_name TEXT NOT NULL,
                reason_code TEXT NOT NULL CHECK (reason_code IN ('6.1.1', '6.1.2', '6.1.3', '6.1.4', '6.1.5')),
                reason_form TEXT NOT NULL CHECK (reason_form IN ('written', 'oral')),
                reason_text TEXT NOT NULL,
                state TEXT NOT NULL,
                listed_by INTEGER, listed_at INTEGER,
                notice_no TEXT, notice_opinion TEXT, notice_by INTEGER, notice_at INTEGER,
                received_by INTEGER, received_at INTEGER, discrepancy_note TEXT,
                settled_fen INTEGER, settle_note TEXT, settled_by INTEGER, settled_at INTEGER,
                created_by INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
            CREATE TABLE service_return_lines (
                id INTEGER PRIMARY KEY,
                return_id INTEGER NOT NULL REFERENCES service_returns (id),
                product TEXT NOT NULL, spec TEXT NOT NULL,
                quantity INTEGER NOT NULL CHECK (quantity > 0),
                unit_price_fen INTEGER NOT NULL CHECK (unit_price_fen >= 0),
                received INTEGER CHECK (received >= 0));
            """)
}
