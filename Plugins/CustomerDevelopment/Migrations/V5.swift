import SalesKit

extension CRMMigrations {
    /// A rating counts once reviewed (RULES §6, 003 §2.4): each row of `crm_ratings` becomes a
    /// proposal with a state and the opinions of its reviewers; `crm_customers.rating_class` keeps
    /// meaning "the class in force" (what 订货 checks the warning line against) and changes only
    /// when a proposal is approved. Ratings made before this version were in force when they were
    /// made: they count as approved. New rows default to `proposed` (never approved by omission).
    static let v5 = Migration(5, "rating review: proposals, supervisor and manager approval", """
            ALTER TABLE crm_ratings ADD COLUMN state TEXT NOT NULL DEFAULT 'proposed';
            UPDATE crm_ratings SET state = 'approved';
            ALTER TABLE crm_ratings ADD COLUMN previous_class TEXT;              -- the class in force when proposed
            ALTER TABLE crm_ratings ADD COLUMN needs_manager INTEGER NOT NULL DEFAULT 0;   -- raises the warning line
            ALTER TABLE crm_ratings ADD COLUMN supervisor_id INTEGER;            -- 销售主管's decision
            ALTER TABLE crm_ratings ADD COLUMN supervisor_at INTEGER;
            ALTER TABLE crm_ratings ADD COLUMN supervisor_note TEXT;
            ALTER TABLE crm_ratings ADD COLUMN manager_id INTEGER;               -- 销售经理's decision (upgrades)
            ALTER TABLE crm_ratings ADD COLUMN manager_at INTEGER;
            ALTER TABLE crm_ratings ADD COLUMN manager_note TEXT;
            ALTER TABLE crm_ratings ADD COLUMN decided_at INTEGER;               -- approved, rejected or superseded
            CREATE INDEX crm_ratings_state ON crm_ratings(state, rated_at);
            CREATE INDEX crm_ratings_application ON crm_ratings(application_id);
            """)
}
