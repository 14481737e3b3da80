import SalesKit

extension ServiceMigrations {
    static let v1 = Migration(1, "complaints", """
            CREATE TABLE service_policy (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                hours_in_city INTEGER NOT NULL, hours_out_city INTEGER NOT NULL,
                updated_by INTEGER, updated_at INTEGER);
            INSERT INTO service_policy (id, hours_in_city, hours_out_city) VALUES (1, 24, 48);
            CREATE TABLE service_complaints (
                id INTEGER PRIMARY KEY,
                kind TEXT NOT NULL CHECK (kind IN ('quality', 'service')),
                customer_id INTEGER NOT NULL, customer_name TEXT NOT NULL, in_city INTEGER NOT NULL,
                summary TEXT NOT NULL,
                invoice_no TEXT, product TEXT, spec TEXT, quantity INTEGER, grade TEXT, color TEXT, purchase_date TEXT,
                concerned TEXT,
                state TEXT NOT NULL,
                registered_at INTEGER NOT NULL, due_at INTEGER NOT NULL, handled_at INTEGER,
                remedy TEXT, remedy_by INTEGER, remedy_at INTEGER,
                proposal TEXT, verified INTEGER NOT NULL DEFAULT 0,
                result TEXT, feedback TEXT, closed_by INTEGER, closed_at INTEGER,
                created_by INTEGER NOT NULL, updated_at INTEGER NOT NULL);
            CREATE INDEX service_complaints_customer ON service_complaints (customer_id);
            CREATE INDEX service_complaints_state ON service_complaints (state, due_at);
            CREATE TABLE service_complaint_departments (
                id INTEGER PRIMARY KEY,
                complaint_id INTEGER NOT NULL REFERENCES service_complaints (id),
                department TEXT NOT NULL,
                routed_by INTEGER NOT NULL, routed_at INTEGER NOT NULL,
                finding TEXT, filled_by INTEGER, filled_at INTEGER,
                UNIQUE (complaint_id, department));
            CREATE TABLE service_complaint_files (
                id INTEGER PRIMARY KEY,
                complaint_id INTEGER NOT NULL REFERENCES service_complaints (id),
                file_id TEXT NOT NULL, original_name TEXT NOT NULL, content_type TEXT NOT NULL, size INTEGER NOT NULL,
                uploaded_by INTEGER NOT NULL, uploaded_at INTEGER NOT NULL);
            CREATE TABLE service_penalties (
                id INTEGER PRIMARY KEY,
                complaint_id INTEGER NOT NULL REFERENCES service_complaints (id),
                person TEXT NOT NULL, notice TEXT NOT NULL,
                fine_fen INTEGER NOT NULL CHECK (fine_fen BETWEEN 2000 AND 10000),
                created_by INTEGER NOT NULL, created_at INTEGER NOT NULL);
            """)
}
