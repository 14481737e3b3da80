import Foundation
import SalesKit

/// The award ledger (§23, §23.3, §23.4, §26.4): every award, prize, top-up, implementation-
/// performance award and team award. Two pages with the same filters (batch, department, kind,
/// person): the rows (`/ideas/ledger`, a `ListPage`: sortable, keyset pages, CSV with the same
/// columns) and the totals for payroll (`/ideas/ledger/totals`: the sum, per person and per
/// department, each with its CSV; UTF-8 with BOM). Team awards go to a department, not a person:
/// their rows have `user_id` 0. The route's `ideas.ledger` permission is the visibility rule.
enum AwardsLedger {
    static let kinds = [Choice("award", "评定奖金"), Choice("prize", "奖品（努力奖）"), Choice("topup", "追补奖金"),
                        Choice("performance", "实施绩效奖"), Choice("team", "团体奖")]
    static let kindTitles = Dictionary(uniqueKeysWithValues: kinds.map { ($0.value, $0.label) })
    static let departmentOnly = "（部门团体奖）"

    static func personName(_ r: Row) -> String { (r.int("user_id") ?? 0) == 0 ? departmentOnly : (r.string("person") ?? "") }

    // MARK: Filters (both pages)

    static func batches(_ ctx: Context) throws -> [Choice] {
        try ctx.db.query("SELECT DISTINCT batch FROM ideas_ledger ORDER BY batch DESC").compactMap { $0.string("batch").map { Choice($0, $0) } }
    }

    static func departments(_ ctx: Context) throws -> [Choice] {
        try ctx.db.query("SELECT DISTINCT department FROM ideas_ledger ORDER BY department").compactMap {
            $0.string("department").map { Choice($0, $0) }
        }
    }

    static func persons(_ ctx: Context) throws -> [Choice] {
        try ctx.db.query("""
            SELECT l.user_id, COALESCE(MAX(u.display_name), '') AS person FROM ideas_ledger l LEFT JOIN users u ON u.id = l.user_id
            GROUP BY l.user_id ORDER BY l.user_id = 0, person, l.user_id
            """).map { r in Choice(String(r.int("user_id") ?? 0), personName(r)) }
    }

    /// The filters' conditions, one place for both pages (values reach SQL only as parameters).
    static func condition(_ key: String, _ value: String) -> SQL? {
        switch key {
        case "batch": return "l.batch = \(value)"
        case "department": return "l.department = \(value)"
        case "kind": return kindTitles[value] == nil ? nil : "l.kind = \(value)"
        case "person": return Int64(value).map { "l.user_id = \($0)" }
        default: return nil
        }
    }

    static let filterKeys = ["batch", "department", "kind", "person"]

    // MARK: The rows

    static let rowsPage: ListPage = {
        let columns: [ListPage.Column] = [
            .init("date", "日期", sql: "l.created_at") { r, ctx in
                ListCell(ctx.display(Date(timeIntervalSince1970: Double(r.int("created_at") ?? 0)), pattern: "yyyy-MM-dd"))
            },
            .init("person", "人员", sql: "COALESCE(u.display_name, '')", rowKey: "person") { r, _ in ListCell(personName(r)) },
            .init("username", "用户名", sql: "COALESCE(u.username, '')", rowKey: "username") { r, w, _ in w.text(r, "username") },
            .text("department", "部门", sql: "l.department"),
            .text("batch", "批次", sql: "l.batch"),
            .init("kind", "类别", sql: "l.kind") { r, _ in ListCell(kindTitles[r.string("kind") ?? ""] ?? (r.string("kind") ?? "")) },
            .text("title", "名目", sql: "l.title"),
            .init("suggestion", "建议", sql: "COALESCE(s.title, '')", rowKey: "suggestion") { r, w, _ in w.text(r, "suggestion") },
            // Without thousands separators: the same text goes into the payroll CSV.
            .init("amount", "金额（元）", sql: "l.amount_fen") { r, _ in
                ListCell(Money.format(r.int("amount_fen") ?? 0, grouping: false), cls: "num")
            },
            .init("note", "备注", sql: "l.note", sortable: false) { r, _ in ListCell(r.string("note") ?? "") },
        ]
        func select(_ key: String, _ label: String, _ all: String, _ options: @escaping @Sendable (Context) throws -> [Choice]) -> ListPage.Filter {
            ListPage.Filter(key, label, .select(all: all, options: options), condition: { v, _ in condition(key, v) })
        }
        let filters: [ListPage.Filter] = [
            select("batch", "批次", "全部批次", batches),
            select("department", "部门", "全部部门", departments),
            select("kind", "类别", "全部类别", { _ in kinds }),
            select("person", "人员", "全部人员", persons),
        ]
        return ListPage(
            title: "建议奖励台账", path: "/ideas/ledger",
            select: """
                l.id, l.created_at, l.user_id, l.department, l.batch, l.kind, l.title, l.amount_fen, l.note,
                COALESCE(u.display_name, '') AS person, COALESCE(u.username, '') AS username, COALESCE(s.title, '') AS suggestion
                """,
            from: "ideas_ledger l LEFT JOIN users u ON u.id = l.user_id LEFT JOIN ideas_suggestions s ON s.id = l.suggestion_id",
            scope: { _ in "1 = 1" },
            columns: columns, filters: filters,
            actions: [.init("合计与工资发放汇总", href: "/ideas/ledger/totals")],
            defaultSort: "date", defaultDescending: true, pageSize: 100, tiebreaker: "l.id",
            empty: "没有记录。", csvName: "建议奖励台账.csv",
            intro: "评定奖金、努力奖奖品、追补奖金（第26条第4款）、实施绩效奖（第23条第3款）与团体奖（第23条第4款）。金额单位：元。")
    }()

    /// The rows; `?view=person|department&format=csv` (the payroll exports' old addresses) still
    /// answer with the totals CSV.
    static let list: Handler = { req, ctx in
        if req.query["format"] == "csv", let view = req.query["view"], view == "person" || view == "department" {
            return try totalsResponse(req, ctx)
        }
        return try rowsPage.respond(req, ctx)
    }

    // MARK: Totals (payroll)

    static let totals: Handler = { req, ctx in try totalsResponse(req, ctx) }

    static func totalsResponse(_ req: Request, _ ctx: Context) throws -> Response {
        var chosen: [(String, String)] = []
        var w: SQL = "WHERE 1 = 1"
        for key in filterKeys {
            guard let v = req.query[key], !v.isEmpty, let c = condition(key, v) else { continue }
            chosen.append((key, v))
            w = w + " AND " + c
        }
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
        func yuan(_ r: Row, _ column: String) -> String { Money.format(r.int(column) ?? 0, grouping: false) }
        if req.query["format"] == "csv" && req.query["view"] == "department" {
            return .csv(filename: "建议奖励-按部门汇总.csv", CSVTable(header: ["部门", "笔数", "金额（元）"], rows: departments.map { r in
                [r.string("department") ?? "", String(r.int("n") ?? 0), yuan(r, "total")]
            }))
        }
        if req.query["format"] == "csv" {
            return .csv(filename: "建议奖励-按人员汇总.csv", CSVTable(header: ["用户名", "人员", "部门", "笔数", "金额（元）"], rows: persons.map { r in
                [r.string("username") ?? "", personName(r), r.string("department") ?? "", String(r.int("n") ?? 0), yuan(r, "total")]
            }))
        }
        let total = try ctx.db.first("SELECT COUNT(*) AS n, COALESCE(SUM(l.amount_fen), 0) AS total FROM ideas_ledger l \(w)")
        func link(_ path: String, _ extra: [(String, String)], keep: [String] = filterKeys) -> String {
            var f = FormData()
            for (k, v) in chosen where keep.contains(k) { f.append(k, v) }
            for (k, v) in extra { f.append(k, v) }
            return path + (f.isEmpty ? "" : "?" + URLEncoding.encode(f))
        }
        func options(_ key: String, _ choices: [Choice]) -> [LedgerTotalsPage.Option] {
            choices.map { .init(value: $0.value, title: $0.label, selected: req.query[key] == $0.value) }
        }
        return ctx.render(LedgerTotalsPage(
            batches: options("batch", try AwardsLedger.batches(ctx)), depts: options("department", try AwardsLedger.departments(ctx)),
            kinds: options("kind", kinds), people: options("person", try AwardsLedger.persons(ctx)),
            count: total?.int("n") ?? 0, total: Money.yuan(total?.int("total") ?? 0),
            totalUpper: Money.uppercase(total?.int("total") ?? 0),
            rowsHref: link("/ideas/ledger", []),
            personCSV: link("/ideas/ledger/totals", [("view", "person"), ("format", "csv")]),
            persons: persons.map { r in
                .init(person: personName(r), href: link("/ideas/ledger", [("person", String(r.int("user_id") ?? 0))], keep: ["batch", "kind"]),
                      username: r.string("username") ?? "", department: r.string("department") ?? "", n: r.int("n") ?? 0,
                      total: Money.format(r.int("total") ?? 0))
            },
            departmentCSV: link("/ideas/ledger/totals", [("view", "department"), ("format", "csv")]),
            departments: departments.map { r in
                .init(department: r.string("department") ?? "",
                      href: link("/ideas/ledger", [("department", r.string("department") ?? "")], keep: ["batch", "kind"]),
                      n: r.int("n") ?? 0, total: Money.format(r.int("total") ?? 0))
            }), title: "建议奖励合计")
    }
}

/// 建议奖励合计 (`ledger-totals`): the ledger's filters, the sum, and the totals per person and per
/// department with their payroll exports; each line links to its rows in the ledger.
struct LedgerTotalsPage: PageModel {
    static let template = "ledger-totals"

    struct Option: TemplateModel {
        var value: String
        var title: String
        var selected: Bool
    }

    struct Person: TemplateModel {
        var person: String
        var href: String
        var username: String
        var department: String
        var n: Int64
        var total: String
    }

    struct Department: TemplateModel {
        var department: String
        var href: String
        var n: Int64
        var total: String
    }

    var batches: [Option]
    var depts: [Option]
    var kinds: [Option]
    var people: [Option]
    var count: Int64
    var total: String
    /// 人民币大写 of the total (the sheet goes to payroll).
    var totalUpper: String
    /// The ledger rows under the same filters.
    var rowsHref: String
    var personCSV: String
    var persons: [Person]
    var departmentCSV: String
    var departments: [Department]
}
