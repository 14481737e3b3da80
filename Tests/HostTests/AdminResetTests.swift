import AdminModule
import Foundation
import Testing
import SalesHost
import SalesKit
import SalesTesting

/// Issue 18, accounts: a password an administrator sets (new user, reset) is temporary — the
/// user's every page leads to 修改密码 until they choose their own; an administrator can clear a
/// user's login lock. Both audited.
@Suite struct AdminResetTests {
    @Test func aResetPasswordMustBeChangedBeforeAnythingElseAndTheLockCanBeCleared() throws {
        let t = try TestApp(modules: [AdminModule()])
        _ = try t.addUser("root", roles: [.admin], displayName: "管理员")
        let rep = try t.addUser("rep", roles: [.salesRep], displayName: "张三")
        let admin = t.client()
        _ = admin.login("root")
        #expect(admin.submit("/admin/users/\(rep)", ["display_name": "张三", "departments": "sales", "active": "1", "roles": "sales_rep",
                                                      "password": "temporary-123", "reason": "忘记密码"]).status == 303)
        let c = t.client()
        #expect(c.login("rep", password: "temporary-123").status == 303)
        let home = c.get("/")
        #expect(home.status == 303 && home.location == "/account/password")
        #expect(c.get("/admin/users").location == "/account/password")
        let page = c.get("/account/password")
        #expect(page.status == 200 && page.body.contains("您的密码由管理员设置"))
        #expect(c.submit("/account/password", ["current_password": "temporary-123", "new_password": "my-own-secret",
                                               "confirm_password": "my-own-secret"]).status == 303)
        #expect(c.get("/").status == 200)
        #expect(try t.db.scalar("SELECT must_change_password FROM users WHERE id = \(rep)") == 0)
        // Failed logins lock; the administrator clears them.
        for _ in 0..<3 { _ = t.client().login("rep", password: "wrong-password") }
        let edit = admin.get("/admin/users/\(rep)")
        #expect(edit.body.contains("最近 24 小时登录失败 3 次"))
        #expect(admin.submit("/admin/users/\(rep)/unlock", [:] as KeyValuePairs<String, String>).status == 303)
        #expect(try t.db.scalar("SELECT COUNT(*) FROM login_failures WHERE username = 'rep'") == 0)
        #expect(try t.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'user' AND action = 'unlock'") == 1)
        #expect(!admin.get("/admin/users/\(rep)").body.contains("解除登录锁定"))
    }

    @Test func aUserCreatedOnTheWebChoosesTheirOwnPasswordFirst() throws {
        let t = try TestApp(modules: [AdminModule()])
        _ = try t.addUser("root", roles: [.admin])
        let admin = t.client()
        _ = admin.login("root")
        #expect(admin.submit("/admin/users/new", ["username": "new.one", "display_name": "新人", "password": "given-by-it-1",
                                                  "roles": "sales_rep"]).status == 303)
        let c = t.client()
        #expect(c.login("new.one", password: "given-by-it-1").status == 303)
        #expect(c.get("/").location == "/account/password")
    }
}
