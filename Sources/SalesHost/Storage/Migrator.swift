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
        var applied: [(String, Int, String)] = []
        for (module, migrations) in modules {
            let current = try db.scalar("SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE module = \(module)") ?? 0
            let versions = migrations.map(\.version)
            guard versions == versions.sorted(), Set(versions).count == versions.count else {
                throw ConfigError(message: "module \(module): migration versions must be unique and ascending")
            }
            for m in migrations where m.version > current {
                try db.transaction {
                    try db.executeScript(m.script)
                    try db.execute("INSERT INTO schema_migrations (module, version, name, applied_at) VALUES (\(module), \(m.version), \(m.name), \(Int64(now.timeIntervalSince1970)))")
                }
                applied.append((module, m.version, m.name))
            }
        }
        return applied
    }
}
