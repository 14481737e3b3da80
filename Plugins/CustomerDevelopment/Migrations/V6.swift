import SalesKit

extension CRMMigrations {
    static let v6 = Migration(6, "新客户信用调查表: the credit investigation of a qualification application", """
            -- 002 §9–§13: the content of the investigation step, one per application, revised in place
            -- while the application is in credit investigation (each save audited).
            CREATE TABLE crm_credit_surveys (
                application_id INTEGER PRIMARY KEY REFERENCES crm_applications(id),
                customer_id INTEGER NOT NULL REFERENCES crm_customers(id),
                data TEXT NOT NULL,                      -- the 新客户信用调查表 as submitted (urlencoded)
                conclusion TEXT NOT NULL,                -- good | fair | unclear (§10) | problem (§12)
                credit_limit_fen INTEGER,                -- 建议最高信用额度, 分
                surveyed_by INTEGER NOT NULL,
                surveyed_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL
            );
            CREATE INDEX crm_credit_surveys_customer ON crm_credit_surveys(customer_id);
            """)
}
