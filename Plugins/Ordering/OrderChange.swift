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
// - The company may initiate a change (§3.11): the initiating department (from the directory)
//   applies, the GM approves, and sales then contacts the customer (its queue notice says so).
// - **Applied** (RULES §6 "Contract changes are applied"): a change names order lines with their
//   new quantity, unit price or specification. When the GM approves, in the same transaction, the
//   open order lines and the order's totals change, and so does the matching line of the order's
//   contract (price and specification; its agreed quantity by the same difference). A new price
//   applies to what is not yet delivered (the delivered part keeps its price: the line amount is
//   delivered × old price + remaining × new price). A quantity below what was delivered is refused.
// - **Decision — warning line** (003 §4.1.2, §4.2): a change that raises the order's value is
//   checked against the customer's warning line in that transaction; over the line (or a customer
//   now without a line) the approval is refused with 409 and the reason. Approving a change is not a
//   warning-line approval: the GM rejects the change, or approves it once the customer has paid.
//   A change that does not raise the value is never refused for the line.
// - Every approved change is re-sent to every department (§3.12) — 销售部, 财务部, 生产部, 技术部,
//   品质部 by their directory codes: a notice in each department's queue and in its members'
//   inboxes until that department confirms receipt.

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
    /// 003 §3.11: record a change the company initiates, for the initiating department.
    static let companyChange = Permission("order", "change_company", title: "本公司提出合同变更（因故部门，003 §3.11）",
                                          defaultRoles: [.salesSupervisor, .salesManager, .marketingDirector, .generalManager, .production, .finance])

    /// 品质部's change notices (003 §3.12; 品质部 has no order queue of its own).
    static let qualityNotices = Permission("order", "quality", title: "品质部：合同变更通知", defaultRoles: [.quality])

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

    /// A department a changed contract is re-sent to (003 §3.12, 002 §4): its directory code, the
    /// permission of its queue and the queue's page.
    struct NoticeDept: Sendable {
        var code: String
        var permission: Permission
        var queue: String
    }

    /// Every department's queue (003 §3.12 "相关部门"), by directory code.
    static let departments: [NoticeDept] = [
        NoticeDept(code: StandardDepartment.sales.rawValue, permission: OrderPages.release, queue: "/order/queues/sales"),
        NoticeDept(code: StandardDepartment.finance.rawValue, permission: OrderPages.finance, queue: "/order/queues/finance"),
        NoticeDept(code: StandardDepartment.production.rawValue, permission: OrderPages.production, queue: "/order/queues/production"),
        NoticeDept(code: StandardDepartment.technical.rawValue, permission: OrderPaths.technical, queue: "/order/notices/technical"),
        NoticeDept(code: StandardDepartment.quality.rawValue, permission: qualityNotices, queue: "/order/notices/quality"),
    ]

    static func department(_ code: String?) -> NoticeDept? { departments.first { $0.code == code } }

    /// Whether the user acts for the department: a member (or head) in the directory, or holding its queue's permission.
    static func actsFor(_ d: NoticeDept, _ ctx: Context) throws -> Bool {
        guard let user = ctx.user else { return false }
        if ctx.can(d.permission) { return true }
        return try ctx.optionalService(OrgDirectory.self)?.department(code: d.code, ctx)?.inboxUserIDs.contains(user.id) ?? false
    }

    /// The order lines a change names (RULES §6): new quantity, unit price or specification.
    static let lineRows = FormField("lines", "变更明细（按订单行，批准后写入订单和合同）", .rows(FormSchema([
        FormField("line_no", "订单行号", .integer, required: true, rules: [.range(1, 1000)]),
        FormField("qty", "变更后数量", .integer, rules: [.range(1, 100_000_000)]),
        FormField("price", "变更后单价（元）", .money, rules: [.range(0, 100_000_000_000)]),
        FormField("spec", "变更后规格", rules: [.length(min: nil, max: 100)]),
    ]), minRows: 0, blankRows: 2))

    static let initiators = [Choice("customer", "客户书面申请（003 §3.9–§3.10）"), Choice("company", "本公司因故提出（003 §3.11）")]

    /// A change the company initiates (003 §3.11): the initiating department applies; the GM approves.
    static func companyForm(departments: [Choice]) -> FormSchema {
        FormSchema([
            FormField("initiator_dept", "因故提出变更的部门", .select(departments), required: true),
            FormField("kind", "变更类别", .select(kinds), required: true),
            FormField("content", "变更内容", .textarea, required: true, rules: [.length(min: 2, max: 2000)]),
            FormField("reason", "变更原因", .textarea, required: true, rules: [.length(min: 2, max: 2000)]),
            FormField("new_planned_delivery", "变更后的预定交货日期", .date, help: "如变更涉及交期；批准后写入订单"),
            lineRows,
        ])
    }

    /// The declared form: the standard departments (the page offers the directory's).
    static let companyForm = companyForm(departments: StandardDepartment.allCases.map { Choice($0.rawValue, $0.name) })

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
        lineRows,
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
