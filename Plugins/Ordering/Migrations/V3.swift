import SalesKit

extension OrderMigrations {
    static let v3 = Migration(3, "contract changes, stock check and trial samples", """
            CREATE TABLE order_changes (
                id INTEGER PRIMARY KEY,
                order_id INTEGER NOT NULL REFERENCES order_orders (id),
                requested_on TEXT NOT NULL,
                request_ref TEXT NOT NULL,
                kind TEXT NOT NULL,
                content TEXT NOT NULL,
                reason TEXT NOT NULL,
                new_planned_delivery TEXT,
                production_started INTEGER NOT NULL DEFAULT 0,
                agreement TEXT,
                agreement_note TEXT,
                state TEXT NOT NULL,
                reviewed_by INTEGER, reviewed_name TEXT, reviewed_at INTEGER, review_note TEXT,
                decided_by INTEGER, decided_name TEXT, decided_at INTEGER, decision_reason TEXT,
                notice_at INTEGER,
                created_by INTEGER NOT NULL,
                created_name TEXT NOT NULL DEFAULT '',
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL);
            CREATE INDEX order_changes_order ON order_changes (order_id, state);
            CREATE TABLE order_change_receipts (
                change_id INTEGER NOT NULL REFERENCES order_changes (id),
                dept TEXT NOT NULL,
                user_id INTEGER NOT NULL,
                user_name TEXT NOT NULL,
                at INTEGER NOT NULL,
                PRIMARY KEY (change_id, dept));
            ALTER TABLE order_lines ADD COLUMN stock_on_hand INTEGER;
            ALTER TABLE order_lines ADD COLUMN to_production INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE order_lines ADD COLUMN new_variant INTEGER NOT NULL DEFAULT 0;
            CREATE TABLE order_trials (
                id INTEGER PRIMARY KEY,
                order_id INTEGER NOT NULL REFERENCES order_orders (id),
                line_id INTEGER NOT NULL UNIQUE REFERENCES order_lines (id),
                state TEXT NOT NULL,
                sample_on TEXT,
                result_note TEXT,
                decided_by INTEGER, decided_name TEXT, decided_at INTEGER,
                created_by INTEGER NOT NULL,
                created_at INTEGER NOT NULL);
            CREATE INDEX order_trials_state ON order_trials (state);
            """)
}
