import Foundation
import SalesKit

/// 新客户开发计划及实施表 (002 §14): before visiting a customer or negotiating, the rep writes
/// the plan (date, whom, purpose, what to prepare); afterwards the actual date, the result and
/// the next step. Completing a plan can log the contact (004 第六章 5(2)), so the visit counts
/// in the visit reports. Visible like the customer it belongs to.
enum VisitPlanPages {
    static let kindChoices = [Choice("visit", "拜访"), Choice("negotiation", "业务洽谈")]
    static let stateTitles = ["planned": "待实施", "done": "已实施", "cancelled": "已取消"]

    static func planForm(_ customers: [Choice]) -> FormSchema {
        FormSchema([
            FormField("customer_id", "客户", .select(customers), required: true),
            FormField("kind", "类型", .select(kindChoices), required: true),
            FormField("planned_date", "计划日期", .date, required: true),
            FormField("person", "拜访对象", rules: [.length(min: nil, max: 50)]),
            FormField("purpose", "目的", required: true, rules: [.length(min: 2, max: 200)]),
            FormField("plan", "计划内容（准备事项、洽谈要点）", .textarea, rules: [.length(min: nil, max: 2000)]),
        ])
    }

    /// How the completed plan is logged as a contact ("none": not logged).
    static let logChoices = CustomerPages.contactKinds + [Choice("none", "不记入联系记录")]

    static let completeForm = FormSchema([
        FormField("actual_date", "实际日期", .date, required: true, rules: [.notInFuture]),
        FormField("result", "实施结果", .textarea, required: true, rules: [.length(min: 2, max: 2000)]),
        FormField("next_step", "下一步计划", .textarea, rules: [.length(min: nil, max: 1000)]),
        FormField("log_as", "记入联系记录", .select(logChoices), required: true,
                  help: "记为“拜访”的计入拜访统计、访问计划完成表和每周拜访次数（003 第7.10条）"),
    ])

    static let cancelForm = FormSchema([
        FormField("reason", "取消原因", required: true, rules: [.length(min: 2, max: 200)]),
    ])

    /// 新客户开发计划及实施表: the plans of the customers the user may see. `?customer=ID` (the
    /// link on the customer page) narrows to one customer; the filter shows only then.
    static let listPage = ListPage(
        title: "新客户开发计划及实施表", path: "/crm/visits/plans",
        select: """
            p.id, p.planned_date, p.kind, p.purpose, p.state, p.actual_date, c.id AS customer_id, c.name, c.name_sort,
                   COALESCE(u.display_name, '') AS rep_name
            """,
        from: "crm_visit_plans p JOIN crm_customers c ON c.id = p.customer_id LEFT JOIN users u ON u.id = p.rep_id",
        scope: { ctx in try Visibility.filter(ctx) },
        columns: [
            .init("planned", "计划日期", sql: "p.planned_date") { r, _ in
                ListCell(r.string("planned_date") ?? "", href: "/crm/visits/plans/\(r.int("id") ?? 0)")
            },
            .init("customer", "客户", sql: "c.name_sort") { r, _ in   // 拼音 order (#16 point 10)
                ListCell(r.string("name") ?? "", href: "/crm/customers/\(r.int("customer_id") ?? 0)")
            },
            .init("kind", "类型", sql: "p.kind") { r, _ in ListCell(kindTitle(r.string("kind"))) },
            .text("purpose", "目的", sql: "p.purpose", sortable: false),
            // An open plan's state links to 填写实施结果.
            .init("state", "状态", sql: "p.state") { r, _ in
                ListCell(stateTitles[r.string("state") ?? ""] ?? "",
                         href: r.string("state") == "planned" ? "/crm/visits/plans/\(r.int("id") ?? 0)/complete" : nil)
            },
            .text("actual", "实际日期", sql: "p.actual_date"),
            // The expression, not its alias: keyset paging puts it in WHERE, where PostgreSQL knows no aliases (#17).
            .init("rep", "填写人", sql: "COALESCE(u.display_name, '')", rowKey: "rep_name") { r, _ in ListCell(r.string("rep_name") ?? "") },
        ],
        filters: [
            .search("q", "客户名称") { s, _ in "c.name LIKE \("%" + s + "%")" },
            .choice("state", "状态", all: "全部状态", ["planned", "done", "cancelled"].map { Choice($0, stateTitles[$0] ?? "") }) { s, _ in
                "p.state = \(s)"
            },
            .init("customer", "客户", .select(all: "全部客户", options: { ctx in
                guard let id = ctx.request.query["customer"].flatMap({ Int64($0) }),
                      let c = try ctx.db.first("SELECT c.id, c.name FROM crm_customers c WHERE c.id = \(id) AND \(try Visibility.filter(ctx))")
                else { return [] }
                return [Choice(String(id), c.string("name") ?? "")]
            }), shown: { ctx in ctx.request.query["customer"] != nil }) { s, _ in Int64(s).map { "p.customer_id = \($0)" } },
        ],
        actions: [.init("新建计划", href: "/crm/visits/plans/new")],
        defaultSort: "planned", defaultDescending: true, tiebreaker: "p.id", empty: "没有拜访计划。",
        csvName: "新客户开发计划及实施表.csv", intro: "拜访客户或业务洽谈前填写计划，之后填写实施结果（002 第14条）。")

    static let list: Handler = { req, ctx in try listPage.respond(req, ctx) }

    static func kindTitle(_ kind: String?) -> String { kindChoices.first { $0.value == kind }?.label ?? "" }

    /// The plan, if the user may see its customer; else 404.
    static func load(_ id: Int64, _ ctx: Context) throws -> (plan: Row, customer: Row) {
        guard let plan = try ctx.db.first("""
            SELECT p.*, COALESCE(u.display_name, '') AS rep_name FROM crm_visit_plans p LEFT JOIN users u ON u.id = p.rep_id
            WHERE p.id = \(id)
            """) else { throw HTTPError.notFound }
        return (plan, try Visibility.customer(plan.int("customer_id") ?? 0, ctx))
    }

    static func requireOpen(_ plan: Row) throws {
        guard plan.string("state") == "planned" else { throw HTTPError.conflict("该计划已实施或已取消，不能再修改。") }
    }

    static let create: Handler = { req, ctx in
        let form = planForm(try VisitPages.customerChoices(ctx))
        var initial = FormData([("kind", "visit"), ("planned_date", ctx.today.description)])
        if let s = req.query["customer"], let id = Int64(s), let c = try? Visibility.customer(id, ctx) {
            initial.append("customer_id", String(id))
            initial.append("person", c.string("contact_person") ?? "")
        }
        return try ctx.handleForm(form, title: "新客户开发计划", initial: initial,
                                  page: { form in VisitPlanFormPage(isNew: true, p: nil, form: form) }) { v in
            let c = try VisitPages.chosenCustomer(v, ctx)
            let user = try ctx.requireUser()
            let id: Int64 = try ctx.db.transaction {
                let id = try ctx.db.insert("""
                    INSERT INTO crm_visit_plans (customer_id, rep_id, kind, planned_date, person, purpose, plan, created_at, updated_at)
                    VALUES (\(c.int("id") ?? 0), \(user.id), \(v.string("kind")), \(v.string("planned_date")), \(v.string("person")),
                            \(v.string("purpose")), \(v.string("plan")), \(ctx.epoch), \(ctx.epoch))
                    RETURNING id
                    """)
                try ctx.audit(AuditEntry(entity: "crm.visit_plan", entityID: String(id), action: "create", to: "planned"))
                return id
            }
            return .redirect(to: "/crm/visits/plans/\(id)", flash: .ok("拜访计划已保存。"))
        }
    }

    static let edit: Handler = { req, ctx in
        let (p, c) = try load(try req.id(), ctx)
        try requireOpen(p)
        let id = p.int("id") ?? 0
        let form = planForm(try VisitPages.customerChoices(ctx, including: c.int("id")))
        var initial = FormData()
        for f in form.fields { initial.append(f.name, p.string(f.name) ?? "") }
        return try ctx.handleForm(form, title: "修改新客户开发计划", initial: initial,
                                  page: { form in VisitPlanFormPage(isNew: false, p: VisitPlanView(p), form: form) }) { v in
            let c = try VisitPages.chosenCustomer(v, ctx)
            try ctx.db.transaction {
                let changed = try ctx.db.execute("""
                    UPDATE crm_visit_plans SET customer_id = \(c.int("id") ?? 0), kind = \(v.string("kind")),
                        planned_date = \(v.string("planned_date")), person = \(v.string("person")), purpose = \(v.string("purpose")),
                        plan = \(v.string("plan")), updated_at = \(ctx.epoch)
                    WHERE id = \(id) AND state = 'planned'
                    """)
                guard changed == 1 else { throw HTTPError.conflict("该计划已实施或已取消，不能再修改。") }
                try ctx.audit(AuditEntry(entity: "crm.visit_plan", entityID: String(id), action: "edit"))
            }
            return .redirect(to: "/crm/visits/plans/\(id)", flash: .ok("拜访计划已修改。"))
        }
    }

    static let detail: Handler = { req, ctx in
        let (p, c) = try load(try req.id(), ctx)
        return ctx.render(VisitPlanPage(
            p: VisitPlanView(p), no: DocumentNo.make("KFJH", id: p.int("id") ?? 0, createdAt: p.int("created_at"), ctx), c: CustomerView(c),
            kindText: kindTitle(p.string("kind")),
            stateText: stateTitles[p.string("state") ?? ""] ?? "",
            open: p.string("state") == "planned",
            cancelled: p.string("state") == "cancelled",
            logged: p.int("contact_id") != nil,
            printedAt: ctx.display(ctx.now)), title: "新客户开发计划及实施表")
    }

    /// The 实施 half: actual date, result, next step; optionally logged as a contact.
    static let complete: Handler = { req, ctx in
        let (p, c) = try load(try req.id(), ctx)
        try requireOpen(p)
        let id = p.int("id") ?? 0
        let cid = c.int("id") ?? 0
        let initial = FormData([("actual_date", min(ctx.today, LocalDate(p.string("planned_date") ?? "") ?? ctx.today).description),
                                ("log_as", p.string("kind") == "visit" ? "visit" : "other")])
        return try ctx.handleForm(completeForm, title: "填写实施结果", initial: initial, page: { form in
            VisitPlanCompletePage(p: VisitPlanView(p), c: CustomerView(c), kindText: kindTitle(p.string("kind")), form: form)
        }) { v in
            let user = try ctx.requireUser()
            try ctx.db.transaction {
                var contactID: Int64?
                let kind = v.string("log_as")
                if kind != "none" {
                    let summary = v.string("result") + (v.string("next_step").isEmpty ? "" : "\n下一步：" + v.string("next_step"))
                    let newContact = try ctx.db.insert("""
                        INSERT INTO crm_contacts (customer_id, kind, contact_date, person, summary, created_by, created_at)
                        VALUES (\(cid), \(kind), \(v.string("actual_date")), \(p.string("person") ?? ""), \(summary), \(user.id), \(ctx.epoch))
                        RETURNING id
                        """)
                    try ctx.audit(AuditEntry(entity: "crm.contact", entityID: String(newContact), action: "create", to: kind))
                    contactID = newContact
                }
                let changed = try ctx.db.execute("""
                    UPDATE crm_visit_plans SET state = 'done', actual_date = \(v.string("actual_date")), result = \(v.string("result")),
                        next_step = \(v.string("next_step")), contact_id = \(contactID), updated_at = \(ctx.epoch)
                    WHERE id = \(id) AND state = 'planned'
                    """)
                guard changed == 1 else { throw HTTPError.conflict("该计划已实施或已取消。") }
                try ctx.audit(AuditEntry(entity: "crm.visit_plan", entityID: String(id), action: "complete", from: "planned", to: "done"))
            }
            return .redirect(to: "/crm/visits/plans/\(id)", flash: .ok("实施结果已记录。"))
        }
    }

    static let cancel: Handler = { req, ctx in
        let (p, c) = try load(try req.id(), ctx)
        try requireOpen(p)
        let id = p.int("id") ?? 0
        return try ctx.handleForm(cancelForm, title: "取消拜访计划",
                                  page: { form in VisitPlanCancelPage(p: VisitPlanView(p), c: CustomerView(c), form: form) }) { v in
            try ctx.db.transaction {
                let changed = try ctx.db.execute("""
                    UPDATE crm_visit_plans SET state = 'cancelled', cancel_reason = \(v.string("reason")), updated_at = \(ctx.epoch)
                    WHERE id = \(id) AND state = 'planned'
                    """)
                guard changed == 1 else { throw HTTPError.conflict("该计划已实施或已取消。") }
                try ctx.audit(AuditEntry(entity: "crm.visit_plan", entityID: String(id), action: "cancel", from: "planned",
                                         to: "cancelled", reason: v.string("reason")))
            }
            return .redirect(to: "/crm/visits/plans/\(id)", flash: .ok("拜访计划已取消，原因已记录。"))
        }
    }
}

// MARK: - Page models

/// A visit plan as its pages show it (`{{p.planned_date}}` …), NULL as "".
struct VisitPlanView: TemplateModel {
    var id: Int64
    var rep_name: String
    var planned_date: String
    var person: String
    var purpose: String
    var plan: String
    var actual_date: String
    var result: String
    var next_step: String
    var cancel_reason: String

    init(_ r: Row) {
        id = r.int("id") ?? 0
        rep_name = r.string("rep_name") ?? ""
        planned_date = r.string("planned_date") ?? ""
        person = r.string("person") ?? ""
        purpose = r.string("purpose") ?? ""
        plan = r.string("plan") ?? ""
        actual_date = r.string("actual_date") ?? ""
        result = r.string("result") ?? ""
        next_step = r.string("next_step") ?? ""
        cancel_reason = r.string("cancel_reason") ?? ""
    }
}

/// 新客户开发计划及实施表: one plan with its result, printable.
struct VisitPlanPage: PageModel {
    static let template = "visit-plan"
    var p: VisitPlanView
    /// 编号 (`DocumentNo`, KFJH-…).
    var no: String
    var c: CustomerView
    var kindText: String
    var stateText: String
    var open: Bool
    var cancelled: Bool
    var logged: Bool
    var printedAt: String
}

/// A new plan, or a plan revised before it is carried out.
struct VisitPlanFormPage: PageModel {
    static let template = "visit-plan-form"
    var isNew: Bool
    /// The plan revised (nil for a new one).
    var p: VisitPlanView?
    var form: FormView
}

/// 填写实施结果.
struct VisitPlanCompletePage: PageModel {
    static let template = "visit-plan-complete"
    var p: VisitPlanView
    var c: CustomerView
    var kindText: String
    var form: FormView
}

/// 取消拜访计划.
struct VisitPlanCancelPage: PageModel {
    static let template = "visit-plan-cancel"
    var p: VisitPlanView
    var c: CustomerView
    var form: FormView
}
