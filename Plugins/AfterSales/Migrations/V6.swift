import SalesKit

extension ServiceMigrations {
    // 003 §6.2 (RULES §6 "Returns": the rep reaches the customer within a policy time): the
    // limit in hours on the policy row; per return the customer's rep at registration, the
    // deadline and when the rep arrived. Returns registered before this version have no deadline
    // (the rule did not apply to them).
    static let v6 = Migration(6, "returns: the rep's arrival deadline", """
            ALTER TABLE service_policy ADD COLUMN return_arrival_hours INTEGER NOT NULL DEFAULT 48;
            ALTER TABLE service_returns ADD COLUMN owner_id INTEGER;
            ALTER TABLE service_returns ADD COLUMN arrival_due_at INTEGER;
            ALTER TABLE service_returns ADD COLUMN arrived_at INTEGER;
            ALTER TABLE service_returns ADD COLUMN arrived_by INTEGER;
            ALTER TABLE service_returns ADD COLUMN arrival_note TEXT;
            CREATE INDEX service_returns_arrival ON service_returns (arrived_at, arrival_due_at);
            """)
}
