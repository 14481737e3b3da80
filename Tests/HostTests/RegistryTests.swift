import Testing
@testable import SalesHost
import SalesKit
import AdminModule
import SalesTesting

private struct Stub: DepartmentModule {
    var manifest: ModuleManifest
    var extraRoutes: [String] = []
    var permissions: [Permission] { [Permission(manifest.id, "view", title: "查看")] }
    func routes(_ r: inout RouteBuilder) {
        r.get("", .permission(Permission(manifest.id, "view", title: "查看"))) { _, _ in .text("ok") }
        for p in extraRoutes { r.get(p, .authenticated) { _, _ in .text(p) } }
    }
}

@Suite struct RegistryTests {
    @Test func acceptsOrderedDependencies() throws {
        let r = try Registry(modules: [Stub(manifest: .init(id: "crm", title: "客户开发", version: "1")),
                                       Stub(manifest: .init(id: "order", title: "订货", version: "1", dependencies: ["crm"]))],
                             coreRoutes: [])
        #expect(r.modules.map(\.manifest.id) == ["crm", "order"])
    }

    @Test func refusesDuplicateIds() {
        #expect(throws: Registry.BootError.self) {
            try Registry(modules: [Stub(manifest: .init(id: "crm", title: "a", version: "1")),
                                   Stub(manifest: .init(id: "crm", title: "b", version: "1"))], coreRoutes: [])
        }
    }

    @Test func refusesMissingDependency() throws {
        do {
            _ = try Registry(modules: [Stub(manifest: .init(id: "order", title: "订货", version: "1", dependencies: ["crm"]))], coreRoutes: [])
            Issue.record("expected a boot error")
        } catch let e as Registry.BootError {
            #expect(e.description.contains("depends on 'crm', which is not installed"))
        }
    }

    /// Issue 13: the order is derived from the dependencies (list order otherwise kept).
    @Test func ordersModulesAfterTheirDependencies() throws {
        let r = try Registry(modules: [
            Stub(manifest: .init(id: "service", title: "售后", version: "1", dependencies: ["crm"], optionalDependencies: ["order"])),
            Stub(manifest: .init(id: "order", title: "订货", version: "1", dependencies: ["crm"])),
            Stub(manifest: .init(id: "ideas", title: "建议", version: "1")),
            Stub(manifest: .init(id: "crm", title: "客户", version: "1")),
        ], coreRoutes: [])
        #expect(r.modules.map(\.manifest.id) == ["ideas", "crm", "order", "service"])
    }

    @Test func refusesADependencyCycle() throws {
        do {
            _ = try Registry(modules: [Stub(manifest: .init(id: "a", title: "甲", version: "1", dependencies: ["b"])),
                                       Stub(manifest: .init(id: "b", title: "乙", version: "1", dependencies: ["a"]))], coreRoutes: [])
            Issue.record("expected a boot error")
        } catch let e as Registry.BootError {
            #expect(e.description.contains("cycle: a, b"))
        }
    }

    @Test func refusesRouteConflicts() throws {
        do {
            _ = try Registry(modules: [Stub(manifest: .init(id: "crm", title: "客户", version: "1"), extraRoutes: ["x/:id", "x/:key"])],
                             coreRoutes: [])
            Issue.record("expected a boot error")
        } catch let e as Registry.BootError {
            #expect(e.description.contains("route conflict"))
        }
    }

    @Test func optionalDependencyMayBeAbsentAndComesFirstWhenPresent() throws {
        _ = try Registry(modules: [Stub(manifest: .init(id: "service", title: "售后", version: "1", optionalDependencies: ["order"]))],
                         coreRoutes: [])
        let r = try Registry(modules: [Stub(manifest: .init(id: "service", title: "售后", version: "1", optionalDependencies: ["order"])),
                                       Stub(manifest: .init(id: "order", title: "订货", version: "1"))], coreRoutes: [])
        #expect(r.modules.map(\.manifest.id) == ["order", "service"])
    }

    /// `Access.anyOf`: any one of the permissions opens the route; each must be the module's own
    /// (or a dependency's), as for `.permission`.
    @Test func anyOfOpensForEachPermissionAndEachMustBeDeclared() throws {
        let view = Permission("order", "view", title: "查看"), settle = Permission("order", "settle", title: "回款")
        let access = Access.anyOf([view, settle])
        #expect(access.label == "order.view|order.settle")
        func user(_ permissions: Set<String>) -> User { User(id: 1, username: "u", displayName: "u", roles: [], permissions: permissions) }
        #expect(user(["order.view"]).may(access) && user(["order.settle"]).may(access))
        #expect(!user(["order.other"]).may(access) && !user([]).may(access))
        struct Gated: DepartmentModule {
            var manifest = ModuleManifest(id: "order", title: "订货", version: "1")
            var permissions: [Permission] { [Permission("order", "view", title: "查看")] }
            func routes(_ r: inout RouteBuilder) {
                r.get("x", .anyOf([Permission("order", "view", title: "查看"), Permission("order", "undeclared", title: "?")])) { _, _ in .text("") }
            }
        }
        do {
            _ = try Registry(modules: [Gated()], coreRoutes: [])
            Issue.record("expected a boot error")
        } catch let e as Registry.BootError {
            #expect(e.description.contains("uses undeclared permission 'order.undeclared'"))
        }
    }

    @Test func refusesReservedIds() {
        #expect(throws: Registry.BootError.self) {
            try Registry(modules: [Stub(manifest: .init(id: "login", title: "x", version: "1"))], coreRoutes: [])
        }
    }
}

@Suite struct RouterTests {
    func route(_ method: String, _ path: String) -> RouteDefinition {
        RouteDefinition(method: method, path: path, access: .authenticated, module: "t", handler: { _, _ in .text(path) })
    }

    @Test func staticSegmentsBeatParameters() {
        var r = Router()
        #expect(r.add(route("GET", "/t/users/:id")) == nil)
        #expect(r.add(route("GET", "/t/users/new")) == nil)
        guard case .found(let a, _) = r.match(method: "GET", path: "/t/users/new") else { Issue.record("no match"); return }
        #expect(a.path == "/t/users/new")
        guard case .found(let b, let params) = r.match(method: "GET", path: "/t/users/42") else { Issue.record("no match"); return }
        #expect(b.path == "/t/users/:id")
        #expect(params["id"] == "42")
    }

    @Test func methodNotAllowedAndNotFound() {
        var r = Router()
        _ = r.add(route("POST", "/t/x"))
        if case .methodNotAllowed(let allowed) = r.match(method: "GET", path: "/t/x") {
            #expect(allowed == ["POST"])
        } else { Issue.record("expected 405") }
        if case .notFound = r.match(method: "GET", path: "/t/y") {} else { Issue.record("expected 404") }
    }

    @Test func headUsesGet() {
        var r = Router()
        _ = r.add(route("GET", "/t"))
        if case .found = r.match(method: "HEAD", path: "/t") {} else { Issue.record("HEAD should match GET") }
    }
}

/// Issue 13: forms combined from a module's parts — a duplicate name no longer silently drops one.
@Suite struct FormCombineTests {
    struct Twice: DepartmentModule {
        let manifest = ModuleManifest(id: "twice", title: "重复", version: "1")
        var forms: [String: FormSchema] {
            FormSchema.combine(["a": FormSchema([FormField("x", "甲")])], ["a": FormSchema([FormField("y", "乙")]), "b": FormSchema([])])
        }
    }

    @Test func aFormNameDeclaredByTwoPartsStopsTheStart() {
        do {
            _ = try Registry(modules: [Twice()], coreRoutes: [])
            Issue.record("expected a boot error")
        } catch let e as Registry.BootError {
            #expect(e.description.contains("module 'twice' declares the form 'a' twice"))
        } catch {
            Issue.record("\(error)")
        }
    }
}

/// Issue 13: a module made of parts (`ModuleFeature`) — the registry merges them and refuses at
/// boot what two parts both declare, or what a module's own member leaves out.
@Suite struct ModulePartsTests {
    static let view = Permission("parts", "view", title: "查看")
    static let edit = Permission("parts", "edit", title: "修改")

    enum Plans: ModuleFeature {
        static let permissions = [ModulePartsTests.view]
        static let menu = [MenuItem("计划", path: "plans", access: .permission(ModulePartsTests.view))]
        static let forms: [String: FormSchema] = ["plan": FormSchema([FormField("title", "标题")])]
        static func routes(_ r: inout RouteBuilder) { r.get("plans", .permission(ModulePartsTests.view)) { _, _ in .text("plans") } }
        static func inbox(for user: User, _ ctx: Context) throws -> [InboxItem] { [InboxItem(title: "待办计划", url: "/parts/plans")] }
        static var vocabulary: AuditVocabulary { AuditVocabulary().entity("parts.plan", "计划", actions: ["create": "新建计划"]) }
    }

    enum Reports: ModuleFeature {
        static let permissions = [ModulePartsTests.edit]
        static let menu = [MenuItem("报告", path: "reports", access: .permission(ModulePartsTests.edit))]
        static let forms: [String: FormSchema] = ["report": FormSchema([FormField("body", "内容")])]
        static let pages: [any PageModel.Type] = [ListPageView.self]
        static func routes(_ r: inout RouteBuilder) { r.form("reports/new", .permission(ModulePartsTests.edit)) { _, _ in .text("new") } }
        static func inbox(for user: User, _ ctx: Context) throws -> [InboxItem] { [InboxItem(title: "待审报告", url: "/parts/reports")] }
        static var vocabulary: AuditVocabulary { AuditVocabulary().entity("parts.report", "报告", actions: ["create": "提交报告"]) }
    }

    /// Declares what `Plans` declares once more (form, permission, menu path, route, page).
    enum PlansAgain: ModuleFeature {
        static let permissions = [ModulePartsTests.view]
        static let menu = [MenuItem("计划（二）", path: "plans", access: .permission(ModulePartsTests.view))]
        static let forms: [String: FormSchema] = ["plan": FormSchema([FormField("other", "其他")])]
        static let pages: [any PageModel.Type] = [ListPageView.self]
        static func routes(_ r: inout RouteBuilder) { r.get("plans", .permission(ModulePartsTests.view)) { _, _ in .text("again") } }
    }

    struct Parts: DepartmentModule {
        var manifest = ModuleManifest(id: "parts", title: "分部", version: "1")
        var features: [any ModuleFeature.Type]
    }

    /// Lists the parts but declares its permissions itself, leaving `Reports`' out.
    struct Overriding: DepartmentModule {
        var manifest = ModuleManifest(id: "parts", title: "分部", version: "1")
        var features: [any ModuleFeature.Type] { [Plans.self, Reports.self] }
        var permissions: [Permission] { [ModulePartsTests.view] }
    }

    static func bootError(_ module: any DepartmentModule) -> String? {
        do {
            _ = try Registry(modules: [module], coreRoutes: [])
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func partsMergeInTheOrderListed() throws {
        let m = Parts(features: [Plans.self, Reports.self])
        #expect(m.permissions.map(\.id) == ["parts.view", "parts.edit"])
        #expect(m.menu.map(\.path) == ["plans", "reports"])
        #expect(m.forms.keys.sorted() == ["plan", "report"])
        #expect(m.pages.map { "\($0)" } == ["ListPageView"])
        #expect(m.auditVocabulary.actionTitle(entity: "parts.plan", action: "create") == "新建计划")
        #expect(m.auditVocabulary.actionTitle(entity: "parts.report", action: "create") == "提交报告")

        let r = try Registry(modules: [m], coreRoutes: [])
        #expect(r.router.all.map { "\($0.method) \($0.path)" } .sorted() == ["GET /parts/plans", "GET /parts/reports/new", "POST /parts/reports/new"])
        #expect(r.permissions.map(\.id) == ["parts.view", "parts.edit"])

        let t = try TestApp(modules: [AdminModule()])
        let user = User(id: 1, username: "a", displayName: "甲", roles: [], permissions: [])
        #expect(try m.inbox(for: user, t.context(module: "parts", user: user)).map(\.title) == ["待办计划", "待审报告"])
    }

    @Test func whatTwoPartsBothDeclareStopsTheStart() throws {
        let e = try #require(Self.bootError(Parts(features: [Plans.self, Reports.self, PlansAgain.self])))
        for what in ["the form 'plan'", "the permission 'parts.view'", "the menu path 'plans'", "the route 'GET /parts/plans'"] {
            #expect(e.contains("module 'parts': \(what) is declared by both Plans and PlansAgain"), "\(what): \(e)")
        }
        #expect(e.contains("the page model 'SalesKit.ListPageView' is declared by both Reports and PlansAgain"), "\(e)")
    }

    @Test func aModulesOwnMemberMustCarryEveryPartsDeclarations() throws {
        let e = try #require(Self.bootError(Overriding()))
        #expect(e.contains("module 'parts' lists features but its own permissions leaves out 'parts.edit'"), "\(e)")
        #expect(!e.contains("leaves out 'parts.view'"))
    }
}
