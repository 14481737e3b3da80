import SalesKit

extension ServiceMigrations {
    static let v3 = Migration(3, "patrol", """
            CREATE TABLE service_patrol_plans (
                rating_class TEXT PRIMARY KEY CHECK (rating_class IN ('A', 'B', 'C', 'D')),
                key_products TEXT NOT NULL DEFAULT '', key_surveys TEXT NOT NULL DEFAULT '',
                special_surveys TEXT NOT NULL DEFAULT '', visits_per_month INTEGER NOT NULL,
                after_sales TEXT NOT NULL DEFAULT '', updated_by INTEGER, updated_at INTEGER);
            INSERT INTO service_patrol_plans (rating_class, visits_per_month) VALUES ('A', 4), ('B', 2), ('C', 1), ('D', 1);
            CREATE TABLE service_patrol_visits (
                id INTEGER PRIMARY KEY,
                customer_id INTEGER NOT NULL, customer_name TEXT NOT NULL, rating_class TEXT NOT NULL DEFAULT '',
                patroller_id INTEGER NOT NULL, planned_date TEXT NOT NULL, purpose TEXT NOT NULL DEFAULT '',
                state TEXT NOT NULL CHECK (state IN ('assigned', 'reported')),
                assigned_by INTEGER NOT NULL, assigned_at INTEGER NOT NULL);
            CREATE INDEX service_patrol_visits_patroller ON service_patrol_visits (patroller_id, state);
            CREATE TABLE service_patrol_reports (
                id INTEGER PRIMARY KEY,
                visit_id INTEGER REFERENCES service_patrol_visits (id),
                customer_id INTEGER NOT NULL, customer_name TEXT NOT NULL,
                visit_date TEXT NOT NULL, visit_time TEXT NOT NULL,
                opinions TEXT NOT NULL, market TEXT NOT NULL, effect TEXT NOT NULL, handling TEXT NOT NULL,
                other TEXT NOT NULL DEFAULT '',
                unit TEXT NOT NULL, reporter_id INTEGER NOT NULL, created_at INTEGER NOT NULL,
                ack_by INTEGER, ack_at INTEGER);
            CREATE INDEX service_patrol_reports_date ON service_patrol_reports (unit, visit_date);
            CREATE TABLE service_patrol_urgent (
                id INTEGER PRIMARY KEY,
                customer_id INTEGER, customer_name TEXT NOT NULL DEFAULT '',
                trigger TEXT NOT NULL CHECK (trigger IN ('policy', 'product', 'trend', 'defect', 'other')),
                content TEXT NOT NULL, unit TEXT NOT NULL, reporter_id INTEGER NOT NULL, created_at INTEGER NOT NULL,
                ack_by INTEGER, ack_at INTEGER);
            CREATE TABLE service_patrol_monthly (
                id INTEGER PRIMARY KEY,
                unit TEXT NOT NULL, month TEXT NOT NULL, report_count INTEGER NOT NULL, summary TEXT NOT NULL,
                state TEXT NOT NULL CHECK (state IN ('submitted')),
                submitted_by INTEGER NOT NULL, submitted_at INTEGER NOT NULL,
                UNIQUE (unit, month));
            CREATE TABLE service_patrol_gifts (
                id INTEGER PRIMARY KEY,
                customer_id INTEGER NOT NULL, customer_name TEXT NOT NULL,
                gift TEXT NOT NULL, budget_fen INTEGER NOT NULL CHECK (budget_fen > 0), reason TEXT NOT NULL,
                state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'recorded')),
                applied_by INTEGER NOT NULL, applied_at INTEGER NOT NULL,
                decided_by INTEGER, decided_at INTEGER, decision_note TEXT,
                given_date TEXT, actual_fen INTEGER, given_note TEXT, recorded_at INTEGER);
            """)
}
