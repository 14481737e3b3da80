import SalesKit

extension CRMMigrations {
    static let v8 = Migration(8, "quarterly 市场 / 客户 / 同行调查报告 (003 §5.2)", """
            CREATE TABLE crm_survey_reports (
                id INTEGER PRIMARY KEY,
                rep_id INTEGER NOT NULL,
                quarter TEXT NOT NULL,                   -- YYYY-Qn, company time zone
                kind TEXT NOT NULL,                      -- market | customer | peer
                subject TEXT NOT NULL,                   -- 调查范围 / 对象
                findings TEXT NOT NULL,                  -- 主要情况
                opportunities TEXT NOT NULL DEFAULT '',  -- 商机
                risks TEXT NOT NULL DEFAULT '',          -- 销售风险
                measures TEXT NOT NULL DEFAULT '',       -- 建议与对策
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                UNIQUE (rep_id, quarter, kind)
            );
            CREATE INDEX crm_survey_reports_quarter ON crm_survey_reports(quarter, kind, id);
            """)
}
