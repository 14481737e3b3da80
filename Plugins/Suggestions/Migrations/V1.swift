import SalesKit

extension IdeasMigrations {
    static let v1 = Migration(1, "suggestions, committee, batches, awards, ledger", """
            CREATE TABLE ideas_suggestions (
                id INTEGER PRIMARY KEY,
                proposer_id INTEGER NOT NULL,
                department TEXT NOT NULL DEFAULT '',
                topic TEXT NOT NULL,
                title TEXT NOT NULL,
                content TEXT NOT NULL,
                expected_effect TEXT NOT NULL DEFAULT '',
                batch TEXT NOT NULL,                  -- the monthly batch it is reviewed in (§19)
                first_batch TEXT NOT NULL,            -- the batch it was submitted to
                outcome TEXT,                         -- grade1..grade4 | encourage | effort | reserved | rejected
                reason TEXT,
                could_work INTEGER NOT NULL DEFAULT 0,-- §25: "a little more study would make it work"
                help_department TEXT,
                reserved_to TEXT,                     -- reserved: the later batch it goes to (§25)
                departments TEXT NOT NULL DEFAULT '', -- departments concerned (comma-separated)
                graded_by INTEGER,
                graded_at INTEGER,
                published INTEGER NOT NULL DEFAULT 0,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL
            );
            CREATE INDEX ideas_suggestions_batch ON ideas_suggestions(batch, id);
            CREATE INDEX ideas_suggestions_proposer ON ideas_suggestions(proposer_id, id);

            CREATE TABLE ideas_notes (
                id INTEGER PRIMARY KEY,
                suggestion_id INTEGER NOT NULL REFERENCES ideas_suggestions(id),
                kind TEXT NOT NULL,                   -- investigation | opinion
                department TEXT NOT NULL DEFAULT '',
                text TEXT NOT NULL,
                author_id INTEGER NOT NULL,
                created_at INTEGER NOT NULL
            );
            CREATE INDEX ideas_notes_suggestion ON ideas_notes(suggestion_id);

            CREATE TABLE ideas_committee (
                user_id INTEGER PRIMARY KEY,
                position TEXT NOT NULL                -- chair | vice | member (§22)
            );

            CREATE TABLE ideas_batches (
                batch TEXT PRIMARY KEY,
                finalized_by INTEGER,
                finalized_at INTEGER
            );

            CREATE TABLE ideas_awards (
                outcome TEXT PRIMARY KEY,
                title TEXT NOT NULL,
                amount_fen INTEGER NOT NULL,
                prize TEXT NOT NULL DEFAULT '',
                position INTEGER NOT NULL
            );
            -- §23 grades and awards.
            INSERT INTO ideas_awards VALUES ('grade1', '一等奖', 100000, '', 1);
            INSERT INTO ideas_awards VALUES ('grade2', '二等奖', 80000, '', 2);
            INSERT INTO ideas_awards VALUES ('grade3', '三等奖', 60000, '', 3);
            INSERT INTO ideas_awards VALUES ('grade4', '四等奖', 40000, '', 4);
            INSERT INTO ideas_awards VALUES ('encourage', '鼓励奖', 20000, '', 5);
            INSERT INTO ideas_awards VALUES ('effort', '努力奖', 0, '奖品', 6);

            CREATE TABLE ideas_ledger (
                id INTEGER PRIMARY KEY,
                user_id INTEGER NOT NULL,
                department TEXT NOT NULL DEFAULT '',
                suggestion_id INTEGER REFERENCES ideas_suggestions(id),
                batch TEXT NOT NULL,
                kind TEXT NOT NULL,                   -- award | topup | performance | prize | team
                title TEXT NOT NULL,
                amount_fen INTEGER NOT NULL,
                created_by INTEGER NOT NULL,
                created_at INTEGER NOT NULL
            );
            CREATE INDEX ideas_ledger_user ON ideas_ledger(user_id);

            CREATE TABLE ideas_orders (
                id INTEGER PRIMARY KEY,
                suggestion_id INTEGER NOT NULL REFERENCES ideas_suggestions(id),
                department TEXT NOT NULL,
                due TEXT NOT NULL,                    -- issued by the 15th of the next month (§26.1)
                plan_due TEXT NOT NULL,               -- plan back by that month's end (§26.2)
                state TEXT NOT NULL DEFAULT 'issued', -- issued | planned | confirmed
                plan_date TEXT,
                plan_method TEXT,
                difficulty TEXT,
                effect TEXT,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL
            );
            CREATE INDEX ideas_orders_department ON ideas_orders(department, state);
            """)
}
