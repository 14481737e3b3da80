import Foundation
import SalesHost
import SalesKit
import Synchronization
import Testing

/// Runs modules' routes without libfcgi or nginx: a real host, a real SQLite database in a
/// temporary folder (or a fresh PostgreSQL database with `SALES_TEST_BACKEND=postgresql`), and
/// a cookie-keeping client.
///
/// ```swift
/// let app = try TestApp(modules: [MyModule()])
/// try app.addUser("rep1", roles: [.salesRep])
/// let client = app.client()
/// try client.login("rep1")
/// let page = try client.get("/mine/things")
/// #expect(page.status == 200)
/// let r = try client.submit("/mine/things/new", ["name": "张三"])   // adds the CSRF token
/// #expect(r.status == 303)
/// ```
///
/// A request that records a `ProgrammingError` (a form value read by a name its schema does not
/// declare, an error attached to an undeclared field) fails the running test, unless
/// `failOnProgrammingErrors` is turned off (tests that provoke one on purpose read
/// `programmingErrors` instead).
public final class TestApp {
    public let app: App
    public let worker: Worker
    public let directory: String
    public static let password = "测试密码-Passw0rd"
    /// Whether a programming error recorded during a client's request fails the running test.
    public var failOnProgrammingErrors = true
    let recordedErrors = Recorded()

    /// The programming errors recorded during this app's clients' requests, oldest first.
    public var programmingErrors: [ProgrammingError] { recordedErrors.list.withLock { $0 } }

    /// - Parameters:
    ///   - pluginsDir: folder with each module's `<folder>/templates` (default: the repo's Plugins).
    ///   - configure: adjust the configuration (data dir is already a temp folder).
    public init(modules: [any DepartmentModule], pluginsDir: String? = nil, configure: (inout AppConfig) -> Void = { _ in }) throws {
        let root = TestApp.repositoryRoot
        directory = NSTemporaryDirectory() + "sales-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var config = AppConfig()
        config.dataDir = directory
        config.webDir = root + "/Web"
        config.pluginsDir = pluginsDir ?? root + "/Plugins"
        config.sqliteSynchronous = "NORMAL"
        // `SALES_TEST_BACKEND=postgresql` (`make unit-pg`): the same suites on a fresh database of
        // a real PostgreSQL server started for this test process.
        let postgres = ProcessInfo.processInfo.environment["SALES_TEST_BACKEND"] == "postgresql"
        if postgres {
            config.database = try PostgresServer.shared().freshDatabaseURL()
        }
        configure(&config)
        // A test that reopens another TestApp's data folder (an upgrade from an older schema)
        // reopens its database too.
        let folder = directory, dataDir = config.dataDir
        if postgres, dataDir != folder, let url = TestApp.databases.withLock({ $0[dataDir] }) {
            config.database = url
        }
        if postgres { let url = config.database; TestApp.databases.withLock { $0[folder] = url } }
        app = try App(config: config, modules: modules)
        try app.migrate()
        worker = try app.makeWorker()
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// Each TestApp's PostgreSQL database by its data folder.
    static let databases = Mutex<[String: String]>([:])

    /// The repository root (found from this source file's location).
    public static var repositoryRoot: String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }

    public var db: any Database { worker.db }

    @discardableResult
    public func addUser(_ username: String, roles: [Role], displayName: String? = nil, department: String = "") throws -> Int64 {
        // A department a test names that the directory lacks becomes one (tests read as before).
        for name in department.split(whereSeparator: { ",，、".contains($0) }).map(String.init) {
            if try worker.db.first("SELECT id FROM departments WHERE name = \(name) OR code = \(name)") == nil {
                let n = (try worker.db.scalar("SELECT COUNT(*) FROM departments") ?? 0) + 1
                try worker.db.execute("INSERT INTO departments (code, name, position) VALUES (\("test\(n)"), \(name), 100)")
            }
        }
        return try Accounts(db: worker.db).addUser(username: username, displayName: displayName ?? username, department: department,
                                           password: Self.password, roles: roles.map(\.id))
    }

    public func client() -> TestClient { TestClient(app: self) }

    /// A request context outside any request (for calling services directly), as `module`.
    public func context(module: String = "admin", user: User? = nil, now: Date = Date()) -> Context {
        Context(request: Request(method: "GET", path: "/"), user: user, db: worker.db, now: now,
                timeZone: TimeZone(identifier: app.config.timeZone) ?? TimeZone(secondsFromGMT: 8 * 3600) ?? .current,
                module: module, csrfToken: "", resumedForm: nil, host: worker)
    }

    /// Programming errors seen by this app's clients (written from the request's thread).
    final class Recorded: Sendable {
        let list = Mutex<[ProgrammingError]>([])
    }
}

/// One browser: keeps cookies, reads CSRF tokens from pages, follows nothing automatically
/// (`InProcessBrowser`, which `salesd demo` uses too), and fails the test whose request records
/// a programming error.
public final class TestClient {
    let app: TestApp
    var worker: Worker { app.worker }
    var browser = InProcessBrowser()
    public var cookies: [String: String] {
        get { browser.cookies }
        set { browser.cookies = newValue }
    }
    public var remoteAddress: String {
        get { browser.remoteAddress }
        set { browser.remoteAddress = newValue }
    }
    /// The last `_csrf` token seen in a page.
    public var csrf: String? {
        get { browser.csrf }
        set { browser.csrf = newValue }
    }

    init(app: TestApp) { self.app = app }

    public struct Response {
        public var status: Int
        public var headers: [(String, String)]
        public var body: String
        public func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
        public var location: String? { header("Location") }
    }

    /// Sends a request. `form` is urlencoded for POST; `raw` overrides the body entirely.
    @discardableResult
    public func request(_ method: String, _ uri: String, form: FormData? = nil, contentType: String? = nil,
                        body: [UInt8]? = nil, headers: [String: String] = [:]) -> Response {
        let raw = browser.request(method, uri, form: form, contentType: contentType, body: body, headers: headers)
        // Errors are collected per request through the task-local observer, so with tests running
        // in parallel each test sees only its own.
        let seen = TestApp.Recorded()
        let r = ProgrammingErrors.$observer.withValue({ e in seen.list.withLock { $0.append(e) } }) {
            worker.handle(raw)
        }
        let errors = seen.list.withLock { $0 }
        if !errors.isEmpty {
            app.recordedErrors.list.withLock { $0 += errors }
            if app.failOnProgrammingErrors {
                Issue.record(Comment(rawValue: "programming error during \(method) \(uri) (status \(r.status)):\n"
                    + errors.map { "  • \($0)" }.joined(separator: "\n")))
            }
        }
        let text = browser.absorb(r)
        return Response(status: r.status, headers: r.headers, body: text)
    }

    @discardableResult
    public func get(_ uri: String) -> Response { request("GET", uri) }

    /// POSTs `fields` with the current CSRF token added (fetch a page first, or log in).
    @discardableResult
    public func submit(_ uri: String, _ fields: [(String, String)]) -> Response {
        var form = FormData()
        form.append("_csrf", csrf ?? "")
        for (k, v) in fields { form.append(k, v) }
        return request("POST", uri, form: form)
    }

    @discardableResult
    public func submit(_ uri: String, _ fields: KeyValuePairs<String, String>) -> Response {
        submit(uri, fields.map { ($0.key, $0.value) })
    }

    /// Logs in through the real login form; returns the POST's response (303 on success). After
    /// a successful login the client holds the session's CSRF token (read from the home page), so
    /// `submit` works at once.
    @discardableResult
    /// A refused action's message: the action redirected back (303) and the next page shows the
    /// refusal as an error flash (kept in the session, never in the URL). nil when there is none.
    public func refusal(after r: Response) -> String? {
        guard r.status == 303, let location = r.location else { return nil }
        return InProcessBrowser.flashError(in: get(location).body)
    }

    @discardableResult
    public func login(_ username: String, password: String = TestApp.password) -> Response {
        get("/login")
        let r = submit("/login", [("username", username), ("password", password)])
        if r.status == 303 { get("/") }
        return r
    }
}
