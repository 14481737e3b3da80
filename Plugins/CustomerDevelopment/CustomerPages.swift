import Foundation
import SalesKit

enum CustomerPages {
    static let stageChoices = [Choice("A", "A 重要客户（1个月内签约/招标）"), Choice("B", "B 意向客户（2–3个月）"),
                               Choice("C", "C 潜力客户（3–6个月）"), Choice("D", "D 发展客户（有项目计划）")]
    static let processChoices = [Choice("info", "项目信息开发"), Choice("project", "立项"), Choice("tender", "招投标"),
                                 Choice("negotiation", "商务谈判"), Choice("closed", "成交")]
    static let contactKinds = [Choice("call", "电话"), Choice("visit", "拜访"), Choice("event", "活动"), Choice("other", "其他")]
    static let statusTitles = ["prospect": "潜在客户", "customer": "正式客户", "closed": "已关闭"]

    /// 潜在客户名录 entry / basic data of a customer.
    static let customerForm = FormSchema([
        FormField("name", "企业名称", required: true, rules: [.length(min: 2, max: 100)]),
        FormField("city", "所在地", rules: [.length(min: nil, max: 50)]),
        FormField("in_city", "市内客户（投诉须 24 小时内处理；市外 48 小时）", .checkbox),
        FormField("address", "地址", rules: [.length(min: nil, max: 200)]),
        FormField("phone", "电话", rules: [.pattern("[0-9+()\\- ]{5,30}", message: "请输入有效电话号码")]),
        FormField("contact_person", "联系人", rules: [.length(min: nil, max: 50)]),
        FormField("contact_title", "职务", rules: [.length(min: nil, max: 50)]),
        FormField("department", "所属部门", rules: [.length(min: nil, max: 50)]),
        FormField("source", "信息来源", rules: [.length(min: nil, max: 100)]),
        FormField("notes", "备注", .textarea, rules: [.length(min: nil, max: 2000)]),
    ])

    /// Pipeline stage and sales-process stage changes (004 第六章 2(2), 第七章): why is required.
    static let stageForm = FormSchema([
        FormField("stage", "客户阶段", .select(stageChoices)),
        FormField("process_stage", "销售进程", .select(processChoices)),
        FormField("reason", "变更原因", .textarea, required: true, rules: [.length(min: 2, max: 500)]),
    ], checks: [{ v in
        v.optionalString("stage") == nil && v.optionalString("process_stage") == nil
            ? [FormError("请选择客户阶段或销售进程")] : []
    }])

    /// Contact log entry (004 第六章 5(2)).
    static let contactForm = FormSchema([
        FormField("kind", "方式", .select(contactKinds), required: true),
        FormField("contact_date", "日期", .date, required: true, rules: [.notInFuture]),
        FormField("person", "拜访对象", rules: [.length(min: nil, max: 50)]),
        FormField("summary", "内容与结果", .textarea, required: true, rules: [.length(min: 2, max: 2000)]),
    ])

    static let ownerForm = FormSchema([
        FormField("owner_id", "新负责人", .integer, required: true),
        FormField("reason", "调整原因", required: true, rules: [.length(min: 2, max: 200)]),
    ])

    /// Start of the current quarter in the company time zone (003 §2.3 quarterly re-review).
    static func quarterStart(_ ctx: Context) -> Int64 {
        let today = ctx.today
        let month = (today.month - 1) / 3 * 3 + 1
        return Int64(LocalDate(year: today.year, month: month, day: 1).start(in: ctx.timeZone).timeIntervalSince1970)
    }

    /// 003 §2.3 quarterly re-review: a customer whose class in force (`rated_at`: when it was
    /// approved) predates the quarter and that has no rating proposal under review.
    static func dueCondition(_ ctx: Context) -> SQL {
        """
        c.status = 'customer' AND (c.rated_at IS NULL OR c.rated_at < \(quarterStart(ctx)))
        AND NOT EXISTS (SELECT 1 FROM crm_ratings r WHERE r.customer_id = c.id AND r.state IN ('proposed', 'reviewed'))
        """
    }

    /// 客户名录: the rep's own customers (the team's or all for those who see all).
    static let listPage = ListPage(
        title: "客户名录", path: "/crm/customers",
        select: """
            c.id, c.code, c.name, c.name_sort, c.status, c.rating_class, c.stage, c.city, c.in_city, c.rated_at,
                   COALESCE(u.display_name, '') AS owner_name
            """,
        from: "crm_customers c LEFT JOIN users u ON u.id = c.owner_id",
        scope: { ctx in try Visibility.filter(ctx) },
        columns: [
            .text("code", "客户代码", sql: "c.code"),
            // In 拼音 order (#16 point 10): by the stored key, which the keyset cursor carries.
            .link("name", "企业名称", sql: "c.name_sort", column: "name", to: "/crm/customers/", id: "id"),
            .choice("status", "状态", sql: "c.status", titles: statusTitles),
            .text("class", "评级", sql: "c.rating_class"),
            .text("stage", "阶段", sql: "c.stage"),
            .init("city", "所在地", sql: "c.city") { r, cell, _ in
                cell.text(r, "city")
                cell.text(r.bool("in_city") ? "（市内）" : "（市外）")
            },
            // The expression, not its alias: keyset paging puts it in WHERE, where PostgreSQL knows no aliases (#17).
            .init("owner", "负责人", sql: "COALESCE(u.display_name, '')", rowKey: "owner_name") { r, cell, _ in cell.text(r, "owner_name") },
            .time("rated", "最近评定", sql: "c.rated_at"),
        ],
        filters: [
            .search("q", "名称或客户代码") { s, _ in
                let like = "%" + s + "%"
                return "c.name LIKE \(like) OR c.code LIKE \(like)"
            },
            .choice("status", "状态", all: "全部状态", [Choice("prospect", "潜在客户"), Choice("customer", "正式客户"), Choice("closed", "已关闭")]) { s, _ in
                "c.status = \(s)"
            },
            .choice("class", "评级", all: "全部评级", ["A", "B", "C", "D", "E"].map { Choice($0, $0 + " 类") } + [Choice("none", "未评定")]) { s, _ in
                s == "none" ? "c.rating_class IS NULL" : "c.rating_class = \(s)"
            },
            .choice("stage", "阶段", all: "全部阶段", ["A", "B", "C", "D"].map { Choice($0, $0) }) { s, _ in "c.stage = \(s)" },
            .choice("city", "市内/市外", all: "市内和市外", [Choice("in", "市内"), Choice("out", "市外")]) { s, _ in
                s == "in" ? "c.in_city = 1" : "c.in_city = 0"
            },
            ownerFilter,
            .checkbox("due", "待季度复评") { ctx in dueCondition(ctx) },
        ],
        actions: [.init("新增潜在客户", href: "/crm/customers/new")],
        defaultSort: "name", tiebreaker: "c.id", empty: "没有符合条件的客户。")

    /// 负责人 on a list of customers `c`, for those who see every customer: per user, one probe of
    /// the owner index (not a scan of every customer).
    static let ownerFilter = ListPage.Filter("owner", "负责人", .select(all: "全部负责人", options: { ctx in
        try ctx.db.query("""
            SELECT u.id, u.display_name FROM users u
            WHERE EXISTS (SELECT 1 FROM crm_customers c WHERE c.owner_id = u.id) ORDER BY u.display_name
            """).sortedByPinyin { $0.string("display_name") ?? "" }.map { Choice(String($0.int("id") ?? 0), $0.string("display_name") ?? "") }
    }), shown: { ctx in Visibility.seesAll(ctx) }) { s, _ in Int64(s).map { "c.owner_id = \($0)" } }

    static let list: Handler = { req, ctx in try listPage.respond(req, ctx) }

    static let create: Handler = { req, ctx in
        try ctx.handleForm(customerForm, title: "新增潜在客户", initial: FormData([("in_city", "1")]),
                           page: { form in CustomerFormPage(isNew: true, c: nil, form: form) }) { v in
            let user = try ctx.requireUser()
            let id: Int64 = try ctx.db.transaction {
                // Every field of customerForm is a column of crm_customers.
                let id = try ctx.db.insert(try .insert(into: "crm_customers", customerForm, v, extra: [
                    "owner_id": user.id, "created_by": user.id, "created_at": ctx.epoch, "updated_at": ctx.epoch,
                    "name_sort": NameSort.key(v.string("name")),
                ]) + " RETURNING id")
                try ctx.audit(AuditEntry(entity: "crm.customer", entityID: String(id), action: "create", to: "prospect"))
                return id
            }
            return .redirect(to: "/crm/customers/\(id)", flash: .ok("潜在客户已登记。"))
        }
    }

    static let edit: Handler = { req, ctx in
        let c = try Visibility.customer(try req.id(), ctx)
        let id = try c.requireInt("id")
        var initial = FormData()
        for f in customerForm.fields where f.name != "in_city" { initial.append(f.name, c.string(f.name) ?? "") }
        if c.bool("in_city") { initial.append("in_city", "1") }
        return try ctx.handleForm(customerForm, title: "编辑客户资料", initial: initial,
                                  page: { form in CustomerFormPage(isNew: false, c: CustomerView(c), form: form) }) { v in
            try ctx.db.transaction {
                try ctx.db.execute(try .update("crm_customers", customerForm, v, extra: ["updated_at": ctx.epoch, "name_sort": NameSort.key(v.string("name"))],
                                                   id: id))
                try ctx.audit(AuditEntry(entity: "crm.customer", entityID: String(id), action: "edit"))
            }
            return .redirect(to: "/crm/customers/\(id)", flash: .ok("客户资料已保存。"))
        }
    }

    static let detail: Handler = { req, ctx in try detailPage(req, ctx, contactForm: nil) }

    /// The customer page; `contactForm` is a contact entry that failed validation (422).
    static func detailPage(_ req: Request, _ ctx: Context, contactForm bound: BoundForm?) throws -> Response {
        let c = try Visibility.customer(try req.id(), ctx)
        let id = try c.requireInt("id")
        let ratings = try ctx.db.query("""
            SELECT r.id, r.total, r.rating_class, r.rated_at, r.application_id, r.state, COALESCE(u.display_name, '') AS by
            FROM crm_ratings r LEFT JOIN users u ON u.id = r.rated_by WHERE r.customer_id = \(id) ORDER BY r.rated_at DESC, r.id DESC
            """)
        let stages = try ctx.db.query("""
            SELECT s.kind, s.from_value, s.to_value, s.reason, s.changed_at, COALESCE(u.display_name, '') AS by
            FROM crm_stage_changes s LEFT JOIN users u ON u.id = s.changed_by WHERE s.customer_id = \(id) ORDER BY s.changed_at DESC, s.id DESC
            """)
        let contacts = try ctx.db.query("""
            SELECT k.kind, k.contact_date, k.person, k.summary, COALESCE(u.display_name, '') AS by
            FROM crm_contacts k LEFT JOIN users u ON u.id = k.created_by WHERE k.customer_id = \(id)
            ORDER BY k.contact_date DESC, k.id DESC LIMIT 100
            """)
        let apps = try ctx.db.query("SELECT id, state, created_at FROM crm_applications WHERE customer_id = \(id) ORDER BY id DESC")
        let info = try CustomerInfoPages.shown(id, ctx)
        let kinds = Dictionary(uniqueKeysWithValues: contactKinds.map { ($0.value, $0.label) })
        let processTitles = Dictionary(uniqueKeysWithValues: processChoices.map { ($0.value, $0.label) })
        let page = CustomerPage(
            c: CustomerView(c),
            hasCode: c.string("code") != nil,
            statusText: statusTitles[c.string("status") ?? ""] ?? "",
            classTitle: c.string("rating_class").flatMap { Rating.classTitles[$0] } ?? "未评定",
            ownerName: c.string("owner_name") ?? "",
            processText: c.string("process_stage").flatMap { processTitles[$0] } ?? "",
            cityText: c.bool("in_city") ? "市内" : "市外",
            pendingRating: ratings.first { ["proposed", "reviewed"].contains($0.string("state") ?? "") }.map { r in
                .init(id: r.int("id") ?? 0,
                      text: "\(r.string("rating_class") ?? "") 类（\(RatingReview.stateTitles[r.string("state") ?? ""] ?? "")）")
            },
            info: info?.0, infoText: info?.1 ?? "尚未填写。",
            canSeeKey: ctx.can(CustomerDevelopmentModule.keyCustomers),
            canApply: c.string("status") == "prospect"
                && !apps.contains { ["draft", "investigating", "evaluated", "suspended"].contains($0.string("state") ?? "") },
            canReassign: ctx.can(CustomerDevelopmentModule.reassign),
            applications: apps.map { r in
                .init(id: r.int("id") ?? 0, no: ApplicationPages.documentNo(id: r.int("id") ?? 0, createdAt: r.int("created_at"), ctx),
                      stateText: ApplicationPages.stateTitles[r.string("state") ?? ""] ?? "",
                      at: ctx.displayEpoch(r.int("created_at")))
            },
            ratings: ratings.map { r in
                .init(id: r.int("id") ?? 0, at: ctx.displayEpoch(r.int("rated_at")), total: r.string("total") ?? "",
                      rating_class: r.string("rating_class") ?? "", classTitle: Rating.classTitles[r.string("rating_class") ?? ""] ?? "",
                      by: r.string("by") ?? "", stateText: RatingReview.stateTitles[r.string("state") ?? ""] ?? "")
            },
            stages: stages.map { r in
                let process = r.string("kind") == "process"
                func value(_ column: String) -> String {
                    process ? r.string(column).flatMap { processTitles[$0] } ?? "" : r.string(column) ?? ""
                }
                return .init(at: ctx.displayEpoch(r.int("changed_at")), kindText: r.string("kind") == "stage" ? "客户阶段" : "销售进程",
                             from_value: value("from_value"), to_value: value("to_value"), reason: r.string("reason") ?? "",
                             by: r.string("by") ?? "")
            },
            contacts: contacts.map { r in
                .init(contact_date: r.string("contact_date") ?? "", kindText: kinds[r.string("kind") ?? ""] ?? "",
                      person: r.string("person") ?? "", summary: r.string("summary") ?? "", by: r.string("by") ?? "")
            },
            contactForm: (bound ?? contactForm.blank(FormData([("contact_date", ctx.today.description)]))).view(),
            panels: ctx.panels(for: PanelSubject(entity: PanelSubject.customerEntity, id: id, code: c.string("code") ?? "",
                                                 name: c.string("name") ?? "")))
        return ctx.render(page, title: c.string("name") ?? "客户", status: bound == nil ? 200 : 422)
    }

    static let changeStage: Handler = { req, ctx in
        let c = try Visibility.customer(try req.id(), ctx)
        let id = try c.requireInt("id")
        let initial = FormData([("stage", c.string("stage") ?? ""), ("process_stage", c.string("process_stage") ?? "")])
        return try ctx.handleForm(stageForm, title: "变更客户阶段", initial: initial,
                                  page: { form in StageFormPage(c: CustomerView(c), form: form) }) { v in
            let stage = v.optionalString("stage")
            let process = v.optionalString("process_stage")
            let reason = v.string("reason")
            // Only a new value is a change (a stage is never cleared).
            guard (stage != nil && stage != c.string("stage")) || (process != nil && process != c.string("process_stage")) else {
                throw FormRejection("阶段没有变化")
            }
            try ctx.db.transaction {
                let user = try ctx.requireUser()
                for (kind, column, new) in [("stage", "stage", stage), ("process", "process_stage", process)] {
                    guard let new, new != c.string(column) else { continue }
                    try ctx.db.execute("""
                        INSERT INTO crm_stage_changes (customer_id, kind, from_value, to_value, reason, changed_by, changed_at)
                        VALUES (\(id), \(kind), \(c.string(column)), \(new), \(reason), \(user.id), \(ctx.epoch))
                        """)
                    try ctx.db.execute("UPDATE crm_customers SET \(raw: column) = \(new), updated_at = \(ctx.epoch) WHERE id = \(id)")
                    try ctx.audit(AuditEntry(entity: "crm.customer", entityID: String(id), action: kind == "stage" ? "stage" : "process",
                                             from: c.string(column), to: new, reason: reason))
                }
            }
            return .redirect(to: "/crm/customers/\(id)", flash: .ok("客户阶段已变更，原因已记录。"))
        }
    }

    static let addContact: Handler = { req, ctx in
        let c = try Visibility.customer(try req.id(), ctx)
        let id = try c.requireInt("id")
        let bound = contactForm.bind(req.form, today: ctx.today)
        // Invalid: the whole customer page again, with the entry's errors and values (422).
        guard let v = bound.values else { return try detailPage(req, ctx, contactForm: bound) }
        try ctx.db.transaction {
            // Every field of contactForm is a column of crm_contacts.
            let cid = try ctx.db.insert(try .insert(into: "crm_contacts", contactForm, v, extra: [
                "customer_id": id, "created_by": try ctx.requireUser().id, "created_at": ctx.epoch,
            ]) + " RETURNING id")
            try ctx.audit(AuditEntry(entity: "crm.contact", entityID: String(cid), action: "create", to: v.string("kind")))
        }
        return .redirect(to: "/crm/customers/\(id)#contacts", flash: .ok("联系记录已添加。"))
    }

    static let changeOwner: Handler = { req, ctx in
        let c = try Visibility.customer(try req.id(), ctx)
        let id = try c.requireInt("id")
        let reps = try ctx.db.query("""
            SELECT DISTINCT u.id, u.display_name FROM users u JOIN user_roles ur ON ur.user_id = u.id
            JOIN role_permissions rp ON rp.role_id = ur.role_id
            WHERE u.active = 1 AND rp.permission = 'crm.use' ORDER BY u.display_name
            """).sortedByPinyin { $0.string("display_name") ?? "" }
        let chosen = req.method == "POST" ? Int64(req.form["owner_id"] ?? "") : c.int("owner_id")
        return try ctx.handleForm(ownerForm, title: "调整客户负责人", initial: FormData([("owner_id", String(c.int("owner_id") ?? 0))]),
                                  page: { form in
            OwnerFormPage(c: CustomerView(c), form: form, field: try form.fields(as: OwnerFormPage.Fields.self), reps: reps.map {
                .init(id: $0.int("id") ?? 0, name: $0.string("display_name") ?? "", current: $0.int("id") == chosen)
            })
        }) { v in
            let newOwner = try v.requireInt("owner_id")
            guard reps.contains(where: { $0.int("id") == newOwner }) else {
                throw FormRejection(field: "owner_id", "请选择有客户开发权限的在职人员")
            }
            guard newOwner != c.int("owner_id") else { throw FormRejection(field: "owner_id", "负责人没有变化") }
            try ctx.db.transaction {
                try ctx.db.execute("UPDATE crm_customers SET owner_id = \(newOwner), updated_at = \(ctx.epoch) WHERE id = \(id)")
                try ctx.audit(AuditEntry(entity: "crm.customer", entityID: String(id), action: "reassign",
                                         from: String(c.int("owner_id") ?? 0), to: String(newOwner), reason: v.string("reason")))
            }
            return .redirect(to: "/crm/customers/\(id)", flash: .ok("负责人已调整。"))
        }
    }
}

// MARK: - Page models

/// 客户 (the customer page): master data, applications, ratings, stage changes, contacts and
/// the contact entry form.
struct CustomerPage: PageModel {
    static let template = "customer"
    var c: CustomerView
    var hasCode: Bool
    var statusText: String
    var classTitle: String
    var ownerName: String
    var processText: String
    var cityText: String
    /// A rating proposal waiting for review (`A 类（待销售主管审核）`), or nil (RULES §6).
    var pendingRating: PendingRating?
    /// 客户信息 (004 第六章 3): the filled fields, nil while not filled in; who updated it when.
    var info: DocumentView?
    var infoText: String
    var canSeeKey: Bool
    var canApply: Bool
    var canReassign: Bool
    var applications: [Application]
    var ratings: [RatingLine]
    var stages: [StageChange]
    var contacts: [Contact]
    var contactForm: FormView
    /// The other modules' cards on this customer (订单、应收、合同、投诉、退货 …): the customer hub.
    var panels: [RecordPanel]

    struct Application: TemplateModel {
        var id: Int64
        /// 申请编号.
        var no: String
        var stateText: String
        var at: String
    }

    struct RatingLine: TemplateModel {
        var id: Int64
        var at: String
        var total: String
        var rating_class: String
        var classTitle: String
        var by: String
        var stateText: String
    }

    struct PendingRating: TemplateModel {
        var id: Int64
        var text: String
    }

    struct StageChange: TemplateModel {
        var at: String
        var kindText: String
        var from_value: String
        var to_value: String
        var reason: String
        var by: String
    }

    struct Contact: TemplateModel {
        var contact_date: String
        var kindText: String
        var person: String
        var summary: String
        var by: String
    }
}

/// 新增潜在客户 / 编辑客户资料.
struct CustomerFormPage: PageModel {
    static let template = "customer-form"
    var isNew: Bool
    /// The customer edited (nil for a new one).
    var c: CustomerView?
    var form: FormView
}

/// 变更客户阶段.
struct StageFormPage: PageModel {
    static let template = "stage-form"
    var c: CustomerView
    var form: FormView
}

/// 调整客户负责人: the owner is chosen from the reps with `crm.use`, laid out by hand.
struct OwnerFormPage: PageModel {
    static let template = "owner-form"
    var c: CustomerView
    var form: FormView
    var field: Fields
    var reps: [Rep]

    /// `CustomerPages.ownerForm`, field by field.
    struct Fields: TemplateModel {
        var owner_id: FieldView
        var reason: FieldView
    }

    struct Rep: TemplateModel {
        var id: Int64
        var name: String
        var current: Bool
    }
}
