/// The company's organisation as records (RULES §6 "Departments are records", "Teams"): the
/// department directory (name, head, members) and who reports to whom. Offered by the host
/// (provider `core`) to every module; edited on 系统管理 → 部门 and on the user form.

/// A department of the directory. `code` is the stable key modules store and route by
/// (`quality`, `technical`, …); `name` is what people read and may be renamed.
public struct Department: Sendable, Equatable {
    public var id: Int64
    public var code: String
    public var name: String
    public var headID: Int64?
    public var headName: String?
    public var active: Bool
    public var memberIDs: [Int64]

    public init(id: Int64, code: String, name: String, headID: Int64?, headName: String?, active: Bool, memberIDs: [Int64]) {
        self.id = id
        self.code = code
        self.name = name
        self.headID = headID
        self.headName = headName
        self.active = active
        self.memberIDs = memberIDs
    }

    /// Members and the head: everyone whose inbox a task for this department reaches.
    public var inboxUserIDs: [Int64] {
        var ids = memberIDs
        if let headID, !ids.contains(headID) { ids.append(headID) }
        return ids
    }
}

/// The departments shipped with the system (codes modules may rely on). An installation may
/// rename them, add others and deactivate unused ones; these codes stay.
public enum StandardDepartment: String, CaseIterable, Sendable {
    case sales, market, service, quality, technical, production, finance, management

    public var name: String {
        switch self {
        case .sales: "销售部"
        case .market: "市场部"
        case .service: "客户服务部"
        case .quality: "品质部"
        case .technical: "技术部"
        case .production: "生产部"
        case .finance: "财务部"
        case .management: "总经理办公室"
        }
    }

    /// The standard department a new user joins for each role when no department is chosen
    /// (the admin can change it on the user form).
    public static let ofRole: [String: StandardDepartment] = [
        Role.salesRep.id: .sales, Role.salesSupervisor.id: .sales, Role.salesManager.id: .sales,
        Role.marketingDirector.id: .sales, Role.marketManager.id: .market, Role.generalManager.id: .management,
        Role.finance.id: .finance, Role.production.id: .production, Role.quality.id: .quality,
        Role.technical.id: .technical, Role.serviceRep.id: .service, Role.serviceSupervisor.id: .service,
    ]

    /// The standard departments as choices (value = code): a form's declared schema; pages
    /// offer the directory's own (`OrgDirectory.choices`).
    public static var choices: [Choice] { allCases.map { Choice($0.rawValue, $0.name) } }

    /// The standard departments of these roles, in directory order.
    public static func codes(roles: [String]) -> [String] {
        let codes = Set(roles.compactMap { ofRole[$0]?.rawValue })
        return allCases.map(\.rawValue).filter(codes.contains)
    }
}

public protocol OrgDirectory: Sendable {
    /// Active departments in the directory's order.
    func departments(_ ctx: Context) throws -> [Department]
    /// A department by code, active or not.
    func department(code: String, _ ctx: Context) throws -> Department?
    /// The active departments a user heads or belongs to.
    func departments(ofUser userID: Int64, _ ctx: Context) throws -> [Department]
    /// The user's supervisor (reports-to), if any.
    func supervisor(of userID: Int64, _ ctx: Context) throws -> Int64?
    /// Everyone who reports to `supervisorID`, directly or through others (active users only).
    func team(of supervisorID: Int64, _ ctx: Context) throws -> [Int64]
    /// The codes of the departments a user belongs to (active or not).
    func membership(userID: Int64, _ ctx: Context) throws -> [String]
    /// Sets a user's departments (codes of active departments; others ignored) and keeps the
    /// user's display text (`users.department`) in step. Returns the names joined with 「、」.
    @discardableResult
    func setMembership(userID: Int64, codes: [String], _ ctx: Context) throws -> String
    /// Whether making `supervisorID` the supervisor of `userID` would close a reporting loop.
    func wouldLoop(userID: Int64, supervisorID: Int64, _ ctx: Context) throws -> Bool
}

extension OrgDirectory {
    /// Form choices: the active departments, value = code.
    public func choices(_ ctx: Context) throws -> [Choice] {
        try departments(ctx).map { Choice($0.code, $0.name) }
    }

    /// The department's display name (the code itself when it is not in the directory).
    public func name(code: String, _ ctx: Context) throws -> String {
        try department(code: code, ctx)?.name ?? code
    }

    /// The codes of the active departments `userID` heads or belongs to.
    public func codes(of userID: Int64, _ ctx: Context) throws -> [String] {
        try departments(ofUser: userID, ctx).map(\.code)
    }

    /// Whether a task routed to department `code` reaches `userID` (its head or a member).
    public func reaches(_ code: String, userID: Int64, _ ctx: Context) throws -> Bool {
        try department(code: code, ctx)?.inboxUserIDs.contains(userID) ?? false
    }

    /// Whether a stored value names a department of the directory.
    public func knows(_ stored: String, _ ctx: Context) -> Bool {
        ((try? department(code: stored, ctx)) ?? nil) != nil
    }

    /// The name of a stored department code; a value the directory lacks (free text a module's
    /// migration could not map) as 「…」（未对应部门）, so it stays visible and is noticed.
    public func title(stored: String, _ ctx: Context) -> String {
        if stored.isEmpty { return "" }
        if let d = (try? department(code: stored, ctx)) ?? nil { return d.name }
        return "「\(stored)」（未对应部门）"
    }
}

/// What a module holds in a user's name that someone else must take over before the user is
/// deactivated (RULES §6 "a deactivated user's customers are reassigned first").
public struct HeldRecords: Sendable {
    /// Module title and what is held, e.g. 「客户开发：负责的客户」.
    public var title: String
    public var count: Int
    public init(title: String, count: Int) {
        self.title = title
        self.count = count
    }
}

/// Hands a user's records over to another user, across every module that holds any (host
/// service, provider `core`; the modules answer through `DepartmentModule.held` / `handOver`).
public protocol UserHandover: Sendable {
    func held(by userID: Int64, _ ctx: Context) throws -> [HeldRecords]
    /// Moves every held record to `successorID`, inside the caller's transaction, with audit rows.
    func handOver(from userID: Int64, to successorID: Int64, reason: String, _ ctx: Context) throws
}
