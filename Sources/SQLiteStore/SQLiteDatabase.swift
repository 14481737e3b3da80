import CSQLite
import Foundation
import SalesKit
import Synchronization

/// Serializes write transactions to one database file: between the threads of this process with
/// a mutex, and between processes (the worker pool, the admin CLI while the service runs) with an
/// `flock` on a lock file beside the database, taken while the mutex is held.
///
/// Measured faster and with a far lower p99 than relying on SQLite's `busy_timeout` alone, which
/// polls with sleeps; `flock` blocks in the kernel and wakes the next writer at once.
public final class WriteGate: Sendable {
    /// The lock file's descriptor, opened on first use (the data folder may not exist before the
    /// first connection creates it): -2 not yet opened, -1 none (process-local gate, or a lock
    /// file that cannot be opened, e.g. in a read-only folder, where no write can succeed anyway).
    private let lock: Mutex<Int32>
    private let lockFile: String?

    /// A process-local gate (tests, single-process tools).
    public init() {
        lock = Mutex(-1)
        lockFile = nil
    }

    /// A gate shared with every process that uses the same `lockFile` (`<database>-lock`).
    /// One per process: an `flock` belongs to the open file description, so two gates in one
    /// process would not exclude each other's threads.
    public init(lockFile: String) {
        lock = Mutex(-2)
        self.lockFile = lockFile
    }

    deinit { lock.withLock { fd in if fd >= 0 { close(fd) } } }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        try lock.withLock { fd in
            if fd == -2, let lockFile {
                fd = open(lockFile, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
                if fd < 0 { fd = open(lockFile, O_RDONLY | O_CLOEXEC) }
                if fd < 0 { fd = -2 }   // try again next time (the folder may appear)
            }
            guard fd >= 0 else { return try body() }
            while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
            defer { flock(fd, LOCK_UN) }
            return try body()
        }
    }
}

/// Group commit: makes the WAL durable for every commit of this process that finished before
/// the flush, with one `fdatasync` shared by all of them, outside the write lock.
///
/// A committing connection (SQLite `synchronous=NORMAL`: COMMIT appends its frames to the WAL
/// without syncing) takes a ticket while it still holds the write lock, releases the lock, then
/// waits until a flush that started after its ticket has finished. The first waiter becomes the
/// flusher; writers that commit while it flushes are covered by the next flush, which one of
/// them leads. So the lock is never held across a disk flush, concurrent submits share flushes,
/// and a call returns (the 303 is sent) only once its frames are on disk: for what was
/// acknowledged this is `synchronous=FULL`. Another connection may read a committed row in the
/// short window before its flush; a power loss in that window loses the row and the writer was
/// never answered. Another process's commits are flushed by that process (an `fdatasync` of the
/// shared WAL file covers everyone's frames; each process only counts its own).
final class WALFlusher: @unchecked Sendable {
    private let condition = NSCondition()
    private let walPath: String
    // Guarded by `condition`.
    private var committed: UInt64 = 0
    private var synced: UInt64 = 0
    private var flushing = false
    private var fd: Int32 = -1
    private var inode: ino_t = 0
    private var flushes: UInt64 = 0

    private init(walPath: String) { self.walPath = walPath }

    private static let all = Mutex<[String: WALFlusher]>([:])

    /// The one flusher of this process for the database at `path`.
    static func forDatabase(_ path: String) -> WALFlusher {
        all.withLock { map in
            if let f = map[path] { return f }
            let f = WALFlusher(walPath: path + "-wal")
            map[path] = f
            return f
        }
    }

    /// Call after COMMIT, still holding the write lock: every flush that starts later covers it.
    func ticket() -> UInt64 {
        condition.lock()
        defer { condition.unlock() }
        committed += 1
        return committed
    }

    /// Flushes made so far (tests: fewer than commits under concurrency).
    var flushCount: UInt64 {
        condition.lock()
        defer { condition.unlock() }
        return flushes
    }

    /// Returns when the WAL holds `ticket`'s frames on disk; throws if the flush failed (the commit
    /// happened but is not known to be durable: the writer must not be told it succeeded).
    func waitDurable(_ ticket: UInt64) throws {
        condition.lock()
        defer { condition.unlock() }
        while synced < ticket {
            if flushing {
                condition.wait()
                continue
            }
            flushing = true
            let target = committed
            condition.unlock()
            let error = syncWAL()
            condition.lock()
            flushing = false
            if error == 0 {
                synced = max(synced, target)
                flushes += 1
            }
            condition.broadcast()
            if error != 0 {
                throw StorageError(error == ENOSPC ? .full : .other, "cannot flush \(walPath): \(String(cString: strerror(error)))")
            }
        }
    }

    /// `fdatasync` of the WAL file (reopened when SQLite has replaced it). Only the flusher runs
    /// this, so `fd`/`inode` are touched by one thread at a time (the flag is set under the lock).
    private func syncWAL() -> Int32 {
        var st = stat()
        guard stat(walPath, &st) == 0 else {
            // No WAL file (a database that could not switch to WAL): sync the database file.
            guard errno == ENOENT else { return errno }
            let db = open(String(walPath.dropLast("-wal".count)), O_RDONLY | O_CLOEXEC)
            guard db >= 0 else { return errno }
            defer { close(db) }
            while fdatasync(db) != 0 { if errno != EINTR { return errno } }
            return 0
        }
        if fd < 0 || st.st_ino != inode {
            if fd >= 0 { close(fd) }
            fd = open(walPath, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return errno }
            inode = st.st_ino
        }
        while fdatasync(fd) != 0 {
            if errno != EINTR { return errno }
        }
        return 0
    }
}

/// Options for opening a SQLite database.
public struct SQLiteOptions: Sendable {
    /// `FULL`: a committed transaction survives a power loss. `NORMAL`: it survives a process
    /// crash, but the last commits may be lost on power loss. Default FULL (see README).
    public var synchronous: String = "FULL"
    /// With `FULL`: make commits durable by group commit (`WALFlusher`: one shared `fdatasync`
    /// outside the write lock) instead of SQLite's own sync inside it. Same guarantee for every
    /// acknowledged write; off only to measure the difference.
    public var groupCommit: Bool = true
    public var busyTimeoutMilliseconds: Int32 = 5000
    public var readOnly: Bool = false
    /// Test-only: append the text of every distinct statement run under the write lock to this
    /// file (one per line), so a test can check each one's query plan (no scans on the write path).
    public var writeTraceFile: String?
    public init() {}
}

/// One SQLite connection (`SQLITE_OPEN_NOMUTEX`): owned by one thread, with a cache of prepared
/// statements. Implements SalesKit's backend-neutral `Database`.
public final class SQLiteDatabase: Database {
    private var handle: OpaquePointer?
    private var cache: [String: SQLiteStatement] = [:]
    private var transactionDepth = 0
    private let gate: WriteGate
    /// Set when commits are made durable by group commit (FULL + `groupCommit`).
    private let flusher: WALFlusher?
    public let path: String
    public let dialect = "sqlite"

    public init(path: String, gate: WriteGate, options: SQLiteOptions = .init()) throws {
        self.path = path
        self.gate = gate
        let group = !options.readOnly && options.synchronous != "NORMAL" && options.groupCommit
        if let file = options.writeTraceFile, !file.isEmpty {
            let fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            if fd >= 0 { writeTrace = (fd, []) }
        }
        flusher = group ? WALFlusher.forDatabase(path) : nil
        let flags = (options.readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) | SQLITE_OPEN_NOMUTEX
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        handle = db
        guard rc == SQLITE_OK, db != nil else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(db)
            handle = nil
            throw StorageError(Self.kind(rc), "cannot open \(path): \(message)")
        }
        sqlite3_busy_timeout(db, options.busyTimeoutMilliseconds)
        sqlite3_extended_result_codes(db, 1)
        if !options.readOnly {
            // Group commit: SQLite appends to the WAL without syncing; `WALFlusher` syncs.
            let sync = options.synchronous == "NORMAL" || flusher != nil ? "NORMAL" : "FULL"
            try gate.withLock { try exec("PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=\(sync);") }
        }
    }

    deinit {
        if let t = writeTrace { close(t.fd) }
        cache.removeAll()
        sqlite3_close_v2(handle)
    }

    // MARK: Database

    @discardableResult
    public func query(_ sql: SQL) throws -> [Row] {
        let stmt = try prepare(sql.text)
        if transactionDepth == 0 && !stmt.isReadOnly {
            if writeTrace != nil { trace(sql.text) }
            return try durably { try stmt.run(sql.bindings) }
        }
        if transactionDepth > 0 && writeTrace != nil { tracePending.append(sql.text) }
        return try stmt.run(sql.bindings)
    }

    public func forEachRow(_ sql: SQL, _ body: (any RowCursor) throws -> Void) throws {
        var stmt = try prepare(sql.text)
        guard stmt.isReadOnly else {
            for r in try query(sql) { try body(r) }
            return
        }
        // The cached statement is busy (a query over the same text, run from an outer body):
        // this iteration gets its own.
        if stmt.stepping { stmt = try prepare(sql.text, cached: false) }
        try stmt.forEach(sql.bindings, body)
    }

    /// `SQLiteOptions.writeTraceFile`: the file and the statements already written to it.
    private var writeTrace: (fd: Int32, seen: Set<String>)?
    /// Statements of the open transaction: recorded only if it commits having changed something
    /// (a submit refused with 422 writes nothing; its re-render is not on the write path).
    private var tracePending: [String] = []

    private func trace(_ text: String) {
        guard var t = writeTrace, !t.seen.contains(text) else { return }
        t.seen.insert(text)
        writeTrace = t
        let line = text.replacingOccurrences(of: "\n", with: " ") + "\n"
        _ = line.utf8CString.withUnsafeBufferPointer { write(t.fd, $0.baseAddress, $0.count - 1) }
    }

    @discardableResult
    public func execute(_ sql: SQL) throws -> Int {
        // total_changes only moves for INSERT/UPDATE/DELETE, so other statements report 0.
        let before = sqlite3_total_changes64(handle)
        _ = try query(sql)
        return Int(sqlite3_total_changes64(handle) - before)
    }

    public func transaction<T>(_ body: () throws -> T) throws -> T {
        if transactionDepth > 0 {
            let name = "sp\(transactionDepth)"
            try exec("SAVEPOINT \(name)")
            transactionDepth += 1
            defer { transactionDepth -= 1 }
            do {
                let result = try body()
                try exec("RELEASE \(name)")
                return result
            } catch {
                try? exec("ROLLBACK TO \(name)")
                try? exec("RELEASE \(name)")
                throw error
            }
        }
        return try durably {
            try exec("BEGIN IMMEDIATE")
            transactionDepth = 1
            let changesBefore = sqlite3_total_changes64(handle)
            defer {
                transactionDepth = 0
                tracePending.removeAll()
            }
            do {
                let result = try body()
                try exec("COMMIT")
                if writeTrace != nil, sqlite3_total_changes64(handle) != changesBefore {
                    for text in tracePending { trace(text) }
                }
                return result
            } catch {
                try? exec("ROLLBACK")
                throw error
            }
        }
    }

    public func setQueryOnly(_ on: Bool) throws {
        try exec(on ? "PRAGMA query_only = ON" : "PRAGMA query_only = OFF")
    }

    public func executeScript(_ script: String) throws {
        if transactionDepth > 0 {
            try exec(script)
        } else {
            try durably { try exec(script) }
        }
    }

    /// Runs `body` under the write lock; with group commit, returns only once what it committed
    /// is on disk (the flush happens after the lock is released, shared with other writers).
    private func durably<T>(_ body: () throws -> T) throws -> T {
        guard let flusher else { return try gate.withLock(body) }
        let (result, ticket) = try gate.withLock { (try body(), flusher.ticket()) }
        try flusher.waitDurable(ticket)
        return result
    }

    /// Group-commit flushes made by this process for this database (nil without group commit).
    public var groupCommitFlushes: UInt64? { flusher?.flushCount }

    /// Online backup of the whole database into `destination` (sqlite3 backup API).
    public func backup(to destination: String) throws {
        var dest: OpaquePointer?
        guard sqlite3_open(destination, &dest) == SQLITE_OK else {
            defer { sqlite3_close(dest) }
            throw StorageError(.other, "cannot open \(destination)")
        }
        defer { sqlite3_close(dest) }
        try copy(into: dest)
        // A backup is one self-contained file (no -wal/-shm beside it).
        sqlite3_exec(dest, "PRAGMA journal_mode=DELETE", nil, nil, nil)
    }

    /// Replaces the content of `destination` with this database (SQLite's backup API), holding
    /// the destination's write gate: other connections to it — a running service — see the
    /// old content or the new, never a mixture. Used by `salesd restore`.
    public func backup(into destination: SQLiteDatabase) throws {
        try destination.gate.withLock { try copy(into: destination.handle) }
    }

    private func copy(into dest: OpaquePointer?) throws {
        guard let b = sqlite3_backup_init(dest, "main", handle, "main") else {
            throw StorageError(.other, String(cString: sqlite3_errmsg(dest)))
        }
        var rc: Int32
        repeat {
            rc = sqlite3_backup_step(b, 256)
            if rc == SQLITE_BUSY || rc == SQLITE_LOCKED { sqlite3_sleep(20) }
        } while rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED
        sqlite3_backup_finish(b)
        guard rc == SQLITE_DONE else { throw StorageError(Self.kind(rc), String(cString: sqlite3_errstr(rc))) }
    }

    // MARK: Internals

    private func exec(_ sql: String) throws {
        var err: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &err)
        if rc != SQLITE_OK {
            let message = err.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_free(err)
            throw StorageError(Self.kind(rc), message)
        }
    }

    /// `cached: false`: a statement of its own, not shared with other calls (see `forEachRow`).
    private func prepare(_ text: String, cached: Bool = true) throws -> SQLiteStatement {
        if cached, let s = cache[text], !s.stepping { return s }
        var stmt: OpaquePointer?
        var rest = ""
        let rc = text.withCString { start -> Int32 in
            var tail: UnsafePointer<CChar>?
            let rc = sqlite3_prepare_v3(handle, start, -1, UInt32(truncatingIfNeeded: SQLITE_PREPARE_PERSISTENT), &stmt, &tail)
            if let tail { rest = String(cString: tail) }
            return rc
        }
        guard rc == SQLITE_OK, let stmt else {
            throw StorageError(Self.kind(rc), "\(String(cString: sqlite3_errmsg(handle))) in: \(text)")
        }
        // One statement per call: a second one would silently not run.
        if rest.contains(where: { !$0.isWhitespace && $0 != ";" }) {
            sqlite3_finalize(stmt)
            throw StorageError(.other, "only one statement per query/execute (use executeScript for migrations): \(text)")
        }
        guard let handle else {
            sqlite3_finalize(stmt)
            throw StorageError(.other, "connection closed")
        }
        let s = SQLiteStatement(stmt, db: handle)
        // A statement that is stepping through its rows (`forEachRow`) stays out of others' way:
        // a call with the same text while it runs gets a statement of its own, uncached.
        guard cached, cache[text] == nil else { return s }
        if cache.count > 500 { cache.removeAll() }
        cache[text] = s
        return s
    }

    static func kind(_ rc: Int32) -> StorageError.Kind {
        switch rc & 0xFF {
        case SQLITE_BUSY, SQLITE_LOCKED: .busy
        case SQLITE_CONSTRAINT: .constraint
        case SQLITE_READONLY: .readOnly
        case SQLITE_FULL: .full
        // The file system refused to store a page (EFBIG, EDQUOT, EROFS surface as the extended
        // codes SQLITE_IOERR_WRITE 3, _FSYNC 4, _DIR_FSYNC 5, _TRUNCATE 6, _SHMSIZE 19; those
        // macros are not imported): the same "cannot save now" as a full disk.
        case SQLITE_IOERR where [3, 4, 5, 6, 19].contains(rc >> 8): .full
        case SQLITE_CORRUPT, SQLITE_NOTADB: .corrupt
        default: .other
        }
    }
}

/// The only holder of a `sqlite3_stmt` pointer. Turns bindings and rows into Swift values.
final class SQLiteStatement {
    private let stmt: OpaquePointer
    private let db: OpaquePointer
    let isReadOnly: Bool
    private let columnNames: [String]

    init(_ stmt: OpaquePointer, db: OpaquePointer) {
        self.stmt = stmt
        self.db = db
        isReadOnly = sqlite3_stmt_readonly(stmt) != 0
        columnNames = (0..<sqlite3_column_count(stmt)).map { String(cString: sqlite3_column_name(stmt, $0)) }
    }

    deinit { sqlite3_finalize(stmt) }

    /// Set while `forEach` steps through the rows (its body may run other statements).
    private(set) var stepping = false

    /// Calls `body` with each row in place (`SQLiteRowCursor`: columns read from the statement,
    /// no values made).
    func forEach(_ bindings: [SQLValue], _ body: (any RowCursor) throws -> Void) throws {
        stepping = true
        defer {
            stepping = false
            sqlite3_reset(stmt)
            sqlite3_clear_bindings(stmt)
        }
        try bind(bindings)
        let cursor = SQLiteRowCursor(stmt: stmt, columnNames: columnNames)
        while true {
            let rc = sqlite3_step(stmt)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else {
                throw StorageError(SQLiteDatabase.kind(rc), String(cString: sqlite3_errmsg(db)))
            }
            try body(cursor)
        }
    }

    func run(_ bindings: [SQLValue]) throws -> [Row] {
        defer {
            sqlite3_reset(stmt)
            sqlite3_clear_bindings(stmt)
        }
        try bind(bindings)
        var rows: [Row] = []
        while true {
            let rc = sqlite3_step(stmt)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else {
                throw StorageError(SQLiteDatabase.kind(rc), String(cString: sqlite3_errmsg(db)))
            }
            rows.append(SQLiteRowCursor(stmt: stmt, columnNames: columnNames).row())
        }
        return rows
    }

    private func bind(_ bindings: [SQLValue]) throws {
        let expected = Int(sqlite3_bind_parameter_count(stmt))
        guard expected == bindings.count else {
            throw StorageError(.other, "statement expects \(expected) parameters, got \(bindings.count)")
        }
        for (i, v) in bindings.enumerated() {
            let idx = Int32(truncatingIfNeeded: i + 1)   // ≤ SQLITE_MAX_VARIABLE_NUMBER (checked above)
            let rc: Int32
            switch v {
            case .null: rc = sqlite3_bind_null(stmt, idx)
            case .integer(let n): rc = sqlite3_bind_int64(stmt, idx, n)
            case .real(let d): rc = sqlite3_bind_double(stmt, idx, d)
            case .text(let s):
                // Explicit byte length: text with an embedded NUL is stored whole.
                // 64-bit lengths: a value over 2 GiB is refused by SQLite (SQLITE_TOOBIG), not a trap.
                let bytes = Array(s.utf8)
                rc = bytes.withUnsafeBytes { buf in
                    guard let base = buf.baseAddress else { return sqlite3_bind_text(stmt, idx, "", 0, csqlite_transient()) }
                    return sqlite3_bind_text64(stmt, idx, base.assumingMemoryBound(to: CChar.self), UInt64(buf.count),
                                               csqlite_transient(), UInt8(SQLITE_UTF8))
                }
            case .blob(let b):
                rc = b.withUnsafeBytes { sqlite3_bind_blob64(stmt, idx, $0.baseAddress, UInt64($0.count), csqlite_transient()) }
            }
            guard rc == SQLITE_OK else { throw StorageError(SQLiteDatabase.kind(rc), String(cString: sqlite3_errmsg(db))) }
        }
    }
}

/// The current row of a stepping statement (`SQLiteStatement.forEach`): each column read from
/// SQLite where it lies. Only valid until the next step.
struct SQLiteRowCursor: RowCursor {
    let stmt: OpaquePointer
    let columnNames: [String]

    private func inRange(_ column: Int) -> Int32? {
        column >= 0 && column < columnNames.count ? Int32(truncatingIfNeeded: column) : nil
    }

    func isNull(_ column: Int) -> Bool {
        guard let c = inRange(column) else { return true }
        return sqlite3_column_type(stmt, c) == SQLITE_NULL
    }

    func int(_ column: Int) -> Int64? {
        guard let c = inRange(column) else { return nil }
        switch sqlite3_column_type(stmt, c) {
        case SQLITE_INTEGER: return sqlite3_column_int64(stmt, c)
        case SQLITE_NULL: return nil
        default: return value(column).int
        }
    }

    func appendText(_ column: Int, to out: inout [UInt8]) {
        guard let c = inRange(column) else { return }
        switch sqlite3_column_type(stmt, c) {
        case SQLITE_NULL: return
        case SQLITE_INTEGER:
            // Its decimal digits, as `String(Int64)` and SQLite's text of it — written here: asking
            // SQLite for the text converts the column in place (an allocation per value).
            let v = sqlite3_column_int64(stmt, c)
            var magnitude = v.magnitude
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
                var at = 20
                repeat {
                    at -= 1
                    digits[at] = UInt8(truncatingIfNeeded: magnitude % 10) &+ 0x30
                    magnitude /= 10
                } while magnitude > 0 && at > 0
                if v < 0 { out.append(UInt8(ascii: "-")) }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[at..<20]))
            }
        case SQLITE_TEXT:
            let p = sqlite3_column_text(stmt, c)
            let n = Int(sqlite3_column_bytes(stmt, c))
            if let p { out.append(contentsOf: UnsafeBufferPointer(start: p, count: n)) }
        default:
            value(column).appendText(to: &out)
        }
    }

    func value(_ column: Int) -> SQLValue {
        guard let c = inRange(column) else { return .null }
        return columnValue(c) ?? .null
    }

    private func columnValue(_ c: Int32) -> SQLValue? {
        switch sqlite3_column_type(stmt, c) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(stmt, c))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(stmt, c))
        case SQLITE_TEXT:
            // Text first, then its length (SQLite's documented order); NULL only when out of memory.
            let p = sqlite3_column_text(stmt, c)
            let n = Int(sqlite3_column_bytes(stmt, c))
            return .text(p.map { String(decoding: UnsafeBufferPointer(start: $0, count: n), as: UTF8.self) } ?? "")
        case SQLITE_BLOB:
            let n = Int(sqlite3_column_bytes(stmt, c))
            if let p = sqlite3_column_blob(stmt, c) { return .blob(Array(UnsafeRawBufferPointer(start: p, count: n))) }
            return .blob([])
        default: return nil
        }
    }

    func row() -> Row {
        var values: [SQLValue] = []
        values.reserveCapacity(columnNames.count)
        for c in 0..<Int32(truncatingIfNeeded: columnNames.count) { values.append(columnValue(c) ?? .null) }
        return Row(columns: columnNames, values: values)
    }
}
