import Foundation
@_spi(Host) import SalesKit

/// A session row: valid, or expired/ended but kept (so a form typed into an expired session
/// can be kept across the new login).
struct SessionState {
    var id: String
    var user: User?
    var userID: Int64
    var csrf: String
    var valid: Bool
    /// The one-time message waiting for the next page (`Flash`).
    var flash: Flash?
}

extension Worker {
    static let sessionCookie = "sid"

    func loadSession(_ request: Request, now: Date) throws -> SessionState? {
        guard let sid = request.cookies[Self.sessionCookie], Token.isHex(sid, length: 64),
              let row = try db.first("""
                SELECT user_id, csrf_token, expires_at, last_seen, ended, flash_kind, flash_text FROM sessions WHERE id = \(sid)
                """)
        else { return nil }
        let t = Int64(now.timeIntervalSince1970)
        let userID = row.int("user_id") ?? 0
        var state = SessionState(id: sid, user: nil, userID: userID, csrf: row.string("csrf_token") ?? "", valid: false)
        guard !row.bool("ended"), (row.int("expires_at") ?? 0) > t, let user = try loadUser(id: userID) else { return state }
        state.user = user
        state.valid = true
        if let kind = row.string("flash_kind").flatMap(Flash.Kind.init(rawValue:)), let text = row.string("flash_text") {
            state.flash = Flash(kind, text)
        }
        // Sliding expiry, written at most once a minute.
        if (row.int("last_seen") ?? 0) <= t - 60 {   // no subtraction of a stored value: cannot overflow
            // Best effort: a database that cannot take writes now (busy, full, read-only) must not
            // stop pages from being read or a typed form from coming back; a later request extends it.
            do {
                try db.execute("UPDATE sessions SET last_seen = \(t), expires_at = \(t + Int64(config.sessionMinutes) * 60) WHERE id = \(sid)")
            } catch let e as StorageError where e.isUnavailable {
                app.logger.warning("session expiry not extended: \(e)")
            }
        }
        return state
    }

    public func loadUser(id: Int64) throws -> User? {
        guard let u = try db.first("""
            SELECT id, username, display_name, department, must_change_password FROM users WHERE id = \(id) AND active = 1
            """) else { return nil }
        // Roles and their permissions in one query (a role without permissions still counts).
        var roles = Set<String>(), perms = Set<String>()
        for r in try db.query("""
            SELECT ur.role_id, rp.permission FROM user_roles ur LEFT JOIN role_permissions rp ON rp.role_id = ur.role_id
            WHERE ur.user_id = \(id)
            """) {
            if let role = r.string("role_id") { roles.insert(role) }
            if let p = r.string("permission") { perms.insert(p) }
        }
        return User(id: id, username: u.string("username") ?? "", displayName: u.string("display_name") ?? "",
                    roles: roles, permissions: perms, department: u.string("department") ?? "",
                    mustChangePassword: u.bool("must_change_password"))
    }

    /// Starts a new session (a fresh id at every login: no session fixation) and sets the cookie.
    func startSession(userID: Int64, replacing old: String?, now: Date) throws -> SessionState {
        let t = Int64(now.timeIntervalSince1970)
        let sid = Token.make()
        let csrf = Token.make()
        try db.transaction {
            if let old { try db.execute("UPDATE sessions SET ended = 1 WHERE id = \(old)") }
            try db.execute("""
                INSERT INTO sessions (id, user_id, csrf_token, created_at, last_seen, expires_at)
                VALUES (\(sid), \(userID), \(csrf), \(t), \(t), \(t + Int64(config.sessionMinutes) * 60))
                """)
            // Housekeeping: sessions ended or expired for over a week, stale pending forms.
            try db.execute("DELETE FROM sessions WHERE expires_at < \(t - 7 * 86400)")
            try db.execute("DELETE FROM pending_forms WHERE created_at < \(t - 86400)")
        }
        setCookie(Self.sessionCookie, sid, maxAge: nil)
        // A flash made later in this request (「密码已修改」) goes with the new session.
        sessionID = sid
        sessionCSRF = csrf
        return SessionState(id: sid, user: try loadUser(id: userID), userID: userID, csrf: csrf, valid: true)
    }

    func endSession(_ sid: String) throws {
        try db.execute("UPDATE sessions SET ended = 1 WHERE id = \(sid)")
        setCookie(Self.sessionCookie, "", maxAge: 0)
        if sessionID == sid { sessionID = nil }
    }

    // MARK: - Flash messages

    /// Keeps the flash a handler made (`Response.redirect(to:flash:)`, `ctx.flash`) with the
    /// session for the next page; a page rendered in this request has shown it already. Without a
    /// session there is nobody to show it to. Best effort: a database that cannot take the write
    /// now loses the message, not the action.
    func keepFlash(_ response: Response, _ ctx: Context) {
        guard let flash = response.flash ?? ctx.pendingFlash else { return }
        ctx.pendingFlash = nil
        guard let sid = sessionID else { return }
        do {
            try db.execute("""
                UPDATE sessions SET flash_kind = \(flash.kind.rawValue), flash_text = \(flash.storedText) WHERE id = \(sid)
                """)
        } catch {
            app.logger.warning("flash message not kept req=\(requestID): \(error)")
        }
    }

    /// The flash messages for the page being rendered: the one the session brought (cleared in
    /// the database now: shown once) and one this request made for itself. A HEAD request shows
    /// nothing and clears nothing.
    func takeFlashes(_ ctx: Context?) -> [Flash] {
        guard currentMethod != "HEAD" else { return [] }
        var out: [Flash] = []
        if let f = sessionFlash, let sid = sessionID {
            sessionFlash = nil
            out.append(f)
            do {
                try db.execute("UPDATE sessions SET flash_kind = NULL, flash_text = NULL WHERE id = \(sid)")
            } catch {
                // Shown now, and once more on a later page rather than lost.
                app.logger.warning("flash message not cleared req=\(requestID): \(error)")
            }
        }
        if let ctx, let f = ctx.pendingFlash {
            ctx.pendingFlash = nil
            out.append(f)
        }
        return out
    }

    func ssoSession(_ remoteUser: String, current: SessionState?, now: Date) throws -> SessionState? {
        guard let row = try db.first("SELECT id FROM users WHERE username = \(remoteUser) AND active = 1"),
              let id = row.int("id") else { return nil }
        if let current, current.valid, current.userID == id { return current }
        return try startSession(userID: id, replacing: current?.id, now: now)
    }

    func setCookie(_ name: String, _ value: String, maxAge: Int?) {
        // Under a mount (`/sales`) the cookie stays with the app: Path=/sales matches /sales and
        // /sales/…, not a neighbour's /salesdemo. Over HTTPS (the front end's `HTTPS`/`REQUEST_SCHEME`)
        // cookies are `Secure` even when `secureCookies` was forgotten.
        var c = "\(name)=\(value); Path=\(mount.isEmpty ? "/" : mount); HttpOnly; SameSite=Lax"
        if let maxAge { c += "; Max-Age=\(maxAge)" }
        if config.secureCookies || viaHTTPS { c += "; Secure" }
        setCookies.append(c)
    }

    /// The login form's CSRF token: a double-submit cookie set before there is a session.
    func preSessionToken(_ request: Request) -> String {
        if let t = request.cookies[CoreRoutes.preCSRFCookie], Token.isHex(t, length: 64) { return t }
        let t = Token.make()
        setCookie(CoreRoutes.preCSRFCookie, t, maxAge: nil)
        return t
    }

    /// No valid session: to the login page. A POST from an expired session that still carries
    /// that session's CSRF token is kept, and offered again after the same user logs in.
    func redirectToLogin(_ request: Request, expired: SessionState?, now: Date) throws -> Response {
        var target = "/login?next=" + URLEncoding.percentEncode(request.method == "GET" ? request.pathWithQuery : request.path)
        if request.method == "POST", let expired, Token.equal(expired.csrf, request.form["_csrf"] ?? "") {
            let id = Token.make(bytes: 16)
            var kept = FormData()
            for (n, v) in request.form.pairs where n != "_csrf" && n != "_resume" { kept.append(n, v) }
            try db.execute("""
                INSERT INTO pending_forms (id, user_id, path, fields, created_at)
                VALUES (\(id), \(expired.userID), \(request.path), \(URLEncoding.encode(kept)), \(Int64(now.timeIntervalSince1970)))
                """)
            target += "&resume=" + id + "&expired=1"
        } else if request.cookies[Self.sessionCookie] != nil {
            target += "&expired=1"
        }
        return .redirect(to: target)
    }

    func takePendingForm(id: String, user: User, path: String) throws -> FormData? {
        guard let row = try db.first("SELECT fields FROM pending_forms WHERE id = \(id) AND user_id = \(user.id) AND path = \(path)") else { return nil }
        try db.execute("DELETE FROM pending_forms WHERE id = \(id)")
        return try URLEncoding.parse(row.string("fields") ?? "")
    }
}
