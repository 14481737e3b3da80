import Foundation
import SalesKit
import Testing
import SQLiteStore

/// Keyset paging (issue #7): following the pager's links forwards and backwards visits every
/// row exactly once, in the order of `ORDER BY <column>, id` — with duplicate and NULL sort
/// values, ascending and descending — and a page is one index range whatever its depth.
@Suite struct KeysetPagingTests {
    static let spec = ListSpec(columns: [
        .init("name", "名称", sql: "t.name"),
        .init("rated", "评定", sql: "t.rated_at"),
        .init("grade", "等级", sql: "t.grade"),
    ], defaultSort: "name", pageSize: 7, tiebreaker: "t.id")

    static func database() throws -> (TempDir, SQLiteDatabase) {
        let dir = try TempDir()
        let db = try SQLiteDatabase(path: dir.path(), gate: WriteGate())
        try db.executeScript("""
            CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT NOT NULL, rated_at INTEGER, grade TEXT);
            CREATE INDEX things_name ON things(name, id);
            CREATE INDEX things_rated ON things(rated_at, id);
            """)
        try db.transaction {
            for i in 1...83 {
                // Few distinct names (many ties), every fifth rating NULL, grades with NULLs.
                try db.execute("""
                    INSERT INTO things (name, rated_at, grade) VALUES
                    (\("客户" + String(i % 9)), \(i % 5 == 0 ? nil : Int64(1_700_000_000 + (i * 37) % 11)),
                     \(i % 4 == 0 ? nil : ["A", "B", "C"][i % 3]))
                    """)
            }
        }
        return (dir, db)
    }

    static func page(_ db: SQLiteDatabase, _ q: ListQuery) throws -> (ids: [Int64], model: ListView) {
        let rows = try db.query("""
            SELECT t.id, t.name, t.rated_at, t.grade FROM things t WHERE 1 = 1\(q.seek)
            ORDER BY \(raw: q.orderBy) LIMIT \(q.limit) OFFSET \(q.offset)
            """)
        return (q.pageRows(rows).compactMap { $0.int("id") }, q.view(rows: rows, basePath: "/things"))
    }

    static func follow(_ href: String?) throws -> ListQuery {
        let link = try #require(href)
        let query = try #require(link.split(separator: "?", maxSplits: 1).last)
        return spec.parse(try URLEncoding.parse(query))
    }

    @Test(arguments: ["name", "rated", "grade"], ["asc", "desc"])
    func forwardAndBackThroughEveryRowOnce(sort: String, dir: String) throws {
        let (dir_, db) = try Self.database()
        _ = dir_
        let column = try #require(Self.spec.columns.first { $0.key == sort }).sql
        let d = dir == "desc" ? "DESC" : "ASC"
        let expected = try db.query("SELECT t.id FROM things t ORDER BY \(raw: column) \(raw: d), t.id \(raw: d)").compactMap { $0.int("id") }

        var q = Self.spec.parse(FormData([("sort", sort), ("dir", dir)]))
        var forward: [Int64] = []
        var pages: [[Int64]] = []
        while true {
            let (ids, model) = try Self.page(db, q)
            #expect(ids.count <= 7)
            forward += ids
            pages.append(ids)
            guard model.hasNext else { break }
            q = try Self.follow(model.nextHref)
            #expect(q.cursor?.forward == true && q.offset == 0)
        }
        #expect(forward == expected)
        #expect(pages.count == 12)

        // Back from the last page with the "previous" links: the same pages, in reverse.
        var backPages: [[Int64]] = [pages.last!]
        var (_, model) = try Self.page(db, q)
        while model.hasPrev {
            q = try Self.follow(model.prevHref)
            #expect(q.cursor?.forward == false)
            let (ids, m) = try Self.page(db, q)
            backPages.append(ids)
            model = m
        }
        #expect(Array(backPages.reversed()) == pages)
    }

    @Test func aPageDeepInTheListReadsOnlyItsIndexRange() throws {
        let (dir, db) = try Self.database()
        _ = dir
        let q = Self.spec.parse(FormData([("sort", "name"), ("after", "t客户5"), ("after_id", "40")]))
        let plan = try db.query("""
            EXPLAIN QUERY PLAN SELECT t.id FROM things t WHERE 1 = 1\(q.seek) ORDER BY \(raw: q.orderBy) LIMIT \(q.limit) OFFSET \(q.offset)
            """).compactMap { $0.string("detail") }.joined(separator: " | ")
        #expect(plan.contains("SEARCH") && plan.contains("things_name (name>?)"), "\(plan)")
        #expect(!plan.contains("TEMP B-TREE"), "\(plan)")
    }

    @Test func aMalformedCursorFallsBackToTheFirstPage() {
        let q = Self.spec.parse(FormData([("after", "x1"), ("after_id", "3")]))
        #expect(q.cursor == nil)
        #expect(q.seek.text.isEmpty)
        let bad = Self.spec.parse(FormData([("after", "tA"), ("after_id", "'; DROP TABLE things")]))
        #expect(bad.cursor == nil)
    }
}
