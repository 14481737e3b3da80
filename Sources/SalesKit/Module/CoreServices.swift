import Foundation

/// Services the host itself offers to every module (provider `core`).

/// Password hashing (argon2id) for modules that manage accounts.
public protocol PasswordService: Sendable {
    func hash(_ password: String) throws -> String
}

/// What is installed: modules in registry order and every declared permission.
public protocol PlatformDirectory: Sendable {
    var modules: [ModuleManifest] { get }
    var permissions: [Permission] { get }
}

/// Modules switched on and off per deployment without a rebuild (系统管理 → 模块管理). A module
/// that is off has no menu, routes or inbox items; its data stays. A module is on only when the
/// modules it depends on are on.
public protocol ModuleSwitchboard: Sendable {
    /// Every installed module, in registry order, with its state.
    func states(_ ctx: Context) throws -> [ModuleSwitchState]
    /// Switches a module on or off (with an audit row). Throws `ModuleSwitchRefusal` (a
    /// Chinese message) when the configuration or a dependency does not allow it.
    func set(_ id: String, enabled: Bool, reason: String, _ ctx: Context) throws
}

public struct ModuleSwitchState: Sendable, Equatable {
    public var id: String
    public var title: String
    public var version: String
    /// On for users (switched on, not off by configuration, every dependency on).
    public var enabled: Bool
    /// Switched off in the configuration (`disabledModules`): only IT can switch it on.
    public var offByConfiguration: Bool
    public var dependencies: [String]
    /// Installed modules that depend on this one.
    public var dependents: [String]

    public init(id: String, title: String, version: String, enabled: Bool, offByConfiguration: Bool, dependencies: [String],
                dependents: [String]) {
        self.id = id
        self.title = title
        self.version = version
        self.enabled = enabled
        self.offByConfiguration = offByConfiguration
        self.dependencies = dependencies
        self.dependents = dependents
    }
}

public struct ModuleSwitchRefusal: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// What the administrators' status page shows (系统管理 → 系统状态): the running version, the
/// worker pool, requests and their latency since the pool started, the database's size and the
/// last backup. Offered by the host (provider `core`).
public protocol SystemStatusService: Sendable {
    func status(_ ctx: Context) throws -> SystemStatus
}

public struct SystemStatus: Sendable {
    public struct Requests: Sendable {
        public var total: Int64
        public var serverErrors: Int64
        public var slow: Int64
        public var meanMilliseconds: Double
        /// Latency percentiles as bucket bounds in ms ("≤ 5 ms"); nil when no request yet.
        public var p50: Int64?
        public var p95: Int64?
        public var p99: Int64?
        public init(total: Int64, serverErrors: Int64, slow: Int64, meanMilliseconds: Double, p50: Int64?, p95: Int64?, p99: Int64?) {
            self.total = total
            self.serverErrors = serverErrors
            self.slow = slow
            self.meanMilliseconds = meanMilliseconds
            self.p50 = p50
            self.p95 = p95
            self.p99 = p99
        }
    }

    public struct Backup: Sendable {
        public var at: Date
        public var path: String
        public var bytes: Int64
        public var files: Int64
        public init(at: Date, path: String, bytes: Int64, files: Int64) {
            self.at = at
            self.path = path
            self.bytes = bytes
            self.files = files
        }
    }

    public var version: String
    /// Worker processes wanted / alive and replaced since start; nil outside a pool.
    public var workersWanted: Int?
    public var workersAlive: Int?
    public var restarts: Int?
    public var threadsPerWorker: Int
    /// nil outside a pool (tests, a single process).
    public var requests: Requests?
    public var slowRequestMs: Int
    public var databasePath: String
    public var databaseBytes: Int64
    public var walBytes: Int64
    public var filesCount: Int64
    public var lastBackup: Backup?
    public var schema: [(module: String, version: Int)]

    public init(version: String, workersWanted: Int?, workersAlive: Int?, restarts: Int?, threadsPerWorker: Int, requests: Requests?,
                slowRequestMs: Int, databasePath: String, databaseBytes: Int64, walBytes: Int64, filesCount: Int64, lastBackup: Backup?,
                schema: [(module: String, version: Int)]) {
        self.version = version
        self.workersWanted = workersWanted
        self.workersAlive = workersAlive
        self.restarts = restarts
        self.threadsPerWorker = threadsPerWorker
        self.requests = requests
        self.slowRequestMs = slowRequestMs
        self.databasePath = databasePath
        self.databaseBytes = databaseBytes
        self.walBytes = walBytes
        self.filesCount = filesCount
        self.lastBackup = lastBackup
        self.schema = schema
    }
}
