import Foundation
import SalesKit
import Synchronization
import Testing
@testable import SQLiteStore

/// A fresh database path in a private temporary directory, removed (with -wal/-shm) at deinit.
final class TempDir {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("storage-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func path(_ name: String = "test.db") -> String { url.appendingPathComponent(name).path }
    deinit { try? FileManager.default.removeItem(at: url) }
}

private struct Boom: Error, Equatable {}

/// Opens a database with a `items` table.
private func openItems(_ dir: TempDir, gate: WriteGate = WriteGate(), options: SQLiteOptions = .init()) throws -> SQLiteDatabase {
    let db = try SQLiteDatabase(path: dir.path(), gate: gate, options: options)
    try db.executeScript("""
        CREATE TABLE IF NOT EXISTS items (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            qty INTEGER NOT NULL DEFAULT 0,
            price REAL,
            note TEXT,
            data BLOB
        );
        """)
    return db
}

private func count(_ db: SQLiteDatabase, _ table: String = "items") throws -> Int64? {
    try db.scalar("SELECT COUNT(*) FROM \(raw: table)")
}

@Suite("SQLiteDatabase")
struct SQLiteDatabaseTests {
    // MARK: Basics

    @Test func insertReturningIdQueryAndExecute() throws {
        let dir = try TempDir()
        let db = try openItems(dir)
        #expect(db.dialect == "sqlite")
        let a = try db.insert("INSERT INTO items (name, qty) VALUES (\("螺丝"), \(10)) RETURNING id")
        let b = try db.insert("INSERT INTO items (name, qty) VALUES (\("螺母"), \(20)) RETURNING id")
        #expect(a == 1)
        #expect(b == 2)
        let rows = try db.query("SELECT id, name, qty FROM items WHERE qty >= \(10) ORDER BY id")
        #expect(rows.map { $0.string("name") } == ["螺丝", "螺母"])
        #expect(rows.map { $0.int("id") } == [a, b])
        #expect(try db.execute("UPDATE items SET qty = qty + \(1)") == 2)
        #expect(try db.execute("DELETE FROM items WHERE id = \(b)") == 1)
        #expect(try db.execute("DELETE FROM items WHERE id = \(999)") == 0)
        #expect(try db.first("SELECT qty FROM items WHERE id = \(a)")?.int("qty") == 11)
        #expect(try db.first("SELECT qty FROM items WHERE id = \(b)") == nil)
        #expect(try count(db) == 1)
    }

    /// `execute` returns `sqlite3_changes()`, which only INSERT/UPDATE/DELETE set: a statement that
    /// changes nothing (DDL, SELECT) reports the count left over from the previous DML statement.
    @Test func executeOfAStatementThatChangesNothingReportsZero() throws {
        let dir = try TempDir()
        let db = try openItems(dir)
        for n in ["a", "b", "c"] { try db.execute("INSERT INTO items (name) VALUES (\(n))") }
        #expect(try db.execute("UPDATE items SET qty = 1") == 3)
        let ddl = try db.execute("CREATE TABLE other (id INTEGER PRIMARY KEY)")
        let select = try db.execute("SELECT * FROM items")
        do {
            #expect(ddl == 0)
            #expect(select == 0)
        }
    }

    @Test func insertWithoutReturningThrows() throws {
        let dir = try TempDir()
        let db = try openItems(dir)
        let error = #expect(throws: StorageError.self) {
            try db.insert("INSERT INTO items (name) VALUES (\("x"))")
        }
        #expect(error?.kind == .other)
        #expect(try count(db) == 1, "the statement itself ran")
    }

    @Test func typedRowAccessorsRoundTripEveryStorageClass() throws {
        let dir = try TempDir()
        let db = try openItems(dir)
        let blob: [UInt8] = [0, 1, 2, 0xFF, 0]
        let none: String? = nil
        try db.execute("""
            INSERT INTO items (name, qty, price, note, data)
            VALUES (\("中文 'quote' \"dq\""), \(Int64.max), \(12.5), \(none), \(SQLValue.blob(blob)))
            """)
        let row = try #require(try db.first("SELECT id, name, qty, price, note, data, qty > 0 AS positive FROM items"))
        #expect(row.columns == ["id", "name", "qty", "price", "note", "data", "positive"])
        #expect(row["name"] == .text("中文 'quote' \"dq\""))
        #expect(row["qty"] == .integer(.max))
        #expect(row.int("qty") == .max)
        #expect(row["price"] == .real(12.5))
        #expect(row.int("price") == 12)
        #expect(row.string("price") == "12.5")
        #expect(row["note"] == .null)
        #expect(row.string("note") == nil)
        #expect(row["data"] == .blob(blob))
        #expect(row.bool("positive"))
        #expect(row["no_such_column"] == .null)
    }

    @Test func emptyBlobAndEmptyTextStayDistinctFromNull() throws {
        let dir = try TempDir()
        let db = try openItems(dir)
        try db.execute("INSERT INTO items (name, note, data) VALUES (\("e"), \(""), \(SQLValue.blob([])))")
        let row = try #require(try db.first("SELECT note, data FROM items"))
        #expect(row["note"] == .text(""))
        #expect(row["data"] == .blob([]))
        #expect(try db.first("SELECT typeof(data) AS t FROM items")?.string("t") == "blob")
    }

    /// `.text` is bound with `sqlite3_bind_text(stmt, idx, s, -1, …)`: length -1 makes SQLite stop at
    /// the first NUL, so "a\u{0}b" (e.g. a form value sent as `a%00b`, which URLEncoding accepts) is
    /// silently stored as "a". Binding with `Int32(s.utf8.count)` keeps the whole string.
    @Test func textWithEmbeddedNULIsStoredWhole() throws {
        let dir = try TempDir()
        let db = try openItems(dir)
        try db.execute("INSERT INTO items (name, note) VALUES (\("n"), \("a\u{0}b"))")
        let note = try db.first("SELECT note FROM items")?.string("note")
        do {
            #expect(note == "a\u{0}b")
        }
        #expect(note?.hasPrefix("a") == true)
    }

    @Test func boolAndOptionalBindings() throws {
        let dir = try TempDir()
        let db = try openItems(dir)
        let maybe: Int64? = nil
        try db.execute("INSERT INTO items (name, qty, price) VALUES (\("b"), \(true), \(maybe))")
        let row = try #require(try db.first("SELECT qty, price FROM items WHERE qty = \(true) AND price IS \(maybe)"))
        #expect(row.int("qty") == 1)
        #expect(row["price"] == .null)
    }

    @Test func listBindingInQuery() throws {
        let dir = try TempDir()
        let db = try openItems(dir)
        for n in ["a", "b", "c", "d"] { try db.execute("INSERT INTO items (name) VALUES (\(n))") }
        let picked = try db.query("SELECT name FROM items WHERE name IN (\(list: ["b", "d", "zz"])) ORDER BY name")
        #expect(picked.compactMap { $0.string("name") } == ["b", "d"])
        #expect(try db.query("SELECT name FROM items WHERE name IN (\(list: [String]()))").isEmpty)
    }

    @Test func cachedStatementRebindsFreshValuesEachRun() throws {
        let dir = try TempDir()
        let db = try openItems(dir)
        for i in 0..<50 {
            let id = try db.insert("INSERT INTO items (name, qty) VALUES (\("n\(i)"), \(i)) RETURNING id")
            #expect(try db.first("SELECT qty FROM items WHERE id = \(id)")?.int("qty") == Int64(i))
        }
        // A statement that failed must not leave stale state for its next run.
        #expect(throws: StorageError.self) { try db.execute("INSERT INTO items (name, qty) VALUES (\("n0"), \(0))") }
        #expect(try db.insert("INSERT INTO items (name, qty) VALUES (\("n50"), \(50)) RETURNING id") == 51)
    }

    @Test func wrongParameterCountThrows() throws {
        let dir = try TempDir()
        let db = try openItems(dir)
        let tooFew = #expect(throws: StorageError.self) {
            try db.query(SQL(unsafe: "SELECT * FROM items WHERE id = ? AND qty = ?", [.integer(1)]))
        }
        #expect(tooFew?.kind == .other)
        #expect(tooFew?.message.contains("expects 2 parameters, got 1") == true)
        let tooMany = #expect(throws: StorageError.self) {
            try db.execute(SQL(unsafe: "DELETE FROM items", [.integer(1)]))
        }
        #expect(tooMany?.kind == .other)
        // The same statement works with the right count afterwards.
        #expect(try db.query(SQL(unsafe: "SELECT * FROM items WHERE id = ? AND qty = ?", [.integer(1), .integer(0)])).isEmpty)
    }

    @Test func syntaxErrorThrowsWithTheStatementText() throws {
        let dir = try TempDir()
        let db = try openItems(dir)
        let error = #expect(throws: StorageError.self) { try db.query("SELEC nonsense") }
        #expect(error?.kind == .other)
        #expect(error?.message.contains("SELEC nonsense") == true)
        #expect(error?.description.hasPrefix("storage error (other):") == true)
        #expect(throws: StorageError.self) { try db.query("SELECT * FROM no_such_table") }
    }

    // MARK: Constraints and error kinds

    @Test func uniqueViolationIsConstraint() throws {
        let dir = try TempDir()
        let db = try openItems(dir)
        try db.execute("INSERT INTO items (name) VALUES (\("dup"))")
        let error = #expect(throws: StorageError.self) { try db.execute("INSERT INTO items (name) VALUES (\("dup"))") }
        #expect(error?.kind == .constraint)
        #expect(error?.message.contains("UNIQUE") == true)
        #expect(try count(db) == 1)
    }

    @Test func notNullViolationIsConstraint() throws {
        let dir = try TempDir()
        let db = try openItems(dir)
        let nothing: String? = nil
        let error = #expect(throws: StorageError.self) { try db.execute("INSERT INTO items (name) VALUES (\(nothing))") }
        #expect(error?.kind == .constraint)
    }

    @Test func foreignKeysAreEnforced() throws {
        let dir = try TempDir()
        let db = try openItems(dir)
        try db.executeScript("CREATE TABLE lines (id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL REFERENCES items(id));")
        let error = #expect(throws: StorageError.self) { try db.execute("INSERT INTO lines (item_id) VALUES (\(42))") }
        #expect(error?.kind == .constraint)
        #expect(try db.scalar("PRAGMA foreign_keys") == 1)
    }

    @Test func constraintViolationInsideTransactionRollsBackEarlierWrites() throws {
        let dir = try TempDir()
        let db = try openItems(dir)
        try db.execute("INSERT INTO items (name) VALUES (\("taken"))")
        let error = #expect(throws: StorageError.self) {
            try db.transaction {
                try db.execute("INSERT INTO items (name) VALUES (\("new"))")
                try db.execute("INSERT INTO items (name) VALUES (\("taken"))")
            }
        }
        #expect(error?.kind == .constraint)
        #expect(try db.query("SELECT name FROM items").compactMap { $0.string("name") } == ["taken"])
    }

    @Test func writeToReadOnlyConnectionIsReadOnly() throws {
        let dir = try TempDir()
        do { _ = try openItems(dir) }
        var options = SQLiteOptions()
        options.readOnly = true
        let ro = try SQLiteDatabase(path: dir.path(), gate: WriteGate(), options: options)
        #expect(try count(ro) == 0)
        let error = #expect(throws: StorageError.self) { try ro.execute("INSERT INTO items (name) VALUES (\("x"))") }
        #expect(error?.kind == .readOnly)
    }

    @Test func openingANonDatabaseFileIsCorrupt() throws {
        let dir = try TempDir()
        let path = dir.path("garbage.db")
        try Data(repeating: 0x42, count: 4096).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: StorageError.self) {
            let db = try SQLiteDatabase(path: path, gate: WriteGate())
            _ = try db.query("SELECT * FROM sqlite_master")
        }
        #expect(error?.kind == .corrupt)
    }

    @Test func openingInAMissingDirectoryFails() {
        let error = #expect(throws: StorageError.self) {
            try SQLiteDatabase(path: "/nonexistent-dir-\(UUID().uuidString)/x.db", gate: WriteGate())
        }
        #expect(error?.message.contains("cannot open") == true)
    }

    @Test func lockHeldByAnotherGateTimesOutAsBusy() throws {
        let dir = try TempDir()
        // Two gates = as if two processes: the in-process gate cannot serialize them.
        let holder = try openItems(dir, gate: WriteGate())
        var options = SQLiteOptions()
        options.busyTimeoutMilliseconds = 100
        let waiter = try SQLiteDatabase(path: dir.path(), gate: WriteGate(), options: options)
        let started = Date()
        try holder.transaction {
            try holder.execute("INSERT INTO items (name) VALUES (\("held"))")
            let error = #expect(throws: StorageError.self) { try waiter.execute("INSERT INTO items (name) VALUES (\("w"))") }
            #expect(error?.kind == .busy)
            // WAL: the reader is not blocked and does not see the uncommitted row.
            #expect(try count(waiter) == 0)
        }
        #expect(Date().timeIntervalSince(started) >= 0.09, "busy_timeout was honoured")
        #expect(try count(waiter) == 1)
    }

    @Test func errorKindMapsExtendedResultCodes() {
        #expect(SQLiteDatabase.kind(5) == .busy)           // SQLITE_BUSY
        #expect(SQLiteDatabase.kind(5 | (2 << 8)) == .busy) // SQLITE_BUSY_SNAPSHOT
        #expect(SQLiteDatabase.kind(6) == .busy)           // SQLITE_LOCKED
        #expect(SQLiteDatabase.kind(19 | (8 << 8)) == .constraint) // SQLITE_CONSTRAINT_UNIQUE (2067)
        #expect(SQLiteDatabase.kind(8) == .readOnly)
        #expect(SQLiteDatabase.kind(13) == .full)
        #expect(SQLiteDatabase.kind(11) == .corrupt)
        #expect(SQLiteDatabase.kind(26) == .corrupt)       // SQLITE_NOTADB
        #expect(SQLiteDatabase.kind(1) == .other)
    }

    // MARK: Transactions

    @Test func transactionCommitsAndReturnsTheBodysValue() throws {
        let dir = try TempDir()
        let db = try openItems(dir)
        let ids = try db.transaction {
            [try db.insert("INSERT INTO items (name) VALUES (\("a")) RETURNING id"),
             try db.insert("INSERT INTO items (name) VALUES (\("b")) RETURNING id")]
        }
        #expect(ids == [1, 2])
        // Visible from another connection: it was really committed.
        let other = try SQLiteDatabase(path: dir.path(), gate: WriteGate())
        #expect(try count(other) == 2)
    }

    @Test func transactionRollsBackOnThrowAndRethrowsTheSameError() throws {
        let dir = try TempDir()
        let db = try openItems(dir)
        #expect(throws: Boom()) {
            try db.transaction {
                try db.execute("INSERT INTO items (name) VALUES (\("a"))")
                try db.execute("UPDATE items SET qty = 5")
                throw Boom()
            }
        }
        #expect(try count(db) == 0)
        // The connection is usable again and not stuck inside a transaction.
        let changed = try db.transaction { try db.execute("INSERT INTO items (name) VALUES (\("b"))") }
        #expect(changed == 1)
        let other = try SQLiteDatabase(path: dir.path(), gate: WriteGate())
        #expect(try count(other) == 1)
    }

    @Test func nestedTransactionJoinsTheOuterOne() throws {
        let dir = try TempDir()
        let gate = WriteGate()
        let db = try openItems(dir, gate: gate)
        let observer = try SQLiteDatabase(path: dir.path(), gate: gate)
        try db.transaction {
            try db.execute("INSERT INTO items (name) VALUES (\("outer"))")
            let innerChanged = try db.transaction {
                try db.execute("INSERT INTO items (name) VALUES (\("inner"))")
            }
            #expect(innerChanged == 1)
            // The inner call did not commit: another connection still sees nothing.
            #expect(try count(observer) == 0)
            #expect(try count(db) == 2)
        }
        #expect(try count(observer) == 2)
    }

    @Test func errorInNestedTransactionRollsBackEverything() throws {
        let dir = try TempDir()
        let db = try openItems(dir)
        #expect(throws: Boom()) {
            try db.transaction {
                try db.execute("INSERT INTO items (name) VALUES (\("outer"))")
                try db.transaction {
                    try db.execute("INSERT INTO items (name) VALUES (\("inner"))")
                    throw Boom()
                }
            }
        }
        #expect(try count(db) == 0)
    }

    @Test func executeScriptRunsSeveralStatementsAndJoinsATransaction() throws {
        let dir = try TempDir()
        let db = try openItems(dir)
        try db.executeScript("INSERT INTO items (name) VALUES ('s1'); INSERT INTO items (name) VALUES ('s2');")
        #expect(try count(db) == 2)
        #expect(throws: Boom()) {
            try db.transaction {
                try db.executeScript("INSERT INTO items (name) VALUES ('s3');")
                throw Boom()
            }
        }
        #expect(try count(db) == 2)
        #expect(throws: StorageError.self) { try db.executeScript("INSERT INTO items (name) VALUES ('s1');") }
    }

    // MARK: Pragmas, integrity, backup

    @Test func walModeForeignKeysAndFullSynchronousAreOn() throws {
        let dir = try TempDir()
        let db = try openItems(dir)
        #expect(try db.first("PRAGMA journal_mode")?.string("journal_mode") == "wal")
        #expect(try db.scalar("PRAGMA foreign_keys") == 1)
        // FULL by group commit: SQLite appends without syncing, our flusher syncs before returning.
        #expect(try db.scalar("PRAGMA synchronous") == 1)
        #expect(db.groupCommitFlushes != nil)
        var options = SQLiteOptions()
        options.groupCommit = false
        let perCommit = try SQLiteDatabase(path: dir.path(), gate: WriteGate(), options: options)
        #expect(try perCommit.scalar("PRAGMA synchronous") == 2, "FULL without group commit: SQLite syncs each commit")
        #expect(perCommit.groupCommitFlushes == nil)
        options.synchronous = "NORMAL"
        options.groupCommit = true
        let normal = try SQLiteDatabase(path: dir.path(), gate: WriteGate(), options: options)
        #expect(try normal.scalar("PRAGMA synchronous") == 1)
        #expect(normal.groupCommitFlushes == nil, "NORMAL: no sync at all")
        options.synchronous = "OFF; DROP TABLE items"
        let sanitized = try SQLiteDatabase(path: dir.path(), gate: WriteGate(), options: options)
        #expect(sanitized.groupCommitFlushes != nil, "anything but NORMAL means FULL")
        #expect(try count(sanitized) == 0, "the table still exists")
    }

    /// Issue 20: concurrent commits share flushes, and each writer returns only after a flush
    /// that started after its commit (every row is there; far fewer flushes than commits).
    @Test func groupCommitSharesFlushesBetweenConcurrentWriters() throws {
        let dir = try TempDir()
        let gate = WriteGate()
        _ = try openItems(dir, gate: gate)
        let writers = 8, each = 40
        let failures = Mutex(0)
        let before = try SQLiteDatabase(path: dir.path(), gate: gate).groupCommitFlushes ?? 0
        let path = dir.path()
        let done = DispatchGroup()
        for w in 0..<writers {   // real threads (concurrentPerform would run only one per core)
            done.enter()
            Thread {
                defer { done.leave() }
                do {
                    let db = try SQLiteDatabase(path: path, gate: gate)
                    for i in 0..<each {
                        _ = try db.transaction { try db.execute("INSERT INTO items (name, qty) VALUES (\("w\(w)-\(i)"), \(i))") }
                    }
                } catch {
                    failures.withLock { $0 += 1 }
                }
            }.start()
        }
        done.wait()
        let db = try SQLiteDatabase(path: dir.path(), gate: gate)
        #expect(failures.withLock { $0 } == 0)
        #expect(try count(db) == Int64(writers * each))
        let flushes = (db.groupCommitFlushes ?? 0) - before
        #expect(flushes >= 1)
        // Each fdatasync takes a millisecond or more on a disk; 8 writers queue behind it.
        #expect(flushes < UInt64(writers * each), "\(flushes) flushes for \(writers * each) commits: none shared")
    }

    /// The write lock holds between two gates on the same lock file, as between two processes of
    /// the worker pool (an `flock` belongs to the open file description, not the process).
    @Test func writeGatesOnOneLockFileExcludeEachOther() throws {
        let dir = try TempDir()
        let a = WriteGate(lockFile: dir.path("db-lock")), b = WriteGate(lockFile: dir.path("db-lock"))
        let order = Mutex<[String]>([])
        let entered = DispatchSemaphore(value: 0)
        let t = Thread {
            a.withLock {
                order.withLock { $0.append("a in") }
                entered.signal()
                usleep(200_000)
                order.withLock { $0.append("a out") }
            }
        }
        t.start()
        entered.wait()
        b.withLock { order.withLock { $0.append("b in") } }
        #expect(order.withLock { $0 } == ["a in", "a out", "b in"])
    }

    @Test func integrityCheckIsOk() throws {
        let dir = try TempDir()
        let db = try openItems(dir)
        for i in 0..<20 { try db.execute("INSERT INTO items (name, qty) VALUES (\("i\(i)"), \(i))") }
        #expect(try db.integrityProblems() == [])
    }

    @Test func backupProducesADatabaseWithTheSameRows() throws {
        let dir = try TempDir()
        let db = try openItems(dir)
        try db.transaction {
            for i in 0..<300 {
                try db.execute("INSERT INTO items (name, qty, data) VALUES (\("item-\(i)"), \(i), \(SQLValue.blob([UInt8](repeating: UInt8(i % 256), count: 100))))")
            }
        }
        let target = dir.path("backup.db")
        try db.backup(to: target)
        let copy = try SQLiteDatabase(path: target, gate: WriteGate())
        #expect(try copy.integrityProblems() == [])
        #expect(try count(copy) == 300)
        #expect(try copy.scalar("SELECT SUM(qty) FROM items") == (0..<300).reduce(0, +))
        let original = try db.query("SELECT id, name, qty, data FROM items ORDER BY id").map(\.values)
        let copied = try copy.query("SELECT id, name, qty, data FROM items ORDER BY id").map(\.values)
        #expect(original == copied)
        // The copy is independent of the source.
        try db.execute("DELETE FROM items")
        #expect(try count(copy) == 300)
    }

    @Test func backupToAnUnwritablePathThrows() throws {
        let dir = try TempDir()
        let db = try openItems(dir)
        #expect(throws: StorageError.self) { try db.backup(to: "/nonexistent-dir-\(UUID().uuidString)/b.db") }
    }

    // MARK: Concurrency

    /// Collects errors from worker threads.
    final class ErrorLog: Sendable {
        private let errors = Mutex<[String]>([])
        func add(_ e: String) { errors.withLock { $0.append(e) } }
        var all: [String] { errors.withLock { $0 } }
    }

    @Test(.timeLimit(.minutes(2)))
    func fourThreadsSharingAWriteGateInsert800RowsWithoutErrors() throws {
        let dir = try TempDir()
        let path = dir.path()
        let gate = WriteGate()
        do {
            let setup = try SQLiteDatabase(path: path, gate: gate)
            try setup.executeScript("CREATE TABLE t (id INTEGER PRIMARY KEY, thread INTEGER NOT NULL, seq INTEGER NOT NULL, seen INTEGER NOT NULL);")
        }
        let log = ErrorLog()
        let group = DispatchGroup()
        for t in 0..<4 {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                do {
                    // Each thread opens its own connection, as worker threads do.
                    let db = try SQLiteDatabase(path: path, gate: gate)
                    for i in 0..<200 {
                        try db.transaction {
                            // Read-then-write inside the transaction: must see every earlier commit.
                            let seen = try db.scalar("SELECT COUNT(*) FROM t") ?? -1
                            _ = try db.insert("INSERT INTO t (thread, seq, seen) VALUES (\(t), \(i), \(seen)) RETURNING id")
                        }
                        if i % 50 == 0 { _ = try db.query("SELECT MAX(id) FROM t") } // unlocked reads in between
                    }
                } catch {
                    log.add("thread \(t): \(error)")
                }
            }
            thread.start()
        }
        group.wait()
        #expect(log.all.isEmpty, "\(log.all)")

        let db = try SQLiteDatabase(path: path, gate: gate)
        #expect(try count(db, "t") == 800)
        let perThread = try db.query("SELECT thread, COUNT(*) AS n, COUNT(DISTINCT seq) AS d FROM t GROUP BY thread ORDER BY thread")
        #expect(perThread.map { $0.int("thread") } == [0, 1, 2, 3])
        #expect(perThread.allSatisfy { $0.int("n") == 200 && $0.int("d") == 200 })
        // Serialized transactions: the counts seen are exactly 0…799, each once.
        let seen = try db.query("SELECT seen FROM t ORDER BY seen").compactMap { $0.int("seen") }
        #expect(seen == Array(0..<800))
        #expect(try db.integrityProblems() == [])
    }
}

/// `SQL.insert` / `SQL.update` built from a form run as they read against SQLite (issue #13 item 3).
@Suite("Form statements on SQLite")
struct FormStatementStorageTests {
    static let form = FormSchema([
        FormField("name", "名称", required: true),
        FormField("qty", "数量", .integer),
        FormField("note", "备注", .textarea),
    ])

    @Test func insertThenUpdateRoundTrip() throws {
        let dir = try TempDir()
        let db = try openItems(dir)
        let v = try #require(Self.form.bind(FormData([("name", "螺栓"), ("qty", "3")])).values)
        let id = try db.insert(try .insert(into: "items", Self.form, v, extra: ["price": 1.5]) + " RETURNING id")
        var row = try #require(try db.first("SELECT name, qty, price, note FROM items WHERE id = \(id)"))
        #expect(row.string("name") == "螺栓" && row.int("qty") == 3 && row.string("note") == "" && row["price"] == .real(1.5))
        let edit = try #require(Self.form.bind(FormData([("name", "螺母"), ("qty", "5"), ("note", "x'y")])).values)
        #expect(try db.execute(try .update("items", Self.form, edit, excluding: ["qty"], id: id)) == 1)
        row = try #require(try db.first("SELECT name, qty, note FROM items WHERE id = \(id)"))
        #expect(row.string("name") == "螺母" && row.int("qty") == 3 && row.string("note") == "x'y")
    }
}
