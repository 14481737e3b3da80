import SalesKit

extension ServiceMigrations {
    // 001 篇二 §5.3b: a quality complaint can lead to a notice of criticism and a penalty for the
    // responsible department and person "according to the 考核方案" (no amount in the seeds), or
    // a proposal to dismiss when very serious. Kept beside the service-complaint penalties
    // (§5.3a, 20–100 元, `service_penalties`); the penalty list reads both.
    static let v9 = Migration(9, "complaints: quality-complaint penalties", """
            CREATE TABLE service_quality_penalties (
                id INTEGER PRIMARY KEY,
                complaint_id INTEGER NOT NULL REFERENCES service_complaints (id),
                department TEXT NOT NULL, person TEXT NOT NULL DEFAULT '',
                notice TEXT NOT NULL, fine_fen INTEGER NOT NULL CHECK (fine_fen >= 0), basis TEXT NOT NULL,
                dismissal INTEGER NOT NULL DEFAULT 0 CHECK (dismissal IN (0, 1)),
                created_by INTEGER NOT NULL, created_at INTEGER NOT NULL);
            CREATE INDEX service_quality_penalties_complaint ON service_quality_penalties (complaint_id);
            """)
}
