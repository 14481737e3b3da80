import SalesKit

extension CRMMigrations {
    static let v1 = Migration(1, "customer master, applications, ratings, stages, contacts, class policy", """
            CREATE TABLE crm_customers (
                id INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                code TEXT UNIQUE,                        -- 客户代码, assigned on approval, never reused
                status TEXT NOT NULL DEFAULT 'prospect', -- prospect | customer | closed
                owner_id INTEGER NOT NULL,               -- 002 §5.5.1: every customer has an owner
                city TEXT NOT NULL DEFAULT '',
                in_city INTEGER NOT NULL DEFAULT 1,      -- 市内 / 市外 (003 §7.8)
                address TEXT NOT NULL DEFAULT '',
                phone TEXT NOT NULL DEFAULT '',
                contact_person TEXT NOT NULL DEFAULT '',
                contact_title TEXT NOT NULL DEFAULT '',
                department TEXT NOT NULL DEFAULT '',
                source TEXT NOT NULL DEFAULT '',
                notes TEXT NOT NULL DEFAULT '',
                rating_class TEXT,                       -- latest rating
                rated_at INTEGER,
                stage TEXT,                              -- pipeline A–D (004 第六章)
                process_stage TEXT,                      -- 项目信息开发 → … → 成交 (004 第七章)
                approved_at INTEGER,
                created_by INTEGER NOT NULL,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL
            );
            CREATE INDEX crm_customers_owner ON crm_customers(owner_id, id);
            CREATE INDEX crm_customers_name ON crm_customers(name, id);
            CREATE INDEX crm_customers_class ON crm_customers(rating_class, id);

            CREATE TABLE crm_code_counters (year INTEGER PRIMARY KEY, last INTEGER NOT NULL);

            CREATE TABLE crm_applications (
                id INTEGER PRIMARY KEY,
                customer_id INTEGER NOT NULL REFERENCES crm_customers(id),
                state TEXT NOT NULL DEFAULT 'draft',
                data TEXT NOT NULL,                      -- the 新客户认定申请表 as submitted (urlencoded)
                applicant_id INTEGER NOT NULL,
                decided_by INTEGER,
                decided_at INTEGER,
                decision_reason TEXT,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL
            );
            CREATE INDEX crm_applications_customer ON crm_applications(customer_id);
            CREATE INDEX crm_applications_state ON crm_applications(state, id);

            CREATE TABLE crm_ratings (
                id INTEGER PRIMARY KEY,
                customer_id INTEGER NOT NULL REFERENCES crm_customers(id),
                application_id INTEGER REFERENCES crm_applications(id),
                data TEXT NOT NULL,                      -- the inputs (urlencoded)
                levels TEXT NOT NULL,                    -- per criterion: 0–3 or '-' (unknown / below D)
                total INTEGER NOT NULL,
                rating_class TEXT NOT NULL,
                note TEXT NOT NULL DEFAULT '',
                rated_by INTEGER NOT NULL,
                rated_at INTEGER NOT NULL
            );
            CREATE INDEX crm_ratings_customer ON crm_ratings(customer_id, rated_at);

            CREATE TABLE crm_stage_changes (
                id INTEGER PRIMARY KEY,
                customer_id INTEGER NOT NULL REFERENCES crm_customers(id),
                kind TEXT NOT NULL,                      -- stage | process
                from_value TEXT,
                to_value TEXT NOT NULL,
                reason TEXT NOT NULL,
                changed_by INTEGER NOT NULL,
                changed_at INTEGER NOT NULL
            );
            CREATE INDEX crm_stage_changes_customer ON crm_stage_changes(customer_id, changed_at);
            CREATE INDEX crm_stage_changes_at ON crm_stage_changes(changed_at);

            CREATE TABLE crm_contacts (
                id INTEGER PRIMARY KEY,
                customer_id INTEGER NOT NULL REFERENCES crm_customers(id),
                kind TEXT NOT NULL,                      -- call | visit | event | other
                contact_date TEXT NOT NULL,              -- YYYY-MM-DD, company time zone
                person TEXT NOT NULL DEFAULT '',
                summary TEXT NOT NULL,
                created_by INTEGER NOT NULL,
                created_at INTEGER NOT NULL
            );
            CREATE INDEX crm_contacts_customer ON crm_contacts(customer_id, contact_date);
            CREATE INDEX crm_contacts_by_date ON crm_contacts(created_by, contact_date);

            CREATE TABLE crm_class_policy (
                rating_class TEXT PRIMARY KEY,
                title TEXT NOT NULL,
                warning_line_fen INTEGER,                -- NULL: no supply
                monthly_volume INTEGER NOT NULL,
                visits_handler INTEGER NOT NULL,
                visits_department_head INTEGER NOT NULL,
                visits_department_manager INTEGER NOT NULL,
                visits_general_manager INTEGER NOT NULL,
                updated_by INTEGER,
                updated_at INTEGER
            );
            -- 003 §4.1.2 (warning line, monthly volume); visit frequencies per month are the
            -- company's defaults for 002 访问频次计划表 (重要 ≈ A/B, 一般 ≈ C, 潜在 ≈ D), editable.
            INSERT INTO crm_class_policy VALUES ('A', '优秀客户', 70000000, 10000, 8, 2, 1, 1, NULL, NULL);
            INSERT INTO crm_class_policy VALUES ('B', '良好客户', 50000000, 7000, 8, 2, 1, 0, NULL, NULL);
            INSERT INTO crm_class_policy VALUES ('C', '一般客户', 30000000, 4000, 4, 1, 0, 0, NULL, NULL);
            INSERT INTO crm_class_policy VALUES ('D', '谨慎发展客户', 15000000, 2000, 2, 0, 0, 0, NULL, NULL);
            INSERT INTO crm_class_policy VALUES ('E', '不予发展客户', NULL, 0, 0, 0, 0, 0, NULL, NULL);

            CREATE TABLE crm_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            INSERT INTO crm_settings VALUES ('code_format', 'KH-YYYY-NNNN');
            """)
}
