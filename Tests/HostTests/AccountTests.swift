import AdminModule
import Foundation
@testable import SalesHost
import SalesKit
import SalesTesting
import Testing

/// 修改密码 (`/account/password`, issue 18): any logged-in user changes their own password; the
/// current one is required, the session is rotated, the user's other sessions end, an audit row
/// is written.
@Suite struct AccountPasswordTests {
    let t: TestApp
    let repID: Int64
    static let newPassword = "新的-Passw0rd-2026"

    init() throws {
        t = try TestApp(modules: [AdminModule()])
        try t.addUser("admin", roles: [.admin], displayName: "管理员")
        repID = try t.addUser("rep", roles: [.salesRep], displayName: "销售甲")
    }

    func change(_ c: TestClient, current: String = TestApp.password, new: String = newPassword, confirm: String? = nil) -> TestClient.Response {
        c.get("/account/password")
        return c.submit("/account/password", [("current_password", current), ("new_password", new), ("confirm_password", confirm ?? new)])
    }

    @Test func thePageIsLinkedFromTheHeaderForEveryUserAndNeedsALogin() {
        let rep = t.client()
        rep.login("rep")
        let home = rep.get("/")
        #expect(home.body.contains("href=\"/account/password\""), "header link to 修改密码")
        let page = rep.get("/account/password")
        #expect(page.status == 200)
        #expect(page.body.contains("当前密码") && page.body.contains("确认新密码"))
        let anonymous = t.client().get("/account/password")
        #expect(anonymous.status == 303)
        #expect(anonymous.location?.hasPrefix("/login") == true)
    }

    @Test func aWrongCurrentPasswordIs422OnThatFieldAndChangesNothing() throws {
        let c = t.client()
        c.login("rep")
        let r = change(c, current: "not-my-password")
        #expect(r.status == 422)
        #expect(r.body.contains("当前密码不正确"))
        #expect(!r.body.contains(Self.newPassword), "a password is never echoed back")
        // It counts as a failed login of this user from this address (same throttle).
        #expect(try t.db.scalar("SELECT COUNT(*) FROM login_failures WHERE username = 'rep'") == 1)
        #expect(try t.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'user' AND action = 'password'") == 0)
        #expect(t.client().login("rep").status == 303, "the old password still works")
        #expect(t.client().login("rep", password: Self.newPassword).status == 401)
    }

    @Test func theNewPasswordFollowsTheRulesAndMustBeConfirmed() {
        let c = t.client()
        c.login("rep")
        let short = change(c, new: "short")
        #expect(short.status == 422)
        #expect(short.body.contains("至少 8 个字"))
        let mismatch = change(c, confirm: Self.newPassword + "x")
        #expect(mismatch.status == 422)
        #expect(mismatch.body.contains("两次输入的新密码不一致"))
        let same = change(c, new: TestApp.password)
        #expect(same.status == 422)
        #expect(same.body.contains("新密码不能与当前密码相同"))
    }

    @Test func successRotatesTheSessionEndsTheOthersAndWritesAnAuditRow() throws {
        let here = t.client(), elsewhere = t.client()
        here.login("rep")
        elsewhere.login("rep")
        let oldSession = try #require(here.cookies["sid"])
        #expect(elsewhere.get("/").status == 200)

        let r = change(here)
        #expect(r.status == 303)
        #expect(r.location == "/account/password", "the confirmation travels in the session, not the URL")
        let newSession = try #require(here.cookies["sid"])
        #expect(newSession != oldSession, "session id rotated")
        let next = here.get("/account/password")
        #expect(next.status == 200, "this browser stays logged in")
        #expect(next.body.contains("密码已修改"), "the flash, on the next page (written to the new session)")
        #expect(!here.get("/account/password").body.contains("密码已修改"), "once")

        let other = elsewhere.get("/")
        #expect(other.status == 303, "the other session ended")
        #expect(other.location?.hasPrefix("/login") == true)
        #expect(try t.db.scalar("SELECT COUNT(*) FROM sessions WHERE user_id = \(repID) AND ended = 0") == 1)

        #expect(t.client().login("rep").status == 401, "the old password no longer works")
        #expect(t.client().login("rep", password: Self.newPassword).status == 303)

        let audit = try #require(try t.db.first("""
            SELECT username, user_id, action, entity_id, address, reason FROM audit_log WHERE entity = 'user' AND action = 'password'
            """))
        #expect(audit.string("username") == "rep")
        #expect(audit.int("user_id") == repID)
        #expect(audit.string("entity_id") == String(repID))
        #expect(audit.string("address") == "127.0.0.1")
        #expect(audit.string("reason")?.contains("本人修改密码") == true)
        #expect(audit.string("reason")?.contains("结束其他会话 1 个") == true)
    }

    @Test func wrongCurrentPasswordsAreThrottledLikeLogins() {
        let c = t.client()
        c.login("rep")
        for _ in 0..<t.app.config.loginMaxFailures { #expect(change(c, current: "guess-guess").status == 422) }
        let r = change(c)   // even the right one, while throttled
        #expect(r.status == 429)
        #expect(r.body.contains("密码错误次数过多"))
        #expect(t.client().login("rep", password: Self.newPassword).status != 303)
    }

    /// The page's rule for a new password is the admin user form's (Plugins/Admin `user.create`),
    /// which the CLI uses too: the same lengths pass and fail.
    @Test func theNewPasswordRuleIsTheAdminFormsRule() throws {
        let admin = try #require(AdminModule().forms["user.create"]?.field("password"))
        let own = try #require(AccountRoutes.passwordForm.field("new_password"))
        for length in [0, 1, 7, 8, 9, 64, 128, 129, 300] {
            let value = String(repeating: "a", count: length)
            let a = FormSchema([admin]).bind(FormData([(name: "password", value: value)])).errors["password"]
            let b = FormSchema([own]).bind(FormData([(name: "new_password", value: value)])).errors["new_password"]
            #expect((a == nil) == (b == nil), "length \(length): admin form \(a ?? "accepts"), own form \(b ?? "accepts")")
        }
    }
}

/// A module whose only route fails the way a bug does (the 500 page).
struct FailingModule: DepartmentModule {
    let manifest = ModuleManifest(id: "failing", title: "故障", version: "0.1")
    struct Bug: Error {}
    func routes(_ r: inout RouteBuilder) {
        r.get("boom", .public) { _, _ in throw Bug() }
    }
}

/// The request id (issue 18): one short random hex id per request, in the `X-Request-Id` header,
/// on every error page (the 500 page's error id is the same id) and in the access-log line.
@Suite struct RequestIDTests {
    let t: TestApp
    init() throws {
        t = try TestApp(modules: [AdminModule(), FailingModule()])
        try t.addUser("rep", roles: [.salesRep])
    }

    static func code(_ body: String) -> String? {
        guard let r = body.range(of: "<code>") else { return nil }
        return String(body[r.upperBound...].prefix { $0 != "<" })
    }

    @Test func everyResponseHasItsOwnShortHexRequestID() throws {
        let c = t.client()
        let a = try #require(c.get("/login").header("X-Request-Id"))
        let b = try #require(c.get("/login").header("X-Request-Id"))
        #expect(a.count == 8 && a.allSatisfy(\.isHexDigit))
        #expect(a != b)
        // Counted per worker from a random start: the next id is the next number, its 8 hex
        // digits most significant first (written into a buffer, not by `String(_:radix:)`).
        let first = try #require(UInt32(a, radix: 16)), second = try #require(UInt32(b, radix: 16))
        #expect(second == first &+ 1)
        #expect(b == String(repeating: "0", count: 8 - String(second, radix: 16).count) + String(second, radix: 16))
    }

    @Test func errorPagesShowTheRequestID() throws {
        let c = t.client()
        c.login("rep")
        let notFound = c.get("/no/such/page")
        #expect(notFound.status == 404)
        #expect(notFound.body.contains("请求编号"))
        #expect(Self.code(notFound.body) == notFound.header("X-Request-Id"))
        let forbidden = c.get("/admin/users")
        #expect(forbidden.status == 403)
        #expect(Self.code(forbidden.body) == forbidden.header("X-Request-Id"))
    }

    @Test func theErrorIDOfA500IsTheRequestID() throws {
        let r = t.client().get("/failing/boom")
        #expect(r.status == 500)
        #expect(r.body.contains("错误编号"))
        #expect(!r.body.contains("请求编号"), "one id on the page, under one name")
        let id = try #require(r.header("X-Request-Id"))
        #expect(Self.code(r.body) == id)
    }
}

/// Journal priorities (issue 18): `<N>` sd-daemon prefixes by level, only when asked for or when
/// stderr is the journal; the plain line otherwise.
@Suite struct LogLineTests {
    @Test func levelsMapToSyslogPriorities() {
        // (Logging is not a dependency of this target: the levels are spelled at the call.)
        #expect(LineLogHandler.syslogPriority(.trace) == 7)
        #expect(LineLogHandler.syslogPriority(.debug) == 7)
        #expect(LineLogHandler.syslogPriority(.info) == 6)
        #expect(LineLogHandler.syslogPriority(.notice) == 5)
        #expect(LineLogHandler.syslogPriority(.warning) == 4)
        #expect(LineLogHandler.syslogPriority(.error) == 3)
        #expect(LineLogHandler.syslogPriority(.critical) == 2)
        let line = LineLogHandler.line(level: .warning, label: "salesd", metadata: [:], message: "m", timestamp: "T", priorityPrefix: true)
        #expect(line == "<4>T warning salesd: m\n")
        let info = LineLogHandler.line(level: .info, label: "salesd.access", metadata: [:], message: "GET / 200", timestamp: "T", priorityPrefix: true)
        #expect(info == "<6>T info salesd.access: GET / 200\n")
        // The level as swift-log spells it (`Logger.Level`'s raw values), without reflection.
        #expect([LineLogHandler.levelName(.trace), LineLogHandler.levelName(.debug), LineLogHandler.levelName(.notice),
                 LineLogHandler.levelName(.critical)] == ["trace", "debug", "notice", "critical"])
    }

    @Test func withoutThePrefixTheLineIsUnchanged() {
        let line = LineLogHandler.line(level: .warning, label: "salesd.access", metadata: ["k": "v"], message: "GET / 200",
                                       timestamp: "2026-11-26T03:06:00+0800", priorityPrefix: false)
        #expect(line == "2026-11-26T03:06:00+0800 warning salesd.access: k=v GET / 200\n")
    }

    /// The bytes `log(event:)` writes for a one-line event without metadata (the access log's)
    /// are those of `line(…)`; a multi-line message takes `line(…)` itself.
    @Test func oneLineEventsAreWrittenAsTheLineSpellsThem() {
        for prefix in [false, true] {
            for message in ["GET /healthz 200 16B 0.4ms user=- req=0000abcd", "", "中文 user=张三"] {
                let a = LineLogHandler.oneLine(level: .info, label: "salesd.access", message: message,
                                               timestamp: "2026-11-26T03:06:00+0800", priorityPrefix: prefix)
                #expect(a == Array(LineLogHandler.line(level: .info, label: "salesd.access", metadata: [:], message: message,
                                                       timestamp: "2026-11-26T03:06:00+0800", priorityPrefix: prefix).utf8))
                let w = LineLogHandler.oneLine(level: .warning, label: "salesd", message: message, timestamp: "T", priorityPrefix: prefix)
                #expect(w == Array(LineLogHandler.line(level: .warning, label: "salesd", metadata: [:], message: message,
                                                       timestamp: "T", priorityPrefix: prefix).utf8))
            }
        }
        #expect(LineLogHandler.oneLine(level: .error, label: "salesd", message: "a\nb", timestamp: "T", priorityPrefix: true) == nil)
    }

    @Test func everyLineOfAMultiLineMessageKeepsItsPriority() {
        let line = LineLogHandler.line(level: .error, label: "salesd", metadata: [:], message: "a\nb", timestamp: "T", priorityPrefix: true)
        #expect(line == "<3>T error salesd: a\n<3>b\n")
    }

    @Test func autoMeansStderrIsTheJournalStreamSystemdAnnounced() {
        var st = stat()
        #expect(fstat(2, &st) == 0)
        #expect(LineLogHandler.stderrIsJournal(environment: ["JOURNAL_STREAM": "\(st.st_dev):\(st.st_ino)"]))
        #expect(!LineLogHandler.stderrIsJournal(environment: ["JOURNAL_STREAM": "\(st.st_dev):\(st.st_ino &+ 1)"]))
        #expect(!LineLogHandler.stderrIsJournal(environment: ["JOURNAL_STREAM": "garbage"]))
        #expect(!LineLogHandler.stderrIsJournal(environment: [:]))
    }

    @Test func typedTextCannotForgeALogLineOrField() {
        #expect(LogText.field("zhang.san") == "zhang.san")
        #expect(LogText.field("x\nfake line") == "\"x\\nfake line\"")
        #expect(LogText.field("a user=admin") == "\"a user=admin\"")
        #expect(LogText.field("") == "\"\"")
        #expect(LogText.field(String(repeating: "a", count: 500)).count < 80)
    }
}

/// Session and form tokens are read as ASCII hexadecimal bytes (`Token.isHex`).
@Suite struct TokenShapeTests {
    @Test func onlyASCIIHexOfTheRightLengthIsAToken() {
        let t = Token.make()
        #expect(Token.isHex(t, length: 64))
        #expect(Token.isHex(t.uppercased(), length: 64))
        #expect(!Token.isHex(t, length: 32))
        #expect(!Token.isHex(String(t.dropLast()) + "g", length: 64))
        #expect(!Token.isHex(String(t.dropLast()) + "０", length: 64), "a full-width digit is not a hex digit here")
        #expect(!Token.isHex(String(t.dropLast(2)) + "０", length: 64))
        #expect(Token.isHex("") && !Token.isHex("", length: 64))
    }
}
