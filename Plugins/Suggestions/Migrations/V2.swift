import SalesKit

extension IdeasMigrations {
    /// Migration 2 of the 建议评审 module: implementation follow-up (§26), the order history,
    /// ledger links, departments and headcounts for the team award (§23.4), and the team-award
    /// rows of the award table. Additive only (`ALTER TABLE … ADD COLUMN`, new tables).
    static let v2 = Migration(2, "implementation follow-up, departments, team awards", """
            ALTER TABLE ideas_orders ADD COLUMN issue_kind TEXT;             -- difficulty | disagreement (§26.2, §26.3)
            ALTER TABLE ideas_orders ADD COLUMN issue_open INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE ideas_orders ADD COLUMN decision TEXT;               -- the chair's ruling (§26.3)
            ALTER TABLE ideas_orders ADD COLUMN planned_by INTEGER;
            ALTER TABLE ideas_orders ADD COLUMN planned_at INTEGER;
            ALTER TABLE ideas_orders ADD COLUMN confirmed_by INTEGER;
            ALTER TABLE ideas_orders ADD COLUMN confirmed_at INTEGER;
            ALTER TABLE ideas_orders ADD COLUMN exceeded INTEGER NOT NULL DEFAULT 0; -- effect beyond expectation (§26.4)

            CREATE TABLE ideas_order_events (
                id INTEGER PRIMARY KEY,
                order_id INTEGER NOT NULL REFERENCES ideas_orders(id),
                kind TEXT NOT NULL,                   -- plan | difficulty | disagreement | decision | confirm | topup | performance
                text TEXT NOT NULL,
                author_id INTEGER NOT NULL,
                created_at INTEGER NOT NULL
            );
            CREATE INDEX ideas_order_events_order ON ideas_order_events(order_id, id);

            ALTER TABLE ideas_ledger ADD COLUMN order_id INTEGER;
            ALTER TABLE ideas_ledger ADD COLUMN note TEXT NOT NULL DEFAULT '';
            CREATE INDEX ideas_ledger_batch ON ideas_ledger(batch, kind);
            CREATE INDEX ideas_ledger_suggestion ON ideas_ledger(suggestion_id, kind);

            CREATE TABLE ideas_departments (
                name TEXT PRIMARY KEY,
                headcount INTEGER NOT NULL DEFAULT 0,
                updated_at INTEGER NOT NULL DEFAULT 0
            );

            CREATE TABLE ideas_team_awards (
                year INTEGER NOT NULL,
                quarter INTEGER NOT NULL,
                awarded_by INTEGER NOT NULL,
                awarded_at INTEGER NOT NULL,
                PRIMARY KEY (year, quarter)
            );

            -- §23.4: the team award; the rules name no amount, so it starts as a certificate and
            -- administrators may set cash amounts on the award-table page.
            INSERT INTO ideas_awards VALUES ('team1', '团体奖第一名', 0, '奖状', 7);
            INSERT INTO ideas_awards VALUES ('team2', '团体奖第二名', 0, '奖状', 8);
            INSERT INTO ideas_awards VALUES ('team3', '团体奖第三名', 0, '奖状', 9);
            """)
}
