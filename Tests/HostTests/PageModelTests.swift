import Foundation
import Synchronization
import Testing
@testable import SalesHost
@testable import SalesKit

/// Typed page models (issue #13): templates bound to the model's fields at start-up.
@Suite struct PageModelTests {
    struct Row: TemplateModel {
        var code: String
        var name: String
        var owner: String?
        var amount: Int
    }

    struct ListPage: PageModel {
        static let template = "list"
        var rows: [Row]
        var shared: String
        var flag: Bool
        var tags: [String]
        var note: String?
        var detail: Detail?

        struct Detail: TemplateModel { var city: String }
    }

    struct Module: DepartmentModule {
        let manifest = ModuleManifest(id: "m", title: "M", version: "0", folder: "M")
        let declared: [any PageModel.Type]
        var pages: [any PageModel.Type] { declared }
    }

    /// A renderer over inline templates (`layout`, shared ones, and the module's under `m/`).
    static func renderer(shared: [String: String] = [:], module: [String: String], pages: [any PageModel.Type]) throws -> Renderer {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pm-" + UUID().uuidString).path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func write(_ path: String, _ text: String) throws {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        let layout = shared["layout"] ?? "<title>{{shell.title}}</title>{{$content}}{{/content}}"
        try write(dir + "/web/templates/layout.mustache", layout)
        for (n, t) in shared where n != "layout" { try write(dir + "/web/templates/\(n).mustache", t) }
        for (n, t) in module { try write(dir + "/plugins/M/templates/\(n).mustache", t) }
        return try Renderer(webDir: dir + "/web", pluginsDir: dir + "/plugins", modules: [Module(declared: pages)], hostPages: [])
    }

    static let listTemplate = """
        {{<layout}}
        {{$content}}
        <table>
          {{#rows}}
          <tr><td>{{code}}</td><td>{{name}}</td><td>{{owner}}</td><td>{{amount}}</td><td>{{shared}}</td></tr>
          {{/rows}}
          {{^rows}}<tr><td>无</td></tr>{{/rows}}
        </table>
        {{#flag}}F{{/flag}}{{#tags}}[{{.}}]{{/tags}}{{#note}}({{note}}){{/note}}{{^note}}-{{/note}}{{#detail}}{{city}}{{/detail}}
          {{>m/part}}
        {{/content}}
        {{/layout}}
        """

    static let page = ListPage(
        rows: [Row(code: "<K1>", name: "上海\"亚凯\"", owner: nil, amount: 12), Row(code: "K2", name: "华东&", owner: "张伟", amount: -3)],
        shared: "S'", flag: true, tags: ["a", "<b>"], note: nil, detail: .init(city: "杭州"))

    static func envelope(_ t: BoundTemplate) -> LayoutEnvelope {
        LayoutEnvelope(shell: Shell(title: "客户", companyName: "公司", user: nil), csrf: "tok", idem: t.usesIdempotencyKey ? "IDEM" : "")
    }

    @Test func rendersTheSameBytesAsTheDictionaryRenderer() throws {
        // An indented partial holding sections and a further indented partial: node boundaries
        // there decide which lines get indented (the binder keeps them; elsewhere it merges).
        let r = try Self.renderer(module: ["list": Self.listTemplate,
                                           "part": "line1 {{shared}}\nline2 {{#detail}}{{city}}{{/detail}}\n{{#rows}}\n<b>{{code}}</b>\n  {{>m/leaf}}\n{{/rows}}\n",
                                           "leaf": "[{{name}}]\n{{#owner}}<i>{{.}}</i>\n{{/owner}}"],
                                  pages: [ListPage.self])
        let typed = String(decoding: try r.render(Self.page, module: "m", envelope: Self.envelope), as: UTF8.self)
        // The same page as the dictionary tree the untyped renderer reads.
        let shape = try TemplateShapes().shape(of: ListPage.self)
        guard var dict = try TemplateEncoder().encode(Self.page, as: shape).dictionaryTree(shape) as? [String: Any] else {
            Issue.record("no dictionary")
            return
        }
        dict["shell"] = ["title": "客户", "companyName": "公司"]
        #expect(typed == r.render("m/list", dict))
        #expect(typed.contains("<td>&lt;K1&gt;</td><td>上海&quot;亚凯&quot;</td><td></td><td>12</td><td>S&#39;</td>"))
        #expect(typed.contains("F[a][&lt;b&gt;]-杭州"))
        // swift-mustache's own output too (its indentation rule: a section's later iterations
        // start unindented — kept byte for byte).
        #expect(typed == r.referenceRender("m/list", dict))
        #expect(typed.contains("  line1 S&#39;\n  line2 杭州\n  <b>&lt;K1&gt;</b>\n    [上海&quot;亚凯&quot;]\n<b>K2</b>\n    [华东&amp;]\n    <i>张伟</i>\n"), "\(typed)")
        // An empty list takes the inverted section.
        var empty = Self.page
        empty.rows = []
        #expect(String(decoding: try r.render(empty, module: "m", envelope: Self.envelope), as: UTF8.self).contains("<td>无</td>"))
    }

    @Test func aTemplateTypoStopsTheStartWithFileAndLine() throws {
        let typo = Self.listTemplate.replacingOccurrences(of: "<td>{{name}}</td>", with: "<td>{{nmae}}</td>")
        do {
            _ = try Self.renderer(module: ["list": typo, "part": "{{shared}}{{#detail}}{{city}}{{/detail}}"], pages: [ListPage.self])
            Issue.record("a template naming a missing field must not load")
        } catch {
            let text = "\(error)"
            #expect(text.contains("M/templates/list.mustache:5: {{nmae}}: no field nmae in Row ← ListPage ← LayoutEnvelope"), "\(text)")
        }
    }

    @Test func aFieldNoTemplateUsesStopsTheStart() throws {
        let without = Self.listTemplate.replacingOccurrences(of: "<td>{{amount}}</td>", with: "")
        do {
            _ = try Self.renderer(module: ["list": without, "part": "{{shared}}{{#detail}}{{city}}{{/detail}}"], pages: [ListPage.self])
            Issue.record("an unused model field must not load")
        } catch {
            #expect("\(error)".contains("Row.amount (in ListPage) is not used by any template"), "\(error)")
        }
    }

    @Test func printingAListOrAMissingPartialIsRefused() throws {
        struct P: PageModel {
            static let template = "p"
            var rows: [String]
        }
        for (text, expected) in [
            ("{{rows}}", "p.mustache:1: {{rows}} prints a [String]"),
            ("{{#rows}}{{.}}{{/rows}}\n{{>m/nope}}", "p.mustache:2: partial m/nope not found"),
            ("{{#rows}}{{.x}}{{/rows}}", "the current object (String) has no field x"),
        ] {
            do {
                _ = try Self.renderer(module: ["p": text], pages: [P.self])
                Issue.record("\(text) must not load")
            } catch {
                #expect("\(error)".contains(expected), "\(error)")
            }
        }
    }

    /// Found by the form fuzzer: a standalone partial indented on its own line indents every line
    /// it prints — a textarea's value too — so a 422 gave back 「\t\r\n」 as 「\t\r\n    」.
    @Test func anIndentedStandalonePartialPrintingATextareaStopsTheStart() throws {
        struct P: PageModel {
            static let template = "p"
            var note: String
        }
        let field = "<textarea name=\"note\">{{note}}</textarea>"
        do {
            _ = try Self.renderer(shared: ["note": field], module: ["p": "<form>\n    {{>note}}\n</form>"], pages: [P.self])
            Issue.record("an indented standalone partial with a textarea must not load")
        } catch {
            #expect("\(error)".contains("p.mustache:2: {{>note}} stands indented on its own line and prints a <textarea>"), "\(error)")
        }
        // At the start of its line (or beside other content) it is fine, and the value comes back as typed.
        for text in ["<form>\n{{>note}}\n</form>", "<form>\n    <p>{{>note}}</p>\n</form>"] {
            let r = try Self.renderer(shared: ["note": field], module: ["p": text], pages: [P.self])
            let html = String(decoding: try r.render(P(note: "\t\r\n"), module: "m", envelope: Self.envelope), as: UTF8.self)
            #expect(html.contains("<textarea name=\"note\">\t\r\n</textarea>"), "\(html)")
        }
    }

    @Test func anUndeclaredPageIsBoundOnFirstUseAndRecordedAsAProgrammingError() throws {
        struct Forgotten: PageModel {
            static let template = "forgotten"
            var x: String
        }
        let r = try Self.renderer(module: ["forgotten": "[{{x}}]"], pages: [])
        let seen = Mutex<[ProgrammingError]>([])
        let html = try ProgrammingErrors.$observer.withValue({ e in seen.withLock { $0.append(e) } }) {
            try r.render(Forgotten(x: "a"), module: "m", envelope: Self.envelope)
        }
        #expect(String(decoding: html, as: UTF8.self) == "[a]")
        #expect(seen.withLock { $0.map(\.kind) } == [.undeclaredPage])
    }

    @Test func modelsMayHoldOnlyWhatTemplatesCanShow() throws {
        struct WithDouble: PageModel {
            static let template = "p"
            var amount: Double
        }
        struct WithDictionary: PageModel {
            static let template = "p"
            var byName: [String: String]
        }
        enum Status: String, Codable { case open }
        struct WithEnum: PageModel {
            static let template = "p"
            var status: Status
        }
        for type in [WithDouble.self, WithDictionary.self, WithEnum.self] as [any PageModel.Type] {
            #expect(throws: (any Error).self) { try TemplateShapes().shape(of: type) }
        }
    }

    @Test func theIdempotencyKeyIsMadeOnlyForPagesThatPrintIt() throws {
        struct Plain: PageModel {
            static let template = "plain"
            var x: String
        }
        struct WithForm: PageModel {
            static let template = "form"
            var x: String
        }
        let r = try Self.renderer(shared: ["form/csrf": "<input name=_idem value={{idem}}>"],
                                  module: ["plain": "{{x}}", "form": "{{x}}{{>form/csrf}}"], pages: [Plain.self, WithForm.self])
        #expect(String(decoding: try r.render(Plain(x: "a"), module: "m", envelope: Self.envelope), as: UTF8.self) == "a")
        #expect(String(decoding: try r.render(WithForm(x: "a"), module: "m", envelope: Self.envelope), as: UTF8.self)
            == "a<input name=_idem value=IDEM>")
    }
}

/// Hand-built values must equal what `Encodable` gives (field positions included).
@Suite struct HandBuiltValueTests {
    static func labelled(_ cell: ListCell, _ label: String) -> ListCell {
        var c = cell
        c.label = label
        return c
    }

    static func codable<T: TemplateModel>(_ v: T) throws -> TemplateValue {
        try TemplateEncoder().encode(v, as: try TemplateShapes().shape(of: T.self))
    }

    @Test func listPageViewAndListViewMatchTheirEncodableValues() throws {
        let list = ListView(headers: [.init(title: "名称", sortable: true, active: true, arrow: "▲", href: "/x?sort=name")],
                            page: 2, hasNext: true, hasPrev: false, nextHref: "/x?after=t1", prevHref: nil, csvHref: "/x?format=csv")
        let page = ListPageView(
            heading: "客户", path: "/crm/customers", intro: nil, notice: "已保存。", actions: [.init(title: "新增", href: "/new")],
            filters: [.init(name: "q", label: "名称", value: "a", isSearch: true, isSelect: false, isCheckbox: false, checked: true,
                            isDateRange: false, toValue: "", allTitle: "", options: [.init(value: "A", title: "A 类", selected: true)]),
                      .init(name: "from", label: "登记", value: "2026-01-01", isSearch: false, isSelect: false, isCheckbox: false,
                            checked: true, isDateRange: true, toValue: "", allTitle: "", options: [])],
            hasFilters: true, list: list,
            rows: ListRows([.init(cls: nil, cells: [Self.labelled(ListCell("K1"), "代码"), ListCell("上海", href: "/crm/customers/1", cls: "num")]),
                            .init(cls: "urgent", cells: [ListCell("K2"), Self.labelled(ListCell("杭州", cls: "code"), "名称")]),
                            .init(cls: nil, cells: [])]),
            colspan: 2, empty: "无")
        var withNotes = page
        withNotes.notes = ListNotes(title: "变更通知", items: [
            .init("变更 BG-1", href: "/order/changes/1", confirm: .init(action: "/order/changes/1/ack", label: "确认收到", fields: [.init("dept", "sales")])),
            .init("缺货", href: "/order/orders/2"),
        ])
        #expect(withNotes.templateValue == (try Self.codable(withNotes)))
        var withMore = withNotes
        withMore.summaries = [ListSummary(title: "销售额前10名", columns: [("序号", .number), ("客户名称", .text), ("销售额", .number)],
                                          rows: [[ListCell("1"), ListCell("甲", href: "/crm/key-customers/1"), ListCell("1,000.00")]]),
                              ListSummary(title: "利润率前10名", columns: [("序号", .number)], rows: [], note: "暂无")]
        withMore.period = .init(key: "week", label: "包含日期", value: "2026-03-11", text: "2026-03-09 至 2026-03-15",
                                previousTitle: "上一周", previousHref: "/x?week=2026-03-02", nextTitle: "下一周",
                                nextHref: "/x?week=2026-03-16", invalid: false)
        #expect(withMore.templateValue == (try Self.codable(withMore)))
        // The rows are a table (no value per cell); built out, they are what `Encodable` gives.
        guard case .object(let fields) = page.templateValue, fields.count > 8, case .elements = fields[8] else {
            Issue.record("the rows are not rendered from a table")
            return
        }
        #expect(page.templateValue.materialized == (try Self.codable(page)))
        #expect(page.templateValue == (try Self.codable(page)))
        #expect(list.templateValue == (try Self.codable(list)))
    }

    struct CellsPage: PageModel {
        static let template = "cells"
        var heading: String
        var rows: ListRows
    }

    static func cellRows(_ texts: [String]) -> ListRows {
        var b = ListRows.Builder(columns: [(cls: "code", label: "代码"), (cls: nil, label: nil)])
        for (n, t) in texts.enumerated() {
            b.startRow(cls: nil)
            for col in 0..<2 {
                b.beginCell(column: col)
                b.text(t + String(col))
                if n % 2 == 0 { b.href("/r/\(n)") }
                b.endCell()
            }
        }
        return b.build()
    }

    /// A cell body that reads only its cell is learned once per process and reused by the next
    /// render (with other texts); one that reads an outer name (`heading`) is learned in every
    /// render, so one page's heading never shows in another's cells.
    @Test func variantsAreKeptAcrossRendersOnlyForBodiesReadingTheirElementAlone() throws {
        let cells = "{{#label}}<i>{{label}}</i>{{/label}}{{#cls}} class=\"{{cls}}\"{{/cls}}>{{#href}}<a href=\"{{href}}\">{{text}}</a>{{/href}}{{^href}}{{text}}{{/href}}"
        for (outer, template) in [(false, "<h1>{{heading}}</h1>{{#rows}}<tr{{#cls}} class=\"{{cls}}\"{{/cls}}>{{#cells}}<td\(cells)</td>{{/cells}}</tr>{{/rows}}"),
                                  (true, "{{#rows}}<tr{{#cls}} class=\"{{cls}}\"{{/cls}}>{{#cells}}<td\(cells)/{{heading}}</td>{{/cells}}</tr>{{/rows}}")] {
            let r = try PageModelTests.renderer(module: ["cells": "{{<layout}}{{$content}}\(template){{/content}}{{/layout}}"], pages: [CellsPage.self])
            let bound = try r.pages.page(CellsPage.self, module: "m")
            let envelope = try TemplateEncoder().encodePage(PageModelTests.envelope(bound.template), as: r.pages.envelopeShape)
            var kept: [Int] = []
            for (heading, texts) in [("甲", ["a<", "b&", "c"]), ("乙", ["x", "y\"", "z", "w"])] {
                let value = TemplateValue.object([.text(heading), Self.cellRows(texts).templateValue])
                var byVariant: [UInt8] = [], perCell: [UInt8] = []
                bound.template.render([envelope, value], into: &byVariant)
                bound.template.render([envelope, value.materialized], into: &perCell)
                #expect(byVariant == perCell, "\(String(decoding: byVariant, as: UTF8.self))")
                let html = String(decoding: byVariant, as: UTF8.self)
                if outer { #expect(html.contains("/\(heading)</td>") && !html.contains(heading == "甲" ? "/乙" : "/甲")) }
                kept.append(bound.template.learned.withLock { $0.count })
            }
            // Self-contained: the first render learned the four kinds of cell (caption or not ×
            // link or not), the second learned none; reading `heading`: nothing kept.
            #expect(kept == (outer ? [0, 0] : [4, 4]), "\(kept)")
        }
    }

    /// The list page's cells are rendered once per variant (caption, class, link or not) and
    /// then copied with each cell's text and link put in: the same bytes as running the template
    /// for every cell of the built-out value (escaping, empty texts, links with `&`, classes of
    /// the cell's own, cells without a caption, a variant seen again with other text).
    @Test func cellsRenderedByVariantAreTheBytesOfTheTemplateRunPerCell() throws {
        let r = try RendererTests.productRenderer()
        var b = ListRows.Builder(columns: [(cls: "code", label: "代码"), (cls: nil, label: "名称"), (cls: "num", label: nil)])
        let texts = ["K<1>", "", "上海\"亚凯\" & 'co'", "x", "华东", "99"]
        for row in 0..<6 {
            b.startRow(cls: row % 3 == 0 ? "urgent" : nil)
            for col in 0..<3 {
                b.beginCell(column: col)
                b.text(texts[(row + col) % texts.count])
                if (row + col) % 2 == 0 { b.href("/crm/customers/\(row)?a=1&b=<2>") }
                if row == 4 && col == 1 { b.cls("tag danger") }
                b.endCell()
            }
        }
        b.startRow(cls: nil)
        b.addCell(text: "整行<唯一>", href: nil, cls: nil, label: nil)
        let list = ListView(headers: [.init(title: "代码", sortable: true, active: true, arrow: "▲", href: "/x?sort=code")],
                            page: 1, hasNext: false, hasPrev: false, nextHref: nil, prevHref: nil, csvHref: "/x?format=csv")
        let page = ListPageView(heading: "客户", path: "/crm/customers", intro: nil, notice: nil, actions: [], filters: [],
                                hasFilters: false, list: list, rows: b.build(), colspan: 3, empty: "无")
        let bound = try r.pages.page(ListPageView.self, module: "")
        let encoder = TemplateEncoder()
        let envelope = try encoder.encodePage(PageModelTests.envelope(bound.template), as: r.pages.envelopeShape)
        var byVariant: [UInt8] = [], perCell: [UInt8] = []
        bound.template.render([envelope, page.templateValue], into: &byVariant)
        bound.template.render([envelope, page.templateValue.materialized], into: &perCell)
        let html = String(decoding: byVariant, as: UTF8.self)
        #expect(html.contains("<td class=\"cl\">名称</td><td class=\"tag danger\">"))
        #expect(html.contains("<a href=\"/crm/customers/0?a=1&amp;b=&lt;2&gt;\">K&lt;1&gt;</a>"))
        #expect(html.contains("上海&quot;亚凯&quot; &amp; &#39;co&#39;"))
        #expect(html.contains("整行&lt;唯一&gt;"))
        #expect(byVariant == perCell, "\(html)\n---\n\(String(decoding: perCell, as: UTF8.self))")
    }

    @Test func theLayoutEnvelopeMatchesItsEncodableValue() throws {
        let shell = Shell(title: "T", companyName: "C", user: .init(displayName: "张伟"),
                          menuToggle: "    <a href=\"/\">待办事项</a>", menuSidebar: "  <a href=\"/\">待办事项</a>",
                          crumbs: [.init(title: "首页", href: "/"), .init(title: "客户", href: nil)], hasCrumbs: true,
                          back: .init(title: "客户名录", href: "/crm/customers"),
                          flashes: [.init(kind: "ok", text: "已保存。", alert: false)])
        let envelope = LayoutEnvelope(shell: shell, csrf: "tok", idem: "")
        #expect(envelope.templateValue == (try Self.codable(envelope)))
        let anonymous = LayoutEnvelope(shell: Shell(title: "T", companyName: "C", user: nil), csrf: "", idem: "i")
        #expect(anonymous.templateValue == (try Self.codable(anonymous)))
    }
}
