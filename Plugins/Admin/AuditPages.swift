import Foundation
import SalesKit

enum AuditPages {
    /// 审计日志: every audited change, newest first, as people read it — the actor's name, the
    /// module's, the record's and the action's Chinese titles, states by their titles (from each
    /// module's `auditVocabulary`; a code without a title shows as the code). Filters pick a
    /// person, module, action and record type from lists; the CSV has the same columns and, after
    /// them, the stored codes.
    static let page = ListPage(
        title: "审计日志", path: "/admin/audit",
        select: """
            a.id, a.at, a.username, a.module, a.entity, a.entity_id, a.action,
                   COALESCE(a.from_state, '') AS from_state, COALESCE(a.to_state, '') AS to_state, COALESCE(a.reason, '') AS reason,
                   COALESCE(NULLIF(u.display_name, ''), a.username) AS actor, a.address
            """,
        from: "audit_log a LEFT JOIN users u ON u.id = a.user_id",
        scope: { _ in "1 = 1" },
        columns: [
            .init("at", "时间", sql: "a.at") { r, ctx in
                ListCell(ctx.display(Date(timeIntervalSince1970: Double(r.int("at") ?? 0)), pattern: "yyyy-MM-dd HH:mm:ss"),
                         cls: "nowrap")
            },
            .init("actor", "操作人", sql: "COALESCE(NULLIF(u.display_name, ''), a.username)", rowKey: "actor") { r, _ in
                ListCell(AuditCatalogue.actorTitle(r.string("actor") ?? ""))
            },
            .init("module", "模块", sql: "a.module") { r, ctx in ListCell(ctx.auditTitles.moduleTitle(r.string("module") ?? "")) },
            .init("entity", "对象", sql: "a.entity") { r, ctx in
                ListCell(subject(r, ctx))
            },
            .init("action", "操作", sql: "a.action") { r, ctx in
                ListCell(ctx.auditTitles.actionTitle(module: r.string("module") ?? "", entity: r.string("entity") ?? "",
                                                     action: r.string("action") ?? ""))
            },
            .init("change", "状态变化", sql: "a.to_state", sortable: false) { r, ctx in ListCell(change(r, ctx)) },
            .text("reason", "原因", sql: "a.reason", sortable: false),
            // The codes as stored, in the CSV only (for spreadsheets and scripts).
            .text("username", "用户名", sql: "a.username").exportOnly(),
            .text("module_code", "模块代码", sql: "a.module", column: "module").exportOnly(),
            .text("entity_code", "对象类型", sql: "a.entity", column: "entity").exportOnly(),
            .text("entity_id", "对象编号", sql: "a.entity_id").exportOnly(),
            .text("action_code", "操作代码", sql: "a.action", column: "action").exportOnly(),
            .text("from_code", "原状态代码", sql: "a.from_state", column: "from_state").exportOnly(),
            .text("to_code", "新状态代码", sql: "a.to_state", column: "to_state").exportOnly(),
            .text("address", "来源地址", sql: "a.address").exportOnly(),
        ],
        filters: [
            Filter("username", "操作人", .select(all: "全部操作人", options: { ctx in
                try ctx.db.query("SELECT username, display_name FROM users ORDER BY username")
                    .sortedByPinyin { $0.string("display_name") ?? "" }.map { r in
                    let name = r.string("username") ?? ""
                    return Choice(name, "\(r.string("display_name") ?? name)（\(name)）")
                } + [Choice("cli", AuditCatalogue.actorTitle("cli"))]
            })) { v, _ in "a.username = \(v)" },
            Filter("module", "模块", .select(all: "全部模块", options: { ctx in
                ctx.auditTitles.modules.map { Choice($0.id, $0.title) }
            })) { v, _ in "a.module = \(v)" },
            Filter("action", "操作", .select(all: "全部操作", options: { ctx in ctx.auditTitles.actionChoices })) { v, _ in
                "a.action = \(v)"
            },
            Filter("entity", "对象类型", .select(all: "全部对象", options: { ctx in ctx.auditTitles.entityChoices })) { v, _ in
                "a.entity = \(v)"
            },
            .search("entity_id", "对象编号") { v, _ in "a.entity_id = \(v)" },
            .dateRange("时间", column: "a.at", epoch: true),
        ],
        defaultSort: "at", defaultDescending: true, tiebreaker: "a.id", empty: "没有记录。")

    typealias Filter = ListPage.Filter

    /// 「客户 #12」; the platform's own records by name (「用户 张伟」, 「角色 销售专员」).
    static func subject(_ r: Row, _ ctx: Context) -> String {
        let module = r.string("module") ?? "", entity = r.string("entity") ?? "", id = r.string("entity_id") ?? ""
        let title = ctx.auditTitles.entityTitle(module: module, entity: entity)
        let name: String?
        switch entity {
        case "user": name = Int64(id).flatMap { try? ctx.db.first("SELECT display_name FROM users WHERE id = \($0)")?.string("display_name") }
        case "department": name = Int64(id).flatMap { try? ctx.db.first("SELECT name FROM departments WHERE id = \($0)")?.string("name") }
        case "role": name = Role.all.first { $0.id == id }?.title
        case "module": name = ctx.auditTitles.modules.first { $0.id == id }?.title
        default: name = nil
        }
        return name.map { "\(title) \($0)" } ?? "\(title) #\(id)"
    }

    /// 「草稿 → 信用调查中」, by the titles the modules declared.
    static func change(_ r: Row, _ ctx: Context) -> String {
        let module = r.string("module") ?? "", entity = r.string("entity") ?? "", action = r.string("action") ?? ""
        let from = (try? ctx.auditState(r.string("from_state"), module: module, entity: entity, action: action)) ?? nil
        let to = (try? ctx.auditState(r.string("to_state"), module: module, entity: entity, action: action)) ?? nil
        if from == nil && to == nil { return "" }
        return "\(from ?? "—") → \(to ?? "—")"
    }

    static let list: Handler = { req, ctx in try page.respond(req, ctx) }
}
