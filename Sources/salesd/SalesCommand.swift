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
        subcommands: [Serve.self, Migrate.self, UserCommand.self, Modules.self, Routes.self, Forms.self, Backup.self],
        defaultSubcommand: Serve.self)
}

struct ConfigOptions: ParsableArguments {
    @Option(help: "Configuration file (JSON). Defaults to ./salesd.json when present; SALES_* variables override.")
    var config: String?

    func load() throws -> AppConfig { try AppConfig.load(path: config) }

    func app(_ config: AppConfig) throws -> App {
        LoggingSystem.bootstrap { LineLogHandler(label: $0) }
        do {
            return try App(config: config, modules: installedModules)
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
        let page = ProcessPool.joinPool()
        let config = try loadConfig()
        var pool: (@Sendable () -> PoolHealth)?
        if let page {
            pool = {
                let s = page.snapshot
                return PoolHealth(wanted: s.wanted, alive: s.alive, restarts: s.restarts)
            }
        }
        LoggingSystem.bootstrap { LineLogHandler(label: $0) }
        let app: App
        do {
            app = try App(config: config, modules: installedModules, pool: pool)
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
        let waitForSignal = FastCGIServer.blockTerminationSignals()
        try server.start()
        logger.info("worker \(getpid()) serving with \(app.workerThreads) threads")
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
        if steps.isEmpty { print("数据库已是最新 (database is up to date)") }
        for (module, version, name) in steps { print("applied \(module) v\(version): \(name)") }
    }
}

struct UserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "user", abstract: "Manage users.",
                                                    subcommands: [Add.self, Passwd.self, Roles.self, List.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user. The password comes from --password, $SALES_PASSWORD, or is generated and printed once.")
        @OptionGroup var options: ConfigOptions
        @Argument var username: String
        @Option var displayName: String?
        @Option(help: "Comma-separated role ids (see `salesd user roles --list`).") var roles: String = ""
        @Option var department: String = ""
        @Option var password: String?
        @Flag(help: "Succeed without changes if the user exists.") var ifMissing = false

        func run() throws {
            let app = try options.app(try options.load())
            try app.migrate()
            let accounts = try Accounts(app: app)
            if ifMissing, try accounts.userID(username) != nil {
                print("user \(username) exists")
                return
            }
            let (pw, generated) = password.map { ($0, false) } ?? ProcessInfo.processInfo.environment["SALES_PASSWORD"].map { ($0, false) }
                ?? (Token.make(bytes: 9), true)
            let id = try accounts.addUser(username: username, displayName: displayName ?? username, department: department,
                                          password: pw, roles: parseRoles(roles))
            print("created user \(username) (id \(id))")
            if generated { print("password: \(pw)") }
        }
    }

    struct Passwd: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a user's password (--password, $SALES_PASSWORD, or generated).")
        @OptionGroup var options: ConfigOptions
        @Argument var username: String
        @Option var password: String?

        func run() throws {
            let app = try options.app(try options.load())
            let accounts = try Accounts(app: app)
            let (pw, generated) = password.map { ($0, false) } ?? ProcessInfo.processInfo.environment["SALES_PASSWORD"].map { ($0, false) }
                ?? (Token.make(bytes: 9), true)
            try accounts.setPassword(username: username, password: pw)
            print("password of \(username) changed")
            if generated { print("password: \(pw)") }
        }
    }

    struct Roles: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show or set a user's roles.")
        @OptionGroup var options: ConfigOptions
        @Argument var username: String?
        @Option(help: "Comma-separated role ids to set (replaces the current roles).") var set: String?
        @Flag(help: "List the role ids.") var list = false

        func run() throws {
            guard !list, let username else {
                for r in Role.all { print("\(r.id)\t\(r.title)") }
                return
            }
            let app = try options.app(try options.load())
            let accounts = try Accounts(app: app)
            if let set { try accounts.setRoles(username: username, roles: try parseRoles(set)) }
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
        throw ValidationError("unknown role '\(id)'; known: \(Role.all.map(\.id).joined(separator: ", "))")
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

struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Online backup of the SQLite database to a file.")
    @OptionGroup var options: ConfigOptions
    @Argument var destination: String
    func run() throws {
        let app = try options.app(try options.load())
        let db = try app.openDatabase()
        guard !FileManager.default.fileExists(atPath: destination) else { throw ValidationError("\(destination) exists") }
        try db.backup(to: destination)
        print("backup written to \(destination)")
    }
}
