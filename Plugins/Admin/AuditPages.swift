import Foundation
import SalesKit

enum AuditPages {
    /// 审计日志: every audited change, newest first, filtered by module, entity, entity id and user.
    static let page = ListPage(
        title: "审计日志", path: "/admin/audit",
        select: """
            a.id, a.at, a.username, a.module, a.entity, a.entity_id, a.action,
                   COALESCE(a.from_state, '') AS from_state, COALESCE(a.to_state, '') AS to_state, COALESCE(a.reason, '') AS reason
            """,
        from: "audit_log a",
        scope: { _ in "1 = 1" },
        columns: [
            .init("at", "时间", sql: "a.at") { r, ctx in
                ListCell(ctx.display(Date(timeIntervalSince1970: Double(r.int("at") ?? 0)), pattern: "yyyy-MM-dd HH:mm:ss"))
            },
            .text("username", "操作人", sql: "a.username"),
            .text("module", "模块", sql: "a.module"),
            .init("entity", "对象", sql: "a.entity") { r, _ in ListCell("\(r.string("entity") ?? "") #\(r.string("entity_id") ?? "")") },
            .text("action", "操作", sql: "a.action"),
            .text("from", "原状态", sql: "a.from_state", sortable: false),
            .text("to", "新状态", sql: "a.to_state", sortable: false),
            .text("reason", "原因", sql: "a.reason", sortable: false),
        ],
        filters: [
            .search("module", "模块") { v, _ in "a.module = \(v)" },
            .search("entity", "对象类型") { v, _ in "a.entity = \(v)" },
            .search("entity_id", "对象编号") { v, _ in "a.entity_id = \(v)" },
            .search("username", "操作人") { v, _ in "a.username = \(v)" },
        ],
        defaultSort: "at", defaultDescending: true, tiebreaker: "a.id", empty: "没有记录。")

    static let list: Handler = { req, ctx in try page.respond(req, ctx) }
}
