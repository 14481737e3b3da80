import SalesKit

extension CRMMigrations {
    static let v2 = Migration(2, "visit plans, daily reports, monthly plans, development reports", """
                -- 新客户开发计划及实施表 (002 §14): filled before a visit or negotiation, completed after it.
                CREATE TABLE crm_visit_plans (
                    id INTEGER PRIMARY KEY,
                    customer_id INTEGER NOT NULL REFERENCES crm_customers(id),
                    rep_id INTEGER NOT NULL,
                    kind TEXT NOT NULL,                      -- visit | negotiation
                    planned_date TEXT NOT NULL,              -- YYYY-MM-DD, company time zone
                    person TEXT NOT NULL DEFAULT '',         -- 拜访对象
                    purpose TEXT NOT NULL,
                    plan TEXT NOT NULL DEFAULT '',
                    state TEXT NOT NULL DEFAULT 'planned',   -- planned | done | cancelled
                    actual_date TEXT,
                    result TEXT NOT NULL DEFAULT '',
                    next_step TEXT NOT NULL DEFAULT '',
                    cancel_reason TEXT NOT NULL DEFAULT '',
                    contact_id INTEGER REFERENCES crm_contacts(id),
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                );
                CREATE INDEX crm_visit_plans_customer ON crm_visit_plans(customer_id, planned_date);
                CREATE INDEX crm_visit_plans_rep ON crm_visit_plans(rep_id, state, planned_date);

                -- 新客户开发日报表 (002 §16): one per rep per day, reviewed by the supervisor.
                CREATE TABLE crm_daily_reports (
                    id INTEGER PRIMARY KEY,
                    rep_id INTEGER NOT NULL,
                    report_date TEXT NOT NULL,               -- YYYY-MM-DD
                    progress TEXT NOT NULL,
                    results TEXT NOT NULL DEFAULT '',
                    problems TEXT NOT NULL DEFAULT '',
                    state TEXT NOT NULL DEFAULT 'submitted', -- submitted | reviewed
                    review_note TEXT NOT NULL DEFAULT '',
                    reviewed_by INTEGER,
                    reviewed_at INTEGER,
                    created_at INTEGER NOT NULL,
                    UNIQUE (rep_id, report_date)
                );
                CREATE INDEX crm_daily_reports_state ON crm_daily_reports(state, report_date);

                -- 客户开发计划表 (002 第三节 一.1): one per rep per month, with repeated rows.
                CREATE TABLE crm_monthly_plans (
                    id INTEGER PRIMARY KEY,
                    rep_id INTEGER NOT NULL,
                    month TEXT NOT NULL,                     -- YYYY-MM
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    UNIQUE (rep_id, month)
                );
                CREATE TABLE crm_monthly_plan_rows (
                    id INTEGER PRIMARY KEY,
                    plan_id INTEGER NOT NULL REFERENCES crm_monthly_plans(id),
                    position INTEGER NOT NULL,
                    customer_class TEXT NOT NULL DEFAULT '',
                    company TEXT NOT NULL,
                    visit_date TEXT,
                    person TEXT NOT NULL DEFAULT '',
                    title TEXT NOT NULL DEFAULT '',
                    department TEXT NOT NULL DEFAULT '',
                    phone TEXT NOT NULL DEFAULT '',
                    agreement TEXT NOT NULL DEFAULT '',
                    result TEXT NOT NULL DEFAULT ''
                );
                CREATE INDEX crm_monthly_plan_rows_plan ON crm_monthly_plan_rows(plan_id, position);

                -- 客户开发报告表 (002 第三节 一.2), with the 批示 of 经理 and 销售主管 added afterwards.
                CREATE TABLE crm_development_reports (
                    id INTEGER PRIMARY KEY,
                    customer_id INTEGER NOT NULL REFERENCES crm_customers(id),
                    reporter_id INTEGER NOT NULL,
                    customer_name TEXT NOT NULL,
                    phone TEXT NOT NULL DEFAULT '',
                    address TEXT NOT NULL DEFAULT '',
                    handler TEXT NOT NULL DEFAULT '',        -- 主办人员
                    products TEXT NOT NULL DEFAULT '',       -- 推销产品
                    first_amount_fen INTEGER,                -- 第一次交易额 (分)
                    first_product TEXT NOT NULL DEFAULT '',  -- 第一次交易品名
                    process TEXT NOT NULL,                   -- 开拓经过
                    remarks TEXT NOT NULL DEFAULT '',
                    manager_note TEXT,
                    manager_id INTEGER,
                    manager_at INTEGER,
                    supervisor_note TEXT,
                    supervisor_id INTEGER,
                    supervisor_at INTEGER,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                );
                CREATE INDEX crm_development_reports_customer ON crm_development_reports(customer_id);

                -- Report queries: visits by date, changes by time, new customers by year.
                CREATE INDEX crm_contacts_kind_date ON crm_contacts(kind, contact_date, customer_id);
                CREATE INDEX crm_customers_updated ON crm_customers(updated_at);
                CREATE INDEX crm_customers_created ON crm_customers(created_at);
                CREATE INDEX crm_customers_approved ON crm_customers(approved_at);
                """)
}
