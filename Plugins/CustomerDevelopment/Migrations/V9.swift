import SalesKit

extension CRMMigrations {
    static let v9 = Migration(9, "weekly customer-archive report: who has read which week's (004 第六章 5(6))", """
            CREATE TABLE crm_weekly_report_reads (
                user_id INTEGER NOT NULL,
                monday TEXT NOT NULL,                    -- the week (its Monday, YYYY-MM-DD)
                read_at INTEGER NOT NULL,
                PRIMARY KEY (user_id, monday)
            );
            """)
}
