import Foundation

/// A value bound to a statement parameter or read from a row.
public enum SQLValue: Sendable, Equatable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

extension SQLValue {
    /// As an integer, leniently (a real without fraction, text holding digits); nil otherwise.
    public var int: Int64? {
        switch self {
        case .integer(let v): v
        case .real(let d): Int64(exactly: d.rounded(.towardZero))
        case .text(let s): Int64(s)
        default: nil
        }
    }

    /// As text (`Row.string`'s), appended as UTF-8; nothing for NULL.
    public func appendText(to out: inout [UInt8]) {
        switch self {
        case .null: break
        case .text(let s): out.append(contentsOf: s.utf8)
        case .integer(let v): out.append(contentsOf: String(v).utf8)
        case .real(let d): out.append(contentsOf: String(d).utf8)
        case .blob(let b): out.append(contentsOf: String(decoding: b, as: UTF8.self).utf8)
        }
    }
}

/// Types that bind as SQL parameters.
public protocol SQLBindable { var sqlValue: SQLValue { get } }
extension Int: SQLBindable { public var sqlValue: SQLValue { .integer(Int64(self)) } }
extension Int64: SQLBindable { public var sqlValue: SQLValue { .integer(self) } }
extension Double: SQLBindable { public var sqlValue: SQLValue { .real(self) } }
extension String: SQLBindable { public var sqlValue: SQLValue { .text(self) } }
extension Substring: SQLBindable { public var sqlValue: SQLValue { .text(String(self)) } }
extension Bool: SQLBindable { public var sqlValue: SQLValue { .integer(self ? 1 : 0) } }
extension SQLValue: SQLBindable { public var sqlValue: SQLValue { self } }
extension Optional: SQLBindable where Wrapped: SQLBindable {
    public var sqlValue: SQLValue { self?.sqlValue ?? .null }
}

/// A parameterized statement. Interpolated values become `?` parameters, never SQL text:
///
/// ```swift
/// try db.query("SELECT id, name FROM customers WHERE owner_id = \(user.id) AND name LIKE \("%" + q + "%")")
/// ```
/// Only `\(raw:)` inserts text, and must only be given identifiers the code chose itself
/// (a whitelisted sort column), never user input.
///
/// Portable SQL only (modules must also run on PostgreSQL later): `?` parameters are rewritten
/// by each driver; use `INTEGER`, `TEXT`, `BIGINT`; `RETURNING id` instead of last-insert-id;
/// ISO-8601 UTC text or epoch integers for times.
public struct SQL: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    public var text: String
    public var bindings: [SQLValue]

    public init(stringLiteral value: String) {
        text = value
        bindings = []
    }

    public init(stringInterpolation: Interpolation) {
        text = stringInterpolation.text
        bindings = stringInterpolation.bindings
    }

    /// Statement text with explicit bindings, for SQL assembled from trusted parts.
    public init(unsafe text: String, _ bindings: [SQLValue] = []) {
        self.text = text
        self.bindings = bindings
    }

    public struct Interpolation: StringInterpolationProtocol {
        var text = ""
        var bindings: [SQLValue] = []
        public init(literalCapacity: Int, interpolationCount: Int) { text.reserveCapacity(literalCapacity + interpolationCount * 2) }
        public mutating func appendLiteral(_ literal: String) { text += literal }
        public mutating func appendInterpolation(_ value: some SQLBindable) {
            text += "?"
            bindings.append(value.sqlValue)
        }
        public mutating func appendInterpolation<T: SQLBindable>(_ value: T?) {
            text += "?"
            bindings.append(value?.sqlValue ?? .null)
        }
        /// `IN (\(list: ids))` → `IN (?, ?, ?)`.
        public mutating func appendInterpolation(list values: [some SQLBindable]) {
            text += values.isEmpty ? "NULL" : Array(repeating: "?", count: values.count).joined(separator: ", ")
            bindings += values.map(\.sqlValue)
        }
        /// Splices another statement (its bindings follow in order).
        public mutating func appendInterpolation(_ sql: SQL) {
            text += sql.text
            bindings += sql.bindings
        }
        /// Trusted text (identifiers chosen by code). Never user input.
        public mutating func appendInterpolation(raw: String) { text += raw }
    }

    public static func + (a: SQL, b: SQL) -> SQL { SQL(unsafe: a.text + b.text, a.bindings + b.bindings) }

    public var description: String { text }
}

/// One result row. Column lookups by name; typed accessors convert leniently.
public struct Row: Sendable {
    public let columns: [String]
    public let values: [SQLValue]

    public init(columns: [String], values: [SQLValue]) {
        self.columns = columns
        self.values = values
    }

    public subscript(_ name: String) -> SQLValue {
        guard let i = columns.firstIndex(of: name) else { return .null }
        return values[i]
    }

    public func int(_ name: String) -> Int64? { self[name].int }

    public func string(_ name: String) -> String? {
        switch self[name] {
        case .text(let s): s
        case .integer(let v): String(v)
        case .real(let d): String(d)
        case .blob(let b): String(decoding: b, as: UTF8.self)
        case .null: nil
        }
    }

    public func bool(_ name: String) -> Bool { (int(name) ?? 0) != 0 }

    /// A column that must hold an integer (an `id`, a `NOT NULL` count): its value, or a
    /// `StorageError(.corrupt)` — the error page with an error id, never a trap — when the
    /// stored value is missing or not an integer (a row written by an old version or by hand).
    public func requireInt(_ name: String) throws -> Int64 {
        guard let v = int(name) else {
            throw StorageError(.corrupt, "column \(name) is \(self[name] == .null ? "NULL" : "not an integer") where an integer is required")
        }
        return v
    }
}

/// One row of a running query, read where it lies (no `Row` made): the row a
/// `Database.forEachRow` body is given, valid only during that call. Columns by position
/// (`index(of:)` finds one by name). A list page writes its cells from it straight into the page.
public protocol RowCursor {
    var columnNames: [String] { get }
    func isNull(_ column: Int) -> Bool
    /// An integer column (or text holding an integer); nil for NULL and anything else.
    func int(_ column: Int) -> Int64?
    /// Appends the column as text, UTF-8 (an integer's digits, a real's `String`); nothing for NULL.
    func appendText(_ column: Int, to out: inout [UInt8])
    func value(_ column: Int) -> SQLValue
    /// The whole row as a value (for code written against `Row`).
    func row() -> Row
}

extension RowCursor {
    /// The position of the column named `name`, or nil.
    public func index(of name: String) -> Int? { columnNames.firstIndex(of: name) }
}

extension Row: RowCursor {
    public var columnNames: [String] { columns }
    public func isNull(_ column: Int) -> Bool { value(column) == .null }
    public func int(_ column: Int) -> Int64? { value(column).int }
    public func appendText(_ column: Int, to out: inout [UInt8]) { value(column).appendText(to: &out) }
    public func value(_ column: Int) -> SQLValue { column >= 0 && column < values.count ? values[column] : .null }
    public func row() -> Row { self }
}

/// A storage failure. `busy` means the database stayed locked past the busy timeout.
public struct StorageError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable { case busy, constraint, readOnly, full, corrupt, other }
    public var kind: Kind
    public var message: String
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
    public var description: String { "storage error (\(kind)): \(message)" }
}

/// The backend-neutral storage API modules program against. One instance per worker thread;
/// not shared across threads.
public protocol Database: AnyObject {
    /// Runs a statement and returns all rows.
    @discardableResult
    func query(_ sql: SQL) throws -> [Row]
    /// Runs a read-only statement and calls `body` with each row in place, without making a
    /// `Row` per row (a list page's rows written straight into the page). The cursor is valid
    /// only during the call. `body` may run other queries.
    func forEachRow(_ sql: SQL, _ body: (any RowCursor) throws -> Void) throws
    /// Runs a statement that returns no rows; returns the number of rows changed.
    @discardableResult
    func execute(_ sql: SQL) throws -> Int
    /// Runs `body` in one write transaction (serialized across the process); rolls back on throw.
    /// A nested call is a savepoint: if its body throws, only its own writes are rolled back
    /// (and the error propagates).
    func transaction<T>(_ body: () throws -> T) throws -> T
    /// Runs several `;`-separated statements without parameters (migrations only).
    func executeScript(_ script: String) throws
    /// Which backend this is: "sqlite" or "postgresql". For migrations that must differ.
    var dialect: String { get }
    /// Refuses (or allows again) every write on this connection: the kept-form page after a
    /// failed save runs its handler once more with writes refused.
    func setQueryOnly(_ on: Bool) throws
}

extension Database {
    /// By `query` (backends without an in-place cursor).
    public func forEachRow(_ sql: SQL, _ body: (any RowCursor) throws -> Void) throws {
        for r in try query(sql) { try body(r) }
    }

    /// SQLite's `PRAGMA integrity_check` and `foreign_key_check`: an empty list when the file is
    /// sound, else one line per problem (backups, restores and `salesd check` refuse or report
    /// them). Empty on PostgreSQL, whose server keeps its own pages consistent.
    public func integrityProblems() throws -> [String] {
        guard dialect == "sqlite" else { return [] }
        var problems = try query("PRAGMA integrity_check").compactMap { r -> String? in
            let text = r.values.first.flatMap { v -> String? in if case .text(let t) = v { return t }; return nil } ?? ""
            return text == "ok" ? nil : text
        }
        for r in try query("PRAGMA foreign_key_check") {
            problems.append("foreign key: table \(r.string("table") ?? "?") row \(r.int("rowid").map(String.init) ?? "?") → \(r.string("parent") ?? "?")")
        }
        return problems
    }

    /// The first row, or nil.
    public func first(_ sql: SQL) throws -> Row? { try query(sql).first }
    /// The first column of the first row as an integer.
    public func scalar(_ sql: SQL) throws -> Int64? { try query(sql).first?.values.first.flatMap { v in
        if case .integer(let i) = v { return i }
        if case .real(let d) = v { return Int64(exactly: d.rounded(.towardZero)) }
        if case .text(let s) = v { return Int64(s) }
        return nil
    } }
    /// `INSERT … RETURNING id` and return the id.
    public func insert(_ sql: SQL) throws -> Int64 {
        guard let id = try query(sql).first?.values.first, case .integer(let v) = id else {
            throw StorageError(.other, "INSERT did not return an id; add RETURNING id")
        }
        return v
    }
}

/// One versioned schema step of a module. Versions start at 1 and only grow.
public struct Migration: Sendable {
    public var version: Int
    public var name: String
    public var script: String

    /// The script for PostgreSQL when it must differ beyond the type mapping (a function
    /// SQLite spells its own way, e.g. `strftime`). Run as written, without the mapping.
    public var postgresqlScript: String?

    public init(_ version: Int, _ name: String, _ script: String) {
        self.version = version
        self.name = name
        self.script = script
    }

    /// A step written twice: once in SQLite's spelling, once in PostgreSQL's.
    public init(_ version: Int, _ name: String, sqlite: String, postgresql: String) {
        self.init(version, name, sqlite)
        self.postgresqlScript = postgresql
    }
}

extension Migration {
    /// The script as run on `dialect`. Migrations are written in SQLite's spelling; on
    /// PostgreSQL the runner maps the types: 64-bit integers everywhere (money sums and epoch
    /// values do not fit 32 bits), generated ids for `INTEGER PRIMARY KEY`, `DOUBLE PRECISION`
    /// for `REAL`, `BYTEA` for `BLOB`. A statement that differs otherwise checks `db.dialect`.
    public func script(for dialect: String) -> String {
        guard dialect == "postgresql" else { return script }
        if let postgresqlScript { return Self.sqliteNullOrder(inIndexesOf: postgresqlScript) }
        var s = Self.sqliteNullOrder(inIndexesOf: script)
        let replacements: [(String, String)] = [
            (#"\bINTEGER\s+PRIMARY\s+KEY\b"#, "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
            (#"\bINTEGER\b"#, "BIGINT"),
            (#"\bREAL\b"#, "DOUBLE PRECISION"),
            (#"\bBLOB\b"#, "BYTEA"),
        ]
        for (pattern, replacement) in replacements {
            s = s.replacingOccurrences(of: pattern, with: replacement, options: [.regularExpression, .caseInsensitive])
        }
        return s
    }

    /// SQLite orders NULL before every value; PostgreSQL after. Lists spell SQLite's order
    /// (`ASC NULLS FIRST`, `DESC NULLS LAST`: `ListQuery`), and PostgreSQL serves an ORDER BY
    /// from an index only when the index has the same NULL order — otherwise it sorts every
    /// matching row on each page. So each column of a `CREATE INDEX … ON t(…)` gets SQLite's
    /// NULL order here (`a` → `a NULLS FIRST`, `a DESC` → `a DESC NULLS LAST`), unless it names one.
    static func sqliteNullOrder(inIndexesOf script: String) -> String {
        var out = ""
        var rest = Substring(script)
        let pattern = #"CREATE\s+(UNIQUE\s+)?INDEX\s+(IF\s+NOT\s+EXISTS\s+)?[A-Za-z0-9_"]+\s+ON\s+[A-Za-z0-9_"]+\s*\("#
        while let head = rest.range(of: pattern, options: [.regularExpression, .caseInsensitive]) {
            out += rest[rest.startIndex..<head.upperBound]
            // The column list: up to the parenthesis that closes it, split at top-level commas.
            var depth = 0, columns: [String] = [""], end = head.upperBound
            var i = head.upperBound
            while i < rest.endIndex {
                let ch = rest[i]
                if ch == "(" { depth += 1 }
                if ch == ")" {
                    if depth == 0 { end = i; break }
                    depth -= 1
                }
                if ch == "," && depth == 0 { columns.append("") } else { columns[columns.count - 1].append(ch) }
                i = rest.index(after: i)
            }
            guard i < rest.endIndex else { out += rest[head.upperBound...]; return out }
            out += columns.map { column -> String in
                let c = column.trimmingCharacters(in: .whitespacesAndNewlines)
                let upper = c.uppercased()
                if upper.contains("NULLS") || c.isEmpty { return column }
                let lead = column.prefix { $0.isWhitespace }
                return lead + c + (upper.hasSuffix(" DESC") ? " NULLS LAST" : " NULLS FIRST")
            }.joined(separator: ",")
            rest = rest[end...]
        }
        return out + rest
    }
}
