import Foundation
import SalesKit

/// The award ledger (§23, §23.3, §23.4, §26.4): every award, prize, top-up, implementation-
/// performance award and team award, with filters, totals per person and per department, and
/// CSV exports for payroll (rows, per-person totals, per-department totals; UTF-8 with BOM).
/// Team awards go to a department, not a person: their rows have `user_id` 0.
enum AwardsLedger {
    static let kinds = [Choice("award", "评定奖金"), Choice("prize", "奖品（努力奖）"), Choice("topup", "追补奖金"),
                        Choice("performance", "实施绩效奖"), Choice("team", "团体奖")]
    static let kindTitles = Dictionary(uniqueKeysWithValues: kinds.map { ($0.value, $0.label) })
    static let departmentOnly = "（部门团体奖）"

    static let spec = ListSpec(columns: [
        .init("date", "日期", sql: "l.created_at"),
        .init("person", "人员", sql: "person"),
        .init("username", "用户名", sql: "username"),
        .init("department", "部门", sql: "l.department"),
        .init("batch", "批次", sql: "l.batch"),
        .init("kind", "类别", sql: "l.kind"),
        .init("title", "名目", sql: "l.title"),
        .init("suggestion", "建议", sql: "suggestion"),
        .init("amount", "金额（元）", sql: "l.amount_fen"),
        .init("note", "备注", sql: "l.note", sortable: false),
    ], defaultSort: "date", defaultDescending: true, filters: ["batch", "department", "kind", "person", "view"],
       pageSize: 100, tiebreaker: "l.id")

    static func filter(_ q: ListQuery) -> SQL {
        var w: SQL = "WHERE 1 = 1"
        if let b = q.filters["batch"] { w = w + " AND l.batch = \(b)" }
        if let d = q.filters["department"] { w = w + " AND l.department = \(d)" }
        if let k = q.filters["kind"] { w = w + " AND l.kind = \(k)" }
        if let p = q.filters["person"].flatMap({ Int64($0) }) { w = w + " AND l.user_id = \(p)" }
        return w
    }

    static let list: Handler = { req, ctx in
        let q = spec.parse(req.query)
        let w = filter(q)
        let view = q.filters["view"] ?? "rows"
        let persons = try ctx.db.query("""
            SELECT l.user_id, COALESCE(u.username, '') AS username, COALESCE(u.display_name, '') AS person, l.department,
                   COUNT(*) AS n, SUM(l.amount_fen) AS total
            FROM ideas_ledger l LEFT JOIN users u ON u.id = l.user_id \(w)
            GROUP BY l.user_id, u.username, u.display_name, l.department ORDER BY total DESC, person, l.department
            """)
        let departments = try ctx.db.query("""
            SELECT l.department, COUNT(*) AS n, SUM(l.amount_fen) AS total FROM ideas_ledger l \(w)
            GROUP BY l.department ORDER BY total DESC, l.department
            """)
        func personName(_ r: Row) -> String { (r.int("user_id") ?? 0) == 0 ? departmentOnly : (r.string("person") ?? "") }
        func yuan(_ r: Row, _ column: String) -> String { Money.format(r.int(column) ?? 0, grouping: false) }

        if q.export && view == "person" {
            return .csv(filename: "建议奖励-按人员汇总.csv", CSVTable(header: ["用户名", "人员", "部门", "笔数", "金额（元）"], rows: persons.map { r in
                [r.string("username") ?? "", personName(r), r.string("department") ?? "", String(r.int("n") ?? 0), yuan(r, "total")]
            }))
        }
        if q.export && view == "department" {
            return .csv(filename: "建议奖励-按部门汇总.csv", CSVTable(header: ["部门", "笔数", "金额（元）"], rows: departments.map { r in
                [r.string("department") ?? "", String(r.int("n") ?? 0), yuan(r, "total")]
            }))
        }
        let rows = try ctx.db.query("""
            SELECT l.*, COALESCE(u.display_name, '') AS person, COALESCE(u.username, '') AS username, COALESCE(s.title, '') AS suggestion
            FROM ideas_ledger l LEFT JOIN users u ON u.id = l.user_id LEFT JOIN ideas_suggestions s ON s.id = l.suggestion_id
            \(w) ORDER BY \(raw: q.orderBy) LIMIT \(q.limit) OFFSET \(q.offset)
            """)
        func cells(_ r: Row, money: (Int64) -> String) -> [String] {
            [ctx.display(Date(timeIntervalSince1970: Double(r.int("created_at") ?? 0)), pattern: "yyyy-MM-dd"), personName(r),
             r.string("username") ?? "", r.string("department") ?? "", r.string("batch") ?? "",
             kindTitles[r.string("kind") ?? ""] ?? (r.string("kind") ?? ""), r.string("title") ?? "", r.string("suggestion") ?? "",
             money(r.int("amount_fen") ?? 0), r.string("note") ?? ""]
        }
        if q.export {
            return .csv(filename: "建议奖励台账.csv", CSVTable(header: spec.columns.map(\.title), rows: rows.map { r in
                cells(r, money: { fen in Money.format(fen, grouping: false) })
            }))
        }
        let total = try ctx.db.first("SELECT COUNT(*) AS n, COALESCE(SUM(l.amount_fen), 0) AS total FROM ideas_ledger l \(w)")
        // Export links keep the filters (not the view), in a stable order.
        func link(_ extra: [(String, String)], keep: [String] = ["batch", "department", "kind", "person"]) -> String {
            var f = FormData()
            for key in keep { if let v = q.filters[key] { f.append(key, v) } }
            for (k, v) in extra { f.append(k, v) }
            return "/ideas/ledger" + (f.isEmpty ? "" : "?" + URLEncoding.encode(f))
        }
        let batches = try ctx.db.query("SELECT DISTINCT batch FROM ideas_ledger ORDER BY batch DESC").compactMap { $0.string("batch") }
        let depts = try ctx.db.query("SELECT DISTINCT department FROM ideas_ledger ORDER BY department").compactMap { $0.string("department") }
        return ctx.render(LedgerPage(
            batches: batches.map { .init(value: $0, title: $0, selected: q.filters["batch"] == $0) },
            depts: depts.map { .init(value: $0, title: $0, selected: q.filters["department"] == $0) },
            kinds: kinds.map { .init(value: $0.value, title: $0.label, selected: q.filters["kind"] == $0.value) },
            personFilter: q.filters["person"], clearPerson: link([], keep: ["batch", "department", "kind"]),
            count: total?.int("n") ?? 0, total: Money.yuan(total?.int("total") ?? 0),
            list: q.view(rowsFetched: rows.count, basePath: "/ideas/ledger"),
            rows: rows.prefix(spec.pageSize).map { r in .init(cells: cells(r, money: { fen in Money.format(fen) })) },
            personCSV: link([("view", "person"), ("format", "csv")]),
            persons: persons.map { r in
                let id = r.int("user_id") ?? 0
                return .init(person: personName(r), href: id == 0 ? nil : link([("person", String(id))]), username: r.string("username") ?? "",
                             department: r.string("department") ?? "", n: r.int("n") ?? 0, total: Money.format(r.int("total") ?? 0))
            },
            departmentCSV: link([("view", "department"), ("format", "csv")]),
            departments: departments.map { r in
                .init(department: r.string("department") ?? "", n: r.int("n") ?? 0, total: Money.format(r.int("total") ?? 0))
            }), title: "建议奖励台账")
    }
}

/// 建议奖励台账 (`ledger-list`): filters, the ledger rows with sortable header and pager, and the
/// totals per person and per department with their payroll exports.
struct LedgerPage: PageModel {
    static let template = "ledger-list"

    struct Option: TemplateModel {
        var value: String
        var title: String
        var selected: Bool
    }

    struct Row: TemplateModel {
        var cells: [String]
    }

    struct Person: TemplateModel {
        var person: String
        /// The person's rows (nil for a department's team award).
        var href: String?
        var username: String
        var department: String
        var n: Int64
        var total: String
    }

    struct Department: TemplateModel {
        var department: String
        var n: Int64
        var total: String
    }

    var batches: [Option]
    var depts: [Option]
    var kinds: [Option]
    /// The person filter (kept as a hidden field), and the link that clears it.
    var personFilter: String?
    var clearPerson: String
    var count: Int64
    var total: String
    var list: ListView
    var rows: [Row]
    var personCSV: String
    var persons: [Person]
    var departmentCSV: String
    var departments: [Department]
}
