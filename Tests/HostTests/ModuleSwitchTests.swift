import AdminModule
import Foundation
import Testing
import SalesHost
import SalesKit
import SalesTesting

/// Modules switched on and off per deployment (issue 13, item 4): configuration plus the admin
/// page 系统管理 → 模块管理; a switched-off module's menu, routes and inbox items vanish, its data
/// stays, and a module cannot be on without the modules it depends on.
@Suite struct ModuleSwitchTests {
    struct Base: DepartmentModule {
        let manifest = ModuleManifest(id: "base", title: "基础", version: "1")
        static let use = Permission("base", "use", title: "使用", defaultRoles: [.salesRep, .admin])
        var permissions: [Permission] { [Self.use] }
        var menu: [MenuItem] { [MenuItem("基础页", path: "page", access: .permission(Self.use))] }
        func routes(_ r: inout RouteBuilder) { r.get("page", .permission(Self.use)) { _, _ in .text("base page") } }
        func inbox(for user: User, _ ctx: Context) throws -> [InboxItem] { [InboxItem(title: "基础待办", url: "/base/page")] }
    }

    struct Top: DepartmentModule {
        let manifest = ModuleManifest(id: "top", title: "上层", version: "1", dependencies: ["base"])
        static let use = Permission("top", "use", title: "使用", defaultRoles: [.salesRep, .admin])
        var permissions: [Permission] { [Self.use] }
        var menu: [MenuItem] { [MenuItem("上层页", path: "page", access: .permission(Self.use))] }
        func routes(_ r: inout RouteBuilder) { r.get("page", .permission(Self.use)) { _, _ in .text("top page") } }
    }

    static func app(_ configure: (inout AppConfig) -> Void = { _ in }) throws -> (TestApp, TestClient, TestClient) {
        let t = try TestApp(modules: [AdminModule(), Base(), Top()], configure: configure)
        _ = try t.addUser("boss", roles: [.admin])
        _ = try t.addUser("rep", roles: [.salesRep])
        let admin = t.client()
        _ = admin.login("boss")
        let rep = t.client()
        _ = rep.login("rep")
        return (t, admin, rep)
    }

    /// Waits out the workers' one-second cache of the switches.
    static func settle() { Thread.sleep(forTimeInterval: 1.1) }

    @Test func aSwitchedOffModuleLosesMenuRoutesAndInboxButKeepsItsData() throws {
        let (t, admin, rep) = try Self.app()
        #expect(rep.get("/base/page").status == 200)
        #expect(rep.get("/").body.contains("基础待办"))
        // Switching off the base while the module that depends on it is on is refused.
        let refused = admin.submit("/admin/modules", ["module": "base", "action": "disable", "reason": "本厂不用"])
        #expect(refused.status == 409)
        #expect(refused.body.contains("以下模块依赖「基础」，请先停用：上层"))
        let off = admin.submit("/admin/modules", ["module": "top", "action": "disable", "reason": "本厂不用"])
        #expect(off.status == 303 && off.location == "/admin/modules", "the confirmation travels in the session, not the URL")
        #expect(admin.get("/admin/modules").body.contains("<div class=\"flash ok\" role=\"status\">已停用：上层。</div>"))
        #expect(!admin.get("/admin/modules?saved=top").body.contains("class=\"flash"))
        #expect(admin.submit("/admin/modules", ["module": "base", "action": "disable", "reason": "本厂不用"]).status == 303)
        Self.settle()
        #expect(rep.get("/base/page").status == 404)
        #expect(rep.get("/top/page").status == 404)
        let home = rep.get("/")
        #expect(!home.body.contains("基础待办"))
        #expect(!home.body.contains("基础页"))
        // Audit rows: who, from, to, why.
        let audit = try t.db.query("SELECT username, entity_id, from_state, to_state, reason FROM audit_log WHERE entity = 'module' ORDER BY id")
        #expect(audit.map { "\($0.string("username") ?? "") \($0.string("entity_id") ?? "") \($0.string("from_state") ?? "")→\($0.string("to_state") ?? "") \($0.string("reason") ?? "")" }
            == ["boss top on→off 本厂不用", "boss base on→off 本厂不用"])
        // Enabling the top before its base is refused; in order, everything is back.
        let early = admin.submit("/admin/modules", ["module": "top", "action": "enable", "reason": "恢复使用"])
        #expect(early.status == 409)
        #expect(early.body.contains("请先启用：基础"))
        #expect(admin.submit("/admin/modules", ["module": "base", "action": "enable", "reason": "恢复使用"]).status == 303)
        #expect(admin.submit("/admin/modules", ["module": "top", "action": "enable", "reason": "恢复使用"]).status == 303)
        Self.settle()
        #expect(rep.get("/top/page").body == "top page")
        #expect(rep.get("/").body.contains("基础待办"))
    }

    @Test func theConfigurationSwitchesModulesOffForGoodAndTheAdminPageCannotOverride() throws {
        let (_, admin, rep) = try Self.app { $0.disabledModules = "top" }
        #expect(rep.get("/top/page").status == 404)
        #expect(rep.get("/base/page").status == 200)
        let page = admin.get("/admin/modules")
        #expect(page.status == 200)
        #expect(page.body.contains("已停用（系统配置）"))
        let refused = admin.submit("/admin/modules", ["module": "top", "action": "enable", "reason": "想用"])
        #expect(refused.status == 409)
        #expect(refused.body.contains("已在系统配置中关闭"))
    }

    @Test func aReasonIsRequiredAndOnlyAdminsMaySwitch() throws {
        let (_, admin, rep) = try Self.app()
        let missing = admin.submit("/admin/modules", ["module": "top", "action": "disable", "reason": ""])
        #expect(missing.status == 422)
        #expect(missing.body.contains("请填写启用或停用的原因"))
        #expect(rep.get("/admin/modules").status == 403)
        #expect(rep.submit("/admin/modules", ["module": "top", "action": "disable", "reason": "试试"]).status == 403)
        // The admin module cannot switch itself off.
        let own = admin.submit("/admin/modules", ["module": "admin", "action": "disable", "reason": "试试"])
        #expect(own.status == 409)
    }

    @Test func anUnknownModuleInTheConfigurationStopsTheStart() throws {
        #expect(throws: (any Error).self) { try TestApp(modules: [Base()]) { $0.disabledModules = "nosuch" } }
    }
}
