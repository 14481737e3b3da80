/// A one-time message for the user after an action: 「已保存」, 「已驳回，原因已记录」, or a refusal.
///
/// It travels in the session, never in the URL: the host stores it with the user's session in the
/// request that made it and the layout shows it once, on the next HTML page (then it is gone). A
/// crafted link cannot make a banner appear, and a reload does not show it again.
///
/// ```swift
/// return .redirect(to: "/crm/customers/\(id)", flash: .ok("客户已登记。"))
/// // a refusal that changed nothing, back on the record's page:
/// return .redirect(to: "/order/orders/\(id)", flash: .error("信用额度不足，订单未提交。"))
/// // or, where the response is made elsewhere (a shared helper):
/// ctx.flash(.info, "已通知直属上级。")
/// ```
public struct Flash: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// A confirmation: the action was done (green).
        case ok
        /// A refusal or failure: nothing was changed (red; read out at once by screen readers).
        case error
        /// Something to know (blue).
        case info
    }

    public var kind: Kind
    /// Plain text (HTML-escaped when shown); kept short — one sentence.
    public var text: String

    public init(_ kind: Kind, _ text: String) {
        self.kind = kind
        self.text = text
    }

    public static func ok(_ text: String) -> Flash { Flash(.ok, text) }
    public static func error(_ text: String) -> Flash { Flash(.error, text) }
    public static func info(_ text: String) -> Flash { Flash(.info, text) }

    /// The longest text kept (a message, not a document): longer text is cut with 「…」.
    public static let maxLength = 500

    /// The text as stored: trimmed, at most `maxLength` characters.
    public var storedText: String {
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return t.count <= Self.maxLength ? t : String(t.prefix(Self.maxLength - 1)) + "…"
    }
}

/// A link in the page's breadcrumb trail (首页 › 客户开发 › 客户名录 › 页面).
///
/// The host builds the trail from the menu: the module, then the menu item whose path the current
/// page is under (so `/crm/customers/5` gets 客户名录 as its parent and a 「返回客户名录」 link). A
/// page whose natural parent is not a menu item names it:
///
/// ```swift
/// return ctx.render(page, title: "变更阶段", parent: Breadcrumb("客户 \(code)", "/crm/customers/\(id)"))
/// // or before a helper renders (handleForm, ListPage.respond):
/// ctx.parent = Breadcrumb("客户 \(code)", "/crm/customers/\(id)")
/// ```
public struct Breadcrumb: Sendable, Equatable {
    public var title: String
    /// An absolute path inside the application (`/crm/customers/5`).
    public var href: String

    public init(_ title: String, _ href: String) {
        self.title = title
        self.href = href
    }
}
