/// A role of RULES.md §5. A user may hold several.
public struct Role: Hashable, Sendable, Codable, CustomStringConvertible {
    public let id: String
    public let title: String
    public init(_ id: String, _ title: String) {
        self.id = id
        self.title = title
    }
    public var description: String { id }

    public static let salesRep = Role("sales_rep", "销售专员")
    public static let salesSupervisor = Role("sales_supervisor", "销售主管")
    public static let salesManager = Role("sales_manager", "销售经理")
    public static let marketManager = Role("market_manager", "市场部经理")
    public static let marketingDirector = Role("marketing_director", "营销总监")
    public static let generalManager = Role("general_manager", "总经理")
    public static let finance = Role("finance", "财务部")
    public static let production = Role("production", "生产部")
    public static let quality = Role("quality", "品质部")
    public static let technical = Role("technical", "技术部")
    public static let serviceRep = Role("service_rep", "客户服务专员")
    public static let serviceSupervisor = Role("service_supervisor", "客户服务主管")
    public static let committee = Role("committee", "评定委员会")
    public static let admin = Role("admin", "管理员")

    /// Every role, in the order of RULES.md §5.
    public static let all: [Role] = [
        salesRep, salesSupervisor, salesManager, marketManager, marketingDirector, generalManager,
        finance, production, quality, technical, serviceRep, serviceSupervisor, committee, admin,
    ]
}

/// A permission a module declares. The same value gates a route and its menu item.
/// Its id is `module.name` (e.g. `order.approve`). `defaultRoles` seed the role → permission
/// matrix once, when the permission is first seen; afterwards admin edits the matrix.
public struct Permission: Hashable, Sendable, CustomStringConvertible {
    public let module: String
    public let name: String
    public let title: String
    public let defaultRoles: [Role]

    public init(_ module: String, _ name: String, title: String, defaultRoles: [Role] = []) {
        self.module = module
        self.name = name
        self.title = title
        self.defaultRoles = defaultRoles
    }

    public var id: String { "\(module).\(name)" }
    public var description: String { id }
    public static func == (a: Permission, b: Permission) -> Bool { a.id == b.id }
    public func hash(into h: inout Hasher) { h.combine(id) }
}

/// Who may call a route. Every route must say; there is no default.
public enum Access: Sendable, Equatable {
    /// Anyone, without a session (login page only).
    case `public`
    /// Any logged-in user (e.g. submitting a suggestion, RULES §4 §20).
    case authenticated
    /// Logged-in users holding the permission.
    case permission(Permission)
    /// Logged-in users holding any of the permissions (a page two roles reach for different
    /// work: a branch order for the branch staff and for finance confirming its payment). The
    /// handler decides what each of them sees.
    case anyOf([Permission])

    public var label: String {
        switch self {
        case .public: "public"
        case .authenticated: "authenticated"
        case .permission(let p): p.id
        case .anyOf(let ps): ps.map(\.id).joined(separator: "|")
        }
    }

    /// The permissions that open it (none for public and authenticated).
    public var permissions: [Permission] {
        switch self {
        case .public, .authenticated: []
        case .permission(let p): [p]
        case .anyOf(let ps): ps
        }
    }
}

/// The logged-in user, with effective permissions resolved from all roles.
public struct User: Sendable, Equatable {
    public var id: Int64
    public var username: String
    public var displayName: String
    public var roles: Set<String>
    public var permissions: Set<String>
    public var department: String
    /// The password was set by an administrator: every page leads to 修改密码 until it is changed.
    public var mustChangePassword: Bool

    public init(id: Int64, username: String, displayName: String, roles: Set<String>, permissions: Set<String>, department: String = "",
                mustChangePassword: Bool = false) {
        self.id = id
        self.username = username
        self.displayName = displayName
        self.roles = roles
        self.permissions = permissions
        self.department = department
        self.mustChangePassword = mustChangePassword
    }

    public func can(_ p: Permission) -> Bool { permissions.contains(p.id) }
    public func has(_ role: Role) -> Bool { roles.contains(role.id) }
    public func may(_ access: Access) -> Bool {
        switch access {
        case .public, .authenticated: true
        case .permission(let p): can(p)
        case .anyOf(let ps): ps.contains(where: can)
        }
    }
}
