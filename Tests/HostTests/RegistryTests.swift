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
