import SalesKit

extension IdeasMigrations {
    /// The department names migration 4 maps to the standard directory codes (besides the
    /// directory's own names). Part of the shipped migration: never edited.
    static let v4Names: [(name: String, code: String)] = [
        ("品质部", "quality"), ("质量部", "quality"), ("品管部", "quality"), ("质检部", "quality"),
        ("技术部", "technical"), ("技术中心", "technical"), ("生产部", "production"), ("生产车间", "production"),
        ("客户服务部", "service"), ("客服部", "service"), ("售后服务部", "service"), ("服务部", "service"), ("售后部", "service"),
        ("销售部", "sales"), ("营销部", "sales"), ("市场部", "market"), ("财务部", "finance"),
        ("总经理办公室", "management"), ("总经办", "management"),
    ]

    /// Migration 4 of the 建议评审 module (RULES §6 "Departments are records", 002 §26): the
    /// implementing department of an order, the departments named on a graded suggestion and its
    /// helping department, and the department of a note (§22) become codes of the platform directory. A stored name becomes the code
    /// of the directory department of that name, or of the standard department it names
    /// (`v4Names`); the value as it was is kept beside it (`legacy_department(s)`). A name that
    /// matches nothing stays as it was: shown flagged 「未对应部门」, never lost. Plus the index the
    /// overdue list reads (#16). Portable SQL (SQLite and PostgreSQL).
    static let v4 = Migration(4, "departments by directory code; overdue index", """
            ALTER TABLE ideas_orders ADD COLUMN legacy_department TEXT;
            ALTER TABLE ideas_suggestions ADD COLUMN legacy_departments TEXT;
            ALTER TABLE ideas_notes ADD COLUMN legacy_department TEXT;
            """ + mapDepartments + """
            CREATE INDEX ideas_orders_state_plan_due ON ideas_orders (state, plan_due);
            """)

    /// The data part of migration 4, on its own so that a test can run it against rows written
    /// the old way (and again: a second run changes nothing).
    static let mapDepartments = """
            CREATE TABLE ideas_v4_names (name TEXT PRIMARY KEY, code TEXT NOT NULL);
            -- The directory's own names first (an installation's renamed or added departments win).
            INSERT INTO ideas_v4_names (name, code) SELECT name, code FROM departments WHERE code <> name;
            INSERT INTO ideas_v4_names (name, code) VALUES
            """ + v4Names.map { "    ('\($0.name)', '\($0.code)')" }.joined(separator: ",\n") + """

                ON CONFLICT (name) DO NOTHING;

            UPDATE ideas_orders
                SET legacy_department = department,
                    department = (SELECT n.code FROM ideas_v4_names n WHERE n.name = TRIM(ideas_orders.department))
                WHERE TRIM(department) IN (SELECT name FROM ideas_v4_names);
            UPDATE ideas_suggestions
                SET help_department = (SELECT n.code FROM ideas_v4_names n WHERE n.name = TRIM(ideas_suggestions.help_department))
                WHERE TRIM(help_department) IN (SELECT name FROM ideas_v4_names);
            UPDATE ideas_notes
                SET legacy_department = department,
                    department = (SELECT n.code FROM ideas_v4_names n WHERE n.name = TRIM(ideas_notes.department))
                WHERE TRIM(department) IN (SELECT name FROM ideas_v4_names);

            """ + v4Names.map { n in
                // One name of a comma-separated list at a time: `,品质部,` → `,quality,`.
                let replaced = "REPLACE(',' || departments || ',', ',\(n.name),', ',\(n.code),')"
                return """
                    UPDATE ideas_suggestions
                        SET legacy_departments = COALESCE(legacy_departments, departments),
                            departments = SUBSTR(\(replaced), 2, LENGTH(\(replaced)) - 2)
                        WHERE ',' || departments || ',' LIKE '%,\(n.name),%';
                    """
            }.joined(separator: "\n") + """

            DROP TABLE ideas_v4_names;
            """
}
