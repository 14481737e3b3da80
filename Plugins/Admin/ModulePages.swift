import Foundation
import SalesKit

/// 模块管理: switch departmental modules on and off for this deployment (as Dolibarr's module
/// page). A module that is off has no menu, pages or to-do items; its data stays. The host's
/// `ModuleSwitchboard` checks the dependencies and writes the audit row.
enum ModulePages {
    struct Page: PageModel {
        static let template = "modules"
        var modules: [Module]
        var error: String?
        var reason: String

        struct Module: TemplateModel {
            var id: String
            var title: String
            var version: String
            var stateText: String
            var enabled: Bool
            var dependencies: String
            var dependents: String
            var canSwitch: Bool
            var action: String
            var actionTitle: String
        }
    }

    static func page(_ ctx: Context, error: String? = nil, reason: String = "") throws -> Page {
        let board = try ctx.service(ModuleSwitchboard.self)
        let states = try board.states(ctx)
        let titles = Dictionary(states.map { ($0.id, $0.title) }, uniquingKeysWith: { a, _ in a })
        func names(_ ids: [String]) -> String { ids.isEmpty ? "—" : ids.map { titles[$0] ?? $0 }.joined(separator: "、") }
        return Page(modules: states.map { s in
            Page.Module(id: s.id, title: s.title, version: s.version,
                        stateText: s.enabled ? "已启用" : s.offByConfiguration ? "已停用（系统配置）" : "已停用",
                        enabled: s.enabled, dependencies: names(s.dependencies), dependents: names(s.dependents),
                        canSwitch: s.id != ctx.module && !s.offByConfiguration,
                        action: s.enabled ? "disable" : "enable", actionTitle: s.enabled ? "停用" : "启用")
        }, error: error, reason: reason)
    }

    static let list: Handler = { req, ctx in
        ctx.render(try page(ctx), title: "模块管理")
    }

    static let change: Handler = { req, ctx in
        let id = req.form["module"] ?? ""
        let enable = req.form["action"] == "enable"
        let reason = (req.form["reason"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard (2...200).contains(reason.count) else {
            return ctx.render(try page(ctx, error: "请填写启用或停用的原因（2–200 字）。", reason: reason), title: "模块管理", status: 422)
        }
        do {
            try ctx.service(ModuleSwitchboard.self).set(id, enabled: enable, reason: reason, ctx)
        } catch let refusal as ModuleSwitchRefusal {
            return ctx.render(try page(ctx, error: refusal.message, reason: reason), title: "模块管理", status: 409)
        }
        let title = (try? ctx.service(ModuleSwitchboard.self).states(ctx).first { $0.id == id }?.title) ?? id
        return .redirect(to: "/admin/modules", flash: .ok("已\(enable ? "启用" : "停用")：\(title)。"))
    }
}
