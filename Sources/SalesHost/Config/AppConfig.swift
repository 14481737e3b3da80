import Foundation

/// Runtime configuration: a JSON file (`--config`, default `salesd.json` if present) with
/// `SALES_*` environment overrides. Every key is documented in the README.
public struct AppConfig: Codable, Sendable {
    /// Where the database, uploads and backups live.
    public var dataDir: String = "data"
    /// Database file; relative paths are inside `dataDir`.
    public var database: String = "sales.sqlite"
    /// `unix:/path/to.sock`, `tcp:127.0.0.1:9000`, or `inherit` (fd 0 from systemd/spawn-fcgi).
    public var listen: String = "unix:run/salesd.sock"
    /// Worker processes under the supervising master (`salesd serve`); a worker that dies is
    /// replaced and the others keep serving. 1 still runs under the master.
    public var processes: Int = 2
    /// Worker threads per process (0 = 2 × cores).
    public var threads: Int = 0
    /// Largest request body accepted (bytes); keep nginx's `client_max_body_size` equal.
    public var maxBodyBytes: Int = 8 << 20
    /// Largest single uploaded file (bytes).
    public var maxFileBytes: Int = 5 << 20
    /// Folder holding `templates/` and `static/` (the shared layout and CSS).
    public var webDir: String = "Web"
    /// Folder holding each module's folder with its `templates/`.
    public var pluginsDir: String = "Plugins"
    /// Company time zone for display and for business deadlines.
    public var timeZone: String = "Asia/Shanghai"
    /// Idle session lifetime in minutes.
    public var sessionMinutes: Int = 480
    /// Failed logins per user and address within `loginWindowMinutes` before refusing.
    public var loginMaxFailures: Int = 5
    public var loginWindowMinutes: Int = 15
    /// Trust `REMOTE_USER` from nginx (SSO). Off by default; see deploy/README.md.
    public var trustRemoteUser: Bool = false
    /// Set the cookie `Secure` flag (turn on when nginx serves HTTPS).
    public var secureCookies: Bool = false
    /// SQLite `synchronous`: FULL (survives power loss) or NORMAL (survives process crash).
    public var sqliteSynchronous: String = "FULL"
    /// With FULL: commits share one disk flush made outside the write lock (group commit); every
    /// acknowledged write is on disk just the same. `false` lets SQLite sync each commit inside
    /// the lock (for comparison: `make bench`).
    public var sqliteGroupCommit: Bool = true
    /// How long a write waits for another process's lock before the user is told the database is
    /// busy (their form comes back with the input kept), in milliseconds.
    public var dbBusyTimeoutMs: Int = 5000
    /// Test-only routes (`/_debug/sleep`); never enable in production.
    public var debugRoutes: Bool = false
    /// Company name shown in the header and on printouts.
    public var companyName: String = "销售管理系统"
    /// Test-only (honoured only with `debugRoutes`): a file holding an ISO-8601 instant used as
    /// "now", so end-to-end tests can walk a calendar (batches, deadlines) through nginx.
    public var clockFile: String = ""
    /// The URL prefix the front end mounts the app under, e.g. `/sales` for
    /// `https://intranet/sales/`; empty = the site root. Stripped from incoming paths, added to
    /// links, redirects and the cookie path (see `RequestTarget`).
    public var mountPath: String = ""

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case dataDir, database, listen, processes, threads, maxBodyBytes, maxFileBytes, webDir, pluginsDir, timeZone,
             sessionMinutes, loginMaxFailures, loginWindowMinutes, trustRemoteUser, secureCookies,
             sqliteSynchronous, sqliteGroupCommit, dbBusyTimeoutMs, debugRoutes, companyName, clockFile, mountPath
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = AppConfig()
        dataDir = try c.decodeIfPresent(String.self, forKey: .dataDir) ?? d.dataDir
        database = try c.decodeIfPresent(String.self, forKey: .database) ?? d.database
        listen = try c.decodeIfPresent(String.self, forKey: .listen) ?? d.listen
        processes = try c.decodeIfPresent(Int.self, forKey: .processes) ?? d.processes
        threads = try c.decodeIfPresent(Int.self, forKey: .threads) ?? d.threads
        maxBodyBytes = try c.decodeIfPresent(Int.self, forKey: .maxBodyBytes) ?? d.maxBodyBytes
        maxFileBytes = try c.decodeIfPresent(Int.self, forKey: .maxFileBytes) ?? d.maxFileBytes
        webDir = try c.decodeIfPresent(String.self, forKey: .webDir) ?? d.webDir
        pluginsDir = try c.decodeIfPresent(String.self, forKey: .pluginsDir) ?? d.pluginsDir
        timeZone = try c.decodeIfPresent(String.self, forKey: .timeZone) ?? d.timeZone
        sessionMinutes = try c.decodeIfPresent(Int.self, forKey: .sessionMinutes) ?? d.sessionMinutes
        loginMaxFailures = try c.decodeIfPresent(Int.self, forKey: .loginMaxFailures) ?? d.loginMaxFailures
        loginWindowMinutes = try c.decodeIfPresent(Int.self, forKey: .loginWindowMinutes) ?? d.loginWindowMinutes
        trustRemoteUser = try c.decodeIfPresent(Bool.self, forKey: .trustRemoteUser) ?? d.trustRemoteUser
        secureCookies = try c.decodeIfPresent(Bool.self, forKey: .secureCookies) ?? d.secureCookies
        sqliteSynchronous = try c.decodeIfPresent(String.self, forKey: .sqliteSynchronous) ?? d.sqliteSynchronous
        sqliteGroupCommit = try c.decodeIfPresent(Bool.self, forKey: .sqliteGroupCommit) ?? d.sqliteGroupCommit
        dbBusyTimeoutMs = try c.decodeIfPresent(Int.self, forKey: .dbBusyTimeoutMs) ?? d.dbBusyTimeoutMs
        debugRoutes = try c.decodeIfPresent(Bool.self, forKey: .debugRoutes) ?? d.debugRoutes
        companyName = try c.decodeIfPresent(String.self, forKey: .companyName) ?? d.companyName
        clockFile = try c.decodeIfPresent(String.self, forKey: .clockFile) ?? d.clockFile
        mountPath = try c.decodeIfPresent(String.self, forKey: .mountPath) ?? d.mountPath
    }

    /// Loads `path` (if given or if `salesd.json` exists) and applies `SALES_<KEY>` overrides,
    /// e.g. `SALES_DATA_DIR`, `SALES_LISTEN`, `SALES_THREADS`, `SALES_TRUST_REMOTE_USER=1`.
    public static func load(path: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> AppConfig {
        var config = AppConfig()
        let file = path ?? (FileManager.default.fileExists(atPath: "salesd.json") ? "salesd.json" : nil)
        if let file {
            let data = try Data(contentsOf: URL(fileURLWithPath: file))
            config = try JSONDecoder().decode(AppConfig.self, from: data)
        }
        // Environment overrides: round-trip through JSON so each key keeps its type.
        guard var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(config)) as? [String: Any] else {
            throw ConfigError(message: "configuration does not encode as a JSON object")
        }
        // The Swift type of each property decides (on Linux a JSON 0/1 also passes `is Bool`).
        let kinds = Dictionary(Mirror(reflecting: config).children.compactMap { c in c.label.map { ($0, c.value) } },
                               uniquingKeysWith: { a, _ in a })
        for key in CodingKeys.allCases {
            let env = "SALES_" + key.rawValue.replacingOccurrences(of: "([a-z])([A-Z])", with: "$1_$2", options: .regularExpression).uppercased()
            guard let v = environment[env] else { continue }
            switch kinds[key.rawValue] {
            case is Bool:
                guard ["1", "0", "true", "false"].contains(v) else { throw ConfigError(message: "\(env) must be 1/0/true/false, got \(v)") }
                json[key.rawValue] = (v == "1" || v == "true")
            case is Int:
                guard let n = Int(v) else { throw ConfigError(message: "\(env) must be a number, got \(v)") }
                json[key.rawValue] = n
            default: json[key.rawValue] = v
            }
        }
        config = try JSONDecoder().decode(AppConfig.self, from: JSONSerialization.data(withJSONObject: json))
        guard TimeZone(identifier: config.timeZone) != nil else { throw ConfigError(message: "unknown timeZone \(config.timeZone)") }
        try config.checkRanges()
        guard let mount = RequestTarget.normalizedMount(config.mountPath) else {
            throw ConfigError(message: "mountPath must be empty or a path like /sales (letters, digits, - . _ ~), got \(config.mountPath)")
        }
        config.mountPath = mount
        return config
    }

    /// Numbers the code multiplies (minutes × 60, bytes) stay far from overflow, and nonsense
    /// (0 processes, a negative body limit) is refused at start with the key named.
    func checkRanges() throws {
        let limits: [(String, Int, ClosedRange<Int>)] = [
            ("processes", processes, 1...256), ("threads", threads, 0...1024),
            ("maxBodyBytes", maxBodyBytes, 1...(1 << 31)), ("maxFileBytes", maxFileBytes, 1...(1 << 31)),
            ("sessionMinutes", sessionMinutes, 1...(366 * 24 * 60)), ("loginMaxFailures", loginMaxFailures, 1...1_000_000),
            ("loginWindowMinutes", loginWindowMinutes, 1...(366 * 24 * 60)), ("dbBusyTimeoutMs", dbBusyTimeoutMs, 0...600_000),
        ]
        for (key, value, range) in limits where !range.contains(value) {
            throw ConfigError(message: "\(key) must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
        }
    }

    public var databasePath: String { database.hasPrefix("/") ? database : dataDir + "/" + database }
    public var filesDir: String { dataDir + "/files" }
    /// `load` refuses an unknown zone; a config built in code falls back to UTC+8 (Shanghai).
    public var zone: TimeZone { TimeZone(identifier: timeZone) ?? TimeZone(secondsFromGMT: 8 * 3600) ?? .current }
}

public struct ConfigError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
