import CustomerDevelopmentAPI
import Foundation
import SalesKit

/// 售后服务 — after-sales service (RULES.md §3, §6 "Returns"): quality and service complaints
/// with the 24 h / 48 h deadline from the 受理时间, routing, remedies, penalties (001 篇二 §5.3a/b)
/// and the outcome told to the customer's rep; returns with the rep's arrival deadline, 品质部's
/// verification (准予 / 部分准予 / 拒绝), a receipt bounded by the accepted quantity and the
/// settlement of what was received; patrol visits and reports. Reads customers only through
/// `CustomerDirectory` (module `crm`).
public struct AfterSalesModule: DepartmentModule {
    public init() {}

    public let manifest = ModuleManifest(id: "service", title: "售后服务", version: "0.1.0", dependencies: ["crm"],
                                         optionalDependencies: ["order"], folder: "AfterSales")

    /// Complaints, returns and patrols: their permissions, menus, forms, pages, routes and
    /// inboxes merge. Overdue items, the customer panel and the audit vocabulary are the
    /// module's own (one query over all three; one vocabulary).
    public var features: [any ModuleFeature.Type] { [ComplaintPages.self, ReturnPages.self, PatrolPages.self] }
    public var migrations: [Migration] { ServiceMigrations.all }

    /// The Chinese titles of every entity, action and state 售后服务 writes to the audit log (the
    /// records' 办理记录 and the audit log read them, #16).
    public var auditVocabulary: AuditVocabulary {
        AuditVocabulary()
            .flow(ComplaintPages.flow, title: "客户投诉", states: ComplaintPages.stateTitles)
            .entity("service.complaint", "客户投诉", actions: [
                "create": "登记投诉", "attach": "上传附件", "route_departments": "分送部门", "finding": "部门填写处理意见",
                "finding:quality": "品质部填写处理意见", "finding:technical": "技术部填写处理意见",
                "finding:production": "生产部填写处理意见", "finding:service": "客户服务部填写处理意见",
                "notify_owner": "通知客户负责销售", "outcome_read": "客户负责销售已阅处理结果",
                "penalty": "记录处罚", "quality_penalty": "记录质量投诉处罚",
            ])
            .values(of: "service.complaint", action: "route_departments", are: .department)
            .values(of: "service.complaint", action: "finding", are: .department)
            .flow(ReturnPages.flow, title: "退货", states: ReturnPages.stateTitles)
            .entity("service.return", "退货", actions: [
                "create": "登记退货", "arrive": "业务员到达客户", ReturnViews.creditAction: "退货冲减应收账款",
            ])
            .entity("service.patrol_visit", "巡访", actions: ["assign": "指派巡访", "report": "提交巡访日报"],
                    states: PatrolPages.visitStates)
            .entity("service.patrol_report", "巡访日报", actions: ["submit": "提交", "read": "上级已阅"],
                    states: ["submitted": "已提交", "read": "上级已阅"])
            .entity("service.patrol_urgent", "巡访紧急报告", actions: ["submit": "报告", "read": "上级已阅"],
                    states: ["submitted": "已报告", "read": "上级已阅"])
            .entity("service.patrol_monthly", "每月巡访情况报告书", actions: ["submit": "提交", "resubmit": "重新提交"])
            .entity("service.patrol_plan", "客户服务计划", actions: ["edit": "修改"])
            .entity("service.patrol_gift", "赠送礼品预算申请", actions: [
                "apply": "申请", "approve": "批准", "reject": "驳回", "record": "登记赠送",
            ], states: PatrolGifts.states)
            .entity("service.policy", "处理时限设置", actions: ["edit": "修改"])
    }

    /// #16: complaints past their handling deadline, returns past the rep's arrival deadline,
    /// patrol visits without their daily report (`ServiceOverdue`).
    public func overdue(_ ctx: Context) throws -> [OverdueItem] { try ServiceOverdue.items(ctx) }
    public func panels(for subject: PanelSubject, _ ctx: Context) throws -> [RecordPanel] {
        try ServiceCustomerPanel.panels(for: subject, ctx)
    }
}

extension ComplaintPages: ModuleFeature {
    static var pages: [any PageModel.Type] {
        [ComplaintPage.self, ComplaintPrintPage.self, ComplaintFormPage.self, ComplaintStepPage.self, ReportPage.self, PolicyPage.self]
    }
}

extension ReturnPages: ModuleFeature {
    static var pages: [any PageModel.Type] { [ReturnPage.self, ReturnPrintPage.self, ReturnStepPage.self] }
}

extension PatrolPages: ModuleFeature {
    static var pages: [any PageModel.Type] {
        [PatrolPlansPage.self, PatrolFormPage.self, PatrolVisitPage.self, PatrolReportPage.self,
         PatrolUrgentPage.self, PatrolGiftPage.self, PatrolMonthlyPage.self, PatrolFeedbackPage.self]
    }
}
