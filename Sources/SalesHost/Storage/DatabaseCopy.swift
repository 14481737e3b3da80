import Foundation
import PostgresStore
import SalesKit
import SQLiteStore

/// `salesd copy`: moves a live system from its SQLite file to PostgreSQL (issue #17). Every
/// table of every installed module is copied in foreign-key order inside one transaction on
/// the target, identity counters are moved past the copied ids, and each table's row count is
/// checked after the commit. Uploaded files are not in the database: copy `dataDir/files`.
public enum DatabaseCopy {
    public struct Failure: Error, CustomStringConvertible {
        public var message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    public struct Copied: Sendable, Equatable {
        public var table: String
        public var rows: Int64
    }

    /// Copies `sourcePath` (a SQLite file at this salesd's schema) into `app`'s PostgreSQL
    /// database, which must hold no users yet (a fresh database: `salesd copy` migrates it).
    public static func copy(from sourcePath: String, into app: App, progress: (String) -> Void = { _ in }) throws -> [Copied] {
        guard app.config.usesPostgreSQL else {
            throw Failure("目标须为 PostgreSQL 数据库 (the target must be a postgresql:// URL: --to, DATABASE_URL or database)")
        }
        guard FileManager.default.fileExists(atPath: sourcePath) else { throw Failure("没有此数据库文件 (no such file): \(sourcePath)") }
        var options = SQLiteOptions()
        options.readOnly = true
        let source = try SQLiteDatabase(path: sourcePath, gate: WriteGate(), options: options)
        let plan = app.migrationPlan
        try Migrator.refuseNewer(source, modules: plan)
        let stored = try Migrator.storedVersions(source)
        let behind = plan.compactMap { m -> String? in
            guard let last = m.migrations.map(\.version).max(), last > stored[m.id] ?? 0 else { return nil }
            return "\(m.id) \(stored[m.id] ?? 0) < \(last)"
        }
        guard behind.isEmpty else {
            throw Failure("源数据库不是当前版本，请先对它运行 salesd migrate (the source's schema is behind: \(behind.joined(separator: ", ")))")
        }
        try app.migrate()
        let target = try app.openDatabase()
        guard (try target.scalar("SELECT COUNT(*) FROM users") ?? 0) == 0 else {
            throw Failure("目标数据库已有用户数据：salesd copy 只写入新建的空数据库 (the target already has users; copy into a new, empty database)")
        }

        let tables = try source.query("""
            SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name
            """).compactMap { $0.string("name") }
        let targetTables = Set(try target.query("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")
            .compactMap { $0.string("table_name") })
        let missing = tables.filter { !targetTables.contains($0) }
        guard missing.isEmpty else {
            throw Failure("目标缺少这些表（模块未安装或未启用？）(tables missing on the target): \(missing.joined(separator: ", "))")
        }
        let order = try parentsFirst(tables, source)
        var copied: [Copied] = []
        try target.transaction {
            try target.executeScript("TRUNCATE " + order.map(quoted).joined(separator: ", ") + " RESTART IDENTITY CASCADE")
            for table in order {
                let columns = try source.query("SELECT name FROM pragma_table_info(\(table)) ORDER BY cid").compactMap { $0.string("name") }
                let list = columns.map(quoted).joined(separator: ", ")
                let insert = "INSERT INTO \(quoted(table)) (\(list)) VALUES (" + columns.map { _ in "?" }.joined(separator: ", ") + ")"
                var last = Int64.min, rows: Int64 = 0
                while true {
                    let batch = try source.query(SQL(unsafe: "SELECT rowid AS \"__copy_rowid\", \(list) FROM \(quoted(table)) WHERE rowid > ? ORDER BY rowid LIMIT 2000",
                                                     [.integer(last)]))
                    guard let end = batch.last?.int("__copy_rowid") else { break }
                    for r in batch {
                        try target.execute(SQL(unsafe: insert, Array(r.values.dropFirst())))
                    }
                    rows += Int64(batch.count)
                    last = end
                }
                // Identity columns continue after the copied ids (a new row must not reuse one).
                for id in try target.query("""
                    SELECT column_name FROM information_schema.columns
                    WHERE table_schema = current_schema() AND table_name = \(table) AND is_identity = 'YES'
                    """).compactMap({ $0.string("column_name") }) {
                    try target.query(SQL(unsafe: "SELECT setval(pg_get_serial_sequence(?, ?), MAX(\(quoted(id)))) FROM \(quoted(table)) HAVING MAX(\(quoted(id))) IS NOT NULL",
                                         [.text(quoted(table)), .text(id)]))
                }
                copied.append(Copied(table: table, rows: rows))
                progress("\(table): \(rows)")
            }
        }
        // Checked after the commit, from what the target now holds.
        for c in copied {
            let n = try target.scalar(SQL(unsafe: "SELECT COUNT(*) FROM \(quoted(c.table))")) ?? -1
            guard n == c.rows else { throw Failure("行数不符 (row count differs) in \(c.table): source \(c.rows), target \(n)") }
        }
        return copied
    }

    /// Tables ordered so that every table comes after the tables its foreign keys name.
    static func parentsFirst(_ tables: [String], _ db: SQLiteDatabase) throws -> [String] {
        var parents: [String: Set<String>] = [:]
        for t in tables {
            parents[t] = Set(try db.query("SELECT \"table\" AS parent FROM pragma_foreign_key_list(\(t))")
                .compactMap { $0.string("parent") }.filter { $0 != t && tables.contains($0) })
        }
        var done: [String] = [], placed = Set<String>()
        while done.count < tables.count {
            let ready = tables.filter { !placed.contains($0) && (parents[$0] ?? []).isSubset(of: placed) }
            guard !ready.isEmpty else {
                throw Failure("外键成环，无法确定复制顺序 (foreign keys form a cycle among): \(tables.filter { !placed.contains($0) }.joined(separator: ", "))")
            }
            done += ready
            placed.formUnion(ready)
        }
        return done
    }

    /// A table or column name as an SQL identifier (names come from the source's own schema).
    static func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
}
