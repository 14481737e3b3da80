import Foundation
import Synchronization
import SalesKit

/// All templates, loaded and parsed once at start-up (before the workers start).
/// Shared templates from `Web/templates` keep their relative name (`layout`, `form/fields`);
/// a module's templates are named `<module id>/<relative name>`.
public struct Renderer: Sendable {
    /// Every template's text and file (the reference renderer in the tests reads them too).
    public let sources: [String: TemplateSource]
    let compiled: CompiledTemplates
    let pages: PageBindings
    public let names: [String]

    public struct TemplateSource: Sendable {
        public var text: String
        public var file: String
    }

    public struct LoadError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Page models the host itself renders (home, login, errors…), bound like a module's.
    public static let hostPages: [any PageModel.Type] = [ListPageView.self, HomePage.self, LoginPage.self, PasswordPage.self, ErrorPage.self,
                                                          MenuPage.self]

    public init(webDir: String, pluginsDir: String, modules: [any DepartmentModule],
                hostPages: [any PageModel.Type] = Renderer.hostPages) throws {
        var sources: [String: TemplateSource] = [:]
        try Self.load(into: &sources, directory: webDir + "/templates", prefix: "")
        if modules.contains(where: { $0.manifest.folder != nil }), !FileManager.default.fileExists(atPath: pluginsDir) {
            throw LoadError(description: "plugins folder \(pluginsDir) not found (set pluginsDir)")
        }
        for m in modules {
            guard let folder = m.manifest.folder else { continue }
            // A module without templates yet has no folder (git keeps no empty folders).
            let dir = pluginsDir + "/" + folder + "/templates"
            guard FileManager.default.fileExists(atPath: dir) else { continue }
            try Self.load(into: &sources, directory: dir, prefix: m.manifest.id + "/")
        }
        guard sources["layout"] != nil else {
            throw LoadError(description: "\(webDir)/templates/layout.mustache not found (set webDir)")
        }
        self.sources = sources
        names = sources.keys.sorted()
        do {
            compiled = try CompiledTemplates(sources: sources.mapValues { ($0.text, $0.file) })
        } catch {
            throw LoadError(description: "template \(error)")
        }
        let declared = hostPages.map { (module: "", type: $0) }
            + modules.flatMap { m in m.pages.map { (module: m.manifest.id, type: $0) } }
        pages = try Self.bindAll(declared, compiled: compiled, files: sources.mapValues(\.file))
    }

    /// A typed page, rendered in the layout: `envelope` is the layout's data.
    func render<P: PageModel>(_ page: P, module: String, envelope: (BoundTemplate) -> LayoutEnvelope) throws -> [UInt8] {
        let bound = try pages.page(P.self, module: module)
        let encoder = TemplateEncoder()
        let pageValue = try encoder.encodePage(page, as: bound.shape)
        let envelopeValue = try encoder.encodePage(envelope(bound.template), as: pages.envelopeShape)
        var out: [UInt8] = []
        let largest = bound.template.largestPage.load(ordering: .relaxed)
        out.reserveCapacity(min(max(32 * 1024, largest + largest / 8), 1 << 20))
        bound.template.render([envelopeValue, pageValue], into: &out)
        if out.count > largest { bound.template.largestPage.store(out.count, ordering: .relaxed) }
        return out
    }

    static func load(into sources: inout [String: TemplateSource], directory: String, prefix: String) throws {
        let fm = FileManager.default
        guard let e = fm.enumerator(atPath: directory) else { return }
        for case let rel as String in e where rel.hasSuffix(".mustache") {
            let file = directory + "/" + rel
            let text = try String(contentsOfFile: file, encoding: .utf8)
            sources[prefix + String(rel.dropLast(".mustache".count))] = TemplateSource(text: text, file: file)
        }
    }

    public func has(_ name: String) -> Bool { compiled.templates[name] != nil }
}

// MARK: - Typed pages

/// What the layout reads around every typed page: the page model is pushed on top of this, so a
/// page's names are looked up in the page first, then here.
struct LayoutEnvelope: TemplateModel {
    var shell: Shell
    var csrf: String
    /// A fresh idempotency key for the page's form (made only when the page has a form).
    var idem: String
}

extension LayoutEnvelope: TemplateValueRepresentable {
    var templateValue: TemplateValue {
        .object([shell.templateValue, .text(csrf), .text(idem)])
    }
}

extension Shell: TemplateValueRepresentable {
    var templateValue: TemplateValue {
        .object([.text(title), .text(companyName), user.map { .object([.text($0.displayName)]) } ?? .null,
                 .text(menuToggle), .text(menuSidebar),
                 .list(crumbs.map { .object([.text($0.title), $0.href.map { .text($0) } ?? .null]) }),
                 .bool(hasCrumbs),
                 back.map { .object([.text($0.title), .text($0.href)]) } ?? .null,
                 .list(flashes.map { .object([.text($0.kind), .text($0.text), .bool($0.alert)]) }),
                 .text(assetVersion)])
    }
}

/// The layout's own data: title, company, the user and their menu, the breadcrumb trail, the
/// flash messages.
struct Shell: TemplateModel {
    var title: String
    var companyName: String
    var user: ShellUser?
    /// The menu (`MenuPage`) as HTML, indented for the phone's menu and for the sidebar: rendered
    /// once per user's menu and current item and kept by the worker (`Worker.menuHTML`).
    var menuToggle = ""
    var menuSidebar = ""
    /// 首页 › module › list › page (the last one without a link); empty on the home page.
    var crumbs: [Crumb] = []
    var hasCrumbs = false
    /// The page's parent: 「‹ 返回客户名录」.
    var back: Link? = nil
    /// One-time messages (`Flash`), shown above the page's content.
    var flashes: [FlashView] = []
    /// The static files' content hash: `/static/app.css?v=…` is cached for a year by nginx and
    /// changes with every upgrade that changes the CSS (no stale styles after an upgrade).
    var assetVersion = ""

    struct ShellUser: TemplateModel {
        var displayName: String
    }

    struct MenuGroup: TemplateModel {
        var title: String
        var items: [MenuLink]
        /// The module of the current page (its group is marked).
        var current = false
    }

    struct MenuLink: TemplateModel {
        var title: String
        var href: String
        var active: Bool
    }

    struct Crumb: TemplateModel {
        var title: String
        var href: String?
    }

    struct Link: TemplateModel {
        var title: String
        var href: String
    }

    struct FlashView: TemplateModel {
        /// `ok`, `error`, `info` (the CSS class).
        var kind: String
        var text: String
        /// An error: `role="alert"` (read out at once), else `role="status"`.
        var alert: Bool
    }
}

/// The module menu (`pages/menu.mustache`), rendered on its own (no layout) once per user's
/// menu and current item; the layout prints the result (`Shell.menuToggle`, `menuSidebar`).
struct MenuPage: PageModel {
    static let template = "/pages/menu"
    var groups: [Shell.MenuGroup]
}

/// A page type bound to its template.
struct BoundPage: Sendable {
    var name: String
    var shape: TemplateShape
    var template: BoundTemplate
}

/// Page types bound at start-up, and the few bound later (a page type a module forgot to
/// declare: bound on first use and recorded as a programming error — logged by the host, and
/// failing the test whose request rendered it).
final class PageBindings: Sendable {
    let declared: [ObjectIdentifier: BoundPage]
    let envelopeShape: TemplateShape
    private let compiled: CompiledTemplates
    private let files: [String: String]
    private let late = Mutex<[ObjectIdentifier: BoundPage]>([:])
    private let shapes: Mutex<TemplateShapes>

    init(declared: [ObjectIdentifier: BoundPage], envelopeShape: TemplateShape, shapes: TemplateShapes,
         compiled: CompiledTemplates, files: [String: String]) {
        self.declared = declared
        self.envelopeShape = envelopeShape
        self.shapes = Mutex(shapes)
        self.compiled = compiled
        self.files = files
    }

    func page<P: PageModel>(_ type: P.Type, module: String) throws -> BoundPage {
        let id = ObjectIdentifier(type)
        if let b = declared[id] { return b }
        if let b = late.withLock({ $0[id] }) { return b }
        ProgrammingErrors.record(ProgrammingError(kind: .undeclaredPage, name: "\(type)",
                                                  detail: "rendered by module \(module) but not listed in its pages"))
        let (envelope, compiled, files) = (envelopeShape, compiled, files)
        let b = try shapes.withLock { shapes in
            try Renderer.bind(type, module: module, envelope: envelope, shapes: shapes, compiled: compiled, files: files)
        }
        late.withLock { $0[id] = b }
        return b
    }
}

extension Renderer {
    /// The template name a page type names, for a module (`/x` = shared, else `<module>/x`).
    static func templateName(_ template: String, module: String) -> String {
        template.hasPrefix("/") ? String(template.dropFirst()) : module + "/" + template
    }

    static func bind<P: PageModel>(_ type: P.Type, module: String, envelope: TemplateShape, shapes: TemplateShapes,
                                   compiled: CompiledTemplates, files: [String: String]) throws -> BoundPage {
        var binder = TemplateBinder(templates: compiled.templates, files: files)
        let name = templateName(P.template, module: module)
        let shape = try shapes.shape(of: type)
        guard let t = binder.bind(name, roots: [envelope, shape], page: "\(type)"), binder.problems.isEmpty else {
            throw LoadError(description: binder.problems.joined(separator: "\n"))
        }
        return BoundPage(name: name, shape: shape, template: t)
    }

    /// Binds every declared page of every module (and the host's own): all problems at once.
    static func bindAll(_ pages: [(module: String, type: any PageModel.Type)], compiled: CompiledTemplates,
                        files: [String: String]) throws -> PageBindings {
        let shapes = TemplateShapes()
        var binder = TemplateBinder(templates: compiled.templates, files: files)
        var problems: [String] = []
        let envelope: TemplateShape
        do {
            envelope = try shapes.shape(of: LayoutEnvelope.self)
        } catch {
            throw LoadError(description: "\(error)")
        }
        binder.exempt(envelope)
        var bound: [ObjectIdentifier: BoundPage] = [:]
        func one<P: PageModel>(_ type: P.Type, _ module: String) {
            let name = templateName(P.template, module: module)
            do {
                let shape = try shapes.shape(of: type)
                if let t = binder.bind(name, roots: [envelope, shape], page: "\(type)") {
                    bound[ObjectIdentifier(type)] = BoundPage(name: name, shape: shape, template: t)
                }
            } catch {
                problems.append("\(type): \(error)")
            }
        }
        for (module, type) in pages { one(type, module) }
        problems += binder.problems + binder.unusedFields()
        guard problems.isEmpty else {
            throw LoadError(description: "page models do not match their templates:\n  " + problems.joined(separator: "\n  "))
        }
        return PageBindings(declared: bound, envelopeShape: envelope, shapes: shapes, compiled: compiled, files: files)
    }
}
