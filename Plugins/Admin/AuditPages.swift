import Foundation
import SalesKit

enum AuditPages {
    static let spec = ListSpec(columns: [
        .init("at", "时间", sql: "a.at"),
        .init("username", "操作人", sql: "a.username"),
        .init("module", "模块", sql: "a.module"),
        .init("entity", "对象", sql: "a.entity"),
        .init("action", "操作", sql: "a.action"),
        .init("from", "原状态", sql: "a.from_state", sortable: false),
        .init("to", "新状态", sql: "a.to_state", sortable: false),
        .init("reason", "原因", sql: "a.reason", sortable: false),
    ], defaultSort: "at", defaultDescending: true, filters: ["module", "entity", "entity_id", "username"], pageSize: 50, tiebreaker: "a.id")

    static let list: Handler = { req, ctx in
        let q = spec.parse(req.query)
        var filter: SQL = "1 = 1"
        if let m = q.filters["module"] { filter = filter + " AND a.module = \(m)" }
        if let e = q.filters["entity"] { filter = filter + " AND a.entity = \(e)" }
        if let e = q.filters["entity_id"] { filter = filter + " AND a.entity_id = \(e)" }
        if let u = q.filters["username"] { filter = filter + " AND a.username = \(u)" }
        let rows = try ctx.db.query("""
            SELECT a.id, a.at, a.username, a.module, a.entity, a.entity_id, a.action,
                   COALESCE(a.from_state, '') AS from_state, COALESCE(a.to_state, '') AS to_state, COALESCE(a.reason, '') AS reason
            FROM audit_log a WHERE \(filter) ORDER BY \(raw: q.orderBy) LIMIT \(q.limit) OFFSET \(q.offset)
            """)
        func cells(_ r: Row) -> [String] {
            [ctx.display(Date(timeIntervalSince1970: Double(r.int("at") ?? 0)), pattern: "yyyy-MM-dd HH:mm:ss"),
             r.string("username") ?? "", r.string("module") ?? "", "\(r.string("entity") ?? "") #\(r.string("entity_id") ?? "")",
             r.string("action") ?? "", r.string("from_state") ?? "", r.string("to_state") ?? "", r.string("reason") ?? ""]
        }
        if q.export {
            return .csv(filename: "审计日志.csv", CSVTable(header: spec.columns.map(\.title), rows: rows.map(cells)))
        }
        let items = rows.prefix(spec.pageSize).map { ["cells": cells($0)] }
        return ctx.render("audit", ["entries": items, "list": q.viewModel(rowsFetched: rows.count, basePath: "/admin/audit"),
                                    "filters": q.filters], title: "审计日志")
    }
}
