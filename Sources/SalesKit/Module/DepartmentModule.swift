import Foundation

/// Identity and ordering data of a module.
public struct ModuleManifest: Sendable {
    /// Short lower-case id; also the URL prefix (`/<id>/…`) and the permission prefix.
    public var id: String
    /// Chinese title shown in the menu.
    public var title: String
    public var version: String
    /// Ids of modules that must be installed, and listed, before this one.
    public var dependencies: [String]
    /// Ids of modules this one uses when they are installed (listed before it if present):
    /// their services are reachable through `ctx.optionalService`, and absent ones are fine.
    public var optionalDependencies: [String]
    /// Folder under `Plugins/` holding this module's `templates/` (defaults to none).
    public var folder: String?

    public init(id: String, title: String, version: String, dependencies: [String] = [],
                optionalDependencies: [String] = [], folder: String? = nil) {
        self.id = id
        self.title = title
        self.version = version
        self.dependencies = dependencies
        self.optionalDependencies = optionalDependencies
        self.folder = folder
    }
}

/// A menu entry, shown only to users holding its permission.
public struct MenuItem: Sendable {
    public var title: String
    /// Path relative to the module's mount point (`"customers"` → `/crm/customers`).
    public var path: String
    public var access: Access

    public init(_ title: String, path: String, access: Access) {
        self.title = title
        self.path = path
        self.access = access
    }
}

/// One to-do item in a user's inbox (the home page).
public struct InboxItem: Sendable {
    public var title: String
    public var detail: String
    /// Absolute URL path of the record to act on.
    public var url: String
    public var due: Date?
    public var urgent: Bool

    public init(title: String, detail: String = "", url: String, due: Date? = nil, urgent: Bool = false) {
        self.title = title
        self.detail = detail
        self.url = url
        self.due = due
        self.urgent = urgent
    }
}

/// An item past its deadline: what the responsible person's inbox shows, and who that is.
public struct OverdueItem: Sendable {
    public var item: InboxItem
    /// The user who should have acted (the rep of the customer, the assignee of the task).
    public var responsibleUserID: Int64
    /// The deadline that passed.
    public var due: Date

    public init(_ item: InboxItem, responsibleUserID: Int64, due: Date) {
        self.item = item
        self.responsibleUserID = responsibleUserID
        self.due = due
    }
}

/// A departmental module: declared data plus a few hooks. Every optional part defaults to empty.
///
/// ```swift
/// struct SuggestionsModule: DepartmentModule {
///     let manifest = ModuleManifest(id: "ideas", title: "建议评审", version: "1.0.0", folder: "Suggestions")
///     static let submit = Permission("ideas", "submit", title: "提交建议", defaultRoles: Role.all)
///     var permissions: [Permission] { [Self.submit] }
///     var menu: [MenuItem] { [MenuItem("我的建议", path: "mine", access: .permission(Self.submit))] }
///     func routes(_ r: inout RouteBuilder) {
///         r.get("mine", .permission(Self.submit)) { req, ctx in ctx.render(MinePage(rows: []), title: "我的建议") }
///     }
/// }
/// ```
public protocol DepartmentModule: Sendable {
    var manifest: ModuleManifest { get }
    /// The module's parts (`ModuleFeature`): the members below default to the parts' merged, and
    /// the registry refuses a name two parts both declare. Empty for a module of one part.
    var features: [any ModuleFeature.Type] { get }
    var permissions: [Permission] { get }
    var menu: [MenuItem] { get }
    var migrations: [Migration] { get }
    /// The module's forms by name, as declared data (for documentation, admin views and the
    /// hostile-input tests that feed every field of every form).
    var forms: [String: FormSchema] { get }
    /// The module's page models: each is bound to its template when the application starts
    /// (an unknown name in a template, or a model field no template uses, stops the start).
    var pages: [any PageModel.Type] { get }
    /// Mount routes; paths are relative to `/<id>/`.
    func routes(_ r: inout RouteBuilder)
    /// To-do items waiting for `user` (shown on the home page).
    func inbox(for user: User, _ ctx: Context) throws -> [InboxItem]
    /// Every item of this module that is past its deadline now, with the person who should
    /// have acted. The host escalates them (issue #16): to that person's supervisor once
    /// overdue, and to the general manager past a second limit. Keep it one indexed query.
    func overdue(_ ctx: Context) throws -> [OverdueItem]
    /// This module's cards on another module's hub page (e.g. the customer page shows each
    /// module's orders, receivables, complaints … of that customer): only what `ctx.user` may
    /// see, with the actions they may take. Empty when the module has nothing to say.
    func panels(for subject: PanelSubject, _ ctx: Context) throws -> [RecordPanel]
    /// Typed services offered to modules that depend on this one.
    func services(_ s: inout ServiceRegistry)
    /// What `userID` holds in this module that must be handed over before the user is
    /// deactivated (e.g. the customers a rep answers for); empty when nothing.
    func held(by userID: Int64, _ ctx: Context) throws -> [HeldRecords]
    /// Moves what `held` reports to `successorID` (inside the caller's transaction, audited).
    func handOver(from userID: Int64, to successorID: Int64, reason: String, _ ctx: Context) throws
    /// The Chinese titles of the codes this module writes to the audit log (entities, actions,
    /// states): history (`ctx.history`) and the audit log show them instead of the codes.
    var auditVocabulary: AuditVocabulary { get }
    /// After every migrate (`salesd migrate`, each start of `salesd serve`): fills values that
    /// only Swift can compute for rows that lack them — rows of before the migration that added
    /// the column, bulk loads (e.g. 客户开发's 拼音 sort keys). Keep it one indexed probe when
    /// nothing is missing.
    func afterMigrate(_ db: any Database) throws
}

/// Every member defaults to empty, or, when the module lists `features`, to its parts' merged (in
/// the order listed). A module may still implement a member itself — one overdue query over all
/// its parts, one vocabulary — and that member is then the module's alone; for permissions, menu,
/// forms, pages and routes the registry refuses it if it leaves out a part's declaration.
extension DepartmentModule {
    public var features: [any ModuleFeature.Type] { [] }
    public var permissions: [Permission] { features.flatMap { $0.permissions } }
    public var menu: [MenuItem] { features.flatMap { $0.menu } }
    public var migrations: [Migration] { [] }
    public var forms: [String: FormSchema] { FormSchema.combine(features.map { $0.forms }) }
    public var pages: [any PageModel.Type] { features.flatMap { $0.pages } }
    public func routes(_ r: inout RouteBuilder) { for f in features { f.routes(&r) } }
    public func inbox(for user: User, _ ctx: Context) throws -> [InboxItem] { try features.flatMap { try $0.inbox(for: user, ctx) } }
    public func overdue(_ ctx: Context) throws -> [OverdueItem] { try features.flatMap { try $0.overdue(ctx) } }
    public func panels(for subject: PanelSubject, _ ctx: Context) throws -> [RecordPanel] {
        try features.flatMap { try $0.panels(for: subject, ctx) }
    }
    public func services(_ s: inout ServiceRegistry) {}
    public func held(by userID: Int64, _ ctx: Context) throws -> [HeldRecords] { [] }
    public func handOver(from userID: Int64, to successorID: Int64, reason: String, _ ctx: Context) throws {}
    public var auditVocabulary: AuditVocabulary { features.reduce(AuditVocabulary.empty) { $0.merging($1.vocabulary) } }
    public func afterMigrate(_ db: any Database) throws {}
}

public typealias Handler = @Sendable (Request, Context) throws -> Response

/// One route as declared by a module.
public struct RouteDefinition: Sendable {
    public var method: String
    /// Full path pattern, e.g. `/admin/users/:id`.
    public var path: String
    public var access: Access
    public var module: String
    public var handler: Handler

    public init(method: String, path: String, access: Access, module: String, handler: @escaping Handler) {
        self.method = method
        self.path = path
        self.access = access
        self.module = module
        self.handler = handler
    }
}

/// Collects a module's routes. Every route states its `Access`.
public struct RouteBuilder: Sendable {
    public let module: String
    public private(set) var routes: [RouteDefinition] = []

    public init(module: String) { self.module = module }

    public mutating func add(_ method: String, _ path: String, _ access: Access, _ handler: @escaping Handler) {
        var full = "/" + module
        let trimmed = path.trimmingCharacters(in: "/")
        if !trimmed.isEmpty { full += "/" + trimmed }
        routes.append(RouteDefinition(method: method, path: full, access: access, module: module, handler: handler))
    }

    public mutating func get(_ path: String, _ access: Access, _ handler: @escaping Handler) { add("GET", path, access, handler) }
    public mutating func post(_ path: String, _ access: Access, _ handler: @escaping Handler) { add("POST", path, access, handler) }
    /// GET shows the form, POST submits it, at the same path (so an expired session can bring the
    /// user back to the same form with the values kept).
    public mutating func form(_ path: String, _ access: Access, _ handler: @escaping Handler) {
        add("GET", path, access, handler)
        add("POST", path, access, handler)
    }
}

/// Typed services a module offers to the modules that declare a dependency on it.
///
/// ```swift
/// public protocol CustomerDirectory: Sendable { func customer(id: Int64, _ ctx: Context) throws -> CustomerInfo? }
/// func services(_ s: inout ServiceRegistry) { s.provide(CustomerDirectory.self, MyDirectory()) }
/// // in a dependent module:   let dir = try ctx.service(CustomerDirectory.self)
/// ```
public struct ServiceRegistry: Sendable {
    public struct Entry: Sendable {
        public var provider: String
        public var value: any Sendable
        /// A platform contract (its protocol declared in SalesKit): every module may use it,
        /// also one the provider depends on (客户开发 reading 订货's sales).
        public var everyone = false
    }
    public private(set) var entries: [ObjectIdentifier: Entry] = [:]
    public private(set) var names: [String] = []
    var currentProvider = ""

    public init() {}

    public mutating func provide<T>(_ type: T.Type, _ value: any Sendable) {
        entries[ObjectIdentifier(type)] = Entry(provider: currentProvider, value: value)
        names.append("\(type)")
    }

    /// Offers a service whose protocol SalesKit declares to every module — even one this module
    /// depends on, which could never depend back (e.g. `CustomerSalesFigures` for 客户开发).
    public mutating func provideToEveryModule<T>(_ type: T.Type, _ value: any Sendable) {
        entries[ObjectIdentifier(type)] = Entry(provider: currentProvider, value: value, everyone: true)
        names.append("\(type)")
    }

    /// Host use: set before calling a module's `services(_:)`.
    public mutating func beginProvider(_ id: String) { currentProvider = id }
}
