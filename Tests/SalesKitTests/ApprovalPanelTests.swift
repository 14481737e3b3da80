import Testing
@testable import SalesKit

/// One approval panel pattern (issue #16 point 8): the opinion is required where a decision
/// needs it, a decision not offered is refused, and no panel appears without decisions.
@Suite struct ApprovalPanelTests {
    func post(_ pairs: [(String, String)]) -> Request {
        Request(method: "POST", path: "/x", form: FormData(pairs.map { (name: $0.0, value: $0.1) }))
    }

    @Test func onlyOfferedDecisionsAndTheOpinionWhereItIsNeeded() throws {
        let offered: [ApprovalPanel.Decision] = [.approve(), .reject()]
        #expect(ApprovalPanel.read(post([("action", "approve"), ("reason", "")]), offered: offered) == .decided(.approve(), opinion: ""))
        #expect(ApprovalPanel.read(post([("action", "reject"), ("reason", "  ")]), offered: offered) == .refused("「驳回」须填写审批意见。"))
        #expect(ApprovalPanel.read(post([("action", "reject"), ("reason", "价格过低")]), offered: offered) == .decided(.reject(), opinion: "价格过低"))
        // 退回 was not offered to this user: refused, not carried out.
        if case .refused = ApprovalPanel.read(post([("action", "return"), ("reason", "补材料")]), offered: offered) {} else {
            Issue.record("a decision not offered must be refused")
        }
        let panel = try #require(ApprovalPanel(url: "/x", decisions: offered + [.sendBack()]))
        #expect(panel.opinionHint == "「驳回」、「退回」须填写")
        #expect(ApprovalPanel(url: "/x", decisions: []) == nil)
        let again = panel.with(error: "「驳回」须填写审批意见。", opinion: "草稿")
        #expect(again.hasError && again.opinion == "草稿")
    }

    /// Issue 16 (found in the browser on the demo company): a rep who can only cancel his own
    /// order is not asked for an 审批意见 but for the reason of his cancellation.
    @Test func aPanelOfOnlyRefusalsAsksForTheReason() {
        let cancel = ApprovalPanel.Decision("cancel", "取消订单", needsReason: true, style: "danger")
        let onlyCancel = ApprovalPanel(url: "/o/1/act", decisions: [cancel])
        #expect(onlyCancel?.opinionLabel == "取消订单原因")
        #expect(ApprovalPanel.read(post([("action", "cancel"), ("reason", "")]), offered: [cancel]) == .refused("请填写取消订单原因。"))
        #expect(ApprovalPanel(url: "/o/1/act", decisions: [.approve(), .reject()])?.opinionLabel == "审批意见")
        #expect(ApprovalPanel(url: "/o/1/act", decisions: [ApprovalPanel.Decision("verify", "核实")])?.opinionLabel == "审批意见")
    }
}
