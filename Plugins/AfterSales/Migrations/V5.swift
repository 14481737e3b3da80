import SalesKit

extension ServiceMigrations {
    // 003 §6.3.1 (RULES §6 "Returns"): 品质部 may accept a return in part or refuse it. Each line
    // keeps the quantity accepted; the return keeps the outcome. Returns noticed before this
    // version were accepted as listed.
    static let v5 = Migration(5, "returns: quality outcome and accepted quantity per line", """
            ALTER TABLE service_return_lines ADD COLUMN accepted INTEGER CHECK (accepted >= 0);
            ALTER TABLE service_returns ADD COLUMN notice_outcome TEXT CHECK (notice_outcome IN ('approved', 'partial', 'refused'));
            UPDATE service_returns SET notice_outcome = 'approved' WHERE notice_at IS NOT NULL;
            UPDATE service_return_lines SET accepted = quantity
                WHERE return_id IN (SELECT id FROM service_returns WHERE notice_at IS NOT NULL);
            """)
}
