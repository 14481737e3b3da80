import Foundation
import SalesKit

/// 建议评审 — the suggestion box (002 第4章 §17–§26, RULES §4): anyone submits without approval,
/// monthly batches opened on the 20th, committee review and grading by month end, published
/// results, awards in a ledger, implementation orders per department.
public struct SuggestionsModule: DepartmentModule {
    public init() {}

    public let manifest = ModuleManifest(id: "ideas", title: "建议评审", version: "1.0.0", folder: "Suggestions")

    /// Investigate, note department opinions and grade (§22). Also requires a seat on the committee.
    static let review = Permission("ideas", "review", title: "评审建议（评定委员会）",
                                   defaultRoles: [.committee, .marketingDirector, .marketManager, .salesManager])
    /// Set up the committee (§22).
    static let manage = Permission("ideas", "manage", title: "设置评定委员会", defaultRoles: [.admin])
    /// A department manager: fills the implementation date and method of the orders for the
    /// department in the user's profile and reports difficulties (§26.2).
    static let implement = Permission("ideas", "implement", title: "填报建议实施计划（部门经理）",
                                      defaultRoles: [.salesManager, .marketManager, .marketingDirector, .generalManager,
                                                     .finance, .production, .quality, .technical])
    /// The award ledger and its payroll export (§23, §26.4).
    static let ledger = Permission("ideas", "ledger", title: "查看建议奖励台账",
                                   defaultRoles: [.committee, .marketingDirector, .marketManager, .salesManager, .generalManager, .finance])

    /// RULES §6 "Departments are records": an order may go to any department of the directory and
    /// lands with its head (the department manager, §26.2) and, for those holding `implement`, its
    /// members — whatever their roles. This permission (every role by default; an administrator
    /// may withdraw it) opens an order's plan and issue forms; the handler admits only those.
    static let orderDepartment = Permission("ideas", "order_department", title: "填报本部门建议实施命令（部门负责人及成员）",
                                            defaultRoles: Role.all)

    public var permissions: [Permission] { [Self.review, Self.manage, Self.implement, Self.orderDepartment, Self.ledger] }

    public var menu: [MenuItem] {
        [
            MenuItem("提交建议", path: "new", access: .authenticated),
            MenuItem("我的建议", path: "mine", access: .authenticated),
            MenuItem("评审", path: "review", access: .permission(Self.review)),
            MenuItem("评审结果公布", path: "bulletin", access: .authenticated),
            MenuItem("评审日程", path: "calendar", access: .authenticated),
            MenuItem("评定委员会", path: "committee", access: .permission(Self.manage)),
            MenuItem("本部门实施命令", path: "orders/mine", access: .permission(Self.implement)),
            MenuItem("实施命令", path: "orders", access: .permission(Self.review)),
            MenuItem("团体奖", path: "team", access: .permission(Self.review)),
            MenuItem("建议统计", path: "stats", access: .permission(Self.review)),
            MenuItem("奖励台账", path: "ledger", access: .permission(Self.ledger)),
            MenuItem("奖励标准", path: "awards", access: .permission(Self.manage)),
            MenuItem("部门人数", path: "departments", access: .permission(Self.manage)),
        ]
    }

    public var pages: [any PageModel.Type] {
        [SuggestionFormPage.self, SuggestionPage.self, BatchPage.self, CalendarPage.self, BulletinPage.self,
         CommitteePage.self, OrderPage.self, LedgerTotalsPage.self, AwardsPage.self, StatsPage.self, DepartmentsPage.self,
         TeamRankingPage.self]
    }

    public var migrations: [Migration] { IdeasMigrations.all }
    public var forms: [String: FormSchema] {
        ["suggestion": SubmitPages.form, "grade": ReviewPages.gradeForm(IdeasDepartments.standardChoices), "note": ReviewPages.noteForm(IdeasDepartments.standardChoices),
         "impl-plan": ImplPages.planForm, "impl-issue": ImplPages.issueForm, "impl-decision": ImplPages.decisionForm,
         "impl-confirm": ImplPages.confirmForm, "impl-performance": ImplPages.performanceForm([]),
         "awards": AwardsPages.form, "department": TeamPages.departmentForm(StandardDepartment.allCases.map { Choice($0.name, $0.name) })]
    }

    public func routes(_ r: inout RouteBuilder) {
        r.form("new", .authenticated, SubmitPages.create)
        r.get("mine", .authenticated, SubmitPages.mine)
        r.get(":id", .authenticated, SubmitPages.detail)
        r.form(":id/edit", .authenticated, SubmitPages.edit)
        r.get("review", .permission(Self.review), ReviewPages.overview)
        r.get("batches/:batch", .permission(Self.review), ReviewPages.batch)
        r.post(":id/grade", .permission(Self.review), ReviewPages.grade)
        r.post(":id/notes", .permission(Self.review), ReviewPages.addNote)
        r.post("batches/:batch/finalize", .permission(Self.review), ReviewPages.finalize)
        r.get("calendar", .authenticated, BulletinPages.calendar)
        r.get("bulletin", .authenticated, BulletinPages.latest)
        r.get("bulletin/:batch", .authenticated, BulletinPages.bulletin)
        r.form("committee", .permission(Self.manage), CommitteePages.edit)
        // §26 implementation orders, §23.3 performance award, §26.4 top-up.
        r.get("orders", .permission(Self.review), ImplPages.committeeList)
        r.get("orders/mine", .permission(Self.implement), ImplPages.departmentList)
        // The committee's view of an order; the department manager's is `orders/:id/plan`.
        r.get("orders/:id", .permission(Self.review), ImplPages.show)
        r.form("orders/:id/plan", .permission(Self.orderDepartment), ImplPages.handler(.plan))
        r.form("orders/:id/issue", .permission(Self.orderDepartment), ImplPages.handler(.issue))
        r.form("orders/:id/decide", .permission(Self.review), ImplPages.handler(.decide))
        r.form("orders/:id/confirm", .permission(Self.review), ImplPages.handler(.confirm))
        r.form("orders/:id/performance", .permission(Self.review), ImplPages.handler(.performance))
        // §23 award table, ledger; §23.4 team award; statistics.
        r.form("awards", .permission(Self.manage), AwardsPages.edit)
        r.get("ledger", .permission(Self.ledger), AwardsLedger.list)
        r.get("ledger/totals", .permission(Self.ledger), AwardsLedger.totals)
        r.form("departments", .permission(Self.manage), TeamPages.departments)
        r.form("team", .permission(Self.review), TeamPages.ranking)
        r.get("stats", .permission(Self.review), StatsPages.overview)
    }

    public func inbox(for user: User, _ ctx: Context) throws -> [InboxItem] { try SuggestionInbox.items(for: user, ctx) }

    /// #16: implementation plans not returned by their due date (§26.2) and batches not reviewed
    /// by month end (§19) (`IdeasOverdue`).
    public func overdue(_ ctx: Context) throws -> [OverdueItem] { try IdeasOverdue.items(ctx) }

    /// The Chinese titles of every entity, action and state 建议评审 writes to the audit log (#16).
    public var auditVocabulary: AuditVocabulary {
        var outcomes = SubmitPages.outcomeTitles
        outcomes["graded"] = "已评定"
        outcomes["submitted"] = "已提交"
        return AuditVocabulary()
            .entity("ideas.suggestion", "建议", actions: [
                "submit": "提交建议", "edit": "修改建议", "grade": "评定", "publish": "公布评审结果",
                "reserve": "保留，转入后续批次", "rebatch": "转入下一个未公布的批次",
            ], states: outcomes)
            .entity("ideas.note", "调查记录／部门意见", actions: ["create": "记录"],
                    states: ["investigation": "调查记录", "opinion": "部门意见"])
            .entity("ideas.batch", "建议批次", actions: ["finalize": "公布评审结果"],
                    states: ["reviewing": "评审中", "published": "已公布"])
            .entity("ideas.order", "建议实施命令单", actions: [
                "plan": "填报实施计划", "report_difficulty": "报告实施困难", "report_disagreement": "报告意见不合",
                "decide": "主任委员裁决", "confirm": "确认实施效果",
            ], states: ImplPages.stateTitles)
            .entity("ideas.ledger", "建议奖励台账", actions: ["topup": "追补奖金（分）", "performance": "实施绩效奖（分）"])
            .entity("ideas.committee", "评定委员会", actions: ["position": "设置职务"], states: Committee.titles)
            .entity("ideas.award", "建议奖励标准", actions: ["update": "修改"])
            .entity("ideas.department", "部门人数", actions: ["create": "登记部门人数", "headcount": "修改部门人数"])
            .entity("ideas.team", "团体奖", actions: ["award": "颁发团体奖"])
    }
}

/// The committee seat of a user (§22): chair 营销总监, vice chairs 市场部经理 / 销售部经理, members.
enum Committee {
    static func position(_ userID: Int64, _ ctx: Context) throws -> String? {
        try ctx.db.first("SELECT position FROM ideas_committee WHERE user_id = \(userID)")?.string("position")
    }

    /// Grading and notes: a committee seat and the review permission (403 otherwise).
    static func requireMember(_ ctx: Context) throws -> String {
        let user = try ctx.requireUser()
        guard user.can(SuggestionsModule.review), let p = try position(user.id, ctx) else { throw HTTPError.forbidden }
        return p
    }

    static let titles = ["chair": "主任委员", "vice": "副主任委员", "member": "委员"]
}

extension Context {
    var currentBatch: SuggestionCalendar.Batch { SuggestionCalendar.batch(forSubmissionOn: today) }
}
