import Foundation
import Testing
import SalesHost
import SalesKit
import SalesTesting
import AdminModule

/// Host behaviour through the router-level harness (no libfcgi, real SQLite and templates).
@Suite struct PlatformTests {
    let t: TestApp
    init() throws {
        t = try TestApp(modules: [AdminModule()])
        try t.addUser("admin", roles: [.admin], displayName: "管理员")
        try t.addUser("rep", roles: [.salesRep], displayName: "销售甲")
    }

    @Test func loginPageRendersInChinese() {
        let r = t.client().get("/login")
        #expect(r.status == 200)
        #expect(r.body.contains("登录"))
        #expect(r.body.contains("name=\"_csrf\""))
    }

    @Test func wrongPasswordIsRefused() {
        let c = t.client()
        let r = c.login("admin", password: "wrong-password")
        #expect(r.status == 401)
        #expect(r.body.contains("用户名或密码不正确"))
        #expect(c.get("/").status == 303)
    }

    @Test func loginSetsHttpOnlySameSiteCookieAndNewSessionId() throws {
        let c = t.client()
        c.get("/login")
        c.cookies["sid"] = String(repeating: "a", count: 64) // a planted (fixation) id
        let r = c.submit("/login", [("username", "admin"), ("password", TestApp.password)])
        #expect(r.status == 303)
        let cookie = try #require(r.headers.first { $0.0 == "Set-Cookie" && $0.1.hasPrefix("sid=") }?.1)
        #expect(cookie.contains("HttpOnly"))
        #expect(cookie.contains("SameSite=Lax"))
        #expect(c.cookies["sid"] != String(repeating: "a", count: 64))
    }

    @Test func menuShowsOnlyPermittedModules() {
        let admin = t.client()
        admin.login("admin")
        let home = admin.get("/")
        #expect(home.status == 200)
        #expect(home.body.contains("系统管理"))
        #expect(home.body.contains("/admin/users"))

        let rep = t.client()
        rep.login("rep")
        let repHome = rep.get("/")
        #expect(repHome.status == 200)
        #expect(!repHome.body.contains("系统管理"))
        // The route itself is guarded, not just the menu.
        #expect(rep.get("/admin/users").status == 403)
    }

    @Test func postWithoutCSRFTokenIsRefused() {
        let c = t.client()
        c.login("admin")
        let r = c.request("POST", "/admin/users/new", form: FormData([("username", "newuser"), ("display_name", "新用户"), ("password", "12345678abc")]))
        #expect(r.status == 403)
        #expect(try! t.db.scalar("SELECT COUNT(*) FROM users WHERE username = 'newuser'") == 0)
        // A wrong token too.
        let w = c.request("POST", "/admin/users/new", form: FormData([("_csrf", "0000"), ("username", "newuser")]))
        #expect(w.status == 403)
    }

    @Test func invalidFormComesBackWith422AndValuesKept() {
        let c = t.client()
        c.login("admin")
        c.get("/admin/users/new")
        let r = c.submit("/admin/users/new", [("username", "x"), ("display_name", "王<五>"), ("password", "short"), ("roles", "sales_rep")])
        #expect(r.status == 422)
        #expect(r.body.contains("用户名为 2–32 位字母"))
        #expect(r.body.contains("至少 8 个字"))
        #expect(r.body.contains("value=\"王&lt;五&gt;\""))   // kept, and escaped
        #expect(r.body.contains("value=\"x\""))
        #expect(r.body.contains("value=\"sales_rep\" checked"))
        // A password is the one value never echoed back.
        #expect(r.body.contains("type=\"password\""))
        #expect(!r.body.contains("value=\"short\""))
    }

    @Test func validFormRedirects303StoresRowAndAudits() throws {
        let c = t.client()
        c.login("admin")
        c.get("/admin/users/new")
        let r = c.submit("/admin/users/new", [("username", "zhang.san"), ("display_name", "张三"), ("password", "a-long-password"),
                                              ("roles", "sales_rep"), ("roles", "sales_supervisor")])
        #expect(r.status == 303)
        #expect(r.location == "/admin/users", "the confirmation travels in the session, not the URL")
        // The users list says so, once; a crafted ?saved=1 shows nothing.
        #expect(c.get("/admin/users").body.contains("<div class=\"flash ok\" role=\"status\">用户「张三」（zhang.san）已建立。</div>"))
        #expect(!c.get("/admin/users").body.contains("已建立"))
        #expect(!c.get("/admin/users?saved=1").body.contains("class=\"flash"))
        let row = try #require(try t.db.first("SELECT id, display_name FROM users WHERE username = 'zhang.san'"))
        #expect(row.string("display_name") == "张三")
        let roles = try t.db.query("SELECT role_id FROM user_roles WHERE user_id = \(row.int("id")!) ORDER BY role_id").compactMap { $0.string("role_id") }
        #expect(roles == ["sales_rep", "sales_supervisor"])
        let audit = try #require(try t.db.first("SELECT username, action, to_state, module FROM audit_log WHERE entity = 'user' AND entity_id = \(String(row.int("id")!))"))
        #expect(audit.string("username") == "admin")
        #expect(audit.string("action") == "create")
        #expect(audit.string("module") == "admin")
        // The new user can log in.
        #expect(t.client().login("zhang.san", password: "a-long-password").status == 303)
    }

    @Test func aRepeatedSubmitWithTheSameFormTokenCreatesOneRecord() throws {
        let c = t.client()
        c.login("admin")
        let page = c.get("/admin/users/new")
        let idem = try #require(page.body.range(of: "name=\"_idem\" value=\"").map { r in
            String(page.body[r.upperBound...].prefix { $0 != "\"" })
        })
        let fields = [("_idem", idem), ("username", "twice"), ("display_name", "双击"), ("password", "a-long-password")]
        let first = c.submit("/admin/users/new", fields)
        let second = c.submit("/admin/users/new", fields)
        #expect(first.status == 303)
        #expect(second.status == 303)
        #expect(second.location == first.location)
        #expect(try t.db.scalar("SELECT COUNT(*) FROM users WHERE username = 'twice'") == 1)
        // A failed submit releases its token: the corrected form goes through.
        let page2 = c.get("/admin/users/new")
        let idem2 = String(page2.body[page2.body.range(of: "name=\"_idem\" value=\"")!.upperBound...].prefix { $0 != "\"" })
        #expect(c.submit("/admin/users/new", [("_idem", idem2), ("username", "x")]).status == 422)
        #expect(c.submit("/admin/users/new", [("_idem", idem2), ("username", "fixed"), ("display_name", "改正"),
                                              ("password", "a-long-password")]).status == 303)
        #expect(try t.db.scalar("SELECT COUNT(*) FROM users WHERE username = 'fixed'") == 1)
    }

    @Test func unknownPathIs404AndWrongMethodIs405() {
        let c = t.client()
        c.login("admin")
        let r = c.get("/no/such/page")
        #expect(r.status == 404)
        #expect(r.body.contains("页面不存在"))
        #expect(c.get("/logout").status == 405)
    }

    @Test func oversizedBodyIs413() {
        let r = t.worker.handle(RawRequest(params: ["REQUEST_METHOD": "POST", "REQUEST_URI": "/login", "CONTENT_LENGTH": "99999999"],
                                           bodyTooLarge: true))
        #expect(r.status == 413)
        #expect(r.bodyText.contains("提交内容过大"))
    }

    @Test func malformedInputIs400NotACrash() {
        let c = t.client()
        c.login("admin")
        #expect(c.get("/admin/users?q=%E4%B8").status == 400)
        #expect(c.get("/admin/users?q=%ZZ").status == 400)
        let bad = c.request("POST", "/admin/users/new", contentType: "multipart/form-data; boundary=XYZ",
                            body: Array("--XYZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\ntruncated".utf8))
        #expect(bad.status == 400)
    }

    @Test func anonymousIsRedirectedToLogin() {
        let r = t.client().get("/admin/users?page=2")
        #expect(r.status == 303)
        #expect(r.location == "/login?next=%2Fadmin%2Fusers%3Fpage%3D2")
    }

    @Test func expiredSessionKeepsTheTypedForm() throws {
        let c = t.client()
        c.login("admin")
        c.get("/admin/users/new")
        // The session expires while the user is typing.
        try t.db.execute("UPDATE sessions SET expires_at = 0")
        let r = c.submit("/admin/users/new", [("username", "li.si"), ("display_name", "李四"), ("password", "")])
        #expect(r.status == 303)
        let loc = try #require(r.location)
        #expect(loc.contains("resume="))
        let login = c.get(loc)
        #expect(login.body.contains("表单已保留"))
        let resume = String(loc.split(separator: "resume=")[1].prefix { $0 != "&" })
        let after = c.submit("/login", [("username", "admin"), ("password", TestApp.password), ("next", "/admin/users/new"), ("resume", resume)])
        #expect(after.status == 303)
        let back = try #require(after.location)
        #expect(back.hasPrefix("/admin/users/new?_resume="))
        let page = c.get(back)
        #expect(page.status == 200)
        #expect(page.body.contains("value=\"李四\""))
        #expect(page.body.contains("value=\"li.si\""))
        // Nothing was saved, and the kept form is gone once used.
        #expect(try t.db.scalar("SELECT COUNT(*) FROM users WHERE username = 'li.si'") == 0)
        #expect(try t.db.scalar("SELECT COUNT(*) FROM pending_forms") == 0)
    }

    @Test func loginIsThrottledAfterRepeatedFailures() {
        let c = t.client()
        for _ in 0..<5 { #expect(c.login("admin", password: "nope").status == 401) }
        let r = c.login("admin") // even the right password is refused for now
        #expect(r.status == 429)
        #expect(r.body.contains("登录失败次数过多"))
        let other = t.client()
        other.remoteAddress = "10.0.0.9"
        #expect(other.login("admin").status == 303)
    }

    @Test func logoutEndsTheSessionOnTheServer() throws {
        let c = t.client()
        c.login("admin")
        let sid = try #require(c.cookies["sid"])
        #expect(c.get("/").status == 200)
        #expect(c.submit("/logout", [(String, String)]()).status == 303)
        c.cookies["sid"] = sid // replaying the old cookie does not work
        #expect(c.get("/").status == 303)
    }

    @Test func auditViewerAndCSVExport() throws {
        let c = t.client()
        c.login("admin")
        c.get("/admin/users/new")
        c.submit("/admin/users/new", [("username", "wang"), ("display_name", "=HYPERLINK(\"x\")"), ("password", "a-long-password")])
        let list = c.get("/admin/users")
        #expect(list.body.contains("=HYPERLINK(&quot;x&quot;)"))
        let csv = c.get("/admin/users?format=csv")
        #expect(csv.status == 200)
        #expect(csv.header("Content-Type")?.hasPrefix("text/csv") == true)
        #expect(csv.body.hasPrefix("\u{FEFF}用户名"))
        #expect(csv.body.contains("\"'=HYPERLINK(\"\"x\"\")\""))
        let audit = c.get("/admin/audit?entity=user")
        #expect(audit.status == 200)
        #expect(audit.body.contains("新建用户"), "the action's title, not its code")
        // The audit list (a ListPage): filters kept in the form, the record by its title and name,
        // the actor by display name, CSV of the same columns.
        let wang = try #require(try t.db.scalar("SELECT id FROM users WHERE username = 'wang'"))
        let one = c.get("/admin/audit?entity=user&entity_id=\(wang)")
        #expect(one.body.contains("用户 =HYPERLINK(&quot;x&quot;)") && one.body.contains("name=\"entity_id\" value=\"\(wang)\""))
        #expect(one.body.contains("<option value=\"user\" selected>用户</option>"))
        #expect(c.get("/admin/audit?entity=user&entity_id=999999").body.contains("没有记录。"))
        let auditCSV = c.get("/admin/audit?entity=user&format=csv")
        #expect(auditCSV.body.hasPrefix("\u{FEFF}时间,操作人,模块,对象,操作,状态变化,原因"))
        #expect(auditCSV.body.contains(",管理员,系统管理,\"用户 =HYPERLINK(\"\"x\"\")\",新建用户,— → 在用,"))
    }

    @Test func theRoleMatrixCannotLockAdministrationOut() {
        let c = t.client()
        c.login("admin")
        c.get("/admin/roles")
        let saved = c.submit("/admin/roles", [("reason", "清空")])
        #expect(saved.status == 303 && saved.location == "/admin/roles")
        let page = c.get("/admin/roles")
        #expect(page.status == 200 && page.body.contains("<div class=\"flash ok\" role=\"status\">角色权限已保存。</div>"))
        #expect(!c.get("/admin/roles?saved=1").body.contains("class=\"flash"))
        #expect(c.get("/admin/users").status == 403) // everything else was revoked as asked
    }

    @Test func roleMatrixChangesPermissionsAndAudits() throws {
        let c = t.client()
        c.login("admin")
        let page = c.get("/admin/roles")
        #expect(page.status == 200)
        #expect(page.body.contains("p:admin:admin.users"))
        // Grant the sales rep the audit viewer (and keep admin's permissions).
        c.submit("/admin/roles", [("p:admin:admin.users", "1"), ("p:admin:admin.roles", "1"), ("p:admin:admin.audit", "1"),
                                  ("p:sales_rep:admin.audit", "1"), ("reason", "测试")])
        let rep = t.client()
        rep.login("rep")
        #expect(rep.get("/admin/audit").status == 200)
        #expect(rep.get("/admin/users").status == 403)
        #expect(try t.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'role' AND action = 'grant' AND entity_id = 'sales_rep'") == 1)
        // general_manager's default audit permission was revoked by omission.
        #expect(try t.db.scalar("SELECT COUNT(*) FROM role_permissions WHERE role_id = 'general_manager'") == 0)
    }
}
