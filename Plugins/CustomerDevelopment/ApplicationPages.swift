import Foundation
import SalesKit

/// 新客户认定申请表 and its flow (002 §5, §8–§12; 003 §2.4): the rep applies, investigates
/// credit, writes the 客户评定报告 (a rating), the supervisor approves or rejects with a reason.
/// A credit problem suspends the application with a reason (002 §12); it can be resumed or
/// closed. Approval assigns the customer code (002 §6) and makes the customer visible to the
/// other departments (002 §7). Approval uses the customer's class in force (RULES §6): the
/// rating attached to the application is a proposal like any other (`RatingReview`), and an
/// E class (in force, or the pending first class) blocks approval (003 §2.3).
enum ApplicationPages {
    enum State: String, Sendable, CaseIterable {
        case draft, investigating, evaluated, suspended, approved, rejected, closed
    }

    static let stateTitles = ["draft": "草稿", "investigating": "信用调查中", "evaluated": "已评定，待审核", "suspended": "已中止（信用问题）",
                              "approved": "已批准", "rejected": "已驳回", "closed": "已关闭"]

    static let flow = StateMachine<State>(entity: "crm.application", transitions: [
        .init("submit", from: [.draft], to: .investigating, permission: CustomerDevelopmentModule.use, title: "提交并开始信用调查"),
        .init("evaluate", from: [.investigating], to: .evaluated, permission: CustomerDevelopmentModule.use, title: "提交客户评定报告"),
        .init("approve", from: [.evaluated], to: .approved, permission: CustomerDevelopmentModule.approve, title: "批准"),
        .init("reject", from: [.evaluated], to: .rejected, permission: CustomerDevelopmentModule.approve, requiresReason: true, title: "驳回"),
        .init("return", from: [.evaluated], to: .investigating, permission: CustomerDevelopmentModule.approve, requiresReason: true,
              title: "退回补充调查"),
        .init("suspend", from: [.investigating, .evaluated], to: .suspended, permission: CustomerDevelopmentModule.use,
              requiresReason: true, title: "因信用问题中止"),
        .init("resume", from: [.suspended], to: .investigating, permission: CustomerDevelopmentModule.approve, requiresReason: true,
              title: "恢复调查"),
        .init("close", from: [.suspended], to: .closed, permission: CustomerDevelopmentModule.approve, requiresReason: true, title: "关闭"),
    ])

    /// The confirmation after each step of the flow (#16: a flash, never a URL parameter).
    static let actionDone = [
        "submit": "申请已提交，开始信用调查。", "evaluate": "客户评定报告已提交，等待销售主管审核。",
        "approve": "申请已批准，客户已获得客户代码。", "reject": "申请已驳回，原因已记录。",
        "return": "申请已退回补充调查，原因已记录。", "suspend": "申请已因信用问题中止，原因已记录。",
        "resume": "已恢复调查，原因已记录。", "close": "申请已关闭，原因已记录。",
    ]

    static let natureChoices = ["中外合资", "国有", "大型民营", "中型民营", "小型民营", "其他"].map { Choice($0, $0) }
    static let ownChoices = [Choice("own", "自有"), Choice("rent", "租用")]
    /// Selection principles (002 §4), a checklist on the application.
    static let principles = [Choice("credit", "财务状况良好、信用可靠"), Choice("cooperation", "合作态度积极"),
                             Choice("confidential", "遵守商业和技术保密原则"), Choice("cost", "成本管理与控制水平符合要求")]

    static func amountRows(_ nameLabel: String) -> FieldKind {
        .rows(FormSchema([
            FormField("name", nameLabel, required: true, rules: [.length(min: nil, max: 100)]),
            FormField("amount", "销售额（元/年）", .money, rules: [.range(0, CustomerAmounts.max)]),
        ]), minRows: 0, blankRows: 3)
    }

    /// 新客户认定申请表 (002 §5 step 4), field by field.
    static let form = FormSchema([
        // 企业概况
        FormField("company_name", "企业名称", required: true, rules: [.length(min: 2, max: 100)]),
        FormField("founded", "成立时间", .date, rules: [.notInFuture]),
        FormField("trade_since", "交易时间", .date),
        FormField("legal_rep", "企业法人", rules: [.length(min: nil, max: 50)]),
        FormField("shareholders", "主要股东", .rows(FormSchema([
            FormField("name", "姓名", required: true, rules: [.length(min: nil, max: 50)]),
            FormField("title", "职务", rules: [.length(min: nil, max: 50)]),
        ]), minRows: 0, blankRows: 3)),
        FormField("capital", "总资本（元）", .money, rules: [.range(0, CustomerAmounts.max)]),
        FormField("location", "所在地", rules: [.length(min: nil, max: 50)]),
        FormField("postcode", "邮编", rules: [.pattern("[0-9]{6}", message: "邮编为 6 位数字")]),
        FormField("address", "地址", rules: [.length(min: nil, max: 200)]),
        FormField("phone", "电话", rules: [.pattern("[0-9+()\\- ]{5,30}", message: "请输入有效电话号码")]),
        FormField("fax", "传真", rules: [.pattern("[0-9+()\\- ]{5,30}", message: "请输入有效传真号码")]),
        FormField("hq", "总部", rules: [.length(min: nil, max: 200)]),
        FormField("factory", "工厂", rules: [.length(min: nil, max: 200)]),
        FormField("store", "门市", rules: [.length(min: nil, max: 200)]),
        FormField("scale", "经营规模", rules: [.length(min: nil, max: 100)]),
        FormField("nature", "企业性质", .select(natureChoices)),
        FormField("employees", "员工人数", .integer, rules: [.range(0, 10_000_000)]),
        FormField("avg_age", "平均年龄（岁）", .integer, rules: [.range(16, 80)]),
        // 近期业绩
        FormField("results", "近期业绩", .rows(FormSchema([
            FormField("year", "年度", .integer, required: true, rules: [.range(1950, 2100)]),
            FormField("sales", "销售额（元/年）", .money, rules: [.range(0, CustomerAmounts.max)]),
            FormField("operating_profit", "营业利润（元/年）", .money, rules: [.range(-CustomerAmounts.max, CustomerAmounts.max)]),
            FormField("net_profit", "本期利润（元/年）", .money, rules: [.range(-CustomerAmounts.max, CustomerAmounts.max)]),
        ]), minRows: 0, blankRows: 3)),
        // 客户和产品的销售额
        FormField("main_customers", "主要客户名称与销售额", amountRows("客户名称")),
        FormField("main_products", "主要生产品种与销售额", amountRows("品种")),
        // 工厂
        FormField("land_area", "工厂占地面积（平方米）", .integer, rules: [.range(0, nil)]),
        FormField("land_owned", "占地", .select(ownChoices)),
        FormField("building_area", "建筑物面积（平方米）", .integer, rules: [.range(0, nil)]),
        FormField("building_owned", "建筑物", .select(ownChoices)),
        // 供货条件
        FormField("supply_catalog", "供货商品目录", .textarea, rules: [.length(min: nil, max: 2000)]),
        FormField("annual_supply", "年供货额（元/年）", .money, rules: [.range(0, CustomerAmounts.max)]),
        // 交易理由与基本方针
        FormField("trade_reason", "交易理由", .textarea, rules: [.length(min: nil, max: 2000)]),
        FormField("trade_policy", "今后交易基本方针", .textarea, rules: [.length(min: nil, max: 2000)]),
        // 支付条件
        FormField("pay_cash_pct", "支付方法：现金（%）", .integer, rules: [.range(0, 100)]),
        FormField("pay_check_pct", "支付方法：支票（%）", .integer, rules: [.range(0, 100)]),
        FormField("pay_days", "支付期限（天）", .integer, rules: [.range(0, 365)]),
        FormField("bank", "开户银行（注明分行）", rules: [.length(min: nil, max: 100)]),
        FormField("principles", "选择原则核对（002 第4条）", .multiSelect(principles)),
        FormField("remarks", "备注", .textarea, rules: [.length(min: nil, max: 2000)]),
    ], checks: [{ v in
        // Cash and cheque shares describe one payment: together they are 100%.
        let cash = v.int("pay_cash_pct"), check = v.int("pay_check_pct")
        if cash != nil || check != nil, (cash ?? 0) + (check ?? 0) != 100 {
            return [FormError(field: "pay_check_pct", "现金与支票比例合计应为 100%")]
        }
        return []
    }])

    /// 新客户认定申请: the applications of the customers the user may see.
    static let listPage = ListPage(
        title: "新客户认定申请", path: "/crm/applications",
        select: """
            a.id, a.state, a.created_at, a.updated_at, c.id AS customer_id, c.name, c.name_sort, c.rating_class, COALESCE(u.display_name, '') AS applicant
            """,
        from: "crm_applications a JOIN crm_customers c ON c.id = a.customer_id LEFT JOIN users u ON u.id = a.applicant_id",
        scope: { ctx in try Visibility.filter(ctx) },
        columns: [
            .init("id", "申请编号", sql: "a.id") { r, ctx in
                let id = r.int("id") ?? 0
                return ListCell(documentNo(id: id, createdAt: r.int("created_at"), ctx), href: "/crm/applications/\(id)")
            },
            .text("customer", "企业名称", sql: "c.name_sort", column: "name"),   // 拼音 order (#16 point 10)
            .init("state", "状态", sql: "a.state") { r, _ in ListCell(stateTitles[r.string("state") ?? ""] ?? "") },
            // The expression, not its alias: keyset paging puts it in WHERE, where PostgreSQL knows no aliases (#17).
            .init("applicant", "申请人", sql: "COALESCE(u.display_name, '')", rowKey: "applicant") { r, _ in ListCell(r.string("applicant") ?? "") },
            .text("class", "评级", sql: "c.rating_class"),
            .time("updated", "更新时间", sql: "a.updated_at"),
        ],
        filters: [
            .choice("state", "状态", all: "全部状态", State.allCases.map { Choice($0.rawValue, stateTitles[$0.rawValue] ?? "") }) { s, _ in
                "a.state = \(s)"
            },
        ],
        defaultSort: "updated", defaultDescending: true, tiebreaker: "a.id", empty: "没有申请。", csvName: "认定申请.csv")

    /// The application row joined with its customer, if the user may see that customer.
    static func load(_ id: Int64, _ ctx: Context) throws -> (app: Row, customer: Row) {
        guard let app = try ctx.db.first("""
            SELECT a.*, COALESCE(u.display_name, '') AS applicant FROM crm_applications a
            LEFT JOIN users u ON u.id = a.applicant_id WHERE a.id = \(id)
            """) else { throw HTTPError.notFound }
        let customer = try Visibility.customer(app.int("customer_id") ?? 0, ctx)
        return (app, customer)
    }

    /// The application's document number (申请编号), shown wherever the application is named:
    /// `XKSQ-<year it was made, company time zone>-<id, at least 4 digits>` (新客户认定申请), e.g.
    /// `XKSQ-2026-0007`. Unique through the id, so never reused; no raw id is shown alone (#16).
    static func documentNo(id: Int64, createdAt: Int64?, _ ctx: Context) -> String {
        DocumentNo.make("XKSQ", id: id, createdAt: createdAt, ctx)
    }

    static func view(_ app: Row, _ ctx: Context) throws -> ApplicationView {
        let id = try app.requireInt("id")
        return ApplicationView(id: id, no: documentNo(id: id, createdAt: app.int("created_at"), ctx), applicant: app.string("applicant") ?? "")
    }

    static func initial(for c: Row) -> FormData {
        FormData([("company_name", c.string("name") ?? ""), ("location", c.string("city") ?? ""),
                  ("address", c.string("address") ?? ""), ("phone", c.string("phone") ?? "")])
    }

    /// Only the fields of the form, in the form's own encoding (rows as `lines.0.x`).
    static func stored(_ raw: FormData) -> String {
        var kept = FormData()
        for (n, v) in raw.pairs where n != "_csrf" && form.fields.contains(where: { n == $0.name || n.hasPrefix($0.name + ".") }) {
            kept.append(n, v)
        }
        return URLEncoding.encode(kept)
    }

    static let create: Handler = { req, ctx in
        let c = try Visibility.customer(try req.id(), ctx)
        let cid = try c.requireInt("id")
        let open = try ctx.db.scalar("SELECT COUNT(*) FROM crm_applications WHERE customer_id = \(cid) AND state IN ('draft', 'investigating', 'evaluated', 'suspended')") ?? 0
        guard c.string("status") == "prospect", open == 0 else {
            throw HTTPError.conflict("该客户已是正式客户，或已有进行中的认定申请。")
        }
        return try ctx.handleForm(form, title: "新客户认定申请表", initial: initial(for: c),
                                  page: { form in try ApplicationFormPage(c: CustomerView(c), form: form) }) { v in
            let user = try ctx.requireUser()
            let id: Int64 = try ctx.db.transaction {
                let id = try ctx.db.insert("""
                    INSERT INTO crm_applications (customer_id, state, data, applicant_id, created_at, updated_at)
                    VALUES (\(cid), 'draft', \(stored(req.form)), \(user.id), \(ctx.epoch), \(ctx.epoch)) RETURNING id
                    """)
                try ctx.audit(AuditEntry(entity: "crm.application", entityID: String(id), action: "create", to: "draft"))
                return id
            }
            return .redirect(to: "/crm/applications/\(id)", flash: .ok("认定申请表已保存为草稿。"))
        }
    }

    static let edit: Handler = { req, ctx in
        let (app, c) = try load(try req.id(), ctx)
        let id = try app.requireInt("id")
        guard ["draft", "investigating"].contains(app.string("state") ?? "") else {
            throw HTTPError.conflict("申请已进入评定或审批阶段，不能再修改。")
        }
        let saved = try URLEncoding.parse(app.string("data") ?? "")
        return try ctx.handleForm(form, title: "修改新客户认定申请表", initial: saved,
                                  page: { form in try ApplicationFormPage(c: CustomerView(c), form: form) }) { _ in
            try ctx.db.transaction {
                try ctx.db.execute("UPDATE crm_applications SET data = \(stored(req.form)), updated_at = \(ctx.epoch) WHERE id = \(id)")
                try ctx.audit(AuditEntry(entity: "crm.application", entityID: String(id), action: "edit"))
            }
            return .redirect(to: "/crm/applications/\(id)", flash: .ok("申请表已修改。"))
        }
    }

    static let list: Handler = { req, ctx in try listPage.respond(req, ctx) }

    /// The application's fields for display and print, in form order, with rows as tables.
    static func sections(_ data: FormData, of schema: FormSchema = form) -> [ApplicationSection] {
        schema.blank(data).view().fields.map { f in
            var out = ApplicationSection(label: f.label, value: "", isRows: f.isRows, columns: [], rows: [], hasRows: false)
            if f.isRows {
                out.columns = f.columns.map { .init(label: $0.label) }
                out.rows = f.rows.compactMap { row in
                    // A select cell shows its option's label (决策人…), not the stored value.
                    let cells = row.cells.map { cell in
                        cell.options.first { $0.value == cell.value && !cell.value.isEmpty }?.label ?? display(cell.value, isMoney: cell.isMoney)
                    }
                    return cells.allSatisfy(\.isEmpty) ? nil : .init(cells: cells)
                }
                out.hasRows = !out.rows.isEmpty
            } else if !f.options.isEmpty {
                out.value = f.options.filter(\.selected).map(\.label).joined(separator: "；")
            } else {
                out.value = display(f.value, isMoney: f.isMoney)
            }
            return out
        }
    }

    /// The sections of the paper 新客户认定申请表 (002 §5) and their fields, in order: the page,
    /// the print view and the form (`application-form`) follow them.
    static let paperSections: [(title: String, fields: [String])] = [
        ("企业概况", ["company_name", "nature", "founded", "trade_since", "legal_rep", "capital", "location", "postcode", "address",
                  "phone", "fax", "hq", "factory", "store", "scale", "employees", "avg_age", "shareholders"]),
        ("近期业绩", ["results"]),
        ("客户和产品的销售额", ["main_customers", "main_products"]),
        ("工厂与供货条件", ["land_area", "land_owned", "building_area", "building_owned", "supply_catalog", "annual_supply"]),
        ("交易理由与基本方针", ["trade_reason", "trade_policy"]),
        ("支付条件", ["pay_cash_pct", "pay_check_pct", "pay_days", "bank"]),
        ("选择原则与备注", ["principles", "remarks"]),
    ]

    /// A stored form for display and print, laid out like paper (#16): in `paper`'s sections (one
    /// untitled section of every field when nil), short fields two to a line, rows, long texts and
    /// checklists across the line. `keep` leaves fields out (e.g. the empty ones).
    static func groups(_ data: FormData, of schema: FormSchema = form, in paper: [(title: String, fields: [String])]? = nil,
                       keep: (ApplicationSection) -> Bool = { _ in true }) -> [DocumentGroup] {
        let fields = schema.blank(data).view().fields
        var byName: [String: (section: ApplicationSection, wide: Bool)] = [:]
        for (f, s) in zip(fields, sections(data, of: schema)) where keep(s) {
            byName[f.name] = (s, f.isRows || f.isTextarea || f.isMultiSelect)
        }
        let layout = paper ?? [("", fields.map(\.name))]
        return layout.compactMap { title, names in
            var lines: [DocumentLine] = []
            var pending: ApplicationSection?
            for name in names {
                guard let (s, wide) = byName[name] else { continue }
                if wide {
                    if let p = pending { lines.append(DocumentLine(isWide: false, pairs: [p])) }
                    pending = nil
                    lines.append(DocumentLine(isWide: true, pairs: [s]))
                } else if let p = pending {
                    lines.append(DocumentLine(isWide: false, pairs: [p, s]))
                    pending = nil
                } else {
                    pending = s
                }
            }
            if let p = pending { lines.append(DocumentLine(isWide: false, pairs: [p])) }
            return lines.isEmpty ? nil : DocumentGroup(title: title, hasTitle: !title.isEmpty, lines: lines)
        }
    }

    /// A field's value as printed: money as `1,234.50`, everything else as typed.
    static func display(_ value: String, isMoney: Bool) -> String {
        if isMoney, let fen = Money.parse(value) { return Money.format(fen) }
        return value
    }

    struct Shown {
        var app: ApplicationView
        var c: CustomerView
        var stateText: String
        var hasCode: Bool
        var groups: [DocumentGroup]
        var rating: ApplicationRating?
        var state: State
        /// The customer's class in force (RULES §6), `未评定` when none.
        var inForce: String
        /// The 新客户信用调查表 (002 §9), nil while not filled in.
        var survey: DocumentView?
        var surveyText: String
        /// The survey is missing and 提交客户评定报告 waits for it (002 §9, `CreditSurvey.isRequired`).
        var surveyMissing: Bool
    }

    /// What the application page and its print show.
    static func shown(_ req: Request, _ ctx: Context) throws -> Shown {
        let (app, c) = try load(try req.id(), ctx)
        let id = try app.requireInt("id")
        let state = State(rawValue: app.string("state") ?? "") ?? .draft
        let survey = try CreditSurvey.load(applicationID: id, ctx)
        let rating = try ctx.db.first("SELECT id, total, rating_class, rated_at, state FROM crm_ratings WHERE application_id = \(id) ORDER BY rated_at DESC, id DESC")
        return Shown(
            app: try view(app, ctx), c: CustomerView(c),
            stateText: stateTitles[state.rawValue] ?? "", hasCode: c.string("code") != nil,
            groups: groups(try URLEncoding.parse(app.string("data") ?? ""), in: paperSections),
            rating: rating.map { r in
                ApplicationRating(id: r.int("id") ?? 0, total: r.string("total") ?? "", rating_class: r.string("rating_class") ?? "",
                                  classTitle: Rating.classTitles[r.string("rating_class") ?? ""] ?? "",
                                  stateText: RatingReview.stateTitles[r.string("state") ?? ""] ?? "")
            },
            state: state, inForce: RatingPages.classText(c.string("rating_class")),
            survey: try survey.map {
                DocumentView(groups: groups(try URLEncoding.parse($0.string("data") ?? ""), of: CreditSurvey.form, in: CreditSurvey.paperSections))
            },
            surveyText: survey.map { s in
                "调查结论：\(CreditSurvey.conclusionTitles[s.string("conclusion") ?? ""] ?? "") · 调查人 \(s.string("surveyor") ?? "") · \(ctx.displayEpoch(s.int("updated_at")))"
            } ?? "尚未填写新客户信用调查表（002 第9条）。",
            surveyMissing: survey == nil && CreditSurvey.openStates.contains(state.rawValue)
                && CreditSurvey.isRequired(classInForce: c.string("rating_class")))
    }

    /// The approval panel (issue #16 point 8): 审批意见 above only the steps this user can take
    /// now — 批准 the usual one, 驳回 a refusal, each needing the opinion where the flow says so.
    static func decisions(_ state: State, _ ctx: Context) -> [ApprovalPanel.Decision] {
        flow.available(from: state, for: ctx.user).map(ApprovalPanel.Decision.init)
    }

    static let detail: Handler = { req, ctx in try detailPage(req, ctx) }

    /// The application's page; after a refused panel submit, with the panel's error and the
    /// typed opinion kept (422).
    static func detailPage(_ req: Request, _ ctx: Context, refusal: (message: String, opinion: String)? = nil) throws -> Response {
        let s = try shown(req, ctx)
        // 办理记录: the application's steps and its credit survey's (keyed by the application's id).
        let history = try ctx.history([AuditSubject("crm.application", s.app.id), AuditSubject("crm.credit_survey", s.app.id)])
        var approval = ApprovalPanel(heading: "办理", url: "/crm/applications/\(s.app.id)/act", decisions: decisions(s.state, ctx))
        if let refusal { approval = approval?.with(error: refusal.message, opinion: refusal.opinion) }
        return ctx.render(ApplicationPage(
            app: s.app, c: s.c, stateText: s.stateText, hasCode: s.hasCode, groups: s.groups,
            rating: s.rating, hasRating: s.rating != nil, inForce: s.inForce, survey: s.survey, surveyText: s.surveyText,
            canSurvey: CreditSurvey.openStates.contains(s.state.rawValue), surveyMissing: s.surveyMissing,
            canRate: s.state == .investigating, canEdit: s.state == .draft || s.state == .investigating,
            approval: approval,
            history: history), title: "新客户认定申请", status: refusal == nil ? 200 : 422)
    }

    static let print: Handler = { req, ctx in
        let s = try shown(req, ctx)
        return ctx.render(ApplicationPrintPage(
            app: s.app, c: s.c, stateText: s.stateText, hasCode: s.hasCode, groups: s.groups,
            rating: s.rating, hasRating: s.rating != nil, survey: s.survey, surveyText: s.surveyText,
            printedAt: ctx.display(ctx.now), signatures: try signatures(try req.id(), ctx)), title: "新客户认定申请表")
    }

    /// The printed 申请表's signatures: 编制 the applicant (the day it was made), 批准 whoever
    /// approved it (003 §2.4) once approved; a rejected or open application leaves 批准 to the pen.
    static func signatures(_ id: Int64, _ ctx: Context) throws -> SignatureBlock {
        guard let a = try ctx.db.first("""
            SELECT a.state, a.created_at, a.decided_at, COALESCE(u.display_name, '') AS applicant, COALESCE(d.display_name, '') AS decider
            FROM crm_applications a LEFT JOIN users u ON u.id = a.applicant_id LEFT JOIN users d ON d.id = a.decided_by
            WHERE a.id = \(id)
            """) else { return SignatureBlock() }
        let approved = a.string("state") == State.approved.rawValue
        return SignatureBlock(prepared: .init(a.string("applicant"), at: a.int("created_at"), ctx),
                              approved: approved ? .init(a.string("decider"), at: a.int("decided_at"), ctx) : nil)
    }

    /// Takes an action of the flow. Business refusals come back to the page with the reason.
    static let act: Handler = { req, ctx in
        let (app, c) = try load(try req.id(), ctx)
        let id = try app.requireInt("id")
        let state = State(rawValue: app.string("state") ?? "") ?? .draft
        // One approval panel: a decision offered here without its required opinion comes back as
        // 422 beside the opinion box, with what was typed kept. A decision not offered goes on to
        // the flow, which answers as before (403 without the permission, a refusal otherwise).
        let action = req.form["action"] ?? ""
        let offered = decisions(state, ctx)
        if offered.contains(where: { $0.action == action }), case .refused(let message) = ApprovalPanel.read(req, offered: offered) {
            return try detailPage(req, ctx, refusal: (message, req.form["reason"] ?? ""))
        }
        let reason = req.form["reason"].flatMap { r in
            let t = r.trimmingCharacters(in: .whitespacesAndNewlines)
            return t.isEmpty ? nil : t
        }
        func back(_ message: String) -> Response {
            .redirect(to: "/crm/applications/\(id)", flash: .error(message))     // in the session, never in the URL (#16)
        }
        // 003 §2.4: the 客户评定报告 of this application (a replaced or rejected one does not count).
        let rating = try ctx.db.first("""
            SELECT id FROM crm_ratings WHERE application_id = \(id) AND state IN ('proposed', 'reviewed', 'approved') LIMIT 1
            """)
        // 002 §9–§10: the credit survey comes first, then the rating (003 §2.4).
        if action == "evaluate", let refusal = CreditSurvey.blocksEvaluation(try CreditSurvey.load(applicationID: id, ctx),
                                                                          classInForce: c.string("rating_class")) {
            return back(refusal)
        }
        if action == "evaluate" && rating == nil { return back("请先填写客户评定报告（评分），再提交。") }
        var approval: RatingReview.ApprovalClass?
        if action == "approve" && state == .evaluated && ctx.can(CustomerDevelopmentModule.approve) {
            // RULES §6: the class in force, not the rating attached to the application; E (003 §2.3,
            // 不予发展客户) blocks it: 409 with the reason.
            let a = try RatingReview.applicationClass(customer: c, ctx)
            if case .refused(let message) = a { throw HTTPError.conflict(message) }
            approval = a
        }
        do {
            try ctx.db.transaction {
                let next = try flow.apply(action, from: state, id: String(id), reason: reason, ctx)
                let user = try ctx.requireUser()
                // Optimistic check: the state must still be the one the user saw.
                let changed = try ctx.db.execute("""
                    UPDATE crm_applications SET state = \(next.rawValue), updated_at = \(ctx.epoch),
                        decided_by = \(next == .approved || next == .rejected || next == .closed ? user.id : nil),
                        decided_at = \(next == .approved || next == .rejected || next == .closed ? ctx.epoch : nil),
                        decision_reason = \(reason)
                    WHERE id = \(id) AND state = \(state.rawValue)
                    """)
                guard changed == 1 else { throw HTTPError.conflict("申请状态已被他人修改，请刷新后重试。") }
                if next == .approved {
                    // Decided above for "approve"; not unwrapped should another action ever approve.
                    let cls: String
                    switch approval {
                    case .inForce(let inForce)?: cls = inForce
                    case .withPending(let p)?:
                        try RatingReview.approveWithApplication(p, applicationID: id, ctx)
                        cls = p.string("rating_class") ?? ""
                    case .refused(let message)?: throw HTTPError.conflict(message)
                    case nil: throw HTTPError.conflict("该客户没有经审核的评级（客户评定报告），不能批准。")
                    }
                    try approveCustomer(c, ratingClass: cls, ctx)
                }
            }
        } catch let refusal as StateMachine<State>.Refusal {
            if case .forbidden = refusal { throw HTTPError.forbidden }
            return back(refusal.description)
        }
        return .redirect(to: "/crm/applications/\(id)", flash: .ok(actionDone[action] ?? "已办理。"))
    }

    /// Makes the prospect a customer: a unique, never-reused code (002 §6) taken from a per-year
    /// counter inside the approving transaction, so two approvals at the same moment cannot get
    /// the same number (write transactions are serialized; the code column is also UNIQUE).
    static func approveCustomer(_ c: Row, ratingClass: String, _ ctx: Context) throws {
        let cid = try c.requireInt("id")
        var code = c.string("code")
        if code == nil {
            let year = ctx.today.year
            let n = try ctx.db.scalar("""
                INSERT INTO crm_code_counters (year, last) VALUES (\(year), 1)
                ON CONFLICT (year) DO UPDATE SET last = crm_code_counters.last + 1 RETURNING last
                """) ?? 1
            let format = try ctx.db.first("SELECT value FROM crm_settings WHERE key = 'code_format'")?.string("value") ?? "KH-YYYY-NNNN"
            code = CustomerCode.make(format: format, year: year, number: Int(n))
        }
        try ctx.db.execute("""
            UPDATE crm_customers SET status = 'customer', code = \(code), approved_at = \(ctx.epoch), updated_at = \(ctx.epoch)
            WHERE id = \(cid)
            """)
        try ctx.audit(AuditEntry(entity: "crm.customer", entityID: String(cid), action: "approve", from: c.string("status"),
                                 to: "customer", reason: "客户代码 \(code ?? "")，评级 \(ratingClass)"))
    }
}

// MARK: - Page models

/// 新客户认定申请表, new or revised: laid out in the sections of the paper form (#16), the short
/// fields two to a line in a paper-form table, the rows and long texts across.
struct ApplicationFormPage: PageModel {
    static let template = "application-form"
    var c: CustomerView
    var form: FormView
    var field: Fields

    init(c: CustomerView, form: FormView) throws {
        self.c = c
        self.form = form
        field = try form.fields(as: Fields.self)
    }

    /// Every field of `ApplicationPages.form`, named as the field (`FormView.fields(as:)`).
    struct Fields: TemplateModel {
        // 企业概况
        var company_name, founded, trade_since, legal_rep, shareholders, capital, location, postcode, address, phone, fax: FieldView
        var hq, factory, store, scale, nature, employees, avg_age: FieldView
        // 近期业绩; 客户和产品的销售额
        var results, main_customers, main_products: FieldView
        // 工厂; 供货条件
        var land_area, land_owned, building_area, building_owned, supply_catalog, annual_supply: FieldView
        // 交易理由与基本方针; 支付条件; 选择原则; 备注
        var trade_reason, trade_policy, pay_cash_pct, pay_check_pct, pay_days, bank, principles, remarks: FieldView
    }
}

/// The application in the pages' header.
struct ApplicationView: TemplateModel {
    var id: Int64
    /// 申请编号 (`ApplicationPages.documentNo`).
    var no: String
    var applicant: String
}

/// The 客户评定报告 tied to an application.
struct ApplicationRating: TemplateModel {
    var id: Int64
    var total: String
    var rating_class: String
    var classTitle: String
    /// The proposal's review state (RULES §6).
    var stateText: String
}

/// A section of a stored form as shown (`application-sections`): its title and its lines.
struct DocumentGroup: TemplateModel {
    var title: String
    var hasTitle: Bool
    var lines: [DocumentLine]
}

/// One line of a `DocumentGroup`: two short fields side by side, or one wide field across.
struct DocumentLine: TemplateModel {
    var isWide: Bool
    var pairs: [ApplicationSection]
}

/// One field of the application as shown and printed (`application-sections`): a value, or
/// for a rows field a small table.
struct ApplicationSection: TemplateModel {
    var label: String
    var value: String
    var isRows: Bool
    var columns: [Column]
    var rows: [Line]
    var hasRows: Bool

    struct Column: TemplateModel {
        var label: String
    }

    struct Line: TemplateModel {
        var cells: [String]
    }
}

/// 新客户认定申请: the application, its rating, the actions of the flow and its history.
struct ApplicationPage: PageModel {
    static let template = "application"
    var app: ApplicationView
    var c: CustomerView
    var stateText: String
    var hasCode: Bool
    /// The application's fields in the paper form's sections.
    var groups: [DocumentGroup]
    var rating: ApplicationRating?
    var hasRating: Bool
    /// The customer's class in force, which approval uses (RULES §6).
    var inForce: String
    /// 新客户信用调查表 (002 §9), nil while not filled in; a line on its conclusion.
    var survey: DocumentView?
    var surveyText: String
    var canSurvey: Bool
    /// 提交客户评定报告 waits for the survey (002 §9): a notice with a link to it.
    var surveyMissing: Bool
    var canRate: Bool
    var canEdit: Bool
    /// 办理: 审批意见 and the steps this user can take now (nil: none, no empty card).
    var approval: ApprovalPanel?
    /// 办理记录 (`ctx.history`): the application's and its credit survey's steps.
    var history: History
}

/// 新客户认定申请表 for print.
struct ApplicationPrintPage: PageModel {
    static let template = "application-print"
    var app: ApplicationView
    var c: CustomerView
    var stateText: String
    var hasCode: Bool
    /// The application's fields in the paper form's sections.
    var groups: [DocumentGroup]
    var rating: ApplicationRating?
    var hasRating: Bool
    var survey: DocumentView?
    var surveyText: String
    var printedAt: String
    /// 编制 the applicant, 批准 the approver once approved — names and dates.
    var signatures: SignatureBlock
}

/// Customer codes: `YYYY` is the year, a run of `N` the zero-padded sequence number
/// (default `KH-YYYY-NNNN` → `KH-2026-0001`).
enum CustomerCode {
    static func make(format: String, year: Int, number: Int) -> String {
        var out = format.replacingOccurrences(of: "YYYY", with: String(year))
        // The sequence is the last run of N (a prefix such as "CN-" keeps its letter).
        if let last = out.lastIndex(of: "N") {
            var start = last
            while start > out.startIndex, out[out.index(before: start)] == "N" { start = out.index(before: start) }
            let range = start..<out.index(after: last)
            let width = out.distance(from: range.lowerBound, to: range.upperBound)
            let digits = String(number)
            out.replaceSubrange(range, with: String(repeating: "0", count: max(0, width - digits.count)) + digits)
        } else {
            out += String(number)
        }
        return out
    }

    static func isValidFormat(_ f: String) -> Bool {
        f.contains("YYYY") && f.range(of: "N+", options: .regularExpression) != nil && f.count <= 30
    }
}
