import SalesKit

extension ServiceMigrations {
    // 003 §7.8: the deadline runs from when the complaint was received (受理时间), which may be
    // before it was registered. Complaints registered before this version were received when
    // registered (their deadline was counted from then, so it is unchanged).
    static let v7 = Migration(7, "complaints: received time", """
            ALTER TABLE service_complaints ADD COLUMN received_at INTEGER;
            UPDATE service_complaints SET received_at = registered_at;
            """)
}
