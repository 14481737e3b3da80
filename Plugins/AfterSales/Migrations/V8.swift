import SalesKit

extension ServiceMigrations {
    // RULES §3.1 (001 篇一 §1.12: the area's rep is told the outcome): when a complaint closes,
    // the customer's rep gets a notice that stays in their inbox until they open the complaint.
    // Complaints closed before this version send none.
    static let v8 = Migration(8, "complaints: outcome notice to the customer's rep", """
            CREATE TABLE service_complaint_notices (
                id INTEGER PRIMARY KEY,
                complaint_id INTEGER NOT NULL REFERENCES service_complaints (id),
                user_id INTEGER NOT NULL,
                created_at INTEGER NOT NULL, read_at INTEGER,
                UNIQUE (complaint_id, user_id));
            CREATE INDEX service_complaint_notices_user ON service_complaint_notices (user_id, read_at);
            """)
}
