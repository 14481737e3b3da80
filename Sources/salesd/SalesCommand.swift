import AdminModule
import ArgumentParser
import FastCGI
import Foundation
import Logging
import SalesHost
import SalesKit

@main
struct Salesd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "salesd",
        abstract: "销售管理系统 – FastCGI responder and admin CLI.",
        version: salesdVersion,
        subcommands: [Serve.self, Migrate.self, UserCommand.self, ConfigCommand.self, Modules.self, Routes.self, Forms.self, Backup.self, Restore.self, Check.self, Copy.self, Demo.self],
        defaultSubcommand: Serve.self)

    /// ArgumentParser's `main`, with the admin CLI's own failures printed as one clear line and
    /// their exit status (see `CLIFailure`) instead of a Swift error dump.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let failure as CLIFailure {
            failure.exit()
        } catch let error as AccountError {
            switch error {
            case .noSuchUser: CLIFailure(.noSuchUser, error.description).exit()
            case .userExists, .noSuchDepartment: CLIFailure(.invalidInput, error.description).exit()
            case .noSchema: CLIFailure(.fileError, error.description).exit()
            }
        } catch let error as SchemaTooNew {
            CLIFailure(.invalidInput, error.description).exit()
        } catch let error as Backups.Failure {
            CLIFailure(.invalidInput, error.description).exit()
        } catch let error as CocoaError {
            // A file the command needs (the data directory, the database) cannot be made or read:
            // the path and the system's reason, not Foundation's error dump.
            let info = (error as NSError).userInfo
            let path = (info[NSFilePathErrorKey] as? String) ?? error.url?.path ?? ""
            let reason = (info[NSUnderlyingErrorKey] as? any Error).map { String(cString: strerror(Int32(truncatingIfNeeded: ($0 as NSError).code))) }
                ?? error.localizedDescription
            CLIFailure(.fileError, "文件错误 (file error): \(path.isEmpty ? "" : path + ": ")\(reason) (running as \(AppConfig.currentUserName))").exit()
        } catch {
            exit(withError: error)
        }
    }
}

/// A refusal of the admin CLI: printed to stderr as `salesd: <message>`, exit status by kind
/// (sysexits.h, so scripts can tell them apart): 65 invalid input (a name or password the web
/// form would refuse, an unknown role, a user that exists), 67 no such user, 74 a file or folder
/// that cannot be made or read (the data directory) or a database without schema, 78 configuration error (missing file,
/// unknown key, bad value). Usage errors stay ArgumentParser's 64.
struct CLIFailure: Error, CustomStringConvertible {
    enum Kind: Int32 {
        case invalidInput = 65
        case noSuchUser = 67
        case fileError = 74
        case configuration = 78
    }
    var kind: Kind
    var message: String
    init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
    var description: String { message }

    func exit() -> Never {
        FileHandle.standardError.write(Data(("salesd: " + message + "\n").utf8))
        Foundation.exit(kind.rawValue)
    }
}

struct ConfigOptions: ParsableArguments {
    @Option(help: "Configuration file (JSON). Defaults to ./salesd.json when present. Precedence: file < SALES_* environment < command-line flags.")
    var config: String?

    /// The configuration with each value's origin; a bad file is a `CLIFailure` (exit 78).
    /// Also applies `logPriorityPrefix` to this process's log lines.
    func resolve() throws -> ResolvedConfig {
        do {
            let resolved = try AppConfig.resolve(path: config)
            LineLogHandler.configure(LogPriorityPrefix(rawValue: resolved.config.logPriorityPrefix) ?? .auto)
            return resolved
        } catch let e as ConfigError {
            throw CLIFailure(.configuration, "配置错误 (configuration error): \(e.message)")
        }
    }

    func load() throws -> AppConfig { try resolve().config }

    func app(_ config: AppConfig) throws -> App {
        LoggingSystem.bootstrap { LineLogHandler(label: $0) }
        do {
            return try App(config: config, modules: installedModules, version: salesdVersion)
        } catch let e as Registry.BootError {
            throw ValidationError(e.description)
        }
    }
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the FastCGI responder until SIGTERM/SIGINT: a master process keeping `processes` worker processes (SIGHUP reloads them).")
    @OptionGroup var options: ConfigOptions
    @Option(help: "Override the listen address: unix:/path, tcp:host:port, or inherit.")
    var listen: String?
    @Option(help: "Worker processes (overrides `processes`).")
    var processes: Int?
    @Option(help: "Worker threads per process (0 = 2 × cores).")
    var threads: Int?
    @Flag(help: .hidden) var worker = false

    func loadConfig() throws -> AppConfig {
        var config = try options.load()
        if let listen { config.listen = listen }
        if let processes { config.processes = processes }
        if let threads { config.threads = threads }
        return config
    }

    func run() throws {
        if worker { try runWorker() } else { try runMaster() }
    }

    /// The master: checks the installation once (registry, templates, migrations), opens the
    /// socket, and supervises the workers. It runs no request code.
    func runMaster() throws {
        let config = try loadConfig()
        let app = try options.app(config)
        try app.migrate(allowReadOnly: true)
        let logger = Logger(label: "salesd")
        let fd = try FastCGIListener.open(try listenAddress(config))
        var arguments = ["serve", "--worker"]
        if let path = options.config { arguments += ["--config", path] }
        if let threads { arguments += ["--threads", String(threads)] }
        let pool = try ProcessPool(
            processes: max(1, config.processes), listenFD: fd,
            command: .init(executable: ProcessPool.currentExecutable(), arguments: arguments, environment: [:]),
            reload: {
                // New workers read the configuration and templates themselves; checked here first
                // so a broken edit keeps the running workers instead of starting a crash loop.
                do {
                    let fresh = try loadConfig()
                    _ = try App(config: fresh, modules: installedModules)
                    logger.info("pool: SIGHUP: configuration and templates re-read")
                    return max(1, fresh.processes)
                } catch {
                    logger.error("pool: SIGHUP: \(error)")
                    return nil
                }
            },
            log: { level, message in
                switch level {
                case .info: logger.info("\(message)")
                case .warning: logger.warning("\(message)")
                case .error: logger.error("\(message)")
                }
            })
        logger.info("salesd master \(getpid()) listening on \(config.listen): \(max(1, config.processes)) worker process(es) × \(app.workerThreads) threads; modules: \(app.registry.modules.map(\.manifest.id).joined(separator: ", "))")
        pool.run()
        if fd > 0 { close(fd) }
        if config.listen.hasPrefix("unix:") { unlink(String(config.listen.dropFirst(5))) }
        logger.info("stopped")
    }

    /// One worker process: the threaded libfcgi server on the socket inherited as fd 0.
    func runWorker() throws {
        // First: a SIGTERM that arrives while this worker is still starting (the master stopping
        // or reloading) must not kill it by default action; it is taken once serving, as a
        // graceful stop. Blocked before any thread exists, so every thread inherits the mask.
        let waitForSignal = FastCGIServer.blockTerminationSignals()
        let page = ProcessPool.joinPool()
        let config = try loadConfig()
        var pool: (@Sendable () -> PoolHealth)?
        if let page {
            pool = {
                let s = page.snapshot
                return PoolHealth(wanted: s.wanted, alive: s.alive, restarts: s.restarts)
            }
        }
        let statsPage = ProcessPool.joinStats()
        let stats = statsPage.map { page in
            RequestStatsHooks(record: { us, status, slow in page.record(microseconds: us, status: status, slow: slow) }, read: {
                let s = page.snapshot
                return SystemStatus.Requests(total: s.requests, serverErrors: s.serverErrors, slow: s.slow,
                                             meanMilliseconds: s.requests > 0 ? Double(s.totalMicroseconds) / Double(s.requests) / 1000 : 0,
                                             p50: s.percentile(0.5), p95: s.percentile(0.95), p99: s.percentile(0.99))
            })
        }
        LoggingSystem.bootstrap { LineLogHandler(label: $0) }
        let app: App
        do {
            app = try App(config: config, modules: installedModules, pool: pool, requestStats: stats, version: salesdVersion)
        } catch let e as Registry.BootError {
            throw ValidationError(e.description)
        }
        let logger = Logger(label: "salesd")
        let server = FastCGIServer(configuration: .init(listen: .inherited, threads: app.workerThreads, maxBodyBytes: config.maxBodyBytes)) { index in
            do {
                let worker = try app.makeWorker()
                return { request in
                    let r = worker.handle(RawRequest(params: request.params, body: request.body,
                                                     bodyTooLarge: request.bodyTooLarge, bodyMalformed: request.bodyMalformed))
                    return FastCGIResponse(status: r.status, headers: r.headers, body: r.body)
                }
            } catch {
                // The master replaces this process (with back-off if it keeps failing).
                logger.critical("worker \(getpid()) thread \(index): cannot open the database: \(error)")
                Foundation.exit(70)
            }
        }
        try server.start()
        logger.info("worker \(getpid()) serving with \(app.workerThreads) threads")
        statsPage?.workerReady()
        let signo = waitForSignal()
        logger.info("worker \(getpid()): signal \(signo): stopping; \(server.inFlight) request(s) in flight")
        server.shutdown()
        server.wait()
    }

    func listenAddress(_ config: AppConfig) throws -> FastCGIConfiguration.Listen {
        if config.listen == "inherit" { return .inherited }
        if config.listen.hasPrefix("unix:") {
            let path = String(config.listen.dropFirst(5))
            let dir = (path as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(atPath: dir.isEmpty ? "." : dir, withIntermediateDirectories: true)
            return .unix(path: path)
        }
        if config.listen.hasPrefix("tcp:") { return .tcp(String(config.listen.dropFirst(4))) }
        throw ValidationError("listen must be unix:/path, tcp:host:port or inherit")
    }
}

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create or upgrade the database schema.")
    @OptionGroup var options: ConfigOptions

    func run() throws {
        let app = try options.app(try options.load())
        let steps = try app.migrate()
        if steps.isEmpty { print("数据库已是最新 (database is up to date): \(app.config.databaseDisplayName)") }
        for (module, version, name) in steps { print("applied \(module) v\(version): \(name)") }
    }
}

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Print the effective configuration as JSON, each value with where it came from (default < file < env < flag).",
        discussion: "The same --listen/--processes/--threads as `salesd serve` may be given to see their effect.")
    @OptionGroup var options: ConfigOptions
    @Flag(name: .customLong("print"), help: "Print the effective configuration as JSON (the default).") var printJSON = false
    @Flag(help: "Only check the configuration: exit 0 and one line if it loads, 78 and the reason if not.") var check = false
    @Option(help: "As `salesd serve --listen`.") var listen: String?
    @Option(help: "As `salesd serve --processes`.") var processes: Int?
    @Option(help: "As `salesd serve --threads`.") var threads: Int?

    func run() throws {
        var resolved = try options.resolve()
        if let listen {
            resolved.config.listen = listen
            resolved.sources["listen"] = .flag("--listen")
        }
        if let processes {
            resolved.config.processes = processes
            resolved.sources["processes"] = .flag("--processes")
        }
        if let threads {
            resolved.config.threads = threads
            resolved.sources["threads"] = .flag("--threads")
        }
        do {
            try resolved.config.validate()
        } catch let e as ConfigError {
            throw CLIFailure(.configuration, "配置错误 (configuration error): \(e.message)")
        }
        if check {
            print("配置有效 (configuration OK): file \(resolved.file ?? "(none)"), database \(resolved.config.databaseDisplayName)")
            return
        }
        print(try resolved.json())
    }
}

/// The web's rules for accounts, applied to the CLI's input: the admin module's own user form
/// (`user.create` in Plugins/Admin — username pattern, name length, password
/// length, known roles), bound like a submitted form.
enum UserRules {
    static let options = ["username": "NAME", "display_name": "--display-name",
                          "password": "--password", "roles": "--roles"]

    static func check(_ fields: [(String, String)]) throws -> FormValues {
        guard let form = AdminModule().forms["user.create"] else {
            throw CLIFailure(.invalidInput, "the admin module declares no user.create form")
        }
        let names = Set(fields.map(\.0))
        let schema = FormSchema(form.fields.filter { names.contains($0.name) })
        let bound = schema.bind(FormData(fields.map { (name: $0.0, value: $0.1) }))
        if let values = bound.values { return values }
        var lines: [String] = []
        for f in schema.fields {
            guard let message = bound.errors[f.name] else { continue }
            let typed = f.name == "password" ? "" : " " + LogText.field(fields.first { $0.0 == f.name }?.1 ?? "")
            lines.append("\(options[f.name] ?? f.name)\(typed) (\(f.label)): \(message)")
        }
        lines += bound.formErrors
        throw CLIFailure(.invalidInput, "输入无效，与网页表单规则相同 (invalid input, same rules as the web form):\n  " + lines.joined(separator: "\n  "))
    }

    /// --password, else $SALES_PASSWORD, else generated (and then printed once).
    static func password(_ option: String?) -> (String, generated: Bool) {
        if let option { return (option, false) }
        if let env = ProcessInfo.processInfo.environment["SALES_PASSWORD"] { return (env, false) }
        return (Token.make(bytes: 9), true)
    }
}

struct UserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage users (the web's rules; every change writes an audit row as user `cli`).",
        discussion: "Exit status: 0 done, 65 invalid input or the user exists, 67 no such user, 78 configuration error.",
        subcommands: [Add.self, Passwd.self, Roles.self, List.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user. The password comes from --password, $SALES_PASSWORD, or is generated and printed once.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "2–32 letters, digits or . _ - (as the web form).") var username: String
        @Option var displayName: String?
        @Option(help: "Comma-separated role ids (see `salesd user roles --list`).") var roles: String = ""
        @Option(help: "Department names or codes, comma-separated (default: the standard department of each role).") var department: String = ""
        @Option(help: "8–128 characters (as the web form).") var password: String?
        @Option(help: "Why, for the audit log.") var reason: String?
        @Flag(help: "Succeed without changes if the user exists.") var ifMissing = false

        func run() throws {
            let app = try options.app(try options.load())
            try app.migrate()
            let accounts = try Accounts(app: app)
            if ifMissing, try accounts.userID(username) != nil {
                print("用户已存在，未作修改 (user \(username) exists; nothing changed)")
                return
            }
            let roleIDs = try parseRoles(roles)
            let (pw, generated) = UserRules.password(password)
            // Without --display-name the name is the username (checked once, as the username).
            let v = try UserRules.check([("username", username)] + (displayName.map { [("display_name", $0)] } ?? [])
                                        + [("password", pw)] + roleIDs.map { ("roles", $0) })
            // Departments are directory records: names or codes, checked against the directory.
            _ = try accounts.departmentCodes(department)
            let id = try accounts.addUser(username: v.string("username"), displayName: displayName == nil ? v.string("username") : v.string("display_name"),
                                          department: department, password: v.string("password"),
                                          roles: v.list("roles"), by: .cli(command: "salesd user add", reason: reason))
            print("created user \(v.string("username")) (id \(id))")
            if generated { print("password: \(pw)") }
        }
    }

    struct Passwd: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a user's password (--password, $SALES_PASSWORD, or generated); ends the user's sessions.")
        @OptionGroup var options: ConfigOptions
        @Argument var username: String
        @Option(help: "8–128 characters (as the web form).") var password: String?
        @Option(help: "Why, for the audit log.") var reason: String?
        @Flag(help: "A temporary password: the user must set a new one at the next login (as after a reset on the web).") var temporary = false

        func run() throws {
            let app = try options.app(try options.load())
            let accounts = try Accounts(app: app)
            guard try accounts.userID(username) != nil else { throw AccountError.noSuchUser(username) }
            let (pw, generated) = UserRules.password(password)
            let v = try UserRules.check([("password", pw)])
            let ended = try accounts.setPassword(username: username, password: v.string("password"), temporary: temporary,
                                                 by: .cli(command: "salesd user passwd", reason: reason))
            print("password of \(username) changed; \(ended) session(s) ended")
            if generated { print("password: \(pw)") }
        }
    }

    struct Roles: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show or set a user's roles.")
        @OptionGroup var options: ConfigOptions
        @Argument var username: String?
        @Option(help: "Comma-separated role ids to set (replaces the current roles).") var set: String?
        @Option(help: "Why, for the audit log (with --set).") var reason: String?
        @Flag(help: "List the role ids.") var list = false

        func run() throws {
            guard !list, let username else {
                for r in Role.all { print("\(r.id)\t\(r.title)") }
                return
            }
            let app = try options.app(try options.load())
            let accounts = try Accounts(app: app)
            if let set {
                let v = try UserRules.check(try parseRoles(set).map { ("roles", $0) })
                try accounts.setRoles(username: username, roles: v.list("roles"), by: .cli(command: "salesd user roles --set", reason: reason))
            }
            print(try accounts.roles(username: username).joined(separator: ","))
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users.")
        @OptionGroup var options: ConfigOptions
        func run() throws {
            let app = try options.app(try options.load())
            for u in try Accounts(app: app).list() { print(u) }
        }
    }
}

func parseRoles(_ text: String) throws -> [String] {
    let ids = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    for id in ids where !Role.all.contains(where: { $0.id == id }) {
        throw CLIFailure(.invalidInput, "未知角色 (unknown role) '\(id)'; known: \(Role.all.map(\.id).joined(separator: ", "))")
    }
    return ids
}

struct Modules: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List installed modules: id, version, permissions.")
    @OptionGroup var options: ConfigOptions
    func run() throws {
        let app = try options.app(try options.load())
        for m in app.registry.modules {
            let deps = m.manifest.dependencies.isEmpty ? "" : " (depends on \(m.manifest.dependencies.joined(separator: ", ")))"
            print("\(m.manifest.id)\t\(m.manifest.version)\t\(m.manifest.title)\(deps)")
            for p in m.permissions { print("    \(p.id)\t\(p.title)\tdefault roles: \(p.defaultRoles.map(\.id).joined(separator: ","))") }
        }
    }
}

struct Routes: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List routes: method, path, module, permission.")
    @OptionGroup var options: ConfigOptions
    func run() throws {
        let app = try options.app(try options.load())
        for r in app.registry.router.all { print("\(r.method)\t\(r.path)\t\(r.module)\t\(r.access.label)") }
    }
}

struct Forms: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List every module's declared forms: module, form, field, kind (rows as name.N.field).")
    @OptionGroup var options: ConfigOptions
    func run() throws {
        let app = try options.app(try options.load())
        func fields(_ schema: FormSchema, _ prefix: String) -> [(String, String)] {
            schema.fields.flatMap { f -> [(String, String)] in
                switch f.kind {
                case .text: [(prefix + f.name, "text")]
                case .textarea: [(prefix + f.name, "textarea")]
                case .password: [(prefix + f.name, "password")]
                case .integer: [(prefix + f.name, "integer")]
                case .money: [(prefix + f.name, "money")]
                case .date: [(prefix + f.name, "date")]
                case .select: [(prefix + f.name, "select")]
                case .multiSelect: [(prefix + f.name, "multiSelect")]
                case .checkbox: [(prefix + f.name, "checkbox")]
                case .file: [(prefix + f.name, "file")]
                case .rows(let rows, _, _): fields(rows, prefix + f.name + ".N.")
                }
            }
        }
        for m in app.registry.modules {
            for (name, schema) in m.forms.sorted(by: { $0.key < $1.key }) {
                for (field, kind) in fields(schema, "") { print("\(m.manifest.id)\t\(name)\t\(field)\t\(kind)") }
            }
        }
    }
}

