import CPostgres
import Foundation
import SalesKit

/// One PostgreSQL connection (libpq), owned by one thread, with a cache of prepared statements.
/// Implements SalesKit's backend-neutral `Database` with the same semantics as the SQLite one:
///
/// - `?` placeholders become `$1…$n` (outside quoted text); values are sent as text, blobs as
///   binary; results come back as text and are typed by the column's type (int2/4/8 and bool →
///   integer, float/numeric → real (an integral numeric → integer), bytea → blob, else text).
/// - `transaction` is one write transaction serialized with every other writer: the first
///   statement takes a transaction-scoped advisory lock (`pg_advisory_xact_lock`) that every
///   salesd node asks for, so a check-then-insert (the warning line, a code counter) holds across
///   machines exactly as SQLite's single writer holds on one. Nested calls are savepoints.
/// - Group commit (`groupCommit`, the default; a server whose `synchronous_commit` is `off` has
///   chosen not to wait for the disk and gets no flush), as SQLite's: the write transaction commits with
///   `synchronous_commit = off`, so COMMIT (which releases the write lock) does not wait for the
///   disk; then, outside the lock, a one-record transaction with `synchronous_commit = on`
///   (`pg_logical_emit_message(true, …)`: a WAL record and an xid, so its commit must flush)
///   makes the WAL durable up to past our commit record. `transaction` returns only then, so a
///   caller that answers after it answers only for what is on disk; concurrent writers' flushes
///   are shared by PostgreSQL's WAL writer (one `fdatasync` covers every record before it). A
///   crash before the flush loses only transactions nobody was told about. Other sessions may
///   see the committed rows during that flush (well under a disk flush), as with SQLite's.
/// - SQLSTATE classes map onto `StorageError.Kind`: serialization failure / deadlock / lock
///   timeout → busy, integrity violations → constraint, disk full → full, read-only → readOnly.
///
/// The pointers live only in this file (the one layer that wraps libpq).
public final class PostgresDatabase: Database {
    /// The advisory lock key every salesd write transaction takes ("SALESWRT").
    public static let writeLockKey: Int64 = 0x5341_4c45_5357_5254
    public let dialect = "postgresql"
    private var conn: OpaquePointer?
    private var prepared: [String: String] = [:]     // rewritten text → statement name
    private var transactionDepth = 0
    /// Commits share WAL flushes made after the write lock is released (see the type's notes);
    /// `false`: every commit flushes inside the lock (`synchronous_commit = on`, for `make bench`).
    public let groupCommit: Bool
    /// Flushes this connection asked for after a commit (tests, the status page).
    public private(set) var groupCommitFlushes: UInt64 = 0
    private var flushesAfterCommit = false

    /// `url`: a `postgresql://user@host:port/db?…` URL or a libpq keyword string.
    /// `lockTimeoutMilliseconds`: how long a statement waits for a lock (the write lock held by
    /// another node included) before it fails as busy — the user then gets the kept form.
    public init(url: String, lockTimeoutMilliseconds: Int = 5000, groupCommit: Bool = true) throws {
        self.groupCommit = groupCommit
        conn = PQconnectdb(url)
        guard let conn, PQstatus(conn) == CONNECTION_OK else {
            let message = conn.map { String(cString: PQerrorMessage($0)) } ?? "out of memory"
            PQfinish(conn)
            self.conn = nil
            throw StorageError(.other, "cannot connect to PostgreSQL: \(message.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        // UTC timestamps; no notices on the log; statements never wait forever on a lock.
        let timeout = max(1, min(lockTimeoutMilliseconds, 600_000))
        try run("SET TIME ZONE 'UTC'; SET client_min_messages = warning; SET lock_timeout = \(timeout)")
        // A server (or role) set to `synchronous_commit = off` has chosen not to wait for the disk
        // on commit: group commit then has no flush to wait for either.
        let sync = try query("SHOW synchronous_commit").first?.string("synchronous_commit") ?? "on"
        flushesAfterCommit = groupCommit && sync != "off"
    }

    deinit { PQfinish(conn) }

    // MARK: Database

    @discardableResult
    public func query(_ sql: SQL) throws -> [Row] {
        let result = try run(sql)
        defer { PQclear(result) }
        return rows(result)
    }

    @discardableResult
    public func execute(_ sql: SQL) throws -> Int {
        let result = try run(sql)
        defer { PQclear(result) }
        return Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    /// Prepares (once) and runs a statement with its values; the caller clears the result.
    private func run(_ sql: SQL) throws -> OpaquePointer? {
        let (text, count) = Self.numbered(sql.text)
        guard count == sql.bindings.count else {
            throw StorageError(.other, "statement has \(count) placeholders but \(sql.bindings.count) values: \(sql.text)")
        }
        let name = try statement(text, count: count)
        let result = try withParameters(sql.bindings) { values, lengths, formats in
            PQexecPrepared(conn, name, Int32(count), values, lengths, formats, 0)
        }
        do {
            try check(result, sql.text)
        } catch {
            PQclear(result)
            throw error
        }
        return result
    }

    public func transaction<T>(_ body: () throws -> T) throws -> T {
        if transactionDepth > 0 {
            let name = "sp\(transactionDepth)"
            try run("SAVEPOINT \(name)")
            transactionDepth += 1
            defer { transactionDepth -= 1 }
            do {
                let result = try body()
                try run("RELEASE SAVEPOINT \(name)")
                return result
            } catch {
                try? run("ROLLBACK TO SAVEPOINT \(name)")
                try? run("RELEASE SAVEPOINT \(name)")
                throw error
            }
        }
        do {
            try run(groupCommit ? "BEGIN; SET LOCAL synchronous_commit = off; SELECT pg_advisory_xact_lock(\(Self.writeLockKey))"
                                : "BEGIN; SELECT pg_advisory_xact_lock(\(Self.writeLockKey))")
        } catch {
            try? run("ROLLBACK")    // the lock timed out: leave no aborted transaction behind
            throw error
        }
        transactionDepth = 1
        let result: T
        do {
            defer { transactionDepth = 0 }
            result = try body()
            try run("COMMIT")
        } catch {
            try? run("ROLLBACK")
            throw error
        }
        if flushesAfterCommit {
            // Outside the lock: wait until the WAL is on disk past our commit record.
            try run("SELECT pg_logical_emit_message(true, 'salesd', '')")
            groupCommitFlushes &+= 1
        }
        return result
    }

    public func executeScript(_ script: String) throws {
        try run(script)
    }

    public func setQueryOnly(_ on: Bool) throws {
        try run(on ? "SET default_transaction_read_only = on" : "SET default_transaction_read_only = off")
    }

    // MARK: Statements

    /// `?` → `$n` outside string literals, quoted identifiers and comments; returns the count.
    static func numbered(_ text: String) -> (String, Int) {
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        var n = 0
        var quote: Character?
        var lineComment = false
        var previous: Character = " "
        for c in text {
            if lineComment {
                out.append(c)
                if c == "\n" { lineComment = false }
            } else if let q = quote {
                out.append(c)
                if c == q { quote = nil }
            } else if c == "'" || c == "\"" {
                quote = c
                out.append(c)
            } else if c == "-" && previous == "-" {
                lineComment = true
                out.append(c)
            } else if c == "?" {
                n += 1
                out += "$\(n)"
            } else {
                out.append(c)
            }
            previous = c
        }
        return (out, n)
    }

    private func statement(_ text: String, count: Int) throws -> String {
        if let name = prepared[text] { return name }
        let name = "s\(prepared.count + 1)"
        let result = PQprepare(conn, name, text, Int32(count), nil)
        defer { PQclear(result) }
        try check(result, text)
        prepared[text] = name
        return name
    }

    /// Text parameters (NUL-terminated C strings), blobs in binary format.
    private func withParameters(_ values: [SQLValue],
                                _ body: (UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?) -> OpaquePointer?) throws -> OpaquePointer? {
        var buffers: [UnsafeMutablePointer<CChar>?] = []
        var lengths: [Int32] = []
        var formats: [Int32] = []
        defer { for b in buffers { free(b) } }
        for v in values {
            switch v {
            case .null:
                buffers.append(nil); lengths.append(0); formats.append(0)
            case .integer(let i):
                buffers.append(strdup(String(i))); lengths.append(0); formats.append(0)
            case .real(let d):
                buffers.append(strdup(String(d))); lengths.append(0); formats.append(0)
            case .text(let s):
                // A NUL inside text cannot travel as a C string: PostgreSQL refuses NUL in text anyway.
                guard !s.utf8.contains(0) else { throw StorageError(.constraint, "text value contains a NUL character") }
                buffers.append(strdup(s)); lengths.append(0); formats.append(0)
            case .blob(let bytes):
                guard let p = malloc(max(1, bytes.count))?.assumingMemoryBound(to: CChar.self) else {
                    throw StorageError(.full, "out of memory")
                }
                bytes.withUnsafeBufferPointer { src in
                    if let base = src.baseAddress { memcpy(p, base, bytes.count) }
                }
                buffers.append(p)
                lengths.append(Int32(clamping: bytes.count))
                formats.append(1)
            }
        }
        let constBuffers = buffers.map { UnsafePointer($0) }
        return constBuffers.withUnsafeBufferPointer { b in
            lengths.withUnsafeBufferPointer { l in
                formats.withUnsafeBufferPointer { f in body(b.baseAddress, l.baseAddress, f.baseAddress) }
            }
        }
    }

    private func run(_ text: String) throws {
        let result = PQexec(conn, text)
        defer { PQclear(result) }
        try check(result, text)
    }

    private func check(_ result: OpaquePointer?, _ text: String) throws {
        let status = PQresultStatus(result)
        guard status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY else { return }
        let message = String(cString: PQresultErrorMessage(result)).trimmingCharacters(in: .whitespacesAndNewlines)
        let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? ""
        if PQstatus(conn) != CONNECTION_OK {
            PQreset(conn)              // the next statement gets a fresh connection
            prepared.removeAll()
            throw StorageError(.busy, "PostgreSQL connection lost: \(message)")
        }
        throw StorageError(Self.kind(state), "\(message) [\(state)]")
    }

    static func kind(_ state: String) -> StorageError.Kind {
        switch state {
        case "40001", "40P01", "55P03", "57014": .busy                 // serialization, deadlock, lock timeout, cancel
        case let s where s.hasPrefix("23"): .constraint
        case "53100": .full
        case "25006": .readOnly
        case "XX001", "XX002": .corrupt
        default: .other
        }
    }

    // MARK: Results

    private static let integerTypes: Set<UInt32> = [20, 21, 23, 26]     // int8, int2, int4, oid
    private static let boolType: UInt32 = 16
    private static let realTypes: Set<UInt32> = [700, 701]              // float4, float8
    private static let numericType: UInt32 = 1700
    private static let byteaType: UInt32 = 17

    private func rows(_ result: OpaquePointer?) -> [Row] {
        let n = PQntuples(result), m = PQnfields(result)
        guard n > 0 else { return [] }
        let columns = (0..<m).map { String(cString: PQfname(result, $0)) }
        let types = (0..<m).map { PQftype(result, $0) }
        var rows: [Row] = []
        rows.reserveCapacity(Int(n))
        for r in 0..<n {
            var values: [SQLValue] = []
            values.reserveCapacity(Int(m))
            for c in 0..<m {
                if PQgetisnull(result, r, c) == 1 {
                    values.append(.null)
                    continue
                }
                let text = String(cString: PQgetvalue(result, r, c))
                let type = types[Int(c)]
                if Self.integerTypes.contains(type) {
                    values.append(Int64(text).map(SQLValue.integer) ?? .text(text))
                } else if type == Self.boolType {
                    values.append(.integer(text == "t" ? 1 : 0))
                } else if type == Self.numericType {
                    values.append(Int64(text).map(SQLValue.integer) ?? Double(text).map(SQLValue.real) ?? .text(text))
                } else if Self.realTypes.contains(type) {
                    values.append(Double(text).map(SQLValue.real) ?? .text(text))
                } else if type == Self.byteaType {
                    values.append(.blob(Self.unhex(text)))
                } else {
                    values.append(.text(text))
                }
            }
            rows.append(Row(columns: columns, values: values))
        }
        return rows
    }

    /// bytea's text output (`\x` + hex).
    static func unhex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        let digits = Array(text.utf8.dropFirst(2))
        bytes.reserveCapacity(digits.count / 2)
        var i = 0
        func value(_ d: UInt8) -> UInt8 {
            switch d {
            case 48...57: d - 48
            case 97...102: d - 87
            case 65...70: d - 55
            default: 0
            }
        }
        while i + 1 < digits.count {
            bytes.append(value(digits[i]) << 4 | value(digits[i + 1]))
            i += 2
        }
        return bytes
    }
}
