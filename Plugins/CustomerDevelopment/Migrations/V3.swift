import SalesKit

extension CRMMigrations {
    static let v3 = Migration(3, "customer file (客户资料表) with history, key customers (重点客户管理表)", """
                CREATE TABLE crm_profiles (
                    customer_id INTEGER PRIMARY KEY REFERENCES crm_customers(id),
                    version INTEGER NOT NULL,                -- 1, 2, … (the latest row of crm_profile_history)
                    data TEXT NOT NULL,                      -- the 客户资料表 as submitted (urlencoded)
                    filled_on TEXT NOT NULL,                 -- 填写日期 YYYY-MM-DD
                    credit_limit_fen INTEGER,                -- 最高信用程度, 分
                    updated_by INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                );
                CREATE TABLE crm_profile_history (
                    id INTEGER PRIMARY KEY,
                    customer_id INTEGER NOT NULL REFERENCES crm_customers(id),
                    version INTEGER NOT NULL,
                    data TEXT NOT NULL,
                    filled_on TEXT NOT NULL,
                    credit_limit_fen INTEGER,
                    saved_by INTEGER NOT NULL,
                    saved_at INTEGER NOT NULL,
                    UNIQUE (customer_id, version)
                );
                CREATE TABLE crm_key_customers (
                    customer_id INTEGER PRIMARY KEY REFERENCES crm_customers(id),
                    active INTEGER NOT NULL DEFAULT 1,       -- 0: no longer a key customer (row kept)
                    sales_target_fen INTEGER NOT NULL,       -- 销售额目标, 分
                    reason TEXT NOT NULL,                    -- 将其设为重点客户的原因
                    actions TEXT NOT NULL DEFAULT '',        -- 实现目标的行动措施
                    service_manager_advice TEXT NOT NULL DEFAULT '',   -- 客户服务部经理建议
                    gm_advice TEXT NOT NULL DEFAULT '',      -- 总经理建议
                    marked_by INTEGER NOT NULL,
                    marked_at INTEGER NOT NULL,
                    updated_by INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                );
                CREATE INDEX crm_key_customers_active ON crm_key_customers(active, customer_id);
                """)
}
