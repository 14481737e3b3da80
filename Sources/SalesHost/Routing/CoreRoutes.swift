import Foundation
@_spi(Host) import SalesKit

/// Routes the host owns: the login page, logout, the home page (to-do inbox), and test-only
/// debug routes. Listed by `salesd routes` with module `core`.
enum CoreRoutes {
    static let preCSRFCookie = "pre_csrf"

    static func definitions(debug: Bool) -> [RouteDefinition] {
        var r = RouteBuilder(module: "core")
        r.add("GET", "/", .authenticated, home)
        r.add("GET", "/login", .public, loginPage)
        r.add("POST", "/login", .public, login)
        r.add("POST", "/logout", .authenticated, logout)
        r.add("GET", AccountRoutes.path, .authenticated, AccountRoutes.password)
        r.add("POST", AccountRoutes.path, .authenticated, AccountRoutes.password)
        // Health for monitoring (and the benchmark's trivial route): no session; one indexed
        // read proves the database answers; the worker pool as the master published it.
        r.add("GET", "/healthz", .public, healthz)
        if debug {
            r.add("GET", "/_debug/sleep", .public, sleep)
            r.add("GET", "/_debug/crash", .public, crash)
        }
        // RouteBuilder prefixes the module id; core routes live at the root.
        return r.routes.map { var d = $0; d.path = String(d.path.dropFirst("/core".count)); if d.path.isEmpty { d.path = "/" }; return d }
    }

    /// Core routes run on the host's own `Worker` (the test harness included).
    struct NotOnWorker: Error {}
    static func worker(_ ctx: Context) throws -> Worker {
        guard let w = ctx.host as? Worker else { throw NotOnWorker() }
        return w
    }

    // MARK: Home: the to-do inbox across modules

    static let home: Handler = { req, ctx in
        let w = try worker(ctx)
        let user = try ctx.requireUser()
        var groups: [HomePage.Group] = []
        var failed: [String] = []
        let enabled = try w.enabledModules(now: ctx.now)
        for m in w.app.registry.modules where enabled.contains(m.manifest.id) {
            let mctx = Context(request: req, user: user, db: ctx.db, now: ctx.now, timeZone: ctx.timeZone,
                               module: m.manifest.id, csrfToken: ctx.csrfToken, resumedForm: nil, host: w)
            do {
                let items = try m.inbox(for: user, mctx)
                guard !items.isEmpty else { continue }
                groups.append(HomePage.Group(module: m.manifest.title, count: items.count, items: items.map { i in
                    HomePage.Item(title: i.title, detail: i.detail, url: i.url, urgent: i.urgent, due: i.due.map { dueText($0, ctx) },
                                  overdue: i.due.map { $0 < ctx.now } ?? false)
                }))
            } catch {
                w.app.logger.error("inbox of \(m.manifest.id) failed: \(error)")
                failed.append(m.manifest.title)
            }
        }
        let escalated = try escalations(for: user, enabled: enabled, req, ctx)
        if !escalated.isEmpty {
            groups.insert(HomePage.Group(module: "超期升级", count: escalated.count, items: escalated), at: 0)
        }
        return ctx.render(HomePage(groups: groups, empty: groups.isEmpty, failed: failed, hasFailed: !failed.isEmpty), title: "待办事项")
    }

    /// An inbox deadline as people read it (issue #16 point 10): a deadline at 00:00 company time
    /// is the end of the day before — 「本周（至 2026-02-22）」 is due 2026-02-22, not
    /// 「2026-02-23 00:00」, which contradicted the item's own text; any other time is shown as is.
    static func dueText(_ due: Date, _ ctx: Context) -> String {
        ctx.display(due, pattern: "HH:mm") == "00:00" ? ctx.display(due.addingTimeInterval(-1), pattern: "yyyy-MM-dd") : ctx.display(due)
    }

    /// Inbox escalation (issue #16 point 4): an item past its deadline (a module's `overdue`)
    /// shows in the inbox of the responsible person's supervisor at once, and in every general
    /// manager's once it is `escalateToGeneralManagerDays` overdue. Someone with no active
    /// supervisor escalates straight to the general manager — otherwise nobody would hear of it.
    static func escalations(for user: User, enabled: Set<String>, _ req: Request, _ ctx: Context) throws -> [HomePage.Item] {
        let w = try worker(ctx)
        let isManager = user.roles.contains(Role.generalManager.id)
        let people = try ctx.db.query("SELECT id, display_name, supervisor_id, active FROM users")
        var name: [Int64: String] = [:], supervisor: [Int64: Int64] = [:], active: Set<Int64> = []
        for p in people {
            guard let id = p.int("id") else { continue }
            name[id] = p.string("display_name") ?? ""
            if let s = p.int("supervisor_id") { supervisor[id] = s }
            if p.bool("active") { active.insert(id) }
        }
        guard isManager || supervisor.values.contains(user.id) else { return [] }
        let managerAfter = TimeInterval(w.config.escalateToGeneralManagerDays) * 86_400
        var items: [HomePage.Item] = []
        var seen: Set<String> = []
        for m in w.app.registry.modules where enabled.contains(m.manifest.id) {
            let mctx = Context(request: req, user: user, db: ctx.db, now: ctx.now, timeZone: ctx.timeZone,
                               module: m.manifest.id, csrfToken: ctx.csrfToken, resumedForm: nil, host: w)
            let overdue: [OverdueItem]
            do { overdue = try m.overdue(mctx) } catch {
                w.app.logger.error("overdue items of \(m.manifest.id) failed: \(error)")
                continue
            }
            for o in overdue where o.due < ctx.now && o.responsibleUserID != user.id {
                let boss = supervisor[o.responsibleUserID].flatMap { active.contains($0) ? $0 : nil }
                let late = ctx.now.timeIntervalSince(o.due)
                let mine = boss == user.id || (isManager && (boss == nil || late >= managerAfter))
                guard mine, seen.insert(o.item.url + "\u{0}" + o.item.title).inserted else { continue }
                let days = Int(late / 86_400)
                let lateText = days >= 1 ? "已逾期 \(days) 天" : "已逾期 \(max(1, Int(late / 3600))) 小时"
                let who = name[o.responsibleUserID].map { "负责人 \($0)" } ?? "负责人未知"
                items.append(HomePage.Item(title: "【\(m.manifest.title)】\(o.item.title)", detail: "\(who) · \(lateText)",
                                           url: o.item.url, urgent: o.item.urgent, due: dueText(o.due, ctx), overdue: true))
            }
        }
        return items
    }

    /// `ok` and one `name: value` line each (text/plain, for people and for scripts):
    /// `database: ok`, and under the pool `workers: alive/wanted` and `restarts: N` (workers
    /// replaced since the master started). 503 with `database: error …` when it does not answer.
    static let healthz: Handler = { _, ctx in
        var text = "ok\n"
        do {
            _ = try ctx.db.first("SELECT version FROM schema_migrations LIMIT 1")
            text += "database: ok\n"
        } catch {
            return .text("unavailable\ndatabase: error \(error)\n", status: 503)
        }
        if let pool = try worker(ctx).app.pool?() {
            text += "workers: \(pool.alive)/\(pool.wanted)\nrestarts: \(pool.restarts)\n"
        }
        return .text(text)
    }

    // MARK: Login / logout

    static let loginPage: Handler = { req, ctx in
        if ctx.user != nil { return .redirect(to: safeNext(req.query["next"])) }
        // 「表单已保留」 only when a form was really kept: the `resume` of a link names a stored form
        // (a crafted or stale one is dropped, and the page says nothing was kept).
        var resume = req.query["resume"] ?? ""
        let stored = resume.isEmpty || !resume.allSatisfy(\.isHexDigit) || resume.count > 64
            ? nil : try ctx.db.first("SELECT id FROM pending_forms WHERE id = \(resume)")
        if stored == nil { resume = "" }
        return ctx.render(LoginPage(next: req.query["next"] ?? "", resume: resume, expired: req.query["expired"] != nil),
                          title: "登录")
    }

    static let login: Handler = { req, ctx in
        let w = try worker(ctx)
        let username = (req.form["username"] ?? "").trimmingCharacters(in: .whitespaces)
        let password = req.form["password"] ?? ""
        let now = Int64(ctx.now.timeIntervalSince1970)
        let windowStart = now - Int64(w.config.loginWindowMinutes) * 60
        var page = LoginPage(next: req.form["next"] ?? "", resume: req.form["resume"] ?? "", username: username)

        let failures = try ctx.db.scalar("""
            SELECT COUNT(*) FROM login_failures WHERE username = \(username) AND address = \(req.remoteAddress) AND at >= \(windowStart)
            """) ?? 0
        if failures >= Int64(w.config.loginMaxFailures) {
            w.app.logger.warning("login throttled: user=\(LogText.field(username)) address=\(req.remoteAddress) failures=\(failures) req=\(w.requestID)")
            page.error = "登录失败次数过多，请 \(w.config.loginWindowMinutes) 分钟后再试。"
            return ctx.render(page, title: "登录", status: 429)
        }
        let row = try ctx.db.first("SELECT id, password_hash FROM users WHERE username = \(username) AND active = 1")
        // Verify against a fixed hash when the user is unknown, so timing does not reveal names.
        let hash = row?.string("password_hash") ?? dummyHash
        guard PasswordHasher.verify(password, hash: hash), let id = row?.int("id") else {
            try ctx.db.execute("INSERT INTO login_failures (username, address, at) VALUES (\(username), \(req.remoteAddress), \(now))")
            w.app.logger.warning("login failed: user=\(LogText.field(username)) address=\(req.remoteAddress) \(row == nil ? "unknown or disabled user" : "wrong password") failures=\(failures + 1) req=\(w.requestID)")
            page.error = "用户名或密码不正确。"
            return ctx.render(page, title: "登录", status: 401)
        }
        try ctx.db.execute("DELETE FROM login_failures WHERE username = \(username) AND address = \(req.remoteAddress)")
        let old = req.cookies[Worker.sessionCookie]
        _ = try w.startSession(userID: id, replacing: old, now: ctx.now)
        var next = safeNext(req.form["next"])
        if let resume = req.form["resume"], !resume.isEmpty, resume.allSatisfy(\.isHexDigit),
           let pending = try ctx.db.first("SELECT path FROM pending_forms WHERE id = \(resume) AND user_id = \(id)"),
           let path = pending.string("path") {
            next = path + "?_resume=" + resume
        }
        return .redirect(to: next)
    }

    static let logout: Handler = { req, ctx in
        if let sid = req.cookies[Worker.sessionCookie] { try worker(ctx).endSession(sid) }
        return .redirect(to: "/login")
    }

    /// Only local absolute paths; never `//host` or a scheme.
    static func safeNext(_ next: String?) -> String {
        guard let n = next, n.hasPrefix("/"), !n.hasPrefix("//"), !n.hasPrefix("/\\"), !n.contains("\r"), !n.contains("\n") else { return "/" }
        return n
    }

    static let dummyHash = (try? PasswordHasher.hash(Token.make())) ?? ""

    // MARK: Debug (tests only; `debugRoutes`)

    static let sleep: Handler = { req, _ in
        let ms = max(0, min(Int(req.query["ms"] ?? "") ?? 1000, 30_000))
        usleep(UInt32(clamping: ms * 1000))
        return .text("slept \(ms) ms")
    }

    /// Test-only (`debugRoutes`): ends this worker process the way a bug would, for the worker
    /// pool's regression tests. `kind=trap`: a Swift runtime trap (SIGILL/SIGTRAP); `kind=segv`:
    /// a real memory fault (SIGSEGV). Unknown kinds answer 400.
    static let crash: Handler = { req, _ in
        switch req.query["kind"] ?? "" {
        case "trap":
            fatalError("deliberate trap (GET /_debug/crash?kind=trap)")
        case "segv":
            UnsafeMutablePointer<Int>(bitPattern: 16)?.pointee = 1
            return .text("still alive", status: 500)
        default:
            return .text("kind=trap or kind=segv", status: 400)
        }
    }
}
