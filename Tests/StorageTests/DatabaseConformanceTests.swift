import Foundation
import SalesKit
import SalesTesting
import Testing
import SQLiteStore
@testable import PostgresStore

/// The backend-neutral `Database` contract, run against both backends (issue 17): the same
/// statements, written once in the migrations' portable spelling, behave the same on SQLite
/// and on a real PostgreSQL server (started by `PostgresServer` as the `postgres` user on a
/// private port and socket directory).
enum Backend: String, CaseIterable, CustomStringConvertible {
    case sqlite, postgresql
    var description: String { rawValue }

    func open() throws -> (any Database, Any) {
        switch self {
        case .sqlite:
            let dir = try TempDir()
            return (try SQLiteDatabase(path: dir.path(), gate: WriteGate()), dir)
        case .postgresql:
            let url = try PostgresServer.shared().freshDatabaseURL()
            return (try PostgresDatabase(url: url), url)
        }
    }
}

private struct Boom: Error {}

private let itemsTable = Migration(1, "items", """
    CREATE TABLE items (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        qty INTEGER NOT NULL DEFAULT 0,
        price REAL,
        note TEXT,
        data BLOB,
        owner_id INTEGER REFERENCES owners(id)
    );
    """)

private func items(_ backend: Backend) throws -> (any Database, Any) {
    let (db, keep) = try backend.open()
    try db.executeScript(Migration(0, "owners", "CREATE TABLE owners (id INTEGER PRIMARY KEY, name TEXT NOT NULL);").script(for: db.dialect))
    try db.executeScript(itemsTable.script(for: db.dialect))
    return (db, keep)
}

@Suite("Database contract on SQLite and PostgreSQL")
struct DatabaseConformanceTests {
    @Test(arguments: Backend.allCases) func insertReturningIdAndTypedRoundTrip(_ backend: Backend) throws {
        let (db, keep) = try items(backend)
        defer { withExtendedLifetime(keep) {} }
        let a = try db.insert("INSERT INTO items (name, qty, price, note, data) VALUES (\("阀门"), \(Int64(9_000_000_000_000)), \(1.5), \(String?.none), \(SQLValue.blob([0, 1, 255]))) RETURNING id")
        let b = try db.insert("INSERT INTO items (name) VALUES (\("法兰")) RETURNING id")
        #expect(b == a + 1)
        let r = try #require(try db.first("SELECT id, name, qty, price, note, data FROM items WHERE id = \(a)"))
        #expect(r.int("id") == a)
        #expect(r.string("name") == "阀门")
        #expect(r.int("qty") == 9_000_000_000_000)          // 64-bit: money sums and epochs
        #expect(r["price"] == .real(1.5))
        #expect(r["note"] == .null)
        #expect(r["data"] == .blob([0, 1, 255]))
        // SUM of a 64-bit column is an integer on both (numeric on PostgreSQL).
        #expect(try db.scalar("SELECT SUM(qty) FROM items") == 9_000_000_000_000)
        #expect(try db.first("SELECT COUNT(*) AS n FROM items")?.int("n") == 2)
    }

    /// The in-place cursor a list page writes its rows from: every row, the same values `query`
    /// gives, and a body that runs the same statement again (a nested list) gets its own rows
    /// without disturbing the outer iteration.
    @Test(arguments: Backend.allCases) func forEachRowReadsEveryRowInPlaceAndNestsOverTheSameStatement(_ backend: Backend) throws {
        let (db, keep) = try items(backend)
        defer { withExtendedLifetime(keep) {} }
        for (name, qty, note) in [("阀门 <A&B>", 3, "备注"), ("法兰", 9_000_000_000_000, nil), ("弯头", 0, "x")] as [(String, Int64, String?)] {
            _ = try db.insert("INSERT INTO items (name, qty, price, note) VALUES (\(name), \(qty), \(2.5), \(note)) RETURNING id")
        }
        let sql: SQL = "SELECT id, name, qty, price, note FROM items WHERE qty >= \(Int64(0)) ORDER BY id"
        let expected = try db.query(sql)
        var seen: [Row] = [], texts: [String] = [], nested: [Int] = []
        try db.forEachRow(sql) { cursor in
            seen.append(cursor.row())
            var bytes: [UInt8] = []
            for c in 0..<cursor.columnNames.count where c != 3 { cursor.appendText(c, to: &bytes); bytes.append(UInt8(ascii: "|")) }
            texts.append(String(decoding: bytes, as: UTF8.self))
            #expect(cursor.int(try #require(cursor.index(of: "qty"))) == seen.last?.int("qty"))
            #expect(cursor.isNull(4) == (seen.last?["note"] == .null))
            #expect(cursor.value(3) == .real(2.5))
            // The same statement, run from inside the iteration.
            var inner = 0
            try db.forEachRow(sql) { _ in inner += 1 }
            nested.append(inner)
        }
        #expect(seen.map(\.values) == expected.map(\.values))
        #expect(seen.first?.columns == ["id", "name", "qty", "price", "note"])
        #expect(texts == ["1|阀门 <A&B>|3|备注|", "2|法兰|9000000000000||", "3|弯头|0|x|"])
        #expect(nested == [3, 3, 3])
        // A throwing body stops the iteration; the statement is usable again afterwards.
        var calls = 0
        #expect(throws: Boom.self) { try db.forEachRow(sql) { _ in calls += 1; throw Boom() } }
        #expect(calls == 1)
        #expect(try db.query(sql).count == 3)
    }

    /// An integer column appended as text is its decimal digits, as `String(Int64)`, at both ends
    /// of the range.
    @Test(arguments: Backend.allCases) func integersAppendAsTheirDecimalDigits(_ backend: Backend) throws {
        let (db, keep) = try items(backend)
        defer { withExtendedLifetime(keep) {} }
        let values: [Int64] = [0, 7, -42, 1_000_000, Int64.max, Int64.min, -1]
        for v in values { _ = try db.insert("INSERT INTO items (name, qty) VALUES (\("n\(v)"), \(v)) RETURNING id") }
        var texts: [String] = []
        try db.forEachRow("SELECT qty FROM items ORDER BY id") { cursor in
            var bytes: [UInt8] = []
            cursor.appendText(0, to: &bytes)
            texts.append(String(decoding: bytes, as: UTF8.self))
        }
        #expect(texts == values.map { String($0) })
    }

    @Test(arguments: Backend.allCases) func placeholdersInsideQuotedTextAreNotParameters(_ backend: Backend) throws {
        let (db, keep) = try items(backend)
        defer { withExtendedLifetime(keep) {} }
        _ = try db.execute("INSERT INTO items (name, note) VALUES (\("a"), 'why?')")
        #expect(try db.first("SELECT note FROM items WHERE name = \("a") AND note LIKE '%?'")?.string("note") == "why?")
        #expect(try db.execute("UPDATE items SET qty = qty + \(2) WHERE name IN (\(list: ["a", "b"]))") == 1)
        #expect(try db.execute("UPDATE items SET qty = 0 WHERE name = \("none")") == 0)
    }

    @Test(arguments: Backend.allCases) func constraintsMapToConstraint(_ backend: Backend) throws {
        let (db, keep) = try items(backend)
        defer { withExtendedLifetime(keep) {} }
        _ = try db.execute("INSERT INTO items (name) VALUES (\("x"))")
        for sql: SQL in ["INSERT INTO items (name) VALUES (\("x"))", "INSERT INTO items (name) VALUES (\(String?.none))",
                         "INSERT INTO items (name, owner_id) VALUES (\("y"), \(Int64(99)))"] {
            do {
                _ = try db.execute(sql)
                Issue.record("\(sql.text) succeeded")
            } catch let e as StorageError {
                #expect(e.kind == .constraint, "\(sql.text): \(e)")
            }
        }
    }

    @Test(arguments: Backend.allCases) func transactionsRollBackAndSavepointsRollBackOnlyTheirOwnWrites(_ backend: Backend) throws {
        let (db, keep) = try items(backend)
        defer { withExtendedLifetime(keep) {} }
        #expect(throws: Boom.self) {
            try db.transaction {
                _ = try db.execute("INSERT INTO items (name) VALUES (\("gone"))")
                throw Boom()
            }
        }
        #expect(try db.scalar("SELECT COUNT(*) FROM items") == 0)
        let v = try db.transaction { () throws -> Int in
            _ = try db.execute("INSERT INTO items (name) VALUES (\("kept"))")
            do {
                try db.transaction {
                    _ = try db.execute("INSERT INTO items (name) VALUES (\("inner"))")
                    throw Boom()
                }
            } catch is Boom {}
            // A failed statement inside a savepoint does not poison the outer transaction.
            do {
                try db.transaction { _ = try db.execute("INSERT INTO items (name) VALUES (\("kept"))") }
            } catch is StorageError {}
            return 7
        }
        #expect(v == 7)
        #expect(try db.query("SELECT name FROM items ORDER BY id").compactMap { $0.string("name") } == ["kept"])
    }

    @Test(arguments: Backend.allCases) func executeScriptRunsSeveralStatements(_ backend: Backend) throws {
        let (db, keep) = try items(backend)
        defer { withExtendedLifetime(keep) {} }
        try db.executeScript("INSERT INTO items (name) VALUES ('s1'); INSERT INTO items (name) VALUES ('s2');")
        #expect(try db.scalar("SELECT COUNT(*) FROM items") == 2)
    }

    @Test func postgresWriteTransactionsAreSerializedAcrossConnections() throws {
        // Two connections (two nodes): the second writer waits for the first's commit, so a
        // check-then-insert inside `transaction` holds as on SQLite's single writer.
        let url = try PostgresServer.shared().freshDatabaseURL()
        let a = try PostgresDatabase(url: url)
        try a.executeScript(Migration(1, "c", "CREATE TABLE counters (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);").script(for: "postgresql"))
        _ = try a.execute("INSERT INTO counters (id, n) VALUES (1, 0)")
        let done = DispatchSemaphore(value: 0)
        let start = DispatchSemaphore(value: 0)
        try a.transaction {
            let n = try a.scalar("SELECT n FROM counters WHERE id = 1") ?? -1
            DispatchQueue.global().async {
                // Reads the committed value only after a's transaction ends.
                guard let b = try? PostgresDatabase(url: url) else { done.signal(); return }
                start.signal()
                try? b.transaction {
                    let m = try b.scalar("SELECT n FROM counters WHERE id = 1") ?? -1
                    _ = try b.execute("UPDATE counters SET n = \(m + 1) WHERE id = 1")
                }
                done.signal()
            }
            start.wait()
            Thread.sleep(forTimeInterval: 0.3)
            _ = try a.execute("UPDATE counters SET n = \(n + 1) WHERE id = 1")
        }
        done.wait()
        #expect(try a.scalar("SELECT n FROM counters WHERE id = 1") == 2)      // no lost update
    }

    @Test func placeholderNumberingSkipsLiteralsAndComments() {
        #expect(PostgresDatabase.numbered("SELECT ? , '?', \"a?\" -- why?\n, ?").0 == "SELECT $1 , '?', \"a?\" -- why?\n, $2")
        #expect(PostgresDatabase.numbered("x = ? AND y IN (?, ?)").1 == 3)
    }
}

/// PostgreSQL group commit (issue 20's design on issue 17's backend): the write transaction
/// commits without waiting for the disk (so the write lock is never held across a flush), and
/// `transaction` returns only once the WAL is flushed past that commit.
@Suite("PostgreSQL group commit")
struct PostgresGroupCommitTests {
    /// The test server runs with `synchronous_commit = off` (speed); these sessions ask for the
    /// production default.
    static func durableURL() throws -> String {
        try PostgresServer.shared().freshDatabaseURL() + "&options=-c%20synchronous_commit%3Don"
    }

    @Test func commitsAsynchronouslyInsideTheLockAndReturnsOnlyWhenFlushed() throws {
        let db = try PostgresDatabase(url: try Self.durableURL())
        try db.executeScript("CREATE TABLE marks (id BIGSERIAL PRIMARY KEY, note TEXT NOT NULL)")
        for i in 0..<20 {
            var insideSync = "", insertedUpTo = ""
            try db.transaction {
                insideSync = try db.first("SHOW synchronous_commit")?.string("synchronous_commit") ?? ""
                try db.execute("INSERT INTO marks (note) VALUES (\("第\(i)条"))")
                insertedUpTo = try db.first("SELECT pg_current_wal_insert_lsn()::text AS lsn")?.string("lsn") ?? ""
            }
            #expect(insideSync == "off")        // COMMIT (which releases the lock) waits for no disk
            // On return, the WAL is on disk at least up to what the transaction had written.
            let flushedPast = try db.first("SELECT pg_current_wal_flush_lsn() >= \(insertedUpTo)::pg_lsn AS ok")
            #expect(flushedPast?.int("ok") == 1)
        }
        #expect(db.groupCommitFlushes == 20)
        // The session default is untouched (SET LOCAL): reads and other statements commit as usual.
        #expect(try db.first("SHOW synchronous_commit")?.string("synchronous_commit") == "on")
        #expect(try db.first("SELECT COUNT(*) AS n FROM marks")?.int("n") == 20)
    }

    @Test func perCommitSyncWhenSwitchedOff() throws {
        let db = try PostgresDatabase(url: try Self.durableURL(), groupCommit: false)
        try db.executeScript("CREATE TABLE marks (id BIGSERIAL PRIMARY KEY)")
        var insideSync = ""
        try db.transaction {
            insideSync = try db.first("SHOW synchronous_commit")?.string("synchronous_commit") ?? ""
            try db.execute("INSERT INTO marks DEFAULT VALUES")
        }
        #expect(insideSync == "on")
        #expect(db.groupCommitFlushes == 0)
    }

    @Test func aServerThatDoesNotWaitForTheDiskGetsNoFlush() throws {
        let db = try PostgresDatabase(url: try PostgresServer.shared().freshDatabaseURL())   // synchronous_commit = off
        _ = try db.transaction { try db.execute("CREATE TABLE marks (id BIGSERIAL PRIMARY KEY)") }
        #expect(db.groupCommitFlushes == 0)
    }
}

/// Issue 17 (found by `make bench`: the customer list at 0.15× of SQLite on PostgreSQL): indexes
/// get SQLite's NULL order on PostgreSQL, so a list's `ORDER BY … ASC NULLS FIRST` is read from
/// the index instead of sorting every matching row per page.
@Suite("PostgreSQL index NULL order")
struct PostgresIndexOrderTests {
    @Test func indexColumnsGetSQLitesNullOrder() {
        let m = Migration(1, "t", """
            CREATE TABLE t (id INTEGER PRIMARY KEY, owner_id INTEGER, name TEXT, at INTEGER);
            CREATE INDEX t_owner_name ON t(owner_id, name, id);
            CREATE UNIQUE INDEX IF NOT EXISTS t_at ON t (at DESC, id);
            CREATE INDEX t_lower ON t(lower(name), id NULLS LAST);
            """)
        let pg = m.script(for: "postgresql")
        #expect(pg.contains("ON t(owner_id NULLS FIRST, name NULLS FIRST, id NULLS FIRST)"), "\(pg)")
        #expect(pg.contains("ON t (at DESC NULLS LAST, id NULLS FIRST)"), "\(pg)")
        #expect(pg.contains("ON t(lower(name) NULLS FIRST, id NULLS LAST)"), "\(pg)")
        #expect(m.script(for: "sqlite") == m.script)
    }

    @Test func aKeysetListPageIsReadFromTheIndex() throws {
        let db = try PostgresDatabase(url: try PostgresServer.shared().freshDatabaseURL())
        try db.executeScript(Migration(1, "c", """
            CREATE TABLE c (id INTEGER PRIMARY KEY, owner_id INTEGER NOT NULL, name_sort TEXT);
            CREATE INDEX c_owner_name ON c(owner_id, name_sort, id);
            """).script(for: db.dialect))
        try db.execute("INSERT INTO c (owner_id, name_sort) SELECT i % 5, md5(i::text) FROM generate_series(1, 20000) i")
        try db.execute("ANALYZE c")
        let plan = try db.query("""
            EXPLAIN SELECT id FROM c WHERE owner_id = 1 AND (name_sort, id) > ('8', 3)
            ORDER BY name_sort ASC NULLS FIRST, id ASC NULLS FIRST LIMIT 51
            """).compactMap { $0.string("QUERY PLAN") }.joined(separator: "\n")
        #expect(!plan.contains("Sort"), "\(plan)")
        #expect(plan.contains("Index"), "\(plan)")
    }
}
