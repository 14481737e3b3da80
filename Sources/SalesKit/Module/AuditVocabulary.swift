import Foundation

/// The Chinese titles of a module's audit codes: what its entities, actions and stored states are
/// called, so history (办理记录) and the audit log read 「张伟 登记 客户」, 「已评定 → 三级」 rather than
/// `zhangwei create crm.customer`, `graded → grade3`. Declared once by the module
/// (`DepartmentModule.auditVocabulary`); a code without a title is shown as the code.
///
/// ```swift
/// public var auditVocabulary: AuditVocabulary {
///     AuditVocabulary(actions: ["create": "登记", "update": "修改"])
///         .entity("crm.customer", "客户", states: ["prospect": "潜在客户", "active": "正式客户"])
///         .flow(ApplicationPages.flow, title: "新客户认定申请", states: ApplicationPages.stateTitles)
/// }
/// ```
///
/// Titles for an action or state may be given for the whole module (`actions`, `states`) or for
/// one entity (`entity(_:_:actions:states:)`, `flow`); the entity's own title wins.
public struct AuditVocabulary: Sendable {
    /// Entity code → title (`"crm.customer"` → `"客户"`).
    public var entities: [String: String]
    /// Action code → title for every entity of the module (`"create"` → `"登记"`).
    public var actions: [String: String]
    /// State code → title for every entity of the module (`"approved"` → `"已批准"`).
    public var states: [String: String]
    /// Entity code → (action code → title): where one entity names an action differently.
    public var entityActions: [String: [String: String]]
    /// Entity code → (state code → title): where two entities use one code for different states.
    public var entityStates: [String: [String: String]]
    /// Entity code → (action code → what its from/to values hold): a user's id (a new owner, a
    /// supervisor) or a department's code, shown as the person's or department's name.
    public var references: [String: [String: Reference]]

    /// What the from/to values of an action hold, when they are not states.
    public enum Reference: Sendable, Equatable {
        /// `users.id` (shown as the display name).
        case user
        /// `departments.code` (shown as the department's name).
        case department
    }

    public init(entities: [String: String] = [:], actions: [String: String] = [:], states: [String: String] = [:],
                entityActions: [String: [String: String]] = [:], entityStates: [String: [String: String]] = [:],
                references: [String: [String: Reference]] = [:]) {
        self.entities = entities
        self.actions = actions
        self.states = states
        self.entityActions = entityActions
        self.entityStates = entityStates
        self.references = references
    }

    /// Says that `action` on `entity` records user ids (or department codes) as its from/to
    /// values: `.values(of: "crm.customer", action: "reassign", are: .user)`.
    public func values(of entity: String, action: String, are kind: Reference) -> AuditVocabulary {
        var v = self
        v.references[entity, default: [:]][action] = kind
        return v
    }

    public static let empty = AuditVocabulary()

    public var isEmpty: Bool {
        entities.isEmpty && actions.isEmpty && states.isEmpty && entityActions.isEmpty && entityStates.isEmpty
    }

    /// Adds one entity: its title and, optionally, titles of its actions and states.
    public func entity(_ entity: String, _ title: String, actions: [String: String] = [:],
                       states: [String: String] = [:]) -> AuditVocabulary {
        var v = self
        v.entities[entity] = title
        if !actions.isEmpty { v.entityActions[entity, default: [:]].merge(actions) { _, new in new } }
        if !states.isEmpty { v.entityStates[entity, default: [:]].merge(states) { _, new in new } }
        return v
    }

    /// Adds an approval flow: its entity (titled `title` when given), each transition's title as
    /// the title of its action, and `states` as the titles of the flow's states.
    public func flow<S>(_ machine: StateMachine<S>, title: String? = nil, states: [String: String] = [:]) -> AuditVocabulary {
        var actions: [String: String] = [:]
        for t in machine.transitions where t.title != t.action && actions[t.action] == nil { actions[t.action] = t.title }
        var v = self
        if let title { v.entities[machine.entity] = title }
        v.entityActions[machine.entity, default: [:]].merge(actions) { old, _ in old }
        if !states.isEmpty { v.entityStates[machine.entity, default: [:]].merge(states) { _, new in new } }
        return v
    }

    /// Both vocabularies; `other`'s titles win where both name a code.
    public func merging(_ other: AuditVocabulary) -> AuditVocabulary {
        func m(_ a: [String: String], _ b: [String: String]) -> [String: String] { a.merging(b) { _, new in new } }
        return AuditVocabulary(
            entities: m(entities, other.entities), actions: m(actions, other.actions), states: m(states, other.states),
            entityActions: entityActions.merging(other.entityActions) { m($0, $1) },
            entityStates: entityStates.merging(other.entityStates) { m($0, $1) },
            references: references.merging(other.references) { a, b in a.merging(b) { _, new in new } })
    }

    /// The title of `action` done to `entity`, if this vocabulary has one.
    public func actionTitle(entity: String, action: String) -> String? {
        entityActions[entity]?[action] ?? actions[action]
    }

    /// The title of the stored `state` of `entity`, if this vocabulary has one.
    public func stateTitle(entity: String, state: String) -> String? {
        entityStates[entity]?[state] ?? states[state]
    }
}

/// Every installed module's audit vocabulary and the host's own, as the history and the audit
/// log read them (built by the host at start-up; `ctx.auditTitles`).
///
/// A title is looked up in the vocabulary of the module that declares the entity (or whose id is
/// the entity's prefix: `order.receivable` → `order`), then in that of the module whose route
/// wrote the row, then in the host's; failing all, the code itself is shown.
public struct AuditCatalogue: Sendable {
    public struct ModuleEntry: Sendable {
        public var id: String
        public var title: String
        public var vocabulary: AuditVocabulary
        public init(id: String, title: String, vocabulary: AuditVocabulary) {
            self.id = id
            self.title = title
            self.vocabulary = vocabulary
        }
    }

    /// Modules in registry order (the host's own entry, id `core`, first).
    public let modules: [ModuleEntry]
    private let byID: [String: Int]
    private let entityOwner: [String: Int]
    private let core: AuditVocabulary

    public init(core: AuditVocabulary, coreTitle: String = "系统", modules: [ModuleEntry]) {
        self.core = core
        let all = [ModuleEntry(id: "core", title: coreTitle, vocabulary: core)] + modules
        self.modules = all
        var byID: [String: Int] = [:]
        var owner: [String: Int] = [:]
        for (i, m) in all.enumerated() {
            if byID[m.id] == nil { byID[m.id] = i }
            for e in m.vocabulary.entities.keys where owner[e] == nil { owner[e] = i }
        }
        self.byID = byID
        entityOwner = owner
    }

    public static let empty = AuditCatalogue(core: .empty, modules: [])

    /// The vocabularies to ask, in order, for a row written by `module` about `entity`.
    private func chain(module: String, entity: String) -> [AuditVocabulary] {
        var out: [AuditVocabulary] = []
        var seen = Set<Int>()
        func add(_ i: Int?) {
            guard let i, seen.insert(i).inserted else { return }
            out.append(modules[i].vocabulary)
        }
        add(entityOwner[entity])
        if let dot = entity.firstIndex(of: ".") { add(byID[String(entity[..<dot])]) }
        add(byID[module])
        add(byID["core"])
        return out
    }

    /// Who made a change outside any account (the admin CLI writes `cli`), else the name as stored.
    public static func actorTitle(_ username: String) -> String {
        username == "cli" ? "命令行" : username
    }

    /// The module's title (`crm` → `客户开发`; `core` → 系统), or the id.
    public func moduleTitle(_ id: String) -> String {
        byID[id].map { modules[$0].title } ?? id
    }

    /// What the from/to values of `action` on `entity` hold, when they are references.
    public func reference(module: String, entity: String, action: String) -> AuditVocabulary.Reference? {
        for v in chain(module: module, entity: entity) { if let r = v.references[entity]?[action] { return r } }
        return nil
    }

    public func entityTitle(module: String, entity: String) -> String {
        for v in chain(module: module, entity: entity) { if let t = v.entities[entity] { return t } }
        return entity
    }

    public func actionTitle(module: String, entity: String, action: String) -> String {
        for v in chain(module: module, entity: entity) { if let t = v.actionTitle(entity: entity, action: action) { return t } }
        return action
    }

    /// The title of a stored state; a comma-separated list (a user's roles before and after)
    /// is titled item by item.
    public func stateTitle(module: String, entity: String, state: String) -> String {
        let vocabularies = chain(module: module, entity: entity)
        func one(_ s: String) -> String {
            for v in vocabularies { if let t = v.stateTitle(entity: entity, state: s) { return t } }
            return s
        }
        if state.contains(","), !state.contains(" ") {
            return state.split(separator: ",").map { one(String($0)) }.joined(separator: "、")
        }
        return one(state)
    }

    /// Every action code any vocabulary titles, with its titles (for the audit log's filter),
    /// ordered by title.
    public var actionChoices: [Choice] {
        var titles: [String: [String]] = [:]
        for m in modules {
            let v = m.vocabulary
            for (code, title) in v.actions { titles[code, default: []].append(title) }
            for per in v.entityActions.values { for (code, title) in per { titles[code, default: []].append(title) } }
        }
        return titles.map { code, list in
            var seen = Set<String>()
            let unique = list.filter { seen.insert($0).inserted }.sorted()
            return Choice(code, unique.joined(separator: " / "))
        }.sorted { ($0.label, $0.value) < ($1.label, $1.value) }
    }

    /// Every titled entity (for the audit log's filter), ordered by title.
    public var entityChoices: [Choice] {
        var titles: [String: String] = [:]
        for m in modules { for (code, title) in m.vocabulary.entities where titles[code] == nil { titles[code] = title } }
        return titles.map { Choice($0.key, $0.value) }.sorted { ($0.label, $0.value) < ($1.label, $1.value) }
    }
}

// MARK: - History (办理记录)

/// One line of a record's history as a person reads it: when (company time zone), who (display
/// name), what (the action's title), the state change (titles) and the reason.
public struct HistoryEntry: TemplateModel, Equatable {
    public var at: String
    public var actor: String
    public var action: String
    /// The state before and after, titled; nil when the row records none.
    public var from: String?
    public var to: String?
    /// Whether the row records a state change (for `from → to`).
    public var changed: Bool
    public var reason: String?

    public init(at: String, actor: String, action: String, from: String?, to: String?, reason: String?) {
        self.at = at
        self.actor = actor
        self.action = action
        self.from = from
        self.to = to
        changed = from != nil || to != nil
        self.reason = reason
    }
}

/// A record's history for a page: put it in the page model as `var history: History` and write
/// `{{#history}}{{>history/card}}{{/history}}` (a card titled 办理记录) or
/// `{{#history}}{{>history/table}}{{/history}}` (the table only, under your own heading).
public struct History: TemplateModel, Equatable {
    public var entries: [HistoryEntry]
    public var empty: Bool

    public init(entries: [HistoryEntry]) {
        self.entries = entries
        empty = entries.isEmpty
    }
}

/// Several records' history in one (an order and its deliveries): `ctx.history([…])`.
public struct AuditSubject: Sendable, Hashable {
    public var entity: String
    public var id: String
    public init(_ entity: String, _ id: String) {
        self.entity = entity
        self.id = id
    }
    public init(_ entity: String, _ id: Int64) { self.init(entity, String(id)) }
}

extension Context {
    /// The titles of every module's audit codes (the history and the audit log read them).
    public var auditTitles: AuditCatalogue { host.auditCatalogue }

    /// The history (办理记录) of one record: every audit row about it, oldest first (or the newest
    /// `limit` first), with the actor's display name, the titles of the action and states, the
    /// time in the company zone and the reason.
    ///
    /// ```swift
    /// let history = try ctx.history(entity: "crm.application", id: appID)
    /// return ctx.render(ApplicationPage(…, history: history), title: "新客户认定申请")
    /// ```
    public func history(entity: String, id: Int64, newestFirst: Bool = false, limit: Int? = nil) throws -> History {
        try history([AuditSubject(entity, id)], newestFirst: newestFirst, limit: limit)
    }

    public func history(entity: String, id: String, newestFirst: Bool = false, limit: Int? = nil) throws -> History {
        try history([AuditSubject(entity, id)], newestFirst: newestFirst, limit: limit)
    }

    /// The history of several records as one list (e.g. an order and its deliveries).
    public func history(_ subjects: [AuditSubject], newestFirst: Bool = false, limit: Int? = nil) throws -> History {
        guard !subjects.isEmpty else { return History(entries: []) }
        var condition: SQL = "("
        for (i, s) in subjects.enumerated() {
            condition = condition + (i == 0 ? "" : " OR ") + "(a.entity = \(s.entity) AND a.entity_id = \(s.id))"
        }
        condition = condition + ")"
        let order: SQL = newestFirst ? "ORDER BY a.at DESC, a.id DESC" : "ORDER BY a.at, a.id"
        let cap = Int64(max(1, min(limit ?? 1000, 10_000)))
        let rows = try db.query("""
            SELECT a.at, a.username, a.module, a.entity, a.action, a.from_state, a.to_state, a.reason,
                   u.display_name AS actor_name
            FROM audit_log a LEFT JOIN users u ON u.id = a.user_id
            WHERE \(condition) \(order) LIMIT \(cap)
            """)
        let titles = auditTitles
        var names = AuditNames()
        var entries: [HistoryEntry] = []
        for r in rows {
            let module = r.string("module") ?? "", entity = r.string("entity") ?? "", action = r.string("action") ?? ""
            let name = r.string("actor_name").flatMap { $0.isEmpty ? nil : $0 }
            let reason = r.string("reason").flatMap { $0.isEmpty ? nil : $0 }
            entries.append(HistoryEntry(
                at: displayEpoch(r.int("at")), actor: name ?? AuditCatalogue.actorTitle(r.string("username") ?? ""),
                action: titles.actionTitle(module: module, entity: entity, action: action),
                from: try auditState(r.string("from_state"), module: module, entity: entity, action: action, names: &names),
                to: try auditState(r.string("to_state"), module: module, entity: entity, action: action, names: &names),
                reason: reason))
        }
        return History(entries: entries)
    }

    /// A stored from/to value as a person reads it: the state's title, or the name of the user or
    /// department it refers to (see `AuditVocabulary.Reference`); nil for none.
    public func auditState(_ value: String?, module: String, entity: String, action: String) throws -> String? {
        var names = AuditNames()
        return try auditState(value, module: module, entity: entity, action: action, names: &names)
    }

    func auditState(_ value: String?, module: String, entity: String, action: String, names: inout AuditNames) throws -> String? {
        guard let value, !value.isEmpty else { return nil }
        let titles = auditTitles
        switch titles.reference(module: module, entity: entity, action: action) {
        case .user?:
            return try value.split(separator: ",").map { part -> String in
                let key = String(part)
                if let n = names.users[key] { return n }
                let n = try Int64(key).flatMap { id in try db.first("SELECT display_name FROM users WHERE id = \(id)")?.string("display_name") } ?? key
                names.users[key] = n
                return n
            }.joined(separator: "、")
        case .department?:
            return try value.split(separator: ",").map { part -> String in
                let key = String(part)
                if let n = names.departments[key] { return n }
                let n = try db.first("SELECT name FROM departments WHERE code = \(key)")?.string("name") ?? key
                names.departments[key] = n
                return n
            }.joined(separator: "、")
        case nil:
            return titles.stateTitle(module: module, entity: entity, state: value)
        }
    }
}

/// Names looked up while titling one history (each id once).
struct AuditNames {
    var users: [String: String] = [:]
    var departments: [String: String] = [:]
}

