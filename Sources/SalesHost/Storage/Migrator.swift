import Foundation
import SalesKit

/// Applies each module's versioned migrations in registry order, each in its own transaction.
public struct Migrator {
    public init() {}

    /// Returns the `(module, version, name)` steps applied now.
    @discardableResult
    public func migrate(_ db: any Database, modules: [(id: String, migrations: [Migration])], now: Date = Date()) throws -> [(String, Int, String)] {
        try db.executeScript("""
        CREATE TABLE IF NOT EXISTS schema_migrations (
            module TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL, applied_at INTEGER NOT NULL,
            PRIMARY KEY (module, version));
        """)
        try Self.refuseNewer(db, modules: modules)
        var applied: [(String, Int, String)] = []
        for (module, migrations) in modules {
            let current = try db.scalar("SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE module = \(module)") ?? 0
            let versions = migrations.map(\.version)
            guard versions == versions.sorted(), Set(versions).count == versions.count else {
                throw ConfigError(message: "module \(module): migration versions must be unique and ascending")
            }
            for m in migrations where m.version > current {
                try db.transaction {
                    try db.executeScript(m.script(for: db.dialect))
                    try db.execute("INSERT INTO schema_migrations (module, version, name, applied_at) VALUES (\(module), \(m.version), \(m.name), \(Int64(now.timeIntervalSince1970)))")
                }
                applied.append((module, m.version, m.name))
            }
        }
        return applied
    }

    /// The schema-version guard: a database migrated by a newer salesd (a module at a version
    /// this binary does not have) is refused before anything reads or writes it — an older
    /// binary would misread tables it does not know. A module no longer installed is fine (its
    /// data stays).
    public static func refuseNewer(_ db: any Database, modules: [(id: String, migrations: [Migration])]) throws {
        var problems: [String] = []
        for (module, stored) in try storedVersions(db).sorted(by: { $0.key < $1.key }) {
            guard let known = modules.first(where: { $0.id == module }) else { continue }
            let newest = known.migrations.map(\.version).max() ?? 0
            if stored > newest { problems.append("\(module) \(stored) > \(newest)") }
        }
        if !problems.isEmpty { throw SchemaTooNew(modules: problems) }
    }

    /// The schema version each module's tables are at (the highest migration applied).
    public static func storedVersions(_ db: any Database) throws -> [String: Int] {
        var m: [String: Int] = [:]
        for r in try db.query("SELECT module, MAX(version) AS v FROM schema_migrations GROUP BY module") {
            if let module = r.string("module"), let v = r.int("v") { m[module] = Int(v) }
        }
        return m
    }
}

/// The database was migrated by a newer salesd than this one.
public struct SchemaTooNew: Error, CustomStringConvertible {
    public var modules: [String]
    public var description: String {
        "数据库已被更新版本的 salesd 升级，本程序不能使用它 (the database was migrated by a newer salesd: "
            + modules.joined(separator: ", ")
            + ")。请安装新版本，或用升级前的备份恢复 (install the newer version, or restore the backup taken before the upgrade)."
    }
}
