import SalesKit

extension OrderMigrations {
    static let v2 = Migration(2, "branch orders", """
            CREATE TABLE order_branch_branches (
                id INTEGER PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                manager_id INTEGER REFERENCES users(id),
                capital_limit INTEGER NOT NULL DEFAULT 0,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL);
            CREATE TABLE order_branch_stock (
                id INTEGER PRIMARY KEY,
                branch_id INTEGER NOT NULL REFERENCES order_branch_branches(id),
                product TEXT NOT NULL,
                on_hand INTEGER NOT NULL DEFAULT 0,
                transit_days INTEGER NOT NULL DEFAULT 0,
                updated_at INTEGER NOT NULL,
                UNIQUE (branch_id, product));
            CREATE TABLE order_branch_sales (
                id INTEGER PRIMARY KEY,
                branch_id INTEGER NOT NULL REFERENCES order_branch_branches(id),
                product TEXT NOT NULL,
                month TEXT NOT NULL,
                quantity INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                UNIQUE (branch_id, product, month));
            CREATE TABLE order_branch_intents (
                id INTEGER PRIMARY KEY,
                branch_id INTEGER NOT NULL REFERENCES order_branch_branches(id),
                due_date TEXT NOT NULL,
                period_start TEXT NOT NULL,
                period_end TEXT NOT NULL,
                manager_id INTEGER REFERENCES users(id),
                submitted_by INTEGER NOT NULL REFERENCES users(id),
                submitted_at INTEGER NOT NULL,
                late INTEGER NOT NULL DEFAULT 0,
                UNIQUE (branch_id, due_date));
            CREATE TABLE order_branch_intent_lines (
                id INTEGER PRIMARY KEY,
                intent_id INTEGER NOT NULL REFERENCES order_branch_intents(id) ON DELETE CASCADE,
                product TEXT NOT NULL,
                quantity INTEGER NOT NULL);
            CREATE TABLE order_branch_orders (
                id INTEGER PRIMARY KEY,
                branch_id INTEGER NOT NULL REFERENCES order_branch_branches(id),
                state TEXT NOT NULL,
                order_date TEXT NOT NULL,
                amount INTEGER NOT NULL,
                occupancy_before INTEGER NOT NULL,
                capital_limit INTEGER NOT NULL,
                note TEXT NOT NULL DEFAULT '',
                created_by INTEGER NOT NULL REFERENCES users(id),
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                decided_by INTEGER REFERENCES users(id),
                decided_at INTEGER,
                decision_reason TEXT);
            CREATE INDEX order_branch_orders_branch ON order_branch_orders (branch_id, state);
            CREATE TABLE order_branch_order_lines (
                id INTEGER PRIMARY KEY,
                order_id INTEGER NOT NULL REFERENCES order_branch_orders(id) ON DELETE CASCADE,
                line_no INTEGER NOT NULL,
                product TEXT NOT NULL,
                quantity INTEGER NOT NULL,
                unit_price INTEGER NOT NULL,
                amount INTEGER NOT NULL);
            """)
}
