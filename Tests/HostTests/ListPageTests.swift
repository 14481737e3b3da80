import Foundation
import Testing
import SalesHost
@testable import SalesKit
import SalesTesting

/// The declarative list page (issue 13, item 2): one declaration gives the page, filters with
/// their SQL, the visibility condition, sorting, keyset paging and CSV with the same columns.
@Suite struct ListPageTests {
    struct Notes: DepartmentModule {
        let manifest = ModuleManifest(id: "notes", title: "便签", version: "1")
        static let use = Permission("notes", "use", title: "使用", defaultRoles: [.salesRep, .admin])
        var permissions: [Permission] { [Self.use] }
        var migrations: [Migration] {
            [Migration(1, "notes", """
                CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT NOT NULL, owner_id INTEGER NOT NULL,
                                    day TEXT NOT NULL, urgent INTEGER NOT NULL DEFAULT 0);
                """)]
        }

        static let page = ListPage(
            title: "便签", path: "/notes",
            select: "n.id, n.title, n.day, n.urgent", from: "notes n",
            scope: { ctx in "n.owner_id = \(try ctx.requireUser().id)" },
            columns: [
                .link("title", "标题", sql: "n.title", to: "/notes/"),
                .text("day", "日期", sql: "n.day"),
                .init("urgent", "紧急", sql: "n.urgent") { r, _ in ListCell(r.bool("urgent") ? "是" : "否", cls: r.bool("urgent") ? "danger" : nil) },
                .choice("level", "级别", sql: "n.urgent", titles: ["0": "一般", "1": "紧急"]),
                .init("weekday", "星期", sql: "n.day", sortable: false, style: .nowrap) { r, cell, _ in
                    cell.text("周")
                    cell.text(r, "day")
                    if r.bool("urgent") { cell.cls("danger") }
                },
            ],
            filters: [
                .search("q", "标题") { s, _ in "n.title LIKE \("%" + s + "%")" },
                .dateRange("日期", column: "n.day"),
                .checkbox("urgent", "仅紧急") { _ in "n.urgent = 1" },
            ],
            actions: [.init("新便签", href: "/notes/new")],
            defaultSort: "title", pageSize: 3, tiebreaker: "n.id", empty: "没有便签。",
            intro: "按标题排序。", notice: { req, _ in req.query["saved"] != nil ? "已保存。" : nil },
            rowClass: { r, _ in r.bool("urgent") ? "urgent" : nil })

        func routes(_ r: inout RouteBuilder) {
            r.get("", .permission(Self.use)) { req, ctx in try Self.page.respond(req, ctx) }
        }
    }

    static func app() throws -> (TestApp, TestClient, Int64) {
        let t = try TestApp(modules: [Notes()])
        let me = try t.addUser("rep", roles: [.salesRep])
        let other = try t.addUser("rep2", roles: [.salesRep])
        for (i, day) in ["2026-01-05", "2026-02-10", "2026-03-15", "2026-04-20", "2026-05-25"].enumerated() {
            try t.db.execute("INSERT INTO notes (title, owner_id, day, urgent) VALUES (\("便签<\(i)>"), \(me), \(day), \(i % 2))")
        }
        try t.db.execute("INSERT INTO notes (title, owner_id, day) VALUES ('别人的', \(other), '2026-01-01')")
        let c = t.client()
        _ = c.login("rep")
        return (t, c, me)
    }

    /// Issue 16 point 7 (tokens never broken, numbers right-aligned) by default: a column
    /// declared without a style takes it from its title, so every list of every module sets its
    /// codes, amounts and dates alike.
    /// Classes and captions are interned by their bytes (a dictionary only past 64 of them):
    /// the same text is one entry, and every cell keeps its own, before and after the switch.
    @Test func classesAndCaptionsAreInternedByTheirBytesAtAnyCount() {
        var b = ListRows.Builder(columns: [(cls: "num", label: "金额（元）")])
        let classes = (0..<100).map { "类别\($0 % 80)" }   // 80 distinct, 20 seen again
        for c in classes {
            b.startRow(cls: nil)
            b.beginCell(column: 0)
            b.text("x")
            b.cls(c)
            b.endCell()
        }
        let views = b.build().views
        #expect(views.map { $0.cells.first?.cls } == classes.map { "num " + $0 })
        #expect(views.allSatisfy { $0.cells.first?.label == "金额（元）" })
        #expect(b.strings.count == 2 + 80, "\(b.strings.count)")
    }

    @Test func aColumnsTitleChoosesItsStyleUnlessTheDeclarationSaysOtherwise() {
        let implied: [(String, ListPage.CellStyle)] = [
            ("客户代码", .code), ("订单号码", .code), ("投诉编号", .code), ("色号", .code),
            ("金额（元）", .number), ("核销金额（元）", .number), ("数量", .number), ("期末余额（元）", .number), ("价格表单价（元）", .number),
            ("接单日期", .nowrap), ("登记时间", .nowrap),
            ("客户名称", .text), ("状态", .text), ("备注", .text),
        ]
        for (title, style) in implied {
            #expect(ListPage.CellStyle.implied(byTitle: title) == style, "\(title)")
            #expect(ListPage.Column.text("k", title, sql: "x.k").style == style, "\(title)")
        }
        #expect(ListPage.Column.text("k", "客户代码", sql: "x.k", style: .text).style == .text)   // said otherwise
        #expect(ListPage.Column.text("k", "订单号码", sql: "x.k").spec.cls == "code")            // the header too
    }

    @Test func pagesByKeysetAndKeepsToTheUsersOwnRows() throws {
        let (_, c, _) = try Self.app()
        let first = c.get("/notes?saved=1")
        #expect(first.status == 200)
        #expect(first.body.contains("<p class=\"notice ok\" role=\"status\">已保存。</p>"))
        #expect(first.body.contains("<p class=\"muted\">按标题排序。</p>"))
        #expect(first.body.contains("<a href=\"/notes/1\">便签&lt;0&gt;</a>"))
        #expect(!first.body.contains("别人的"), "the scope condition keeps other users' rows out")
        #expect(first.body.contains("<tr class=\"urgent\">"))
        #expect(first.body.contains("<td class=\"danger\">是</td>"))
        // Three rows per page: the next link carries the last row's sort value and id.
        guard let next = first.body.range(of: "href=\"/notes?sort=title&amp;dir=asc&amp;after=")
            .map({ first.body[$0.lowerBound...].dropFirst(6).prefix { $0 != "\"" } }) else {
            Issue.record("no next link")
            return
        }
        let second = c.get(String(next).replacingOccurrences(of: "&amp;", with: "&"))
        #expect(second.body.contains("便签&lt;3&gt;") && second.body.contains("便签&lt;4&gt;"))
        #expect(!second.body.contains("便签&lt;0&gt;"))
        // Back from the second page: read in reverse order, shown in the list's order.
        guard let prev = second.body.range(of: "href=\"/notes?sort=title&amp;dir=asc&amp;before=")
            .map({ second.body[$0.lowerBound...].dropFirst(6).prefix { $0 != "\"" } }) else {
            Issue.record("no previous link")
            return
        }
        let back = c.get(String(prev).replacingOccurrences(of: "&amp;", with: "&")).body
        let order = ["便签&lt;0&gt;", "便签&lt;1&gt;", "便签&lt;2&gt;"].compactMap { back.range(of: $0)?.lowerBound }
        #expect(order.count == 3 && order == order.sorted(), "the first page again, in title order")
        #expect(!back.contains("便签&lt;3&gt;"))
        // Cells written in parts: the column's class and the cell's own, the choice's title.
        #expect(first.body.contains("<td class=\"cl\">星期</td><td class=\"nowrap danger\">周2026-02-10</td>"))
        #expect(first.body.contains("<td class=\"cl\">星期</td><td class=\"nowrap\">周2026-01-05</td>"))
        #expect(first.body.contains("<td class=\"cl\">级别</td><td>一般</td>"))
    }

    @Test func filtersAndCSVUseTheSameDeclaration() throws {
        let (_, c, _) = try Self.app()
        let ranged = c.get("/notes?from=2026-02-01&to=2026-03-31")
        #expect(ranged.body.contains("便签&lt;1&gt;") && ranged.body.contains("便签&lt;2&gt;"))
        #expect(!ranged.body.contains("便签&lt;0&gt;") && !ranged.body.contains("便签&lt;3&gt;"))
        #expect(ranged.body.contains("name=\"from\" value=\"2026-02-01\"") && ranged.body.contains("name=\"to\" value=\"2026-03-31\""))
        let urgent = c.get("/notes?urgent=1&q=%3C3")
        #expect(urgent.body.contains("便签&lt;3&gt;") && !urgent.body.contains("便签&lt;1&gt;"))
        let none = c.get("/notes?q=nothing")
        #expect(none.body.contains("没有便签。"))
        let csv = c.get("/notes?format=csv&from=2026-02-01")
        #expect(csv.header("Content-Type")?.hasPrefix("text/csv") == true)
        let lines = csv.body.split(whereSeparator: \.isNewline).map(String.init)
        #expect(lines.first?.contains("标题,日期,紧急,级别,星期") == true)
        #expect(lines.contains("便签<1>,2026-02-10,是,紧急,周2026-02-10"), "the CSV has each cell's text as written: \(lines)")
        #expect(lines.count == 5, "header and the four notes from February on, not paged: \(lines)")
    }
}
