import CustomerDevelopmentAPI
import Foundation
import SalesKit

/// 客户开发 — new-customer development (RULES.md §1): the customer master, qualification
/// applications with credit investigation, the A–E rating, approval with a customer code,
/// pipeline stages and the contact log. Offers `CustomerDirectory` to dependants.
public struct CustomerDevelopmentModule: DepartmentModule {
    public init() {}

    public let manifest = ModuleManifest(id: "crm", title: "客户开发", version: "1.0.0", folder: "CustomerDevelopment")

    /// Create prospects, work own customers, log contacts, rate, apply for qualification.
    static let use = Permission("crm", "use", title: "客户开发（本人客户）",
                                defaultRoles: [.salesRep, .salesSupervisor, .salesManager, .marketingDirector, .generalManager])
    /// See and act on every customer, not only own (004 第四章(1), 第六章 5(7)). The customer-
    /// service supervisor holds it too: they assign patrols for any customer (RULES §5); without
    /// `crm.use` it only widens what they can look up through `CustomerDirectory`. Service reps
    /// see the customers of their own patrols and complaints.
    static let viewAll = Permission("crm", "view_all", title: "查看全部客户",
                                    defaultRoles: [.salesManager, .marketingDirector, .generalManager, .serviceSupervisor])
    /// 004 第四章: a 销售主管 sees the customers of the team — the people who report to them (directly
    /// or through others: 系统管理 → 用户 → 直属上级) — besides their own.
    static let viewTeam = Permission("crm", "view_team", title: "查看本组客户", defaultRoles: [.salesSupervisor])
    /// 重点客户管理表 (RULES §1.5): kept by the sales heads for the whole company.
    static let keyCustomers = Permission("crm", "key_customers", title: "重点客户管理",
                                         defaultRoles: [.salesSupervisor, .salesManager, .marketingDirector, .generalManager,
                                                        .serviceSupervisor])
    /// Approve or reject qualification applications; resume or close suspended ones (002 §8–§12).
    static let approve = Permission("crm", "approve", title: "审批新客户认定", defaultRoles: [.salesSupervisor, .salesManager])
    /// Reassign a customer's owner (audited).
    static let reassign = Permission("crm", "reassign", title: "调整客户负责人", defaultRoles: [.salesSupervisor, .salesManager])
    /// Edit the class policy table and the code format.
    static let policy = Permission("crm", "policy", title: "客户分类政策", defaultRoles: [.admin, .generalManager])

    /// Review a rating proposal: it counts once the 销售主管 approves it (RULES §6, 003 §2.4).
    static let reviewRating = Permission("crm", "rating_review", title: "审核客户评级（销售主管）", defaultRoles: [.salesSupervisor])
    /// Approve a rating that raises the customer's warning line, after the 销售主管 (RULES §6).
    static let approveUpgrade = Permission("crm", "rating_upgrade", title: "批准提高警戒线的评级（销售经理）",
                                           defaultRoles: [.salesManager])

    /// Receive the weekly customer-archive report every Friday (004 第六章 5(6)).
    static let weeklyReport = Permission("crm", "weekly_report", title: "每周客户档案变动报告（总经理、销售经理）",
                                         defaultRoles: [.generalManager, .salesManager])

    /// The module's parts: the customer master with its applications, ratings and policy; visits
    /// and their reports; the quarterly survey reports; the weekly archive report; the customer
    /// file and key customers.
    public var features: [any ModuleFeature.Type] {
        [CustomerFeature.self, VisitPages.self, SurveyReportPages.self, WeeklyReport.self, ProfilePages.self]
    }

    public var migrations: [Migration] { CRMMigrations.all }

    /// Customers without a 拼音 sort key (of before migration v12, bulk loads) get one.
    public func afterMigrate(_ db: any Database) throws { try NameSort.fillMissing(db) }

    /// Visit plans, quarterly re-ratings and survey reports past their deadline (`Overdue`).
    public func overdue(_ ctx: Context) throws -> [OverdueItem] {
        try Overdue.items(ctx)
    }

    /// A user about to be deactivated hands their customers over first (RULES §6, Teams).
    public func held(by userID: Int64, _ ctx: Context) throws -> [HeldRecords] {
        let n = try ctx.db.scalar("SELECT COUNT(*) FROM crm_customers WHERE owner_id = \(userID)") ?? 0
        return [HeldRecords(title: "客户开发：负责的客户", count: Int(n))]
    }

    public func handOver(from userID: Int64, to successorID: Int64, reason: String, _ ctx: Context) throws {
        for r in try ctx.db.query("SELECT id FROM crm_customers WHERE owner_id = \(userID) ORDER BY id") {
            let id = try r.requireInt("id")
            try ctx.db.execute("UPDATE crm_customers SET owner_id = \(successorID), updated_at = \(ctx.epoch) WHERE id = \(id)")
            try ctx.audit(AuditEntry(entity: "crm.customer", entityID: String(id), action: "reassign",
                                     from: String(userID), to: String(successorID), reason: reason))
        }
    }

    /// The titles of every code this module writes to the audit log (#16): the 办理记录 of its
    /// records (`ctx.history`) and the audit log read them. `AuditVocabularyTests` checks that
    /// every entity and action written here has a title.
    public var auditVocabulary: AuditVocabulary {
        func titles(_ choices: [Choice]) -> [String: String] { Dictionary(choices.map { ($0.value, $0.label) }) { first, _ in first } }
        return AuditVocabulary(actions: ["create": "新建", "edit": "修改"])
            // The customer: its status codes; stage / process / rate record stage letters, process
            // codes and class letters (A–D and A–E overlap: the process codes are titled, the
            // letters shown as they are, beside the action's title).
            .entity("crm.customer", "客户", actions: [
                "create": "登记潜在客户", "edit": "修改客户资料", "stage": "变更客户阶段", "process": "变更销售进程",
                "reassign": "调整负责人", "rate": "评级生效", "approve": "认定为正式客户", "info": "更新客户信息（决策人、竞争者）",
            ], states: CustomerPages.statusTitles.merging(titles(CustomerPages.processChoices)) { first, _ in first })
            .values(of: "crm.customer", action: "reassign", are: .user)
            .flow(ApplicationPages.flow, title: "新客户认定申请", states: ApplicationPages.stateTitles)
            .entity("crm.application", "新客户认定申请", actions: ["create": "填写新客户认定申请表", "edit": "修改申请表"])
            .flow(RatingReview.flow, title: "客户评定报告", states: RatingReview.stateTitles)
            .entity("crm.rating", "客户评定报告", actions: ["propose": "提交评级提议"])
            .entity("crm.credit_survey", "新客户信用调查表", actions: ["create": "填写信用调查表", "edit": "修改信用调查表"],
                    states: CreditSurvey.conclusionTitles)
            .entity("crm.contact", "联系记录", actions: ["create": "记录联系"], states: titles(CustomerPages.contactKinds))
            .entity("crm.class_policy", "客户分类政策", actions: ["edit": "修改分类政策"])
            .entity("crm.key_customer", "重点客户", actions: ["mark": "设为重点客户", "edit": "修改重点客户管理表", "remove": "取消重点客户"],
                    states: ["key": "重点客户", "removed": "已取消"])
            .entity("crm.profile", "客户资料表", actions: ["create": "建立客户资料表", "edit": "修订客户资料表"])
            .entity("crm.survey_report", "季度调查报告", actions: ["create": "提交调查报告", "edit": "修改调查报告"])
            .entity("crm.daily_report", "新客户开发日报表", actions: ["create": "提交日报", "review": "审阅日报"],
                    states: VisitDailyPages.stateTitles)
            .entity("crm.development_report", "客户开发报告表", actions: ["create": "填写开发报告", "comment": "批示"])
            .entity("crm.monthly_plan", "客户开发计划表", actions: ["create": "制订月度计划", "edit": "修改月度计划"])
            .entity("crm.visit_plan", "新客户开发计划及实施表", actions: [
                "create": "计划拜访", "edit": "修改拜访计划", "complete": "填写实施结果", "cancel": "取消拜访计划",
            ], states: VisitPlanPages.stateTitles)
            .entity("crm.weekly_report", "每周客户档案变动报告", actions: ["read": "阅读"], states: ["read": "已阅"])
    }

    public func services(_ s: inout ServiceRegistry) {
        s.provide(CustomerDirectory.self, Directory())
    }
}

/// 客户开发's own part: the customer master, qualification applications with the credit
/// investigation, ratings and their review, and the class policy.
enum CustomerFeature: ModuleFeature {
    typealias M = CustomerDevelopmentModule

    static var permissions: [Permission] {
        [M.use, M.viewAll, M.viewTeam, M.keyCustomers, M.approve, M.reassign, M.policy, M.reviewRating, M.approveUpgrade, M.weeklyReport]
    }

    static var menu: [MenuItem] {
        [
            MenuItem("客户名录", path: "customers", access: .permission(M.use)),
            MenuItem("新增潜在客户", path: "customers/new", access: .permission(M.use)),
            MenuItem("认定申请", path: "applications", access: .permission(M.use)),
            MenuItem("评级审核", path: "ratings", access: .permission(M.use)),
            MenuItem("季度调查报告", path: "survey-reports", access: .permission(M.use)),
            MenuItem("分类政策", path: "policy", access: .permission(M.policy)),
        ]
    }

    static var pages: [any PageModel.Type] {
        [CustomerPage.self, CustomerFormPage.self, StageFormPage.self, OwnerFormPage.self,
         ApplicationFormPage.self, ApplicationPage.self, ApplicationPrintPage.self, CreditSurveyFormPage.self, CustomerInfoFormPage.self,
         RatingFormPage.self, RatingReportPage.self, PolicyPage.self]
    }

    static var forms: [String: FormSchema] {
        ["customer": CustomerPages.customerForm, "stage": CustomerPages.stageForm, "contact": CustomerPages.contactForm,
         "owner": CustomerPages.ownerForm, "application": ApplicationPages.form, "rating": Rating.form,
         "rating_review": RatingReview.form, "credit_survey": CreditSurvey.form,
         "customer_info": CustomerInfoPages.form, "policy": PolicyPages.form]
    }

    static func routes(_ r: inout RouteBuilder) {
        r.get("customers", .permission(M.use), CustomerPages.list)
        r.form("customers/new", .permission(M.use), CustomerPages.create)
        r.get("customers/:id", .permission(M.use), CustomerPages.detail)
        r.form("customers/:id/edit", .permission(M.use), CustomerPages.edit)
        r.form("customers/:id/stage", .permission(M.use), CustomerPages.changeStage)
        r.post("customers/:id/contacts", .permission(M.use), CustomerPages.addContact)
        r.form("customers/:id/owner", .permission(M.reassign), CustomerPages.changeOwner)
        r.form("customers/:id/info", .permission(M.use), CustomerInfoPages.edit)
        r.form("customers/:id/rate", .permission(M.use), RatingPages.rate)
        r.get("customers/:id/ratings/:rid", .permission(M.use), RatingPages.report)
        r.form("customers/:id/ratings/:rid/review", .permission(M.use), RatingPages.review)
        r.get("ratings", .permission(M.use)) { req, ctx in try RatingReview.listPage.respond(req, ctx) }
        r.form("customers/:id/apply", .permission(M.use), ApplicationPages.create)
        r.get("applications", .permission(M.use), ApplicationPages.list)
        r.get("applications/:id", .permission(M.use), ApplicationPages.detail)
        r.form("applications/:id/edit", .permission(M.use), ApplicationPages.edit)
        r.get("applications/:id/print", .permission(M.use), ApplicationPages.print)
        r.post("applications/:id/act", .permission(M.use), ApplicationPages.act)
        r.form("applications/:id/survey", .permission(M.use), CreditSurvey.edit)
        r.form("policy", .permission(M.policy), PolicyPages.edit)
    }

    static func inbox(for user: User, _ ctx: Context) throws -> [InboxItem] {
        try Inbox.items(for: user, ctx) + RatingReview.inbox(for: user, ctx)
    }
}
