import Foundation
import Logging
import SalesKit
import SQLiteStore
import PostgresStore

/// A request as the front end (libfcgi, or the test harness) hands it to the host.
public struct RawRequest: Sendable {
    public var params: [String: String]
    public var body: [UInt8]
    public var bodyTooLarge: Bool
    public var bodyMalformed: Bool

    public init(params: [String: String], body: [UInt8] = [], bodyTooLarge: Bool = false, bodyMalformed: Bool = false) {
        self.params = params
        self.body = body
        self.bodyTooLarge = bodyTooLarge
        self.bodyMalformed = bodyMalformed
    }
}

/// The worker pool as the master last published it (`/healthz`).
public struct PoolHealth: Sendable, Equatable {
    public var wanted: Int
    public var alive: Int
    public var restarts: Int
    public init(wanted: Int, alive: Int, restarts: Int) {
        self.wanted = wanted
        self.alive = alive
        self.restarts = restarts
    }
}

/// Request counters shared by the worker pool (`PoolStatsPage` in a pool): every finished
/// request is recorded; the status page reads the totals.
public struct RequestStatsHooks: Sendable {
    public var record: @Sendable (_ microseconds: Int64, _ status: Int, _ slow: Bool) -> Void
    public var read: @Sendable () -> SystemStatus.Requests
    public init(record: @escaping @Sendable (Int64, Int, Bool) -> Void, read: @escaping @Sendable () -> SystemStatus.Requests) {
        self.record = record
        self.read = read
    }
}

/// The host: configuration, the checked module registry, templates. Shared by all workers,
/// immutable after start-up. Each worker thread gets its own `Worker` (and database connection).
public final class App: Sendable {
    public let config: AppConfig
    public let registry: Registry
    public let renderer: Renderer
    /// Write serialisation across this process's threads and every other process on the same
    /// database file (the worker pool, the admin CLI).
    public let gate: WriteGate
    /// Every module's audit vocabulary and the host's (history, the audit log).
    public let auditCatalogue: AuditCatalogue
    let logger: Logger
    let accessLogger: Logger
    /// Reads the pool's shared status page; nil outside a pool (tests, the CLI).
    let pool: (@Sendable () -> PoolHealth)?
    let requestStats: RequestStatsHooks?
    /// The running salesd's version (`salesd --version`), for the status page.
    public let version: String
    /// A hash of the static files the layout links (`?v=` on their URLs).
    public let assetVersion: String

    public init(config: AppConfig, modules: [any DepartmentModule], logger: Logger = Logger(label: "salesd"),
                pool: (@Sendable () -> PoolHealth)? = nil, requestStats: RequestStatsHooks? = nil, version: String = "dev") throws {
        self.pool = pool
        self.requestStats = requestStats
        self.version = version
        self.config = config
        self.logger = logger
        // SQLite: one writer across the pool's processes (a lock file); PostgreSQL: every node's
        // write transaction takes the same advisory lock instead.
        gate = config.usesPostgreSQL ? WriteGate() : WriteGate(lockFile: config.databasePath + "-lock")
        var access = Logger(label: "salesd.access")
        access.logLevel = logger.logLevel
        accessLogger = access
        // A module's mistake found while serving (a form value read by an undeclared name…): logged.
        ProgrammingErrors.setReporter { [logger] e in logger.error("programming error: \(e)") }
        registry = try Registry(modules: modules, coreRoutes: CoreRoutes.definitions(debug: config.debugRoutes),
                                disabledModules: config.disabledModuleIDs)
        renderer = try Renderer(webDir: config.webDir, pluginsDir: config.pluginsDir, modules: modules)
        assetVersion = App.contentHash(of: ["app.css", "print.css"].map { config.webDir + "/static/" + $0 })
        auditCatalogue = AuditCatalogue(core: CoreVocabulary.make(permissions: registry.permissions),
                                        modules: registry.modules.map { m in
                                            .init(id: m.manifest.id, title: m.manifest.title, vocabulary: m.auditVocabulary)
                                        })
    }

    /// The configured database: PostgreSQL for a `postgresql://` URL (one connection per worker
    /// thread; write transactions serialised across every node by an advisory lock), otherwise
    /// the SQLite file.
    public func openDatabase() throws -> any Database {
        if config.usesPostgreSQL { return try PostgresDatabase(url: config.database, lockTimeoutMilliseconds: config.dbBusyTimeoutMs,
                                                                      groupCommit: config.postgresGroupCommit) }
        return try openSQLite()
    }

    /// The SQLite file (backups, restore and integrity checks read it directly).
    public func openSQLite() throws -> SQLiteDatabase {
        try FileManager.default.createDirectory(atPath: config.dataDir, withIntermediateDirectories: true)
        var options = SQLiteOptions()
        options.synchronous = config.sqliteSynchronous
        options.groupCommit = config.sqliteGroupCommit
        if config.debugRoutes, let file = ProcessInfo.processInfo.environment["SALES_WRITE_TRACE_FILE"] {
            options.writeTraceFile = file   // test_write_path.py: every statement under the write lock
        }
        options.busyTimeoutMilliseconds = Int32(clamping: max(0, config.dbBusyTimeoutMs))
        return try SQLiteDatabase(path: config.databasePath, gate: gate, options: options)
    }

    /// Runs the core and every module's pending migrations, then seeds roles and the default
    /// role → permission matrix for permissions seen for the first time.
    ///
    /// With `allowReadOnly` (`salesd serve`), a read-only database whose schema is current (a file
    /// system remounted read-only, a file owned by another user after a restore) is logged and
    /// served: pages can be read and every save gets a clear 503 with the input kept.
    @discardableResult
    public func migrate(allowReadOnly: Bool = false) throws -> [(String, Int, String)] {
        let db = try openDatabase()
        let steps = try Migrator().migrate(db, modules: migrationPlan)
        do {
            try seed(db)
            for module in registry.modules { try module.afterMigrate(db) }
        } catch let e as StorageError where e.kind == .readOnly && allowReadOnly && steps.isEmpty {
            logger.error("database \(config.databaseDisplayName) is read-only (\(e.message)): serving pages, refusing every save until it is writable and salesd is restarted")
        }
        return steps
    }

    private func seed(_ db: any Database) throws {
        try db.transaction {
            for (i, role) in Role.all.enumerated() {
                try db.execute("INSERT INTO roles (id, title, position) VALUES (\(role.id), \(role.title), \(i)) ON CONFLICT (id) DO UPDATE SET title = excluded.title, position = excluded.position")
            }
            for p in registry.permissions {
                let inserted = try db.execute("INSERT INTO permission_seeds (permission) VALUES (\(p.id)) ON CONFLICT DO NOTHING")
                guard inserted > 0 else { continue }
                for role in p.defaultRoles {
                    try db.execute("INSERT INTO role_permissions (role_id, permission) VALUES (\(role.id), \(p.id)) ON CONFLICT DO NOTHING")
                }
            }
        }
    }

    /// The core's and every installed module's migrations, in the order they run.
    public var migrationPlan: [(id: String, migrations: [Migration])] {
        [("core", CoreSchema.migrations)] + registry.modules.map { ($0.manifest.id, $0.migrations) }
    }

    public func makeWorker() throws -> Worker { try Worker(app: self, db: openDatabase()) }

    public var workerThreads: Int {
        config.threads > 0 ? config.threads : 2 * ProcessInfo.processInfo.activeProcessorCount
    }
}

extension App {
    /// FNV-1a over the files' bytes, 8 hex digits (a missing file counts as empty).
    static func contentHash(of paths: [String]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for path in paths {
            for byte in FileManager.default.contents(atPath: path) ?? Data() {
                h = (h ^ UInt64(byte)) &* 0x100_0000_01b3
            }
        }
        return String(String(h, radix: 16).suffix(8))
    }
}
