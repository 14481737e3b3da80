import SalesKit

extension CRMMigrations {
    static let v7 = Migration(7, "customer information of 004 第六章 3 (organisation, decision makers, project, competitors)", """
            -- One current record per customer, revised in place (each save audited on the customer).
            CREATE TABLE crm_customer_info (
                customer_id INTEGER PRIMARY KEY REFERENCES crm_customers(id),
                data TEXT NOT NULL,                      -- the form as submitted (urlencoded, rows as name.N.field)
                budget_fen INTEGER,                      -- 预算, 分
                purchase_on TEXT,                        -- 预计采购时间 YYYY-MM-DD
                updated_by INTEGER NOT NULL,
                updated_at INTEGER NOT NULL
            );
            """)
}
