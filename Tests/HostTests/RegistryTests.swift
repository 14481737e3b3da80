import Testing
@testable import SalesHost
import SalesKit
import AdminModule

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

    @Test func refusesDependencyListedAfter() throws {
        do {
            _ = try Registry(modules: [Stub(manifest: .init(id: "order", title: "订货", version: "1", dependencies: ["crm"])),
                                       Stub(manifest: .init(id: "crm", title: "客户", version: "1"))], coreRoutes: [])
            Issue.record("expected a boot error")
        } catch let e as Registry.BootError {
            #expect(e.description.contains("must be listed before it"))
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

    @Test func optionalDependencyMayBeAbsentButMustComeFirstWhenPresent() throws {
        _ = try Registry(modules: [Stub(manifest: .init(id: "service", title: "售后", version: "1", optionalDependencies: ["order"]))],
                         coreRoutes: [])
        #expect(throws: Registry.BootError.self) {
            try Registry(modules: [Stub(manifest: .init(id: "service", title: "售后", version: "1", optionalDependencies: ["order"])),
                                   Stub(manifest: .init(id: "order", title: "订货", version: "1"))], coreRoutes: [])
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
