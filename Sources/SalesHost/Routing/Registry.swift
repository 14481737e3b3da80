import SalesKit

/// The installed modules after the boot checks: unique ids, dependencies present and listed
/// earlier, valid permission prefixes, no route conflicts.
public struct Registry: Sendable {
    public let modules: [any DepartmentModule]
    public let router: Router
    public let services: ServiceRegistry
    public let permissions: [Permission]
    /// Which modules are on (configuration, admin page, dependencies).
    let switches: ModuleSwitches

    public struct BootError: Error, CustomStringConvertible {
        public var problems: [String]
        public var description: String { "module registry refused to start:\n  - " + problems.joined(separator: "\n  - ") }
    }

    /// `modules` in list order, each moved after the installed modules it depends on; the ids
    /// left in a dependency cycle, if any (those keep their list order at the end).
    static func dependencyOrder(_ modules: [any DepartmentModule]) -> (ordered: [any DepartmentModule], cycle: [String]) {
        let installed = Set(modules.map(\.manifest.id))
        var placed = Set<String>()
        var ordered: [any DepartmentModule] = []
        var pending = modules
        while !pending.isEmpty {
            guard let i = pending.firstIndex(where: { m in
                (m.manifest.dependencies + m.manifest.optionalDependencies).allSatisfy { !installed.contains($0) || placed.contains($0) }
            }) else {
                return (ordered + pending, pending.map(\.manifest.id))
            }
            let m = pending.remove(at: i)
            placed.insert(m.manifest.id)
            ordered.append(m)
        }
        return (ordered, [])
    }

    /// Ids the host reserves for its own routes.
    static let reserved: Set<String> = ["core", "login", "logout", "static", "files", "_debug", "inbox"]

    public init(modules: [any DepartmentModule], coreRoutes: [RouteDefinition], disabledModules: Set<String> = []) throws {
        var problems: [String] = []
        for id in disabledModules.sorted() where !modules.contains(where: { $0.manifest.id == id }) {
            problems.append("disabledModules names '\(id)', which is not installed")
        }
        var seen: [String: Int] = [:]
        for (i, m) in modules.enumerated() {
            let id = m.manifest.id
            if id.isEmpty || !id.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "-" }) || !(id.first?.isLetter ?? false) {
                problems.append("module id '\(id)' must be lower-case letters, digits and '-', starting with a letter")
            }
            if Self.reserved.contains(id) { problems.append("module id '\(id)' is reserved by the host") }
            if let j = seen[id] { problems.append("duplicate module id '\(id)' (positions \(j + 1) and \(i + 1))") }
            seen[id] = seen[id] ?? i
        }
        let installed = Set(modules.map(\.manifest.id))
        for m in modules {
            for dep in m.manifest.dependencies where !installed.contains(dep) {
                problems.append("module '\(m.manifest.id)' depends on '\(dep)', which is not installed")
            }
        }
        // Boot, migration and menu order: the installed list, except that a module comes after
        // every installed module it depends on (hard or optional) — derived, not required of
        // whoever edits the list.
        let (ordered, cycle) = Self.dependencyOrder(modules)
        if !cycle.isEmpty { problems.append("modules depend on each other in a cycle: \(cycle.joined(separator: ", "))") }
        let modules = ordered
        switches = ModuleSwitches(manifests: modules.map(\.manifest), offByConfiguration: disabledModules)
        for m in modules {
            // Forms combined from a module's parts: a name two parts declare is refused. (Read
            // from the sink, not through the task-local observer: pushing a task-local value
            // outside a task crashed a release build of Swift 6.3 here.)
            let before = ProgrammingErrors.count
            _ = m.forms
            let new = max(0, min(ProgrammingErrors.count - before, ProgrammingErrors.capacity))
            for e in ProgrammingErrors.recorded.suffix(new) where e.kind == .duplicateFormName {
                problems.append("module '\(m.manifest.id)' declares the form '\(e.name)' twice")
            }
            problems += ModuleFeatureCheck.problems(of: m)
            for p in m.permissions where p.module != m.manifest.id {
                problems.append("module '\(m.manifest.id)' declares permission '\(p.id)' outside its own prefix")
            }
        }

        var router = Router()
        for r in coreRoutes { if let c = router.add(r) { problems.append(c) } }
        var permissions: [Permission] = []
        var services = ServiceRegistry()
        services.beginProvider("core")
        services.provide(PasswordService.self, HostPasswordService())
        services.provide(PlatformDirectory.self, HostPlatformDirectory(
            modules: modules.map(\.manifest), permissions: modules.flatMap(\.permissions)))
        services.provide(ModuleSwitchboard.self, HostModuleSwitchboard(switches: switches))
        services.provide(OrgDirectory.self, HostOrgDirectory())
        services.provide(UserHandover.self, HostUserHandover(modules: modules))
        services.provide(SystemStatusService.self, HostSystemStatus())
        for m in modules {
            var builder = RouteBuilder(module: m.manifest.id)
            m.routes(&builder)
            let declared = Set(m.permissions.map(\.id))
            for r in builder.routes {
                for p in r.access.permissions where p.module != m.manifest.id || !declared.contains(p.id) {
                    // A module may gate a route with another module's permission only if it depends on it.
                    if !(m.manifest.dependencies.contains(p.module) || declared.contains(p.id)) {
                        problems.append("route \(r.method) \(r.path) uses undeclared permission '\(p.id)'")
                    }
                }
                if let c = router.add(r) { problems.append("route conflict: " + c) }
            }
            permissions += m.permissions
            services.beginProvider(m.manifest.id)
            m.services(&services)
        }
        if !problems.isEmpty { throw BootError(problems: problems) }
        self.modules = modules
        self.router = router
        self.services = services
        self.permissions = permissions
    }

    public func module(_ id: String) -> (any DepartmentModule)? { modules.first { $0.manifest.id == id } }
}

struct HostPasswordService: PasswordService {
    func hash(_ password: String) throws -> String { try PasswordHasher.hash(password) }
}

struct HostPlatformDirectory: PlatformDirectory {
    let modules: [ModuleManifest]
    let permissions: [Permission]
}
