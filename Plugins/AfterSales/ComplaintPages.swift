import CustomerDevelopmentAPI
import Foundation
import SalesKit

/// Complaints (RULES §3.1). Migration version 1.
enum ComplaintPages {
    // MARK: permissions

    static let view = Permission("service", "complaint_view", title: "查看客户投诉",
                                 defaultRoles: [.salesRep, .salesSupervisor, .salesManager, .marketingDirector, .generalManager,
                                                .quality, .technical, .production, .serviceRep, .serviceSupervisor])
    static let register = Permission("service", "complaint_register", title: "登记客户投诉",
                                     defaultRoles: [.salesRep, .salesSupervisor, .salesManager, .serviceRep, .serviceSupervisor])
    /// 001 篇二 §5.1: the 客户服务部 takes complaints by phone from any customer, not only from
    /// customers its staff look after: they pick from every customer (decision, issue 16 point 4 —
    /// with the CRM's visibility alone a 客户服务专员 had no customer to pick).
    static let registerAny = Permission("service", "complaint_register_any", title: "登记任何客户的投诉（客户服务部受理）",
                                        defaultRoles: [.serviceRep, .serviceSupervisor])
    /// 004: every complaint is visible to the sales manager and the sales director.
    static let viewAll = Permission("service", "complaint_view_all", title: "查看全部客户投诉",
                                    defaultRoles: [.salesManager, .marketingDirector, .generalManager, .serviceSupervisor])
    /// 001 篇二 §5.1–§5.2: handled by the sales VP / sales manager personally.
    static let handle = Permission("service", "complaint_handle", title: "处理客户投诉（分送、核实、结案、重开）",
                                   defaultRoles: [.salesManager, .marketingDirector])
    /// The 部门投诉待办 list (the menu item). Who fills in a department's part is decided by the
    /// directory (its head and members, RULES §6) with `departmentPart`.
    static let department = Permission("service", "complaint_department", title: "部门填写投诉处理意见",
                                       defaultRoles: [.quality, .technical, .production, .serviceSupervisor])
    /// RULES §6 "Departments are records": a complaint may be routed to any department of the
    /// directory, and its part lands with that department's head and members — whatever their
    /// roles. This permission (every role by default; an administrator may withdraw it) opens the
    /// department's form; the handler admits only the department's head and members.
    static let departmentPart = Permission("service", "complaint_department_part", title: "填写分送本部门的投诉处理意见（部门负责人及成员）",
                                           defaultRoles: Role.all)
    /// 技术部 verifies and decides the remedy (RULES §3.1).
    static let remedy = Permission("service", "complaint_remedy", title: "决定质量投诉处理措施", defaultRoles: [.technical])
    static let report = Permission("service", "complaint_report", title: "投诉处理及时率报表、投诉处罚记录",
                                   defaultRoles: [.salesManager, .marketingDirector, .generalManager, .serviceSupervisor])
    /// The time limits: complaint deadlines (003 §7.8) and the rep's arrival after a return (003 §6.2).
    static let policy = Permission("service", "complaint_policy", title: "投诉处理及退货到达时限设置", defaultRoles: [.admin])

    static let permissions: [Permission] = [view, register, registerAny, viewAll, handle, department, departmentPart, remedy, report, policy]
    static let menu: [MenuItem] = [
        MenuItem("客户投诉", path: "complaints", access: .permission(view)),
        MenuItem("登记投诉", path: "complaints/new", access: .permission(register)),
        MenuItem("部门投诉待办", path: "queue", access: .permission(department)),
        MenuItem("投诉及时率", path: "complaints/report", access: .permission(report)),
        MenuItem("投诉处罚记录", path: "penalties", access: .permission(report)),
        MenuItem("时限设置", path: "policy", access: .permission(policy)),
    ]


    // MARK: states

    enum State: String, Sendable, CaseIterable {
        case open, routed, decided, verified, closed
    }

    static let stateTitles = ["open": "待处理", "routed": "已分送部门", "decided": "处理措施已定", "verified": "已核实",
                              "closed": "已结案"]
    static let kindTitles = ["quality": "质量投诉", "service": "服务投诉"]

    static let flow = StateMachine<State>(entity: "service.complaint", transitions: [
        .init("route", from: [.open, .routed], to: .routed, permission: handle, title: "分送相关部门"),
        .init("remedy", from: [.routed], to: .decided, permission: remedy, title: "决定处理措施"),
        .init("verify", from: [.open], to: .verified, permission: handle, requiresReason: true, title: "核实属实（填写处理建议）"),
        .init("close", from: [.open, .decided, .verified], to: .closed, permission: handle, title: "结案"),
        .init("reopen", from: [.closed], to: .open, permission: handle, requiresReason: true, title: "重新处理"),
    ])

    // MARK: forms

    static let maxFileBytes = 5 << 20
    static let photoTypes = ["image/png", "image/jpeg", "image/gif", "image/webp"]
    static let documentTypes = ["application/pdf", ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".txt"]

    static func registerForm(customers: [Choice]) -> FormSchema {
        FormSchema([
            FormField("kind", "投诉类别", .select([Choice("quality", "质量投诉"), Choice("service", "服务投诉")]), required: true),
            FormField("customer", "客户", .select(customers), required: true),
            FormField("summary", "投诉内容", .textarea, required: true, rules: [.length(min: 2, max: 2000)]),
            // 003 §7.8: the deadline runs from when the complaint was received, not registered.
            FormField("received_date", "受理日期", .date, rules: [.notInFuture], help: "客户投诉到达公司的日期；与受理时间都不填时按现在"),
            FormField("received_hour", "受理时间：时（0–23）", .integer, rules: [.range(0, 23)]),
            FormField("received_minute", "受理时间：分（0–59）", .integer, rules: [.range(0, 59)]),
            FormField("invoice_no", "票据（质量投诉）", rules: [.length(min: nil, max: 50)]),
            FormField("product", "品名（质量投诉）", rules: [.length(min: nil, max: 100)]),
            FormField("spec", "规格（质量投诉）", rules: [.length(min: nil, max: 100)]),
            FormField("quantity", "数量（质量投诉）", .integer, rules: [.range(1, 10_000_000)]),
            FormField("grade", "等级（质量投诉）", rules: [.length(min: nil, max: 20)]),
            FormField("color", "色号（质量投诉）", rules: [.length(min: nil, max: 20)]),
            FormField("purchase_date", "购买日期（质量投诉）", .date, rules: [.notInFuture]),
            FormField("concerned", "被投诉人员或部门（服务投诉）", rules: [.length(min: nil, max: 100)]),
            FormField("photo", "照片", .file(accept: photoTypes, maxBytes: maxFileBytes), help: "PNG/JPEG/GIF/WebP，不超过 5 MB"),
            FormField("document", "文件", .file(accept: documentTypes, maxBytes: maxFileBytes), help: "PDF/Word/Excel/文本，不超过 5 MB"),
        ], checks: [{ v in
            var errors: [FormError] = []
            if v.date("received_date") == nil && (v.int("received_hour") != nil || v.int("received_minute") != nil) {
                errors.append(FormError(field: "received_date", "请填写受理日期"))
            } else if v.date("received_date") != nil && v.int("received_hour") == nil {
                errors.append(FormError(field: "received_hour", "请填写受理时间（时）"))
            }
            if v.string("kind") == "quality", let received = v.date("received_date"), let purchase = v.date("purchase_date"), received < purchase {
                errors.append(FormError(field: "received_date", "受理日期不能早于购买日期（\(purchase.description)）"))
            }
            if v.string("kind") == "quality" {
                // 001 篇二 §4.2a: a quality complaint records these.
                for (f, label) in [("invoice_no", "票据"), ("product", "品名"), ("spec", "规格"), ("grade", "等级"), ("color", "色号")]
                where v.string(f).isEmpty {
                    errors.append(FormError(field: f, "质量投诉须填写\(label)"))
                }
                if v.int("quantity") == nil { errors.append(FormError(field: "quantity", "质量投诉须填写数量")) }
                if v.date("purchase_date") == nil { errors.append(FormError(field: "purchase_date", "质量投诉须填写购买日期")) }
            } else if v.string("kind") == "service", v.string("concerned").isEmpty {
                errors.append(FormError(field: "concerned", "服务投诉须填写被投诉的人员或部门"))
            }
            return errors
        }])
    }

    static let attachForm = FormSchema([
        FormField("photo", "照片", .file(accept: photoTypes, maxBytes: maxFileBytes)),
        FormField("document", "文件", .file(accept: documentTypes, maxBytes: maxFileBytes)),
    ], checks: [{ v in v.file("photo") == nil && v.file("document") == nil ? [FormError("请选择要上传的照片或文件")] : [] }])

    /// 001 篇二 §5.1, RULES §6 "Departments are records": the departments are picked from the
    /// directory (`ServiceDepartments.choices`), never typed.
    static func routeForm(_ departments: [Choice]) -> FormSchema {
        FormSchema([
            FormField("departments", "分送部门（技术部始终参与，决定处理措施）", .multiSelect(departments)),
            FormField("note", "分送说明", .textarea, rules: [.length(min: nil, max: 1000)]),
        ])
    }

    static let findingForm = FormSchema([
        FormField("finding", "本部门调查与处理意见", .textarea, required: true, rules: [.length(min: 2, max: 2000)]),
    ])

    static let remedyForm = FormSchema([
        FormField("remedy", "处理措施（技术部决定）", .textarea, required: true, rules: [.length(min: 2, max: 2000)]),
    ])

    static let closeForm = FormSchema([
        FormField("result", "处理结果", .textarea, required: true, rules: [.length(min: 2, max: 2000)]),
        FormField("feedback", "客户反馈意见", .textarea, required: true, rules: [.length(min: 2, max: 2000)]),
    ])

    /// 001 篇二 §5.3a: a notice of criticism and a fine of 20–100 元 per case.
    static let penaltyForm = FormSchema([
        FormField("person", "受处罚人员", required: true, rules: [.length(min: 1, max: 50)]),
        FormField("notice", "批评通报", .textarea, required: true, rules: [.length(min: 2, max: 1000)]),
        FormField("fine", "罚款（元，20–100）", .money, required: true, rules: [.range(2000, 10000)]),
    ])

    /// 001 篇二 §5.3b: a quality complaint found (技术部 decided the remedy) can lead to a notice of
    /// criticism of the responsible department and person and a penalty "according to the
    /// 考核方案" — **Decision:** the seeds give no amount, so the fine is typed with the clause it
    /// follows (0 for a notice only, at most ¥100,000 against typing errors); a very serious case
    /// records the proposal to dismiss. Decided by whoever handles complaints (the sales VP or
    /// manager, §4.2a), as the service-complaint penalty.
    static func qualityPenaltyForm(_ departments: [Choice]) -> FormSchema {
        FormSchema([
        FormField("department", "责任部门", .select(departments), required: true),
        FormField("person", "相关责任人", rules: [.length(min: nil, max: 50)]),
        FormField("notice", "批评通报", .textarea, required: true, rules: [.length(min: 2, max: 1000)]),
        FormField("fine", "罚款（元，按《考核方案》；仅通报批评不填或填 0）", .money, rules: [.range(0, 10_000_000)]),
        FormField("basis", "《考核方案》依据（条款与情节）", required: true, rules: [.length(min: 2, max: 200)]),
        FormField("dismissal", "情节十分严重、后果恶劣且无悔改表现：建议辞退", .checkbox),
    ], checks: [{ v in
        v.bool("dismissal") && v.string("person").isEmpty ? [FormError(field: "person", "建议辞退须写明相关责任人")] : []
    }])
    }

    static let policyForm = FormSchema([
        FormField("hours_in_city", "市内客户处理时限（小时）", .integer, required: true, rules: [.range(1, 720)]),
        FormField("hours_out_city", "市外客户处理时限（小时）", .integer, required: true, rules: [.range(1, 720)]),
        FormField("return_arrival_hours", "退货：销售业务员到达客户时限（小时，003 §6.2）", .integer, required: true, rules: [.range(1, 720)],
                  help: "从退货登记（接到客户退货通知）时起算"),
    ])

    static let forms: [String: FormSchema] = [
        "complaint": registerForm(customers: []), "complaint-attach": attachForm, "complaint-route": routeForm(ServiceDepartments.standardChoices),
        "complaint-finding": findingForm, "complaint-remedy": remedyForm, "complaint-close": closeForm,
        "complaint-penalty": penaltyForm, "complaint-quality-penalty": qualityPenaltyForm(ServiceDepartments.standardChoices), "complaint-policy": policyForm,
    ]

    static func routes(_ r: inout RouteBuilder) {
        r.get("complaints", .permission(view), ComplaintViews.list)
        r.form("complaints/new", .permission(register), register_)
        r.get("complaints/report", .permission(report), ComplaintViews.report)
        r.get("complaints/:id", .permission(view), ComplaintViews.detail)
        r.get("complaints/:id/print", .permission(view), ComplaintViews.print)
        r.get("complaints/:id/files/:fid", .permission(view), ComplaintViews.file)
        r.form("complaints/:id/attach", .permission(view), attach)
        r.form("complaints/:id/route", .permission(handle), ComplaintActions.route)
        // RULES §6: the department's head and members fill in its part — membership in the directory
        // is checked in the handler (record level).
        r.form("complaints/:id/departments/:dept", .permission(departmentPart), ComplaintActions.finding)
        r.form("complaints/:id/remedy", .permission(remedy), ComplaintActions.decideRemedy)
        r.form("complaints/:id/close", .permission(handle), ComplaintActions.close)
        r.form("complaints/:id/penalty", .permission(handle), ComplaintActions.penalty)
        r.post("complaints/:id/act", .permission(handle), ComplaintActions.act)
        r.get("queue", .permission(department), ComplaintViews.queue)    // scoped to the user's departments
        r.get("penalties", .permission(report), ComplaintViews.penalties)
        r.form("policy", .permission(policy), policyPage)
    }

    static func inbox(for user: User, _ ctx: Context) throws -> [InboxItem] {
        try ComplaintViews.inbox(for: user, ctx)
    }

    // MARK: loading and visibility

    /// The complaint, if the user may see it: holders of `complaint_view_all` / `complaint_handle`
    /// see all (004); the registrant; whoever may see the customer (the area's rep and
    /// supervisors, through CustomerDirectory); a department it was routed to. Otherwise 403.
    static func load(_ id: Int64, _ ctx: Context) throws -> Row {
        guard let c = try ctx.db.first("SELECT * FROM service_complaints WHERE id = \(id)") else { throw HTTPError.notFound }
        guard try maySee(c, ctx) else { throw HTTPError.forbidden }
        return c
    }

    static func maySee(_ c: Row, _ ctx: Context) throws -> Bool {
        let user = try ctx.requireUser()
        if ctx.can(viewAll) || ctx.can(handle) { return true }
        if c.int("created_by") == user.id { return true }
        // A department the complaint was routed to: its head and members (RULES §6).
        let depts = try ServiceDepartments.codes(of: user.id, ctx)
        if !depts.isEmpty {
            let routed = try ctx.db.scalar("""
                SELECT COUNT(*) FROM service_complaint_departments WHERE complaint_id = \(c.int("id") ?? 0) AND department IN (\(list: depts))
                """) ?? 0
            if routed > 0 { return true }
        }
        return try ServiceUtil.directory(ctx).maySee(customerID: c.int("customer_id") ?? 0, ctx)
    }

    /// SQL condition (on alias `c`) for the complaints the user may see.
    static func visibility(_ ctx: Context) throws -> SQL {
        let user = try ctx.requireUser()
        if ctx.can(viewAll) || ctx.can(handle) { return "1 = 1" }
        let ids = try ServiceUtil.visibleCustomerIDs(ctx)
        let depts = try ServiceDepartments.codes(of: user.id, ctx)
        var w: SQL = "(c.created_by = \(user.id)"
        if !ids.isEmpty { w = w + " OR c.customer_id IN (\(list: ids))" }
        if !depts.isEmpty {
            w = w + " OR c.id IN (SELECT complaint_id FROM service_complaint_departments WHERE department IN (\(list: depts)))"
        }
        return w + ")"
    }

    // MARK: registration

    static let register_: Handler = { req, ctx in
        let choices = ctx.can(registerAny) ? try ServiceUtil.allCustomerChoices(ctx) : try ServiceUtil.customerChoices(ctx)
        let (hour, minute) = ServiceDeadline.hourMinute(ctx)
        var initial = FormData([("received_date", ctx.today.description), ("received_hour", hour), ("received_minute", minute)])
        // From the customer page (登记投诉): the customer chosen already, if the user may pick it.
        if let c = req.query["customer"], choices.contains(where: { $0.value == c }) { initial.append("customer", c) }
        return try ctx.handleForm(registerForm(customers: choices), title: "登记客户投诉", initial: initial,
                                  page: { form in ComplaintFormPage(form: form) }) { v in
            let user = try ctx.requireUser()
            let dir = try ServiceUtil.directory(ctx)
            guard let cid = Int64(v.string("customer")), let customer = try dir.customer(id: cid, ctx),
                  try ctx.can(registerAny) && customer.status == "customer" || dir.maySee(customerID: cid, ctx) else {
                throw FormRejection(field: "customer", "请选择您可查看的客户")
            }
            let quality = v.string("kind") == "quality"
            let now = ctx.epoch
            // 受理时间: as typed (not in the future; the minute defaults to 0), or now when left empty.
            var received = now
            if let day = v.date("received_date") {
                guard let at = ServiceDeadline.instant(day, hour: v.int("received_hour") ?? 0, minute: v.int("received_minute") ?? 0,
                                                       ctx.timeZone) else {
                    throw FormRejection(field: "received_hour", "请填写 0–23 时、0–59 分")
                }
                if at > now { throw FormRejection(field: "received_hour", "受理时间不能晚于现在") }
                received = at
            }
            let due = ServiceDeadline.due(receivedAt: received, inCity: customer.inCity, policy: try DeadlinePolicy.load(ctx), timeZone: ctx.timeZone)
            let id: Int64 = try ctx.db.transaction {
                let id = try ctx.db.insert("""
                    INSERT INTO service_complaints (kind, customer_id, customer_name, in_city, summary, invoice_no, product, spec,
                        quantity, grade, color, purchase_date, concerned, state, registered_at, received_at, due_at, created_by, updated_at)
                    VALUES (\(v.string("kind")), \(customer.id), \(customer.name), \(customer.inCity), \(v.string("summary")),
                        \(quality ? v.optionalString("invoice_no") : nil), \(quality ? v.optionalString("product") : nil),
                        \(quality ? v.optionalString("spec") : nil), \(quality ? v.int("quantity") : nil),
                        \(quality ? v.optionalString("grade") : nil), \(quality ? v.optionalString("color") : nil),
                        \(quality ? v.optionalString("purchase_date") : nil), \(quality ? nil : v.optionalString("concerned")),
                        'open', \(now), \(received), \(due), \(user.id), \(now)) RETURNING id
                    """)
                try storeFiles(v, complaint: id, ctx)
                try ctx.audit(AuditEntry(entity: "service.complaint", entityID: String(id), action: "create", to: "open",
                                         reason: received == now ? nil : "受理时间 \(ctx.displayEpoch(received))"))
                return id
            }
            return .redirect(to: "/service/complaints/\(id)", flash: .ok("投诉已登记，投诉编号 \(DocNo.complaint(id))。"))
        }
    }

    static func storeFiles(_ v: FormValues, complaint id: Int64, _ ctx: Context) throws {
        let user = try ctx.requireUser()
        for name in ["photo", "document"] {
            guard let f = v.file(name) else { continue }
            let stored = try ctx.store(f)
            try ctx.db.execute("""
                INSERT INTO service_complaint_files (complaint_id, file_id, original_name, content_type, size, uploaded_by, uploaded_at)
                VALUES (\(id), \(stored.id), \(stored.originalName), \(stored.contentType), \(stored.size), \(user.id), \(ctx.epoch))
                """)
        }
    }

    /// More photos or documents on a complaint the user may see.
    static let attach: Handler = { req, ctx in
        let c = try load(try req.id(), ctx)
        let id = try c.requireInt("id")
        return try ctx.handleForm(attachForm, title: "上传投诉附件",
                                  page: { form in ComplaintStepPage(c, heading: "上传照片或文件", multipart: true, form: form) }) { v in
            try ctx.db.transaction {
                try storeFiles(v, complaint: id, ctx)
                try ctx.audit(AuditEntry(entity: "service.complaint", entityID: String(id), action: "attach"))
            }
            return .redirect(to: "/service/complaints/\(id)", flash: .ok("附件已上传。"))
        }
    }

    // MARK: policy

    static let policyPage: Handler = { req, ctx in
        let p = try DeadlinePolicy.load(ctx)
        func text(_ p: DeadlinePolicy) -> String { "\(p.hoursInCity)/\(p.hoursOutOfCity)/\(p.returnArrivalHours)" }
        return try ctx.handleForm(policyForm, title: "处理时限设置",
                                  initial: FormData([("hours_in_city", String(p.hoursInCity)), ("hours_out_city", String(p.hoursOutOfCity)),
                                                     ("return_arrival_hours", String(p.returnArrivalHours))]),
                                  page: { form in PolicyPage(form: form) }) { v in
            let new = DeadlinePolicy(hoursInCity: try v.requireInt("hours_in_city"), hoursOutOfCity: try v.requireInt("hours_out_city"),
                                     returnArrivalHours: try v.requireInt("return_arrival_hours"))
            try ctx.db.transaction {
                try ctx.db.execute("""
                    UPDATE service_policy SET hours_in_city = \(new.hoursInCity), hours_out_city = \(new.hoursOutOfCity),
                        return_arrival_hours = \(new.returnArrivalHours), updated_by = \(try ctx.requireUser().id), updated_at = \(ctx.epoch)
                    WHERE id = 1
                    """)
                try ctx.audit(AuditEntry(entity: "service.policy", entityID: "1", action: "edit", from: text(p), to: text(new)))
            }
            return .redirect(to: "/service/policy", flash: .ok("处理时限已保存。"))
        }
    }
}
