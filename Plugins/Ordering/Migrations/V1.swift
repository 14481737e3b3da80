import SalesKit

extension OrderMigrations {
    static let v1 = Migration(1, "customer orders", """
            CREATE TABLE order_counters (
                year INTEGER PRIMARY KEY, last INTEGER NOT NULL);
            CREATE TABLE order_orders (
                id INTEGER PRIMARY KEY,
                order_no TEXT NOT NULL UNIQUE,
                customer_id INTEGER NOT NULL,
                customer_code TEXT NOT NULL DEFAULT '',
                customer_name TEXT NOT NULL DEFAULT '',
                customer_address TEXT NOT NULL DEFAULT '',
                customer_class TEXT NOT NULL DEFAULT '',
                channel TEXT NOT NULL,
                phone_record TEXT,
                written_pending INTEGER NOT NULL DEFAULT 0,
                written_confirmed_at INTEGER,
                filled_on TEXT NOT NULL,
                received_on TEXT NOT NULL,
                make_no TEXT,
                planned_delivery TEXT,
                production_from TEXT,
                production_to TEXT,
                ship_date TEXT,
                bill_date TEXT,
                insurance_no TEXT,
                tax_refund TEXT,
                pay_days INTEGER NOT NULL DEFAULT 30,
                sporadic INTEGER NOT NULL DEFAULT 0,
                prepaid_fen INTEGER NOT NULL DEFAULT 0,
                total_qty INTEGER NOT NULL DEFAULT 0,
                total_fen INTEGER NOT NULL DEFAULT 0,
                delivered_fen INTEGER NOT NULL DEFAULT 0,
                state TEXT NOT NULL,
                contract_id INTEGER,
                contract_ok INTEGER NOT NULL DEFAULT 0,
                contract_result TEXT NOT NULL DEFAULT '',
                settlement_ok INTEGER NOT NULL DEFAULT 0,
                settlement_result TEXT NOT NULL DEFAULT '',
                credit_ok INTEGER NOT NULL DEFAULT 0,
                credit_result TEXT NOT NULL DEFAULT '',
                line_fen INTEGER,
                exposure_fen INTEGER NOT NULL DEFAULT 0,
                over_fen INTEGER NOT NULL DEFAULT 0,
                checked_at INTEGER,
                oral_notice_at INTEGER,
                plan_no TEXT,
                plan_signed_by INTEGER,
                plan_signed_name TEXT,
                plan_signed_at INTEGER,
                sched_start TEXT,
                sched_end TEXT,
                remarks TEXT,
                created_by INTEGER NOT NULL,
                created_name TEXT NOT NULL DEFAULT '',
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL);
            CREATE INDEX order_orders_customer ON order_orders (customer_id, state);
            CREATE INDEX order_orders_state ON order_orders (state);
            CREATE TABLE order_lines (
                id INTEGER PRIMARY KEY,
                order_id INTEGER NOT NULL REFERENCES order_orders (id),
                line_no INTEGER NOT NULL,
                product TEXT NOT NULL,
                spec TEXT NOT NULL DEFAULT '',
                grade TEXT,
                qty INTEGER NOT NULL,
                unit_price_fen INTEGER NOT NULL,
                amount_fen INTEGER NOT NULL,
                usage TEXT, packing TEXT, volume TEXT,
                finish_date TEXT, ship_date TEXT, color TEXT,
                cartons INTEGER, carton_no TEXT, weight TEXT, tail_weight TEXT,
                delivered_qty INTEGER NOT NULL DEFAULT 0);
            CREATE INDEX order_lines_order ON order_lines (order_id, line_no);
            CREATE TABLE order_contracts (
                id INTEGER PRIMARY KEY,
                customer_id INTEGER NOT NULL,
                contract_no TEXT NOT NULL UNIQUE,
                title TEXT NOT NULL,
                signed_on TEXT,
                valid_from TEXT,
                valid_to TEXT,
                approved INTEGER NOT NULL DEFAULT 0,
                approved_by INTEGER,
                approved_name TEXT,
                approved_at INTEGER,
                created_by INTEGER NOT NULL,
                created_at INTEGER NOT NULL);
            CREATE INDEX order_contracts_customer ON order_contracts (customer_id);
            CREATE TABLE order_approvals (
                id INTEGER PRIMARY KEY,
                order_id INTEGER NOT NULL REFERENCES order_orders (id),
                kind TEXT NOT NULL,
                decision TEXT NOT NULL,
                approver_id INTEGER NOT NULL,
                approver_name TEXT NOT NULL,
                at INTEGER NOT NULL,
                line_fen INTEGER,
                exposure_fen INTEGER,
                over_fen INTEGER NOT NULL DEFAULT 0,
                reason TEXT NOT NULL);
            CREATE INDEX order_approvals_order ON order_approvals (order_id);
            CREATE TABLE order_prices (
                id INTEGER PRIMARY KEY,
                product TEXT NOT NULL,
                spec TEXT NOT NULL DEFAULT '',
                unit_price_fen INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                UNIQUE (product, spec));
            CREATE TABLE order_deliveries (
                id INTEGER PRIMARY KEY,
                order_id INTEGER NOT NULL REFERENCES order_orders (id),
                delivered_on TEXT NOT NULL,
                arrived_at INTEGER,
                accepted_at INTEGER,
                late INTEGER NOT NULL DEFAULT 0,
                value_fen INTEGER NOT NULL,
                note TEXT,
                created_by INTEGER NOT NULL,
                created_at INTEGER NOT NULL);
            CREATE INDEX order_deliveries_order ON order_deliveries (order_id);
            CREATE TABLE order_delivery_lines (
                id INTEGER PRIMARY KEY,
                delivery_id INTEGER NOT NULL REFERENCES order_deliveries (id),
                line_id INTEGER NOT NULL REFERENCES order_lines (id),
                qty INTEGER NOT NULL);
            CREATE TABLE order_ledger (
                id INTEGER PRIMARY KEY,
                customer_id INTEGER NOT NULL,
                kind TEXT NOT NULL,
                order_id INTEGER,
                delivery_id INTEGER,
                amount_fen INTEGER NOT NULL,
                entry_date TEXT NOT NULL,
                due_on TEXT,
                note TEXT,
                created_by INTEGER NOT NULL,
                created_at INTEGER NOT NULL);
            CREATE INDEX order_ledger_customer ON order_ledger (customer_id, kind);
            """)
}
