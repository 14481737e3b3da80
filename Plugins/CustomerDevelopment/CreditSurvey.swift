import Foundation
import SalesKit

/// 新客户信用调查表 (002 §9–§13): the content of a qualification's credit-investigation step.
/// The rep investigates the prospect's credit, business and financial capacity (§13) on the
/// company's form (§9); its conclusion decides the next step: unclear points call for another,
/// special investigation before evaluation (§10), a credit problem means the investigation and
/// negotiations are suspended (§12, the application's 因信用问题中止). The seed names the form but
/// does not print it: its items are those of the seed's own credit sections of the 客户资料表
/// (以往信誉, 付款态度, 兑现情况, 资金状况, 往来银行, 经营方针, 业务状况, 财务管理, 同行业中地位,
/// 资信机构提供资料, 结论, 最高信用程度) plus how the investigation was done.
///
/// **Enforcement** (002 §9–§10): 提交客户评定报告 (the application's `evaluate`) needs a completed
/// survey (`requiredForEvaluation`), and is refused while its conclusion is 不详 (another special
/// investigation first, §10) or 信用问题 (§12: suspend instead). The refusal names the survey and the
/// application page and the rating form link to it.
///
/// **Decision** (customers already rated): a customer that already has a class in force — rated and
/// reviewed by the 销售主管 before it applies (RULES §6; e.g. a prospect rated outside an application,
/// or re-applying after a closed one, or any application made before this rule) — is not blocked by a
/// *missing* survey: its credit was reviewed with that class, and the survey is still shown as
/// missing. A survey it does have is still checked (不详 / 信用问题 block as above).
enum CreditSurvey {
    static let requiredForEvaluation = true

    static func choices(_ titles: [String]) -> [Choice] { titles.map { Choice($0, $0) } }

    static let methods = choices(["实地走访", "电话访问", "银行查询", "资信机构查询", "同行了解", "客户提供资料"])
    static let conclusions = [Choice("good", "信用良好，可以开发"), Choice("fair", "信用一般，谨慎开发"),
                              Choice("unclear", "有不详之处，须再次专项调查（002 第10条）"),
                              Choice("problem", "发现信用问题，应中止调查（002 第12条）")]

    static let form = FormSchema([
        FormField("survey_date", "调查日期", .date, required: true, rules: [.notInFuture]),
        FormField("methods", "调查方式", .multiSelect(methods)),
        FormField("informants", "调查对象（被访人及职务）", rules: [.length(min: nil, max: 200)]),
        // 信用
        FormField("past_credit", "以往信誉", .select(choices(["很好", "良好", "基本可以", "一般", "差"]))),
        FormField("payment_attitude", "付款态度", .select(choices(["爽快", "按期", "偶有拖延", "经常拖延"]))),
        FormField("cashing", "兑现情况（票据兑付）", rules: [.length(min: nil, max: 200)]),
        FormField("arrears", "拖欠、诉讼等不良记录", .textarea, rules: [.length(min: nil, max: 2000)]),
        // 经营
        FormField("business_policy", "经营方针", .select(choices(["积极", "保守", "坚实", "平常", "零乱", "投机"]))),
        FormField("business_status", "业务状况", .select(choices(["兴隆", "渐盛", "常态", "衰退", "危险"]))),
        FormField("industry_position", "同行业中地位", .select(choices(["领导力", "具影响力", "一流", "二流", "三流"]))),
        // 财务能力
        FormField("banks", "往来银行", rules: [.length(min: nil, max: 200)]),
        FormField("funds", "资金状况", .textarea, rules: [.length(min: nil, max: 2000)]),
        FormField("financial_mgmt", "财务管理", .select(choices(["佳", "普通", "劣", "无"]))),
        FormField("agency_info", "资信机构提供资料", .textarea, rules: [.length(min: nil, max: 2000)]),
        // 结论
        FormField("unclear_points", "不详之处（需再次专项调查的事项）", .textarea, rules: [.length(min: nil, max: 2000)]),
        FormField("conclusion", "调查结论", .select(conclusions), required: true),
        FormField("credit_limit", "建议最高信用额度（元）", .money, rules: [.range(0, CustomerAmounts.max)]),
        FormField("remarks", "说明", .textarea, rules: [.length(min: nil, max: 2000)]),
    ], checks: [{ v in
        switch v.string("conclusion") {
        case "unclear" where v.string("unclear_points").isEmpty:
            return [FormError(field: "unclear_points", "请写明需再次专项调查的不详之处")]
        case "problem" where v.string("arrears").isEmpty && v.string("remarks").isEmpty:
            return [FormError(field: "remarks", "请说明发现的信用问题")]
        default:
            return []
        }
    }])

    /// The survey's parts as the page and print show them (the form's own order).
    static let paperSections: [(title: String, fields: [String])] = [
        ("调查概况", ["survey_date", "methods", "informants"]),
        ("信用", ["past_credit", "payment_attitude", "cashing", "arrears"]),
        ("经营", ["business_policy", "business_status", "industry_position"]),
        ("财务能力", ["banks", "financial_mgmt", "funds", "agency_info"]),
        ("结论", ["conclusion", "credit_limit", "unclear_points", "remarks"]),
    ]

    static let conclusionTitles = Dictionary(uniqueKeysWithValues: conclusions.map { ($0.value, $0.label) })

    static let missingMessage = "提交客户评定报告前，须先完成新客户信用调查表（002 第9条）：请在申请页「新客户信用调查表」处填写。"

    /// Whether a missing survey blocks the evaluation of this customer's application: always,
    /// unless the customer already has a class in force (see **Decision** above).
    static func isRequired(classInForce: String?) -> Bool {
        requiredForEvaluation && (classInForce ?? "").isEmpty
    }

    /// Why 提交客户评定报告 cannot follow this survey (002 §9, §10, §12), or nil.
    static func blocksEvaluation(_ survey: Row?, classInForce: String?) -> String? {
        guard let survey else {
            return isRequired(classInForce: classInForce) ? missingMessage : nil
        }
        switch survey.string("conclusion") {
        case "unclear": return "信用调查有不详之处，须再次进行专项调查并更新信用调查表后，才能提交评定报告（002 第10条）。"
        case "problem": return "信用调查发现信用问题，应因信用问题中止调查和业务洽谈（002 第12条），不能提交评定报告。"
        default: return nil
        }
    }

    static func load(applicationID: Int64, _ ctx: Context) throws -> Row? {
        try ctx.db.first("""
            SELECT s.*, COALESCE(u.display_name, '') AS surveyor FROM crm_credit_surveys s LEFT JOIN users u ON u.id = s.surveyed_by
            WHERE s.application_id = \(applicationID)
            """)
    }

    /// Only the fields of the form, in the form's own encoding.
    static func stored(_ raw: FormData) -> String {
        var kept = FormData()
        for (n, v) in raw.pairs where form.declares(n) { kept.append(n, v) }
        return URLEncoding.encode(kept)
    }

    /// The survey is written before the application is submitted (002 §5 step 3: the prospect is
    /// investigated, then the application is made) or during the credit investigation, and is
    /// closed once the 评定报告 is submitted.
    static let openStates: Set<String> = [ApplicationPages.State.draft.rawValue, ApplicationPages.State.investigating.rawValue]

    /// Fill in or revise the survey while the application is a draft or in credit investigation.
    static let edit: Handler = { req, ctx in
        let (app, c) = try ApplicationPages.load(try req.id(), ctx)
        let id = try app.requireInt("id")
        guard openStates.contains(app.string("state") ?? "") else {
            throw HTTPError.conflict("申请已提交评定或已办结，不能再填写新客户信用调查表。")
        }
        let existing = try load(applicationID: id, ctx)
        let initial = try existing.map { try URLEncoding.parse($0.string("data") ?? "") }
            ?? FormData([("survey_date", ctx.today.description)])
        return try ctx.handleForm(form, title: "新客户信用调查表", initial: initial, page: { form in
            try CreditSurveyFormPage(app: try ApplicationPages.view(app, ctx), c: CustomerView(c), form: form)
        }) { v in
            let user = try ctx.requireUser()
            let conclusion = v.string("conclusion")
            try ctx.db.transaction {
                let changed = try ctx.db.execute("""
                    INSERT INTO crm_credit_surveys (application_id, customer_id, data, conclusion, credit_limit_fen, surveyed_by,
                                                    surveyed_at, updated_at)
                    VALUES (\(id), \(try c.requireInt("id")), \(stored(req.form)), \(conclusion), \(v.money("credit_limit")), \(user.id),
                            \(ctx.epoch), \(ctx.epoch))
                    ON CONFLICT (application_id) DO UPDATE SET data = excluded.data, conclusion = excluded.conclusion,
                        credit_limit_fen = excluded.credit_limit_fen, surveyed_by = excluded.surveyed_by, updated_at = excluded.updated_at
                    """)
                guard changed == 1 else { throw HTTPError.conflict("保存失败，请重试。") }
                // Still open (a concurrent suspend or evaluate would have moved it on).
                guard openStates.contains(try ctx.db.first("SELECT state FROM crm_applications WHERE id = \(id)")?.string("state") ?? "") else {
                    throw HTTPError.conflict("申请已提交评定或已办结，不能再修改信用调查表。")
                }
                try ctx.audit(AuditEntry(entity: "crm.credit_survey", entityID: String(id), action: existing == nil ? "create" : "edit",
                                         from: existing?.string("conclusion"), to: conclusion))
            }
            return .redirect(to: "/crm/applications/\(id)#survey", flash: .ok("新客户信用调查表已保存。"))
        }
    }
}

/// 新客户信用调查表, filled in during credit investigation.
struct CreditSurveyFormPage: PageModel {
    static let template = "credit-survey-form"
    var app: ApplicationView
    var c: CustomerView
    var form: FormView
    var field: Fields

    init(app: ApplicationView, c: CustomerView, form: FormView) throws {
        self.app = app
        self.c = c
        self.form = form
        field = try form.fields(as: Fields.self)
    }

    /// Every field of `CreditSurvey.form`, named as the field, laid out in `paperSections`.
    struct Fields: TemplateModel {
        var survey_date, methods, informants, past_credit, payment_attitude, cashing, arrears: FieldView
        var business_policy, business_status, industry_position, banks, funds, financial_mgmt, agency_info: FieldView
        var unclear_points, conclusion, credit_limit, remarks: FieldView
    }
}

/// A stored document shown by field (`crm/application-sections`), in sections.
struct DocumentView: TemplateModel {
    var groups: [DocumentGroup]
}
