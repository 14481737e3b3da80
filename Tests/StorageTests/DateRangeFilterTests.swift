import Foundation
import SalesKit
import Testing
import SQLiteStore

/// `ListQuery.dateRange`: the 自 / 至 date filters of the lists (daily reports, patrol visits and
/// reports, complaints) — both days included, in the company time zone for epoch columns.
@Suite struct DateRangeFilterTests {
    static let spec = ListSpec(columns: [.init("day", "日期", sql: "t.day")], defaultSort: "day", filters: ["from", "to"])

    func ids(_ db: SQLiteDatabase, _ column: String, _ query: [(String, String)], zone: TimeZone? = nil) throws -> [Int64] {
        let q = Self.spec.parse(FormData(query))
        return try db.query("SELECT t.id FROM t WHERE 1 = 1\(q.dateRange(column, epochIn: zone)) ORDER BY t.id").compactMap { $0.int("id") }
    }

    @Test func textAndEpochColumnsIncludeBothDays() throws {
        let dir = try TempDir()
        let db = try SQLiteDatabase(path: dir.path(), gate: WriteGate())
        try db.executeScript("CREATE TABLE t (id INTEGER PRIMARY KEY, day TEXT NOT NULL, at INTEGER NOT NULL)")
        let shanghai = TimeZone(identifier: "Asia/Shanghai")!
        // 2026-03-01 00:00 Shanghai = 2026-02-28 16:00 UTC.
        let start = Int64(LocalDate(year: 2026, month: 3, day: 1).start(in: shanghai).timeIntervalSince1970)
        let rows: [(String, Int64)] = [("2026-02-28", start - 1), ("2026-03-01", start), ("2026-03-02", start + 86_400 + 86_399),
                                       ("2026-03-03", start + 2 * 86_400)]
        for (day, at) in rows { try db.execute("INSERT INTO t (day, at) VALUES (\(day), \(at))") }

        #expect(try ids(db, "t.day", [("from", "2026-03-01"), ("to", "2026-03-02")]) == [2, 3])
        #expect(try ids(db, "t.at", [("from", "2026-03-01"), ("to", "2026-03-02")], zone: shanghai) == [2, 3])
        #expect(try ids(db, "t.day", [("from", "2026-03-02")]) == [3, 4])
        #expect(try ids(db, "t.at", [("to", "2026-02-28")], zone: shanghai) == [1])
        // No filter, or dates that do not parse: nothing is filtered out.
        #expect(try ids(db, "t.day", []) == [1, 2, 3, 4])
        #expect(try ids(db, "t.day", [("from", "2026-02-30"), ("to", "x' OR 1=1 --")]) == [1, 2, 3, 4])
    }
}
