import Foundation
import Mustache
import Testing
@testable import SalesHost
@testable import SalesKit

/// The page renderer (issues #7, #13): our own parser (`TemplateParser`) and `CompiledTemplates`
/// must give swift-mustache's output byte for byte, for every template the product ships. The
/// library (pinned to an exact version in Package.swift) is only the reference here.
@Suite struct RendererTests {
    /// Stand-ins that only name each plugin folder's module id, so the real templates load.
    struct Folder: DepartmentModule {
        let manifest: ModuleManifest
        init(_ id: String, _ folder: String) { manifest = ModuleManifest(id: id, title: id, version: "0", folder: folder) }
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static func productRenderer() throws -> Renderer {
        try Renderer(webDir: root + "/Web", pluginsDir: root + "/Plugins", modules: [
            Folder("admin", "Admin"), Folder("crm", "CustomerDevelopment"), Folder("order", "Ordering"),
            Folder("service", "AfterSales"), Folder("ideas", "Suggestions"),
        ])
    }

    static func inline(_ templates: [String: String]) throws -> Renderer {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tpl-" + UUID().uuidString).path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (name, text) in templates.merging(["layout": ""], uniquingKeysWith: { mine, _ in mine }) {
            let path = dir + "/templates/" + name + ".mustache"
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        return try Renderer(webDir: dir, pluginsDir: dir, modules: [], hostPages: [])
    }

    // MARK: Every shipped template, against swift-mustache

    /// Every name a template (and the partials it reaches) uses, split into names used as
    /// sections and names only printed.
    static func names(_ nodes: [CompiledTemplates.Node], _ all: [String: [CompiledTemplates.Node]],
                      sections: inout Set<String>, variables: inout Set<String>, seen: inout Set<String>) {
        for node in nodes {
            switch node {
            case .text: break
            case .variable(let path, _, _):
                for (i, p) in path.enumerated() where !p.isEmpty && p != "." {
                    if i == path.count - 1 { variables.insert(p) } else { sections.insert(p) }
                }
            case .section(let path, _, let body, _):
                for p in path where !p.isEmpty && p != "." { sections.insert(p) }
                names(body, all, sections: &sections, variables: &variables, seen: &seen)
            case .block(_, let body, _, _, _):
                names(body, all, sections: &sections, variables: &variables, seen: &seen)
            case .partial(let name, _, let overrides, _):
                for o in (overrides ?? [:]).values { names(o, all, sections: &sections, variables: &variables, seen: &seen) }
                if seen.insert(name).inserted, let p = all[name] {
                    names(p, all, sections: &sections, variables: &variables, seen: &seen)
                }
            }
        }
    }

    enum Variant: CaseIterable { case lists, flags, empty }

    /// Data in which every name resolves: printed names to text full of characters to escape,
    /// section names to two nested records (`lists`), to `true` (`flags`) or to nothing (`empty`).
    static func data(sections: Set<String>, variables: Set<String>, variant: Variant, depth: Int) -> [String: Any] {
        var d: [String: Any] = [:]
        for v in variables { d[v] = "«\(v)» <b class=\"x\">&'</b>\nline 2" }
        for s in sections where !variables.contains(s) {
            switch variant {
            case .lists:
                if depth == 0 { d[s] = true; continue }
                var inner = data(sections: sections, variables: variables, variant: variant, depth: depth - 1)
                var second = inner
                second[variables.first ?? "x"] = "second"
                inner["index"] = 1
                d[s] = [inner, second]
            case .flags: d[s] = true
            case .empty: d[s] = [[String: Any]]()
            }
        }
        return d
    }

    @Test func rendersEveryShippedTemplateExactlyAsSwiftMustache() throws {
        let renderer = try Self.productRenderer()
        let all = renderer.compiled.templates
        #expect(all.count > 100)
        var compared = 0
        let library = renderer.referenceLibrary()
        for name in renderer.names {
            var sections = Set<String>(), variables = Set<String>(), seen = Set<String>()
            Self.names(all[name] ?? [], all, sections: &sections, variables: &variables, seen: &seen)
            for variant in Variant.allCases {
                let page = Self.data(sections: sections, variables: variables, variant: variant, depth: 2)
                let expected = renderer.referenceRender(name, page, library: library)
                let actual = renderer.render(name, page)
                #expect(actual == expected, "template \(name), \(variant)")
                if actual != expected, let a = actual, let e = expected {
                    let prefix = zip(a, e).prefix { $0 == $1 }.count
                    Issue.record("first difference at \(prefix): got …\(a.dropFirst(max(0, prefix - 40)).prefix(120))… expected …\(e.dropFirst(max(0, prefix - 40)).prefix(120))…")
                    return
                }
                compared += 1
            }
        }
        #expect(compared == renderer.names.count * Variant.allCases.count)
    }

    // MARK: The semantics pages rely on

    @Test func escapesAndClimbsAndTreatsEmptyStringsAsTrueAsTheLibraryDoes() throws {
        let r = try Self.inline([
            "page": "{{#rows}}<td title=\"{{name}}\">{{name}}|{{shared}}|{{{raw}}}</td>{{/rows}}{{^rows}}无{{/rows}}{{#empty}}E{{/empty}}{{#zero}}Z{{.}}{{/zero}}{{#a.b}}[{{c}}]{{/a.b}}{{.missing}}",
        ])
        let data: [String: Any] = ["rows": [["name": "<script>\"'&"], ["name": "华东"]], "shared": "S", "raw": "<i>",
                                   "empty": "", "zero": 0, "a": ["b": ["c": "深"]], "missing": "outer"]
        let expected = "<td title=\"&lt;script&gt;&quot;&#39;&amp;\">&lt;script&gt;&quot;&#39;&amp;|S|<i></td><td title=\"华东\">华东|S|<i></td>EZ0[深]outer"
        #expect(r.render("page", data) == expected)
        #expect(r.referenceRender("page", data) == expected)
        #expect(r.render("page", ["rows": [[String: Any]]()]) == "无")
    }

    @Test func layoutBlocksAndIndentedPartialsMatchTheLibrary() throws {
        let r = try Self.inline([
            "layout": "<main>\n  {{$content}}默认{{/content}}\n</main>\n",
            "field": "<label>{{label}}</label>\n<textarea>{{value}}</textarea>\n",
            "page": "{{<layout}}\n{{$content}}\n  {{#fields}}\n    {{>field}}\n  {{/fields}}\n{{/content}}\n{{/layout}}\n",
        ])
        let data: [String: Any] = ["fields": [["label": "内容", "value": "第一行\n第二行"], ["label": "备注", "value": ""]]]
        let actual = r.render("page", data)
        #expect(actual == r.referenceRender("page", data))
        #expect(actual?.contains("<textarea>第一行\n第二行</textarea>") == true)
        #expect(r.render("layout", [:]) == "<main>\n  默认\n</main>\n")
    }

    @Test func refusesTemplatesUsingFeaturesItDoesNotRender() throws {
        #expect(throws: Renderer.LoadError.self) { try Self.inline(["layout": "x", "t": "{{#list}}{{index()}}{{/list}}"]) }
    }

    // MARK: Our parser's own checks

    @Test func refusesWhatItDoesNotSupportWithTheLine() throws {
        for (text, expected) in [
            ("a\n{{=<% %>=}}", "line 2: set-delimiter"),
            ("a\nb\n{{#x}}\n", "line 3: {{…x}} is never closed"),
            ("{{#x}}\n{{/y}}", "line 2: {{/y}} closes {{#x}}"),
            ("\n\n{{>*dyn}}", "line 3: dynamic partials"),
            ("{{f(x)}}", "line 1: transforms"),
            ("{{<layout}}\n{{x}}\n{{/layout}}", "only {{$block}} definitions"),
        ] {
            #expect(throws: (any Error).self) { try TemplateParser.parse(text) }
            do {
                _ = try TemplateParser.parse(text)
            } catch {
                #expect("\(error)".contains(expected), "\(text): \(error)")
            }
        }
    }

    @Test func nodesCarryTheirLine() throws {
        let nodes = try TemplateParser.parse("<p>\n  {{#rows}}\n  <td>{{name}}</td>\n  {{/rows}}\n{{>form/csrf}}")
        var lines: [String: Int] = [:]
        func walk(_ ns: [CompiledTemplates.Node]) {
            for n in ns {
                switch n {
                case .variable(let p, _, let l): lines[p.joined(separator: ".")] = l
                case .section(let p, _, let b, let l): lines["#" + p.joined(separator: ".")] = l; walk(b)
                case .partial(let name, _, _, let l): lines[">" + name] = l
                default: break
                }
            }
        }
        walk(nodes)
        #expect(lines == ["#rows": 2, "name": 3, ">form/csrf": 5])
    }
}

extension Renderer {
    /// swift-mustache's own rendering of the same template files: the reference.
    func referenceLibrary() -> MustacheLibrary {
        var library = MustacheLibrary()
        for (n, source) in sources { try? library.register(source.text, named: n) }
        return library
    }

    func referenceRender(_ name: String, _ data: [String: Any], library: MustacheLibrary? = nil) -> String? {
        (library ?? referenceLibrary()).render(data, withTemplate: name)
    }
}
