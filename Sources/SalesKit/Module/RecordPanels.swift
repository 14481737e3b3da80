import Foundation

/// A record other modules add to, so its page becomes the hub of everything about it (issue
/// #16 point 3). The customer is the first: 客户开发's customer page asks every other module
/// for its panels on `crm.customer` (orders, receivables, contracts, complaints, returns …).
public struct PanelSubject: Sendable, Equatable {
    /// The audit entity of the record, e.g. `crm.customer`.
    public var entity: String
    public var id: Int64
    /// The record's document code (客户代码), for links such as `/order/new?customer=KH-…`.
    public var code: String
    public var name: String

    public init(entity: String, id: Int64, code: String, name: String) {
        self.entity = entity
        self.id = id
        self.code = code
        self.name = name
    }

    public static let customerEntity = "crm.customer"
}

/// One module's card on a hub page: a few facts, a short table of the latest records, a link
/// to the full list and the actions the user may take from here. Only what the viewing user may
/// see: a module checks its own permissions and record rules before it returns a panel.
public struct RecordPanel: TemplateModel, Equatable {
    public struct Fact: TemplateModel, Equatable {
        public var label: String
        public var value: String
        /// Shown in the warning colour (overdue, over the line).
        public var alert: Bool
        public init(_ label: String, _ value: String, alert: Bool = false) {
            self.label = label
            self.value = value
            self.alert = alert
        }
    }

    public struct Link: TemplateModel, Equatable {
        public var title: String
        public var url: String
        public init(_ title: String, url: String) {
            self.title = title
            self.url = url
        }
    }

    public struct Cell: TemplateModel, Equatable {
        public var text: String
        public var url: String?
        /// Right-aligned (amounts, quantities).
        public var number: Bool
        public init(_ text: String, url: String? = nil, number: Bool = false) {
            self.text = text
            self.url = url
            self.number = number
        }
    }

    public struct Row: TemplateModel, Equatable {
        public var cells: [Cell]
        public init(_ cells: [Cell]) { self.cells = cells }
    }

    public struct Column: TemplateModel, Equatable {
        public var title: String
        public var number: Bool
        public init(_ title: String, number: Bool = false) {
            self.title = title
            self.number = number
        }
    }

    public var title: String
    public var facts: [Fact]
    public var columns: [Column]
    public var rows: [Row]
    public var hasRows: Bool
    /// Shown when there are no rows, e.g. 「暂无订单」.
    public var emptyText: String
    public var more: Link?
    public var actions: [Link]
    public var hasActions: Bool

    public init(title: String, facts: [Fact] = [], columns: [Column] = [], rows: [Row] = [], emptyText: String = "暂无记录",
                more: Link? = nil, actions: [Link] = []) {
        self.title = title
        self.facts = facts
        self.columns = columns
        self.rows = rows
        hasRows = !rows.isEmpty
        self.emptyText = emptyText
        self.more = more
        self.actions = actions
        hasActions = !actions.isEmpty
    }
}

extension Context {
    /// Every other enabled module's panels for `subject`, in module order (a module that fails
    /// is logged and shown as one line, the page still renders). Put them in the page model as
    /// `var panels: [RecordPanel]` and write `{{#panels}}{{>panels/panel}}{{/panels}}`.
    public func panels(for subject: PanelSubject) -> [RecordPanel] {
        host.panels(for: subject, context: self)
    }
}
