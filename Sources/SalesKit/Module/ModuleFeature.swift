import Foundation

/// One part of a department module — a group of pages with its own permissions, menu entries,
/// forms, page models, routes, to-do items and overdue items (订货's branch orders, 售后服务's
/// returns, 客户开发's visits …). A module lists its parts in `DepartmentModule.features`; the
/// module's own `permissions`, `menu`, `forms`, `pages`, `routes`, `inbox`, `overdue`, `panels`
/// and `auditVocabulary` then default to the parts' merged, and the registry refuses at boot a
/// form name, permission, page model, menu path or route that two parts both declare.
///
/// A part is a type with static members (usually a case-less `enum`), the way page models are
/// listed by type:
///
/// ```swift
/// enum ReturnPages: ModuleFeature {
///     static let permissions: [Permission] = [view, register]
///     static let menu: [MenuItem] = [MenuItem("退货", path: "returns", access: .permission(view))]
///     static let forms: [String: FormSchema] = ["return": form]
///     static let pages: [any PageModel.Type] = [ReturnPage.self]
///     static func routes(_ r: inout RouteBuilder) { r.get("returns", .permission(view), list) }
///     static func inbox(for user: User, _ ctx: Context) throws -> [InboxItem] { … }
/// }
/// struct AfterSalesModule: DepartmentModule {
///     var features: [any ModuleFeature.Type] { [ComplaintPages.self, ReturnPages.self] }
/// }
/// ```
///
/// Every member defaults to empty. A member must match the requirement's signature exactly (a
/// `static func inbox(user:ctx:)` is not the requirement and would leave the part's inbox empty).
public protocol ModuleFeature: SendableMetatype {
    static var permissions: [Permission] { get }
    static var menu: [MenuItem] { get }
    static var forms: [String: FormSchema] { get }
    static var pages: [any PageModel.Type] { get }
    static func routes(_ r: inout RouteBuilder)
    static func inbox(for user: User, _ ctx: Context) throws -> [InboxItem]
    static func overdue(_ ctx: Context) throws -> [OverdueItem]
    static func panels(for subject: PanelSubject, _ ctx: Context) throws -> [RecordPanel]
    /// Titles of the audit codes this part writes (merged into the module's `auditVocabulary`).
    static var vocabulary: AuditVocabulary { get }
}

extension ModuleFeature {
    public static var permissions: [Permission] { [] }
    public static var menu: [MenuItem] { [] }
    public static var forms: [String: FormSchema] { [:] }
    public static var pages: [any PageModel.Type] { [] }
    public static func routes(_ r: inout RouteBuilder) {}
    public static func inbox(for user: User, _ ctx: Context) throws -> [InboxItem] { [] }
    public static func overdue(_ ctx: Context) throws -> [OverdueItem] { [] }
    public static func panels(for subject: PanelSubject, _ ctx: Context) throws -> [RecordPanel] { [] }
    public static var vocabulary: AuditVocabulary { .empty }
}

/// What the registry checks of a module's parts: names two parts both declare, and the parts'
/// declarations a module's own (overridden) member leaves out. Each problem is one line for the
/// boot error.
public enum ModuleFeatureCheck {
    public static func problems(of module: any DepartmentModule) -> [String] {
        let features = module.features
        guard !features.isEmpty else { return [] }
        let id = module.manifest.id
        var problems: [String] = []
        func name(_ f: any ModuleFeature.Type) -> String { "\(f)" }

        func twice<Key: Hashable>(_ what: String, _ keys: (any ModuleFeature.Type) -> [Key], _ show: (Key) -> String) {
            var owner: [Key: String] = [:]
            for f in features {
                for k in keys(f) {
                    if let first = owner[k] {
                        problems.append("module '\(id)': \(what) '\(show(k))' is declared by both \(first) and \(name(f))")
                    } else {
                        owner[k] = name(f)
                    }
                }
            }
        }
        twice("the form", { Array($0.forms.keys).sorted() }, { $0 })
        twice("the permission", { $0.permissions.map(\.id) }, { $0 })
        twice("the page model", { $0.pages.map { String(reflecting: $0) } }, { $0 })
        twice("the menu path", { $0.menu.map(\.path) }, { $0 })
        func routes(_ build: (inout RouteBuilder) -> Void) -> [String] {
            var b = RouteBuilder(module: id)
            build(&b)
            return b.routes.map { "\($0.method) \($0.path)" }
        }
        twice("the route", { f in routes { f.routes(&$0) } }, { $0 })

        // A module that overrides a member still has to carry every part's declarations.
        func missing(_ what: String, _ own: [String], _ parts: [String]) {
            let have = Set(own)
            for p in parts where !have.contains(p) {
                problems.append("module '\(id)' lists features but its own \(what) leaves out '\(p)'")
            }
        }
        missing("permissions", module.permissions.map(\.id), features.flatMap { $0.permissions.map(\.id) })
        missing("menu", module.menu.map(\.path), features.flatMap { $0.menu.map(\.path) })
        missing("forms", Array(module.forms.keys), features.flatMap { $0.forms.keys.sorted() })
        missing("pages", module.pages.map { String(reflecting: $0) }, features.flatMap { $0.pages.map { String(reflecting: $0) } })
        missing("routes", routes { module.routes(&$0) }, features.flatMap { f in routes { f.routes(&$0) } })
        return problems
    }
}
