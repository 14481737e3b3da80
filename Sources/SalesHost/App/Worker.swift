import Foundation
import Logging
@_spi(Host) import SalesKit
import SQLiteStore

/// Handles requests on one worker thread with that thread's own database connection.
/// Not shared between threads.
public final class Worker: ContextHost {
    public let app: App
    public let db: any Database
    var setCookies: [String] = []
    /// This request's mount prefix (`""` or `/sales`, see `RequestTarget`) and whether the front
    /// end said it came over HTTPS (cookies then get `Secure`).
    var mount = ""
    var viaHTTPS = false
    /// This request's id (8 hex digits): in its access-log line, its error page, the
    /// `X-Request-Id` header and every log line about it. The route pattern it matched, for the
    /// slow-request log.
    public internal(set) var requestID = ""
    var routePattern = "-"
    /// Stored, not `lazy`: a lazy property's accessor cost ~300 instructions per time shown.
    var timeFormatter: LocalTimeFormatter
    /// `config.zone`, made once (it builds a `TimeZone` from the identifier on every read).
    let zone: TimeZone
    var menuCache: [Int64: MenuCacheEntry] = [:]
    /// The modules that are on, read at most once a second (a switch on the admin page reaches
    /// every worker of every process within a second).
    private var enabledCache: (at: Date, modules: Set<String>)?

    /// The ids of the modules that are on now.
    func enabledModules(now: Date) throws -> Set<String> {
        if let c = enabledCache, now.timeIntervalSince(c.at) < 1, now >= c.at { return c.modules }
        let on = app.registry.switches.enabled(stored: try ModuleSwitches.stored(db))
        enabledCache = (now, on)
        return on
    }
    /// This request's valid session (nil without one), and the flash message it carried in.
    var sessionID: String?
    var sessionCSRF: String?
    var sessionFlash: Flash?
    /// This request's user and route module once known (error pages show the menu then).
    var currentUser: User?
    var currentModule = "core"
    var currentPath = "/"
    var currentMethod = "GET"
    /// When this thread last purged expired idempotency tokens (epoch seconds).
    var lastIdempotencyPurge: Int64 = 0
    /// Overrides "now" (tests of deadlines); nil means the clock.
    public var clock: (() -> Date)?
    /// Request ids: a random start per worker thread, then counted (8 hex digits) — unique in
    /// the logs without a random-number system call per request.
    private var requestCounter: UInt32 = UInt32.random(in: .min ... .max)

    private func nextRequestID() -> String {
        requestCounter &+= 1
        // 8 lower-case hex digits, zero-padded (`String(n, radix: 16)` padded to 8), written
        // into this worker's 8-byte buffer: the String is a small one, no allocation.
        var n = requestCounter
        // From the last digit back: each the low four bits, then shifted out.
        for i in stride(from: 7, through: 0, by: -1) {
            let digit = UInt8(truncatingIfNeeded: n & 0xF)
            requestIDDigits[i] = digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10
            n >>= 4
        }
        return String(decoding: requestIDDigits, as: UTF8.self)
    }

    private var requestIDDigits = [UInt8](repeating: UInt8(ascii: "0"), count: 8)

    /// The configured mount prefix, normalised once (`RequestTarget.normalizedMount`).
    let mountPrefix: String

    init(app: App, db: any Database) {
        self.app = app
        self.db = db
        self.mountPrefix = RequestTarget.normalizedMount(app.config.mountPath) ?? ""
        self.zone = app.config.zone
        timeFormatter = LocalTimeFormatter(zone: zone)
    }

    var config: AppConfig { app.config }

    // MARK: - Entry point

    public func handle(_ raw: RawRequest) -> Response {
        let started = DispatchTime.now().uptimeNanoseconds
        setCookies = []
        requestID = nextRequestID()
        routePattern = "-"
        sessionID = nil
        sessionCSRF = nil
        sessionFlash = nil
        currentUser = nil
        currentModule = "core"
        currentPath = "/"
        currentMethod = "GET"
        // Read once: `parseRequest` takes the same.
        let site = RequestTarget.site(raw.params, mount: mountPrefix)
        mount = site.mount
        viaHTTPS = site.isHTTPS
        var who = "-"
        var response: Response
        do {
            response = try process(raw, site: site, who: &who)
        } catch {
            response = errorResponse(error, raw: raw)
        }
        for c in setCookies { response.headers.append(("Set-Cookie", c)) }
        if !mount.isEmpty { applyMount(&response) }
        response.headers.reserveCapacity(response.headers.count + 2)
        if response.header("Cache-Control") == nil { response.headers.append(("Cache-Control", "no-store")) }
        response.headers.append(("X-Request-Id", requestID))
        let tenths = (DispatchTime.now().uptimeNanoseconds - started + 50_000) / 100_000   // 0.1 ms, rounded
        let method = raw.params["REQUEST_METHOD"] ?? "-"
        let uri = raw.params["REQUEST_URI"] ?? "-"
        app.accessLogger.info(Logger.Message(stringLiteral: Self.accessLine(
            method: method, uri: uri, status: response.status, bytes: response.body.count, tenths: tenths, who: who,
            requestID: requestID)))
        let slow = config.slowRequestMs > 0 && tenths / 10 >= UInt64(clamping: config.slowRequestMs)
        app.requestStats?.record(Int64(clamping: tenths * 100), response.status, slow)
        if slow {
            app.logger.warning("slow request req=\(requestID): \(method) \(routePattern) took \(tenths / 10).\(tenths % 10)ms (slowRequestMs \(config.slowRequestMs)) status=\(response.status) user=\(who)")
        }
        return response
    }

    /// The access-log message: `METHOD URI STATUS BYTESB T.Tms user=WHO req=ID` (`tenths`: the
    /// time in 0.1 ms). Put together as bytes in one buffer: the text of the string
    /// interpolation it replaces, without a String append and a generic `description` per part.
    static func accessLine(method: String, uri: String, status: Int, bytes count: Int, tenths: UInt64, who: String,
                           requestID: String) -> String {
        var line: [UInt8] = []
        line.reserveCapacity(method.utf8.count + uri.utf8.count + who.utf8.count + requestID.utf8.count + 64)
        line += method.utf8
        line.append(UInt8(ascii: " "))
        line += uri.utf8
        line.append(UInt8(ascii: " "))
        appendDecimal(status, to: &line)
        line.append(UInt8(ascii: " "))
        appendDecimal(count, to: &line)
        line.append(UInt8(ascii: "B"))
        line.append(UInt8(ascii: " "))
        appendDecimal(tenths / 10, to: &line)
        line.append(UInt8(ascii: "."))
        appendDecimal(tenths % 10, to: &line)
        line += "ms user=".utf8
        line += who.utf8
        line += " req=".utf8
        line += requestID.utf8
        return String(decoding: line, as: UTF8.self)
    }

    /// `String(n)`'s digits.
    static func appendDecimal(_ n: Int, to out: inout [UInt8]) {
        guard n >= 0 else {
            out += String(n).utf8
            return
        }
        appendDecimal(UInt64(n), to: &out)
    }

    static func appendDecimal(_ n: UInt64, to out: inout [UInt8]) {
        if n >= 10 { appendDecimal(n / 10, to: &out) }
        out.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: n % 10))
    }

    func process(_ raw: RawRequest, site: RequestTarget.Site? = nil, who: inout String) throws -> Response {
        let now = clock?() ?? testClock() ?? Date()
        if raw.bodyTooLarge { throw HTTPError.payloadTooLarge }
        if raw.bodyMalformed { throw HTTPError.badRequest("请求体长度与声明不符") }
        var request = try parseRequest(raw, site: site)
        currentPath = request.path
        currentMethod = request.method

        guard case .found(let route, let params) = app.registry.router.match(method: request.method, path: request.path) else {
            adoptSession(try? loadSession(request, now: now), who: &who)   // the error page keeps the menu
            if case .methodNotAllowed = app.registry.router.match(method: request.method, path: request.path) {
                return errorPage(405, "请求方法不允许", "此地址不支持 \(request.method) 请求。")
            }
            throw HTTPError.notFound
        }
        request.parameters = params
        routePattern = route.path
        // A switched-off module's routes are gone (its pages and forms: 404), as its menu.
        if route.module != "core", try !enabledModules(now: now).contains(route.module) {
            adoptSession(try? loadSession(request, now: now), who: &who)
            throw HTTPError.notFound
        }

        var session = try loadSession(request, now: now)
        if config.trustRemoteUser, let remote = raw.params["REMOTE_USER"], !remote.isEmpty {
            session = try ssoSession(remote, current: session, now: now)
        }
        adoptSession(session, who: &who)
        let user = currentUser
        currentModule = route.module

        switch route.access {
        case .public:
            if request.method == "POST" {
                let expected = request.cookies[CoreRoutes.preCSRFCookie] ?? ""
                guard !expected.isEmpty, Token.equal(expected, request.form["_csrf"] ?? "") else { throw CSRFFailure() }
            }
        case .authenticated, .permission, .anyOf:
            guard let user, let session else {
                return try redirectToLogin(request, expired: session, now: now)
            }
            // A password an administrator set is changed first (issue 18): every other page leads there.
            if user.mustChangePassword, request.path != AccountRoutes.path, request.path != "/logout" {
                return .redirect(to: AccountRoutes.path)
            }
            guard user.may(route.access) else { throw HTTPError.forbidden }
            if request.method == "POST" {
                guard Token.equal(session.csrf, request.form["_csrf"] ?? "") else { throw CSRFFailure() }
            }
        }

        var resumed: FormData?
        if request.method == "GET", let id = request.query["_resume"], let user {
            resumed = try takePendingForm(id: id, user: user, path: request.path)
        }
        let sessionCSRF = session?.valid == true ? session?.csrf : nil
        let ctx = Context(request: request, user: user, db: db, now: now, timeZone: zone, module: route.module,
                          csrfToken: sessionCSRF ?? self.preSessionToken(request),
                          resumedForm: resumed, host: self)
        do {
            if request.method == "POST", let user, let key = request.form["_idem"], !key.isEmpty {
                return try idempotent(key: key, user: user, now: now) {
                    let response = try route.handler(request, ctx)
                    keepFlash(response, ctx)   // in the same transaction as the change
                    return response
                }
            }
            let response = try route.handler(request, ctx)
            keepFlash(response, ctx)
            return response
        } catch let failure as StorageError where request.method == "POST" && failure.isUnavailable {
            return try keptForm(after: failure, route: route, request: request, context: ctx)
        }
    }

    /// This request's session as the layout and flash messages use it (a valid one only).
    func adoptSession(_ session: SessionState?, who: inout String) {
        guard let session, session.valid, let user = session.user else { return }
        sessionID = session.id
        sessionCSRF = session.csrf
        sessionFlash = session.flash
        currentUser = user
        who = user.username
    }

    /// A submit the database could not take (locked past the busy timeout, disk full, read-only;
    /// everything was rolled back). The handler runs once more with writes refused
    /// (`PRAGMA query_only`) and `ctx.storageFailure` set, so `handleForm` answers with the same
    /// form, every typed value kept and the reason on top (503; 422 if the input was invalid).
    /// A route without a form gets the generic page (`errorResponse`).
    func keptForm(after failure: StorageError, route: RouteDefinition, request: Request, context ctx: Context) throws -> Response {
        app.logger.warning("storage unavailable on POST \(request.path): \(failure)")
        ctx.storageFailure = failure
        do { try db.setQueryOnly(true) } catch { throw failure }
        defer { try? db.setQueryOnly(false) }
        guard let response = try? route.handler(request, ctx), response.status == 503 || response.status == 422 else {
            throw failure
        }
        return response
    }

    /// The test clock (`clockFile`, only with `debugRoutes`).
    func testClock() -> Date? {
        guard config.debugRoutes, !config.clockFile.isEmpty,
              let text = try? String(contentsOfFile: config.clockFile, encoding: .utf8) else { return nil }
        return ISO8601DateFormatter().date(from: text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    // MARK: - Idempotent submits

    /// Every form carries a fresh `_idem` token (the `form/csrf` partial). The first POST with a
    /// token runs; a repeat (double click, browser retry, resubmit after a lost response) gets the
    /// same 303 without running the handler again, so it creates nothing twice. A submit that did
    /// not succeed (422, error) records nothing, so the corrected form can be sent.
    func idempotent(key: String, user: User, now: Date, _ handler: () throws -> Response) throws -> Response {
        guard key.utf8.count <= 64, Token.isHex(key) else { throw HTTPError.badRequest("表单标识无效") }
        let t = Int64(now.timeIntervalSince1970)
        // Expired tokens (a day old) go at most once a minute per worker thread, by an index
        // range, in their own statement: not inside every submit's transaction (issue 20).
        if t - lastIdempotencyPurge >= 60 || t < lastIdempotencyPurge {
            lastIdempotencyPurge = t
            try db.execute("DELETE FROM idempotency_keys WHERE created_at < \(t - 86400)")
        }
        // Claim, handler and outcome commit together (the handler's own transactions become
        // savepoints): a crash undoes all of them, so a token is never left half-used, and a
        // concurrent repeat waits for the write lock and then gets the stored 303.
        return try db.transaction {
            if let row = try db.first("SELECT location FROM idempotency_keys WHERE user_id = \(user.id) AND key = \(key)"),
               let location = row.string("location") {
                throw AlreadyDone(location: location)
            }
            let response = try handler()
            if response.status == 303, let location = response.header("Location") {
                try db.execute("""
                    INSERT INTO idempotency_keys (key, user_id, location, created_at) VALUES (\(key), \(user.id), \(location), \(t))
                    ON CONFLICT (user_id, key) DO UPDATE SET location = excluded.location
                    """)
            }
            return response
        }
    }

    struct AlreadyDone: Error { var location: String }

    // MARK: - Parsing

    /// The request as handlers see it: the path inside the app (mount stripped), query, headers,
    /// cookies, form. Which variables are read, and their defaults: `RequestTarget`.
    func parseRequest(_ raw: RawRequest, site: RequestTarget.Site? = nil) throws -> Request {
        let p = raw.params
        let target = try RequestTarget(p, site: site ?? RequestTarget.site(p, mount: mountPrefix))
        let method = target.method
        let path = target.path
        let queryPart = target.query
        var headers: [String: String] = [:]
        headers.reserveCapacity(24)
        for (k, v) in p where Self.isHeaderVariable(k) {
            // HTTP_USER_AGENT → user-agent (ASCII by construction; no Foundation round trip).
            let name = k.utf8.dropFirst(5).map { b -> UInt8 in
                b == UInt8(ascii: "_") ? UInt8(ascii: "-") : (b >= 65 && b <= 90 ? b + 32 : b)
            }
            headers[String(decoding: name, as: UTF8.self)] = v
        }
        if let ct = p["CONTENT_TYPE"], !ct.isEmpty { headers["content-type"] = ct }
        var request = Request(method: method, path: path.isEmpty ? "/" : path, query: try URLEncoding.parse(queryPart),
                              headers: headers, cookies: CookieParser.parse(headers["cookie"] ?? ""),
                              remoteAddress: target.remoteAddress)
        if method == "POST" || method == "PUT" || method == "PATCH" {
            let ct = (headers["content-type"] ?? "").lowercased()
            if ct.hasPrefix("application/x-www-form-urlencoded") {
                request.form = try URLEncoding.parse(bytes: raw.body)
            } else if ct.hasPrefix("multipart/form-data") {
                guard let boundary = MultipartParser.boundary(fromContentType: headers["content-type"] ?? "") else {
                    throw HTTPError.badRequest("multipart 边界缺失")
                }
                let parsed = try MultipartParser(maxFileBytes: config.maxFileBytes, maxTotalFileBytes: config.maxBodyBytes)
                    .parse(raw.body, boundary: boundary)
                request.form = parsed.form
                request.files = parsed.files
            } else if !raw.body.isEmpty {
                throw HTTPError.badRequest("不支持的提交格式")
            }
        }
        return request
    }

    /// `name.hasPrefix("HTTP_")`, by bytes where that gives the same answer: "HTTP_" and then
    /// nothing or an ASCII byte (which cannot join the "_" into one Character).
    static func isHeaderVariable(_ name: String) -> Bool {
        var bytes = name.utf8.makeIterator()
        guard bytes.next() == UInt8(ascii: "H"), bytes.next() == UInt8(ascii: "T"), bytes.next() == UInt8(ascii: "T"),
              bytes.next() == UInt8(ascii: "P"), bytes.next() == UInt8(ascii: "_") else { return false }
        guard let next = bytes.next(), next >= 0x80 else { return true }
        return name.hasPrefix("HTTP_")
    }

    /// Puts the mount prefix back on everything the browser will use as a URL (see
    /// `RequestTarget`): the `Location` header and the links of an HTML page. Cookies get it in
    /// `setCookie`. CSV, files and plain text are left alone.
    func applyMount(_ response: inout Response) {
        for i in response.headers.indices where response.headers[i].0.lowercased() == "location" {
            response.headers[i].1 = RequestTarget.prefixLocation(response.headers[i].1, mount: mount)
        }
        if let type = response.header("Content-Type"), type.lowercased().hasPrefix("text/html") {
            response.body = RequestTarget.prefixLinks(response.body, mount: mount)
        }
    }

    // MARK: - Errors

    struct CSRFFailure: Error {}

    func errorResponse(_ error: Error, raw: RawRequest) -> Response {
        switch error {
        case let e as HTTPError:
            switch e {
            case .badRequest(let m): return errorPage(400, "请求无效", m)
            case .forbidden: return errorPage(403, "无权访问", "您没有访问此页面或执行此操作的权限。如需开通，请联系管理员。")
            case .notFound: return errorPage(404, "页面不存在", "找不到您要访问的页面或记录。")
            case .conflict(let m): return errorPage(409, "无法执行", m)
            case .payloadTooLarge:
                return errorPage(413, "提交内容过大", "提交的内容超过上限（\(config.maxBodyBytes / 1024 / 1024) MB）。请缩小附件后重试。")
            case .tooManyRequests(let m): return errorPage(429, "请稍后再试", m)
            }
        case let done as AlreadyDone:
            return .redirect(to: done.location)
        case is CSRFFailure:
            return errorPage(403, "表单已失效", "表单校验码缺失或不正确（可能页面打开太久）。请返回、刷新页面后重新提交。")
        case let r as any StateMachineRefusal:
            return errorPage(r.isForbidden ? 403 : 409, r.isForbidden ? "无权操作" : "无法执行", r.message)
        case let s as StorageError where s.kind == .busy:
            return errorPage(503, "系统繁忙", "数据库正忙，请稍后重新提交。")
        case let s as StorageError where s.kind == .full || s.kind == .readOnly:
            let id = requestID
            app.logger.error("error id=\(id) \(raw.params["REQUEST_METHOD"] ?? "") \(raw.params["REQUEST_URI"] ?? ""): \(s)")
            return errorPage(503, "暂时无法保存", "系统暂时无法保存数据（存储空间不足或数据库只读），请联系管理员。", errorID: id)
        default:
            let id = requestID
            app.logger.error("error id=\(id) \(raw.params["REQUEST_METHOD"] ?? "") \(raw.params["REQUEST_URI"] ?? ""): \(String(reflecting: error))")
            return errorPage(500, "系统错误", "处理请求时发生错误，请稍后再试。如问题持续，请把错误编号告知管理员。", errorID: id)
        }
    }

    func errorPage(_ status: Int, _ title: String, _ message: String, errorID: String? = nil) -> Response {
        // 5xx pages call it the error id (错误编号), the others the request id; both are this
        // request's id, found in its access-log line.
        // Inside the layout: a logged-in user keeps the menu (and any flash waiting for them).
        let page = ErrorPage(status: status, heading: title, message: message, errorID: errorID,
                             requestID: errorID == nil && !requestID.isEmpty ? requestID : nil)
        let user = currentUser
        let shell = shell(user: user, path: currentPath, module: currentModule, title: title, parent: nil,
                          flashes: takeFlashes(nil), crumbs: false)
        // The logout button needs the session's token; a page without a session has no form.
        let csrf = user == nil ? "" : (sessionCSRF ?? "")
        let envelope = LayoutEnvelope(shell: shell, csrf: csrf, idem: "")
        guard let html = try? app.renderer.render(page, module: "", envelope: { _ in envelope }) else {
            return .html("<!doctype html><meta charset=utf-8><title>\(status)</title><h1>\(title)</h1>", status: status)
        }
        return Response(status: status, headers: [("Content-Type", "text/html; charset=utf-8")], body: html)
    }

    // MARK: - ContextHost

    public func renderPage<P: PageModel>(_ page: P, title: String, status: Int, context: Context) -> Response {
        do {
            let shell = shell(user: context.user, path: context.request.path, module: context.module, title: title,
                              parent: context.parent, flashes: takeFlashes(context), crumbs: true)
            let html = try app.renderer.render(page, module: context.module) { template in
                LayoutEnvelope(shell: shell, csrf: context.csrfToken,
                               idem: template.usesIdempotencyKey ? Token.make(bytes: 16) : "")
            }
            return Response(status: status, headers: [("Content-Type", "text/html; charset=utf-8")], body: html)
        } catch {
            let id = requestID
            app.logger.error("error id=\(id) page \(P.self) cannot be rendered: \(error)")
            return errorPage(500, "系统错误", "页面模板有误。", errorID: id)
        }
    }

    public func service(_ id: ObjectIdentifier, for module: String) -> (any Sendable)? {
        guard let entry = app.registry.services.entries[id] else { return nil }
        if entry.provider == module || entry.provider == "core" || entry.everyone { return entry.value }
        guard let m = app.registry.module(module),
              m.manifest.dependencies.contains(entry.provider) || m.manifest.optionalDependencies.contains(entry.provider) else { return nil }
        return entry.value
    }

    public func recordAudit(_ entry: AuditEntry, context: Context) throws {
        try db.execute("""
            INSERT INTO audit_log (at, user_id, username, module, entity, entity_id, action, from_state, to_state, reason, address)
            VALUES (\(Int64(context.now.timeIntervalSince1970)), \(context.user?.id), \(context.user?.username ?? "-"),
                    \(context.module), \(entry.entity), \(entry.entityID), \(entry.action), \(entry.fromState),
                    \(entry.toState), \(entry.reason), \(context.request.remoteAddress))
            """)
    }

    public func storeFile(_ file: UploadedFile, context: Context) throws -> StoredFile {
        let id = Token.make(bytes: 16)
        let dir = config.filesDir
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let tmp = dir + "/." + id + ".tmp"
        let final = dir + "/" + id
        guard FileManager.default.createFile(atPath: tmp, contents: Data(file.data)) else {
            throw StorageError(.full, "cannot write upload")
        }
        try FileManager.default.moveItem(atPath: tmp, toPath: final)
        let name = String(file.filename.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last ?? "file").prefix(200)
        try db.execute("""
            INSERT INTO files (id, module, original_name, content_type, size, created_by, created_at)
            VALUES (\(id), \(context.module), \(String(name)), \(file.contentType), \(file.data.count), \(context.user?.id),
                    \(Int64(context.now.timeIntervalSince1970)))
            """)
        return StoredFile(id: id, originalName: String(name), contentType: file.contentType, size: file.data.count)
    }

    public func loadFile(_ id: String, context: Context) throws -> (StoredFile, [UInt8])? {
        guard Token.isHex(id, length: 32),
              let row = try db.first("SELECT id, original_name, content_type, size FROM files WHERE id = \(id) AND module = \(context.module)"),
              let data = FileManager.default.contents(atPath: config.filesDir + "/" + id) else { return nil }
        return (StoredFile(id: id, originalName: row.string("original_name") ?? "", contentType: row.string("content_type") ?? "",
                           size: Int(row.int("size") ?? 0)), Array(data))
    }

    public func formatTime(_ date: Date, pattern: String) -> String {
        timeFormatter.format(date, pattern: pattern)
    }

    public func appendTime(_ epoch: Int64, pattern: String, into out: inout [UInt8]) {
        timeFormatter.append(epoch, pattern: pattern, into: &out)
    }

    public var auditCatalogue: AuditCatalogue { app.auditCatalogue }

    public func panels(for subject: PanelSubject, context: Context) -> [RecordPanel] {
        let enabled: Set<String>
        do { enabled = try enabledModules(now: context.now) } catch {
            app.logger.error("panels for \(subject.entity) \(subject.id): \(error)")
            return []
        }
        var panels: [RecordPanel] = []
        for m in app.registry.modules where m.manifest.id != context.module && enabled.contains(m.manifest.id) {
            let mctx = Context(request: context.request, user: context.user, db: context.db, now: context.now,
                               timeZone: context.timeZone, module: m.manifest.id, csrfToken: context.csrfToken,
                               resumedForm: nil, host: self)
            do {
                panels += try m.panels(for: subject, mctx)
            } catch {
                app.logger.error("error id=\(requestID) panels of \(m.manifest.id) for \(subject.entity) \(subject.id) failed: \(error)")
                panels.append(RecordPanel(title: m.manifest.title, emptyText: "暂时无法加载（错误编号 \(requestID)）"))
            }
        }
        return panels
    }

    // MARK: - Layout

    /// The layout's data: the menu (the item the path is under marked), the breadcrumb trail and
    /// the flash messages. `crumbs`: false on error pages (the trail of a page that failed).
    func shell(user: User?, path: String, module: String, title: String, parent: Breadcrumb?, flashes: [Flash],
               crumbs withCrumbs: Bool) -> Shell {
        let views = flashes.map { Shell.FlashView(kind: $0.kind.rawValue, text: $0.text, alert: $0.kind == .error) }
        guard let user else {
            return Shell(title: title, companyName: config.companyName, user: nil, crumbs: [], hasCrumbs: false,
                         back: nil, flashes: views, assetVersion: app.assetVersion)
        }
        let menuEntry = menuCacheEntry(for: user)
        let entries = menuEntry.menu
        // The item the page is under: the longest menu path that is the path or a folder of it
        // (`/crm/customers/5` is under 客户名录 `/crm/customers`; `/crm/customers/new` is its own
        // item). `strict`: a folder of the path only (the list a form's own menu item belongs to).
        func under(_ p: String, strict: Bool = false) -> (module: Int, item: Int)? {
            var best: (module: Int, item: Int, length: Int)?
            for (mi, m) in entries.enumerated() {
                for (ii, item) in m.items.enumerated() where (!strict && p == item.href) || p.hasPrefix(item.href + "/") {
                    if item.href.count > (best?.length ?? -1) { best = (mi, ii, item.href.count) }
                }
            }
            return best.map { ($0.module, $0.item) }
        }
        let current = under(path)
        let menu = menuHTML(menuEntry, current: current)
        var crumbs: [Shell.Crumb] = []
        var back: Shell.Link?
        if withCrumbs, path != "/" {
            crumbs.append(.init(title: "首页", href: "/"))
            // The module: the route's own (its first menu item), else the one the path is under.
            let moduleIndex = entries.firstIndex { $0.id == module } ?? current?.module
            if let mi = moduleIndex {
                crumbs.append(.init(title: entries[mi].title, href: entries[mi].items.first?.href))
            } else if module != "core", let m = app.registry.module(module) {
                crumbs.append(.init(title: m.manifest.title, href: nil))
            }
            // Then the menu item the page (or its named parent) is under: 「返回客户名录」.
            // `parent.map` on purpose: a named parent that is under no menu item gives none.
            if let anchor = parent.map({ under($0.href) }) ?? under(path, strict: true) {
                let item = entries[anchor.module].items[anchor.item]
                if item.href != path {
                    crumbs.append(.init(title: item.title, href: item.href))
                    back = .init(title: item.title, href: item.href)
                }
            }
            if let parent, parent.href != path, parent.href != crumbs.last?.href {
                crumbs.append(.init(title: parent.title, href: parent.href))
                back = .init(title: parent.title, href: parent.href)
            }
            crumbs.append(.init(title: title, href: nil))
        }
        return Shell(title: title, companyName: config.companyName, user: .init(displayName: user.displayName),
                     menuToggle: menu.toggle, menuSidebar: menu.sidebar,
                     crumbs: crumbs, hasCrumbs: crumbs.count > 1, back: back, flashes: views, assetVersion: app.assetVersion)
    }

    /// The user's menu: its entries (registry order is menu order; a module shows only if the
    /// user may open one of its items) and its HTML per current item.
    func menuCacheEntry(for user: User) -> MenuCacheEntry {
        // The permitted entries depend only on the user's permissions: computed once per worker
        // and user, again when the permissions change (a third of a page's host work otherwise).
        let enabled = (try? enabledModules(now: Date())) ?? []
        if let cached = menuCache[user.id], cached.permissions == user.permissions, cached.enabled == enabled {
            return cached
        }
        let entries = app.registry.modules.filter { enabled.contains($0.manifest.id) }.compactMap { m in
            let items = m.menu.filter { user.may($0.access) }.map { item in
                (title: item.title, href: "/" + m.manifest.id + (item.path.isEmpty ? "" : "/" + item.path))
            }
            return items.isEmpty ? nil : MenuModule(id: m.manifest.id, title: m.manifest.title, items: items)
        }
        if menuCache.count > 1000 { menuCache.removeAll() }
        let entry = MenuCacheEntry(permissions: user.permissions, enabled: enabled, menu: entries)
        menuCache[user.id] = entry
        return entry
    }

    /// The menu as HTML (`pages/menu.mustache`) with `current` marked, indented for the phone's
    /// menu and for the sidebar. It changes only with the user's permissions, the modules
    /// switched on and the current item, so it is rendered once per user and item and kept.
    func menuHTML(_ entry: MenuCacheEntry, current: (module: Int, item: Int)?) -> (toggle: String, sidebar: String) {
        let entries = entry.menu
        let key = current.map { $0.module &* 4096 &+ $0.item } ?? -1
        if let html = entry.html[key] { return html }
        let groups = entries.enumerated().map { mi, m in
            Shell.MenuGroup(title: m.title, items: m.items.enumerated().map { ii, item in
                Shell.MenuLink(title: item.title, href: item.href, active: current?.module == mi && current?.item == ii)
            }, current: current?.module == mi)
        }
        let empty = LayoutEnvelope(shell: Shell(title: "", companyName: "", user: nil), csrf: "", idem: "")
        let bytes: [UInt8]
        do {
            bytes = try app.renderer.render(MenuPage(groups: groups), module: "") { _ in empty }
        } catch {
            app.logger.error("the menu cannot be rendered: \(error)")
            return ("", "")
        }
        // The layout prints each on a line of its own: every line indented, no final newline.
        var lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        func indented(_ by: String) -> String { lines.map { $0.isEmpty ? "" : by + $0 }.joined(separator: "\n") }
        let html = (toggle: indented("    "), sidebar: indented("  "))
        if entry.html.count > 256 { entry.html.removeAll() }
        entry.html[key] = html
        return html
    }

    final class MenuCacheEntry {
        let permissions: Set<String>
        let enabled: Set<String>
        let menu: [MenuModule]
        /// The menu's HTML by current item (`menuHTML`).
        var html: [Int: (toggle: String, sidebar: String)] = [:]
        init(permissions: Set<String>, enabled: Set<String>, menu: [MenuModule]) {
            self.permissions = permissions
            self.enabled = enabled
            self.menu = menu
        }
    }

    struct MenuModule {
        var id: String
        var title: String
        var items: [(title: String, href: String)]
    }
}

/// Lets the host render any `StateMachine.Refusal` without knowing its state type.
public protocol StateMachineRefusal: Error {
    var isForbidden: Bool { get }
    var message: String { get }
}

extension StateMachine.Refusal: StateMachineRefusal {
    public var isForbidden: Bool { if case .forbidden = self { true } else { false } }
    public var message: String { description }
}
