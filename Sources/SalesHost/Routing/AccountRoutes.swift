import Foundation
@_spi(Host) import SalesKit

/// 修改密码: every logged-in user changes their own password at `/account/password` (linked
/// from the header). The current password is required; a wrong one counts as a failed login
/// (same throttle, logged at warning). On success the session is rotated (new id and CSRF
/// token), every other session of the user is ended, and an audit row is written.
enum AccountRoutes {
    static let path = "/account/password"

    /// The new password follows the admin user form's rule (Plugins/Admin `user.create`:
    /// 8–128 characters); `AccountTests` checks that the two agree.
    static let passwordForm = FormSchema([
        FormField("current_password", "当前密码", .password, required: true),
        FormField("new_password", "新密码", .password, required: true, rules: [.length(min: 8, max: 128)], help: "至少 8 位"),
        FormField("confirm_password", "确认新密码", .password, required: true),
    ], checks: [{ v in
        v.string("new_password") == v.string("confirm_password") ? [] : [FormError(field: "confirm_password", "两次输入的新密码不一致")]
    }])

    static let password: Handler = { req, ctx in
        let w = try CoreRoutes.worker(ctx)
        let user = try ctx.requireUser()
        return try ctx.handleForm(passwordForm, title: "修改密码", page: { form in
            PasswordPage(required: user.mustChangePassword, username: user.username, form: form)
        }) { v in
            let now = Int64(ctx.now.timeIntervalSince1970)
            let address = req.remoteAddress
            let failures = try ctx.db.scalar("""
                SELECT COUNT(*) FROM login_failures WHERE username = \(user.username) AND address = \(address)
                AND at >= \(now - Int64(w.config.loginWindowMinutes) * 60)
                """) ?? 0
            if failures >= Int64(w.config.loginMaxFailures) {
                w.app.logger.warning("password change throttled: user=\(LogText.field(user.username)) address=\(address) failures=\(failures) req=\(w.requestID)")
                throw HTTPError.tooManyRequests("密码错误次数过多，请 \(w.config.loginWindowMinutes) 分钟后再试。")
            }
            let hash = try ctx.db.first("SELECT password_hash FROM users WHERE id = \(user.id)")?.string("password_hash") ?? ""
            guard PasswordHasher.verify(v.string("current_password"), hash: hash) else {
                try ctx.db.execute("INSERT INTO login_failures (username, address, at) VALUES (\(user.username), \(address), \(now))")
                w.app.logger.warning("password change refused, wrong current password: user=\(LogText.field(user.username)) address=\(address) req=\(w.requestID)")
                throw FormRejection(field: "current_password", "当前密码不正确")
            }
            let new = v.string("new_password")
            if new == v.string("current_password") {
                throw FormRejection(field: "new_password", "新密码不能与当前密码相同")
            }
            let newHash = try PasswordHasher.hash(new)
            try ctx.db.transaction {
                try ctx.db.execute("UPDATE users SET password_hash = \(newHash), must_change_password = 0 WHERE id = \(user.id)")
                try ctx.db.execute("DELETE FROM login_failures WHERE username = \(user.username) AND address = \(address)")
                // A fresh session for this browser; every other one (other browsers, a stolen
                // cookie) ends.
                let session = try w.startSession(userID: user.id, replacing: req.cookies[Worker.sessionCookie], now: ctx.now)
                let ended = try ctx.db.execute("""
                    UPDATE sessions SET ended = 1 WHERE user_id = \(user.id) AND id != \(session.id) AND ended = 0
                    """)
                try ctx.audit(AuditEntry(entity: "user", entityID: String(user.id), action: "password",
                                         reason: "本人修改密码；结束其他会话 \(ended) 个"))
            }
            w.app.logger.info("password changed by the user: user=\(LogText.field(user.username)) address=\(address) req=\(w.requestID)")
            return .redirect(to: path, flash: .ok("密码已修改。您在其他浏览器或设备上的登录已全部退出。"))
        }
    }
}
