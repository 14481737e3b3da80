import Foundation

/// The one approval pattern (issue #16 point 8): 审批意见 above the decisions — 同意 / 驳回 /
/// 退回 or a step's own — offered only when this user can take them. Put it in the page model as
/// `var approval: ApprovalPanel?` and write `{{#approval}}{{>approval/panel}}{{/approval}}`. The
/// form posts `action` (the decision) and `reason` (the opinion) to `url`; read them back with
/// `ApprovalPanel.read(_:)`.
public struct ApprovalPanel: TemplateModel, Equatable {
    public struct Decision: TemplateModel, Equatable {
        public var action: String
        public var title: String
        /// The opinion must be given (驳回, 退回, a refusal).
        public var needsReason: Bool
        /// `primary` for the step's usual decision, `danger` for a refusal, empty otherwise.
        public var style: String

        public init(_ action: String, _ title: String, needsReason: Bool = false, style: String = "") {
            self.action = action
            self.title = title
            self.needsReason = needsReason
            self.style = style
        }

        public static func approve(_ title: String = "同意", action: String = "approve") -> Decision {
            Decision(action, title, style: "primary")
        }
        public static func reject(_ title: String = "驳回", action: String = "reject") -> Decision {
            Decision(action, title, needsReason: true, style: "danger")
        }
        public static func sendBack(_ title: String = "退回", action: String = "return") -> Decision {
            Decision(action, title, needsReason: true)
        }
    }

    public var heading: String
    public var url: String
    public var decisions: [Decision]
    /// The box's label: 审批意见, or the reason when every decision offered is a refusal or a
    /// cancellation (a rep who can only cancel his own order writes 取消订单原因, not an 审批意见).
    public var opinionLabel: String
    /// Which decisions need the opinion, e.g. 「驳回、退回须填写」.
    public var opinionHint: String?
    /// The opinion typed before a refused submit (kept, never lost).
    public var opinion: String
    public var error: String
    public var hasError: Bool

    /// nil when the user can take none of the decisions: no empty 办理 card.
    public init?(heading: String = "审批", url: String, decisions: [Decision], opinion: String = "", error: String? = nil) {
        guard !decisions.isEmpty else { return nil }
        self.heading = heading
        self.url = url
        self.decisions = decisions
        opinionLabel = Self.label(for: decisions)
        let needing = decisions.filter(\.needsReason).map { "「\($0.title)」" }
        opinionHint = needing.isEmpty ? nil : needing.joined(separator: "、") + "须填写"
        self.opinion = opinion
        self.error = error ?? ""
        hasError = error != nil
    }

    /// The decision and opinion posted from the panel, checked against the decisions offered:
    /// `.refused(message)` when the decision is not one of them (a stale page) or its opinion
    /// is missing — show the page again with 422 and `with(error:opinion:)`.
    public enum Reading: Equatable {
        case decided(Decision, opinion: String)
        case refused(String)
    }

    public static func read(_ request: Request, offered decisions: [Decision]) -> Reading {
        let action = request.form["action"] ?? ""
        let opinion = (request.form["reason"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard let d = decisions.first(where: { $0.action == action }) else {
            return .refused("此操作当前不可办理（记录可能已被他人处理），请刷新后重试。")
        }
        let label = Self.label(for: decisions)
        if d.needsReason && opinion.isEmpty {
            return .refused(label == "审批意见" ? "「\(d.title)」须填写审批意见。" : "请填写\(label)。")
        }
        if opinion.count > 2000 { return .refused("\(label)不能超过 2000 字。") }
        return .decided(d, opinion: opinion)
    }

    /// 审批意见, unless every decision is a refusal or cancellation: then the reason for it.
    static func label(for decisions: [Decision]) -> String {
        guard !decisions.isEmpty, decisions.allSatisfy({ $0.style == "danger" }) else { return "审批意见" }
        return decisions.count == 1 ? decisions[0].title + "原因" : "原因"
    }

    /// The same panel showing `error` beside the opinion, with what was typed kept.
    public func with(error: String, opinion: String) -> ApprovalPanel {
        var p = self
        p.error = error
        p.hasError = true
        p.opinion = opinion
        return p
    }
}

extension ApprovalPanel.Decision {
    /// A workflow step as a decision: 批准/同意/签发 primary, 驳回/取消 in the warning colour.
    public init<S>(_ step: StateMachine<S>.Transition) {
        let primary: Set<String> = ["approve", "release", "agree", "price_approve", "accept"]
        let danger: Set<String> = ["reject", "cancel", "refuse", "price_reject"]
        self.init(step.action, step.title, needsReason: step.requiresReason,
                  style: primary.contains(step.action) ? "primary" : danger.contains(step.action) ? "danger" : "")
    }
}

extension ApprovalPanel {
    /// The panel of a workflow's steps this user can take from `state` (nil when none).
    public init?<S>(heading: String = "办理", url: String, machine: StateMachine<S>, from state: S, for user: User?) {
        self.init(heading: heading, url: url, decisions: machine.available(from: state, for: user).map(Decision.init))
    }
}
