import Foundation
import SalesKit

/// Which installed modules are on: the configuration's `disabledModules`, the switches stored
/// by the admin page (`module_states`), and the dependencies (a module is on only when every
/// module it depends on is on).
struct ModuleSwitches: Sendable {
    let manifests: [ModuleManifest]
    let offByConfiguration: Set<String>

    /// The stored switches (absent = on).
    static func stored(_ db: any Database) throws -> [String: Bool] {
        var m: [String: Bool] = [:]
        for r in try db.query("SELECT module, enabled FROM module_states") {
            if let id = r.string("module") { m[id] = r.bool("enabled") }
        }
        return m
    }

    /// The ids of the modules that are on (registry order makes dependencies come first).
    func enabled(stored: [String: Bool]) -> Set<String> {
        var on = Set<String>()
        for m in manifests where !offByConfiguration.contains(m.id) && stored[m.id] != false
            && m.dependencies.allSatisfy({ on.contains($0) }) {
            on.insert(m.id)
        }
        return on
    }

    func states(stored: [String: Bool]) -> [ModuleSwitchState] {
        let on = enabled(stored: stored)
        return manifests.map { m in
            ModuleSwitchState(id: m.id, title: m.title, version: m.version, enabled: on.contains(m.id),
                              offByConfiguration: offByConfiguration.contains(m.id), dependencies: m.dependencies,
                              dependents: manifests.filter { $0.dependencies.contains(m.id) }.map(\.id))
        }
    }
}

/// The host's `ModuleSwitchboard` service.
struct HostModuleSwitchboard: ModuleSwitchboard {
    let switches: ModuleSwitches

    func states(_ ctx: Context) throws -> [ModuleSwitchState] {
        switches.states(stored: try ModuleSwitches.stored(ctx.db))
    }

    func set(_ id: String, enabled: Bool, reason: String, _ ctx: Context) throws {
        let stored = try ModuleSwitches.stored(ctx.db)
        let states = switches.states(stored: stored)
        guard let target = states.first(where: { $0.id == id }) else { throw ModuleSwitchRefusal("没有这个模块：\(id)") }
        let title = { (id: String) in states.first { $0.id == id }?.title ?? id }
        if enabled {
            if target.offByConfiguration {
                throw ModuleSwitchRefusal("「\(target.title)」已在系统配置中关闭（disabledModules），请联系 IT 部门。")
            }
            let off = target.dependencies.filter { dep in !(states.first { $0.id == dep }?.enabled ?? false) }
            if !off.isEmpty {
                throw ModuleSwitchRefusal("「\(target.title)」依赖的模块未启用，请先启用：\(off.map(title).joined(separator: "、"))。")
            }
        } else {
            if id == ctx.module { throw ModuleSwitchRefusal("不能停用正在使用的「\(target.title)」模块。") }
            let on = target.dependents.filter { dep in states.first { $0.id == dep }?.enabled ?? false }
            if !on.isEmpty {
                throw ModuleSwitchRefusal("以下模块依赖「\(target.title)」，请先停用：\(on.map(title).joined(separator: "、"))。")
            }
        }
        let before = stored[id] ?? true
        guard before != enabled else { return }
        try ctx.db.transaction {
            try ctx.db.execute("""
                INSERT INTO module_states (module, enabled, changed_by, changed_at)
                VALUES (\(id), \(enabled), \(ctx.user?.id), \(Int64(ctx.now.timeIntervalSince1970)))
                ON CONFLICT(module) DO UPDATE SET enabled = excluded.enabled, changed_by = excluded.changed_by,
                    changed_at = excluded.changed_at
                """)
            try ctx.audit(AuditEntry(entity: "module", entityID: id, action: enabled ? "enable" : "disable",
                                     from: before ? "on" : "off", to: enabled ? "on" : "off", reason: reason))
        }
    }
}
