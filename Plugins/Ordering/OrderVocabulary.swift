import Foundation
import SalesKit

/// The Chinese titles of every audit code the order module writes (issue #17: history in
/// Chinese): entities, actions and stored states, so `ctx.history` and the audit log read
/// 「赵总 总经理批准 超销售警戒线… → 审核通过」 instead of codes.
enum OrderVocabulary {
    static func titles<S: RawRepresentable>(_ all: [S], _ title: (S) -> String) -> [String: String] where S.RawValue == String {
        Dictionary(uniqueKeysWithValues: all.map { ($0.rawValue, title($0)) })
    }

    static var vocabulary: AuditVocabulary {
        var v = AuditVocabulary(actions: ["create": "登记", "edit": "修改", "update": "更新"])
            // Customer orders (RULES §2.1).
            .flow(OrderFlow.machine, title: "客户订单", states: titles(OrderState.allCases) { $0.title })
            .entity("order.order", "客户订单", actions: OrderFlow.extraTitles.merging([
                "create": "登记订单（订货登记表）", "change": "执行合同变更", "schedule": "生产部排产", "deliver": "分批交货",
                "paths": "核查库存 / 新品种",
            ]) { a, _ in a })
            .entity("order.delivery", "交货", actions: ["accept": "完成交、验货手续"], states: ["late": "超过 24 小时完成", "on_time": "24 小时内完成"])
            // Contracts and their review (003 §3.2–§3.8).
            .flow(ContractFlow.machine, title: "销售合同", states: titles(ContractState.allCases) { $0.title })
            .entity("order.contract", "销售合同", actions: [
                "create": "登记合同并送评审", "review_agree": "部门评审：同意", "review_refuse": "部门评审：不同意（退回销售部）",
                "revise": "修改后重新提交评审", "copies": "合同生效：销售部、财务部各留存一份", "migrate": "合同评审规则实施（迁移）",
                "change": "执行合同变更",
            ], states: ["pending": "待总经理批准"])
            // Contract changes (003 §3.9–§3.12) and trials (001 篇二 §6.2).
            .flow(OrderChangeFlow.machine, title: "合同变更", states: titles(ChangeState.allCases) { $0.title })
            .entity("order.change", "合同变更", actions: ["create": "登记变更申请", "ack": "部门确认收到变更通知",
                                                       "create_company": "本公司提出变更申请（003 §3.11）"])
            .flow(TrialFlow.machine, title: "新品种试制", states: titles([TrialState.requested, .passed, .failed]) { $0.title })
            .entity("order.trial", "新品种试制", actions: ["create": "送技术部试制"])
            // Receivables: bad-debt write-offs and every ledger entry (RULES §6).
            .flow(OrderWriteoffs.machine, title: "坏账核销", states: titles(WriteoffState.allCases) { $0.title })
            .entity("order.writeoff", "坏账核销", actions: ["create": "申请核销"])
            .entity("order.policy", "订货政策", actions: ["edit": "修改允许下浮比例"])
            .entity("order.product", "产品目录", actions: ["create": "新增产品", "edit": "修改产品"])
            // Branch orders (RULES §2.2).
            .flow(BranchOrderPages.flow, title: "分支机构订货单", states: BranchOrderPages.stateTitles)
            .entity("order.branch_order", "分支机构订货单", actions: ["create": "登记分支机构订货单"])
            .entity("order.branch", "分支机构", actions: ["create": "新增分支机构", "edit": "修改分支机构"], states: ["active": "启用"])
            .entity("order.branch_stock", "分支机构库存", actions: ["create": "登记库存", "update": "更新库存"])
            .entity("order.branch_sales", "分支机构月销量", actions: ["create": "登记月销量", "update": "更新月销量"])
            .entity("order.branch_intent", "需求意向表", actions: ["submit": "提交需求意向表"], states: ["late": "逾期提交", "on_time": "按时提交"])
        for k in LedgerKind.allCases {
            v = v.entity(k.auditEntity, "账款：\(k.title)", actions: ["create": "登记\(k.title)"], states: ["recorded": "已入账"])
        }
        return v
    }
}
