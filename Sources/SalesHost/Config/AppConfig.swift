import Foundation

/// Runtime configuration: a JSON file (`--config`, default `salesd.json` if present) with
/// `SALES_*` environment overrides. Every key is documented in the README.
public struct AppConfig: Codable, Sendable {
    /// Where the database, uploads and backups live.
    public var dataDir: String = "data"
    /// The SQLite database file (relative paths are inside `dataDir`), or a PostgreSQL URL
    /// (`postgresql://user@host:5432/sales`) for several responders on one shared database.
    /// `DATABASE_URL` in the environment, when set, is used instead.
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
    /// PostgreSQL: commits share WAL flushes made outside the write lock (`PostgresDatabase`);
    /// `false`: each commit flushes inside the lock (kept for `make bench`).
    public var postgresGroupCommit: Bool = true
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
    /// A request taking at least this long (milliseconds) is logged at warning with its route and
    /// time; 0 turns the slow-request log off.
    public var slowRequestMs: Int = 1000
    /// Journal priorities: `auto` starts each log line with the sd-daemon `<N>` prefix only when
    /// stderr is the systemd journal (`JOURNAL_STREAM`); `on` always, `off` never.
    public var logPriorityPrefix: String = "auto"
    /// Modules switched off by IT for this deployment, comma-separated ids (`ideas,service`):
    /// their menu, routes and inbox items are gone, their data stays, and the admin page cannot
    /// switch them on. The others are switched on and off on 系统管理 → 模块管理.
    public var disabledModules: String = ""
    /// Inbox escalation (issue #16): an overdue item shows in the inbox of the responsible
    /// person's supervisor at once, and in the general manager's after this many days.
    public var escalateToGeneralManagerDays: Int = 3

    /// `disabledModules` as ids.
    public var disabledModuleIDs: Set<String> {
        Set(disabledModules.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
    }

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case dataDir, database, listen, processes, threads, maxBodyBytes, maxFileBytes, webDir, pluginsDir, timeZone,
             sessionMinutes, loginMaxFailures, loginWindowMinutes, trustRemoteUser, secureCookies,
             sqliteSynchronous, sqliteGroupCommit, postgresGroupCommit, dbBusyTimeoutMs, debugRoutes, companyName, clockFile, mountPath,
             slowRequestMs, logPriorityPrefix, disabledModules, escalateToGeneralManagerDays
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
        postgresGroupCommit = try c.decodeIfPresent(Bool.self, forKey: .postgresGroupCommit) ?? d.postgresGroupCommit
        dbBusyTimeoutMs = try c.decodeIfPresent(Int.self, forKey: .dbBusyTimeoutMs) ?? d.dbBusyTimeoutMs
        debugRoutes = try c.decodeIfPresent(Bool.self, forKey: .debugRoutes) ?? d.debugRoutes
        companyName = try c.decodeIfPresent(String.self, forKey: .companyName) ?? d.companyName
        clockFile = try c.decodeIfPresent(String.self, forKey: .clockFile) ?? d.clockFile
        mountPath = try c.decodeIfPresent(String.self, forKey: .mountPath) ?? d.mountPath
        slowRequestMs = try c.decodeIfPresent(Int.self, forKey: .slowRequestMs) ?? d.slowRequestMs
        logPriorityPrefix = try c.decodeIfPresent(String.self, forKey: .logPriorityPrefix) ?? d.logPriorityPrefix
        disabledModules = try c.decodeIfPresent(String.self, forKey: .disabledModules) ?? d.disabledModules
        escalateToGeneralManagerDays = try c.decodeIfPresent(Int.self, forKey: .escalateToGeneralManagerDays) ?? d.escalateToGeneralManagerDays
    }

    /// Loads `path` (if given or if `salesd.json` exists) and applies `SALES_<KEY>` overrides,
    /// e.g. `SALES_DATA_DIR`, `SALES_LISTEN`, `SALES_THREADS`, `SALES_TRUST_REMOTE_USER=1`.
    /// Precedence: default < file < environment (< the command-line flags of `salesd serve`).
    public static func load(path: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> AppConfig {
        try resolve(path: path, environment: environment).config
    }

    /// Every key the file may hold, in declaration order.
    public static var keys: [String] { CodingKeys.allCases.map(\.rawValue) }

    /// The environment variable that overrides `key`: `SALES_` + the key in upper snake case.
    public static func environmentName(_ key: String) -> String {
        "SALES_" + key.replacingOccurrences(of: "([a-z])([A-Z])", with: "$1_$2", options: .regularExpression).uppercased()
    }

    /// `load`, remembering where each value came from (`salesd config --print`). A file that is
    /// missing, not JSON, not an object, holds a key this version does not know (named, with the
    /// nearest known key) or a value of the wrong type is refused with a `ConfigError`.
    public static func resolve(path: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ResolvedConfig {
        var config = AppConfig()
        var sources = Dictionary(uniqueKeysWithValues: keys.map { ($0, ConfigSource.default) })
        let file = path ?? (FileManager.default.fileExists(atPath: "salesd.json") ? "salesd.json" : nil)
        if let file {
            let data = try readFile(file)
            let object: Any
            do {
                object = try JSONSerialization.jsonObject(with: data)
            } catch {
                let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey].map { ": \($0)" } ?? ""
                throw ConfigError(message: "\(file) is not valid JSON\(detail)")
            }
            guard let fields = object as? [String: Any] else {
                throw ConfigError(message: "\(file) must hold one JSON object ({\"dataDir\": …}), not a list or a single value")
            }
            for key in fields.keys.sorted() where !keys.contains(key) {
                let hint = nearestKey(to: key).map { "; did you mean \"\($0)\"?" } ?? ""
                throw ConfigError(message: "unknown key \"\(key)\" in \(file)\(hint) (known keys: \(keys.joined(separator: ", ")))")
            }
            config = try decode(data, from: file)
            for key in fields.keys where !(fields[key] is NSNull) { sources[key] = .file }
        }
        // Environment overrides: round-trip through JSON so each key keeps its type.
        guard var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(config)) as? [String: Any] else {
            throw ConfigError(message: "configuration does not encode as a JSON object")
        }
        // The Swift type of each property decides (on Linux a JSON 0/1 also passes `is Bool`).
        let kinds = Dictionary(Mirror(reflecting: config).children.compactMap { c in c.label.map { ($0, c.value) } },
                               uniquingKeysWith: { a, _ in a })
        for key in keys {
            let env = environmentName(key)
            guard let v = environment[env] else { continue }
            switch kinds[key] {
            case is Bool:
                guard ["1", "0", "true", "false"].contains(v) else { throw ConfigError(message: "\(env) must be 1/0/true/false, got \(v)") }
                json[key] = (v == "1" || v == "true")
            case is Int:
                guard let n = Int(v) else { throw ConfigError(message: "\(env) must be a number, got \(v)") }
                json[key] = n
            default: json[key] = v
            }
            sources[key] = .environment(env)
        }
        // The name every PostgreSQL tool and host knows: it wins over the file and SALES_DATABASE.
        if let url = environment["DATABASE_URL"], !url.isEmpty {
            json["database"] = url
            sources["database"] = .environment("DATABASE_URL")
        }
        config = try decode(JSONSerialization.data(withJSONObject: json), from: "the environment")
        try config.validate()
        return ResolvedConfig(config: config, file: file, sources: sources)
    }

    /// Checks that hold whichever layer set the value; `salesd serve` runs them again after its flags.
    public mutating func validate() throws {
        guard TimeZone(identifier: timeZone) != nil else { throw ConfigError(message: "unknown timeZone \(timeZone)") }
        try checkRanges()
        guard let mount = RequestTarget.normalizedMount(mountPath) else {
            throw ConfigError(message: "mountPath must be empty or a path like /sales (letters, digits, - . _ ~), got \(mountPath)")
        }
        mountPath = mount
        guard ["FULL", "NORMAL"].contains(sqliteSynchronous) else {
            throw ConfigError(message: "sqliteSynchronous must be FULL or NORMAL, got \(sqliteSynchronous)")
        }
        guard LogPriorityPrefix(rawValue: logPriorityPrefix) != nil else {
            throw ConfigError(message: "logPriorityPrefix must be auto, on or off, got \(logPriorityPrefix)")
        }
    }

    static func readFile(_ file: String) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) else {
            throw ConfigError(message: "configuration file \(file) not found")
        }
        guard !isDirectory.boolValue else { throw ConfigError(message: "configuration file \(file) is a directory") }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ConfigError(message: "configuration file \(file) cannot be read (permissions? running as \(currentUserName))")
        }
        return data
    }

    /// The effective system user (for messages about files it cannot read).
    public static var currentUserName: String {
        guard let pw = getpwuid(geteuid()), let name = pw.pointee.pw_name else { return "uid \(geteuid())" }
        return String(cString: name)
    }

    /// Decodes, naming the key and the expected type instead of a `DecodingError`.
    static func decode(_ data: Data, from origin: String) throws -> AppConfig {
        do {
            return try JSONDecoder().decode(AppConfig.self, from: data)
        } catch let DecodingError.typeMismatch(type, context) {
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw ConfigError(message: "\(key) in \(origin) must be \(describe(type))")
        } catch let DecodingError.dataCorrupted(context) {
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw ConfigError(message: "\(key.isEmpty ? "value" : key) in \(origin): \(context.debugDescription)")
        } catch let e as DecodingError {
            throw ConfigError(message: "\(origin): \(e)")
        }
    }

    static func describe(_ type: Any.Type) -> String {
        if type == Int.self { return "a whole number" }
        if type == Bool.self { return "true or false" }
        if type == String.self { return "a string (in double quotes)" }
        return "of type \(type)"
    }

    /// The known key closest to `key` (case, `_` and `-` ignored; edit distance ≤ 1/3 of the length),
    /// for the "did you mean" of an unknown key.
    public static func nearestKey(to key: String) -> String? {
        func fold(_ s: String) -> [Character] { Array(s.lowercased().filter { $0 != "_" && $0 != "-" }) }
        let k = fold(key)
        var best: (key: String, distance: Int)?
        for candidate in keys {
            let d = editDistance(k, fold(candidate))
            if d < (best?.distance ?? Int.max) { best = (candidate, d) }
        }
        guard let best, best.distance <= max(2, k.count / 3) else { return nil }
        return best.key
    }

    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1] + [Int](repeating: 0, count: b.count)
            for (j, y) in b.enumerated() {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    /// Numbers the code multiplies (minutes × 60, bytes) stay far from overflow, and nonsense
    /// (0 processes, a negative body limit) is refused at start with the key named.
    func checkRanges() throws {
        let limits: [(String, Int, ClosedRange<Int>)] = [
            ("processes", processes, 1...256), ("threads", threads, 0...1024),
            ("maxBodyBytes", maxBodyBytes, 1...(1 << 31)), ("maxFileBytes", maxFileBytes, 1...(1 << 31)),
            ("sessionMinutes", sessionMinutes, 1...(366 * 24 * 60)), ("loginMaxFailures", loginMaxFailures, 1...1_000_000),
            ("loginWindowMinutes", loginWindowMinutes, 1...(366 * 24 * 60)), ("dbBusyTimeoutMs", dbBusyTimeoutMs, 0...600_000),
            ("slowRequestMs", slowRequestMs, 0...3_600_000), ("escalateToGeneralManagerDays", escalateToGeneralManagerDays, 0...366),
        ]
        for (key, value, range) in limits where !range.contains(value) {
            throw ConfigError(message: "\(key) must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
        }
    }

    /// Whether `database` names a PostgreSQL server (`postgresql://` or `postgres://`).
    public var usesPostgreSQL: Bool { database.hasPrefix("postgresql://") || database.hasPrefix("postgres://") }
    /// The SQLite file (meaningless with PostgreSQL).
    public var databasePath: String { database.hasPrefix("/") ? database : dataDir + "/" + database }
    /// The database as logs and messages name it: the file, or the URL without its password.
    public var databaseDisplayName: String {
        guard usesPostgreSQL else { return databasePath }
        return database.replacingOccurrences(of: #"(://[^:/@]*):[^@/]*@"#, with: "$1:***@", options: .regularExpression)
    }
    public var filesDir: String { dataDir + "/files" }
    /// `load` refuses an unknown zone; a config built in code falls back to UTC+8 (Shanghai).
    public var zone: TimeZone { TimeZone(identifier: timeZone) ?? TimeZone(secondsFromGMT: 8 * 3600) ?? .current }
}

public struct ConfigError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// Where a setting's value came from (`salesd config --print`).
public enum ConfigSource: Sendable, Equatable {
    case `default`
    case file
    /// The variable's name, e.g. `SALES_DATA_DIR`.
    case environment(String)
    /// A command-line option, e.g. `--listen`.
    case flag(String)

    public var label: String {
        switch self {
        case .default: "default"
        case .file: "file"
        case .environment: "env"
        case .flag: "flag"
        }
    }
}

/// The configuration and, per key, the layer that set it: default < file < environment < flag.
public struct ResolvedConfig: Sendable {
    public var config: AppConfig
    /// The JSON file read, if any.
    public var file: String?
    public var sources: [String: ConfigSource]

    /// The effective configuration as JSON, each key with its value and origin:
    /// `{"file": …, "databasePath": …, "settings": {"dataDir": {"value": "/var/lib/sales", "from": "file"}, …}}`.
    public func json() throws -> String {
        guard let values = try JSONSerialization.jsonObject(with: JSONEncoder().encode(config)) as? [String: Any] else {
            throw ConfigError(message: "configuration does not encode as a JSON object")
        }
        let kinds = Dictionary(Mirror(reflecting: config).children.compactMap { c in c.label.map { ($0, c.value) } },
                               uniquingKeysWith: { a, _ in a })
        var settings: [String: Any] = [:]
        for key in AppConfig.keys {
            // Typed by the Swift property: a Bool stays true/false in the output (not 1/0).
            var entry: [String: Any] = ["value": (kinds[key] as? Bool).map { $0 as Any } ?? values[key] ?? NSNull()]
            let source = sources[key] ?? .default
            entry["from"] = source.label
            switch source {
            case .environment(let name): entry["env"] = name
            case .flag(let name): entry["flag"] = name
            case .file: entry["file"] = file ?? ""
            case .default: break
            }
            settings[key] = entry
        }
        let object: [String: Any] = ["file": file ?? NSNull(), "databasePath": config.databasePath, "settings": settings]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}

/// `logPriorityPrefix`: when log lines carry the sd-daemon `<N>` priority prefix.
public enum LogPriorityPrefix: String, Sendable {
    case auto, on, off
}
