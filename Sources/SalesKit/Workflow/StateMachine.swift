/// An approval flow: states, the transitions allowed, the permission each needs, and an audit row
/// on each transition.
///
/// ```swift
/// enum AppState: String { case draft, investigating, approved, rejected }
/// static let flow = StateMachine<AppState>(entity: "crm.application", transitions: [
///     .init("submit", from: [.draft], to: .investigating, permission: apply),
///     .init("approve", from: [.investigating], to: .approved, permission: approve),
///     .init("reject", from: [.investigating], to: .rejected, permission: approve, requiresReason: true),
/// ])
/// // in a handler, inside db.transaction { … }:
/// let next = try Self.flow.apply("approve", from: current, id: appID, reason: nil, ctx)
/// try ctx.db.execute("UPDATE applications SET state = \(next.rawValue) WHERE id = \(appID)")
/// ```
public struct StateMachine<State: RawRepresentable & Sendable>: Sendable where State.RawValue == String {
    public struct Transition: Sendable {
        public var action: String
        public var from: [State]
        public var to: State
        public var access: Access
        public var requiresReason: Bool
        public var title: String

        public init(_ action: String, from: [State], to: State, permission: Permission, requiresReason: Bool = false, title: String? = nil) {
            self.init(action, from: from, to: to, access: .permission(permission), requiresReason: requiresReason, title: title)
        }

        public init(_ action: String, from: [State], to: State, access: Access, requiresReason: Bool = false, title: String? = nil) {
            self.action = action
            self.from = from
            self.to = to
            self.access = access
            self.requiresReason = requiresReason
            self.title = title ?? action
        }
    }

    public enum Refusal: Error, Equatable, CustomStringConvertible {
        case unknownAction(String)
        case notAllowedFrom(action: String, state: String)
        case forbidden(action: String)
        case reasonRequired(action: String)

        /// A Chinese message for the user.
        public var description: String {
            switch self {
            case .unknownAction(let a): "未知操作：\(a)"
            case .notAllowedFrom(let a, let s): "当前状态（\(s)）不能执行「\(a)」"
            case .forbidden(let a): "您没有执行「\(a)」的权限"
            case .reasonRequired(let a): "「\(a)」必须填写原因"
            }
        }
    }

    public let entity: String
    public let transitions: [Transition]

    public init(entity: String, transitions: [Transition]) {
        self.entity = entity
        self.transitions = transitions
    }

    /// Transitions the user may take from `state` (for showing buttons).
    public func available(from state: State, for user: User?) -> [Transition] {
        transitions.filter { t in t.from.contains { $0.rawValue == state.rawValue } && (user?.may(t.access) ?? false) }
    }

    /// Checks the transition, writes the audit row and returns the new state. Call inside the
    /// same database transaction as the update of the record.
    @discardableResult
    public func apply(_ action: String, from state: State, id: String, reason: String?, _ ctx: Context) throws -> State {
        guard let t = transitions.first(where: { $0.action == action && $0.from.contains { $0.rawValue == state.rawValue } }) else {
            if let any = transitions.first(where: { $0.action == action }) {
                throw Refusal.notAllowedFrom(action: any.title, state: state.rawValue)
            }
            throw Refusal.unknownAction(action)
        }
        guard ctx.user?.may(t.access) == true else { throw Refusal.forbidden(action: t.title) }
        let trimmed = reason?.trimmingCharacters(in: " \t\r\n\u{3000}")
        if t.requiresReason && (trimmed ?? "").isEmpty { throw Refusal.reasonRequired(action: t.title) }
        try ctx.audit(AuditEntry(entity: entity, entityID: id, action: action, from: state.rawValue, to: t.to.rawValue,
                                 reason: (trimmed ?? "").isEmpty ? nil : trimmed))
        return t.to
    }
}
