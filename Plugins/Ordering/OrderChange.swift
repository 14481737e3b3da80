import Foundation
import SalesKit

// Contract changes (003 §3.9–§3.12) and the other order paths (001 篇二 §6.1–§6.2): the tables
// (migration version 3), states, forms and the rule for "production has started".
//
// **Decision — production has started** (003 §3.9 "没有投入生产"): 生产部 has scheduled the order
// (the 销售计划下达表 became a schedule) and the scheduled start date is today or earlier, or a
// delivery has already been made. A released order that is not yet scheduled, or scheduled to
// start in the future, has not started.
//
// - Not started: the customer's written request is re-reviewed by the sales head (营销部) and
//   then needs the GM's approval (§3.9).
// - Started: the request is taken only with the customer's recorded agreement — to let the
//   order finish what is in production under the original contract, or to compensate — and then
//   goes through the same re-review and GM approval (§3.10).
// - Every approved change is re-sent to 营销部, 财务部 and 生产部 (§3.12): it appears in each
//   queue as a change notice until that department confirms receipt.

enum ChangeState: String, Sendable, CaseIterable {
    case reviewing, pendingGM = "pending_gm", approved, rejected, withdrawn

    var title: String {
        switch self {
        case .reviewing: "待重新评审（营销部）"
        case .pendingGM: "已重新评审，待总经理批准"
        case .approved: "已批准，已传递各部门"
        case .rejected: "已驳回"
        case .withdrawn: "客户已撤回"
        }
    }

    static let open: [ChangeState] = [.reviewing, .pendingGM]
}

enum OrderChangeFlow {
    static let machine = StateMachine<ChangeState>(entity: "order.change", transitions: [
        // 003 §3.9: re-reviewed (技术、品质、生产、价格) by the sales department, which organises contract review (§3.2).
        .init("review", from: [.reviewing], to: .pendingGM, permission: OrderPages.release, requiresReason: true,
              title: "重新评审完成，报总经理批准"),
        // 003 §3.9: the GM approves the change.
        .init("approve", from: [.pendingGM], to: .approved, permission: OrderPages.approve, title: "总经理批准变更"),
        .init("reject", from: [.reviewing, .pendingGM], to: .rejected, permission: OrderPages.approve, requiresReason: true,
              title: "总经理驳回变更"),
        .init("withdraw", from: [.reviewing, .pendingGM], to: .withdrawn, permission: OrderPages.register, requiresReason: true,
              title: "客户撤回变更申请"),
    ])

    /// Order states in which a change request can be taken: the order is in force and not finished.
    static let changeable: [OrderState] = [.accepted, .released, .scheduled, .delivering]

    static let kinds = [Choice("price", "调整价格"), Choice("spec", "更改技术标准/技术状态"), Choice("config", "更改产品配置"),
                        Choice("material", "更改产品材料"), Choice("quantity", "更改数量/交货期"), Choice("other", "其他")]
    static let agreements = [Choice("finish", "客户同意按原合同执行完已投入生产的产品"), Choice("compensate", "客户答应给予经济补偿")]

    static func title(_ choices: [Choice], _ v: String?) -> String { choices.first { $0.value == v }?.label ?? "" }

    /// The departments a changed contract is re-sent to (003 §3.12, 002 §4), with the permission of each queue.
    static let departments: [(id: String, title: String, permission: Permission, queue: String)] = [
        ("sales", "营销部", OrderPages.release, "/order/queues/sales"),
        ("finance", "财务部", OrderPages.finance, "/order/queues/finance"),
        ("production", "生产部", OrderPages.production, "/order/queues/production"),
    ]

    /// See the type comment: scheduled to start on or before today, or already delivering.
    static func productionStarted(_ o: Row, today: LocalDate) -> Bool {
        let state = OrderUtil.state(o)
        if [.delivering, .delivered, .completed].contains(state) { return true }
        if state == .scheduled, let start = o.string("sched_start"), !start.isEmpty { return start <= today.description }
        return false
    }

    /// The customer's written change request (003 §3.9: 书面申请, 说明理由).
    static let form = FormSchema([
        FormField("requested_on", "客户书面申请日期", .date, required: true, rules: [.notInFuture]),
        FormField("request_ref", "书面申请（来函/传真编号）", required: true, rules: [.length(min: 1, max: 100)],
                  help: "客户须以书面形式提出变更申请（003 §3.9）"),
        FormField("kind", "变更类别", .select(kinds), required: true),
        FormField("content", "变更内容", .textarea, required: true, rules: [.length(min: 2, max: 2000)]),
        FormField("reason", "客户说明的理由", .textarea, required: true, rules: [.length(min: 2, max: 2000)]),
        FormField("new_planned_delivery", "变更后的预定交货日期", .date, help: "如变更涉及交期；批准后写入订单"),
        FormField("agreement", "客户同意（已投入生产时必填，003 §3.10）", .select(agreements)),
        FormField("agreement_note", "客户同意的记录 / 补偿条件", .textarea, rules: [.length(min: nil, max: 2000)],
                  help: "如：来函编号、同意执行完的数量、补偿金额与方式"),
    ], checks: [{ v in
        if v.string("agreement") == "compensate" && v.optionalString("agreement_note") == nil {
            return [FormError(field: "agreement_note", "客户答应经济补偿时须记录补偿条件（003 §3.10）")]
        }
        return []
    }])

    /// 技术部's trial result (001 篇二 §6.2).
    static let trialForm = FormSchema([
        FormField("result", "试制结果", .select([Choice("passed", "试制合格，可交付客户"), Choice("failed", "试制不合格")]), required: true),
        FormField("sample_on", "样品完成日期", .date, required: true, rules: [.notInFuture]),
        FormField("note", "试制说明", .textarea, required: true, rules: [.length(min: 2, max: 2000)]),
    ])
}

enum TrialState: String, Sendable {
    case requested, passed, failed

    var title: String {
        switch self {
        case .requested: "待技术部试制"
        case .passed: "试制合格"
        case .failed: "试制不合格"
        }
    }
}

enum TrialFlow {
    static let machine = StateMachine<TrialState>(entity: "order.trial", transitions: [
        .init("passed", from: [.requested], to: .passed, permission: OrderPaths.technical, requiresReason: true, title: "试制合格"),
        .init("failed", from: [.requested], to: .failed, permission: OrderPaths.technical, requiresReason: true, title: "试制不合格"),
    ])
}
