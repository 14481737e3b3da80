import Foundation
import SalesKit

/// Implementation of adopted suggestions (002 §26, §23.3): one order per department, issued at
/// finalization (`ReviewPages.finalize`). The department manager — a user whose department is the
/// order's and who holds `ideas.implement` — fills in the implementation date and method by the
/// end of the following month (§26.2) and reports difficulties or disagreements to the chair; the
/// chair rules on them (§26.3); the committee confirms the effect after implementation (§26.5),
/// may top up the proposer's award when the effect exceeds expectations (§26.4), and records
/// implementation-performance awards (§23.3). Every step is audited and kept in the order's history.
enum ImplPages {
    enum Action: String, Sendable { case plan, issue, decide, confirm, performance }

    static let stateTitles = ["issued": "待填报实施计划", "planned": "实施中（计划已填报）", "confirmed": "效果已确认"]
    static let states = [Choice("issued", "待填报实施计划"), Choice("planned", "实施中（计划已填报）"), Choice("confirmed", "效果已确认")]
    static let issueKinds = [Choice("difficulty", "实施中遇到困难"), Choice("disagreement", "与有关部门意见不合")]
    static let issueTitles = Dictionary(uniqueKeysWithValues: issueKinds.map { ($0.value, $0.label) })
    static let eventTitles = ["plan": "填报实施计划", "difficulty": "报告实施困难", "disagreement": "报告意见不合", "decision": "主任委员裁决",
                              "confirm": "确认实施效果", "topup": "追补奖金", "performance": "实施绩效奖"]

    static let planForm = FormSchema([
        FormField("plan_date", "实施日期", .date, required: true),
        FormField("plan_method", "实施要领（方法、步骤、负责人）", .textarea, required: true, rules: [.length(min: 5, max: 2000)]),
    ])

    static let issueForm = FormSchema([
        FormField("kind", "类型", .select(issueKinds), required: true),
        FormField("text", "情况说明", .textarea, required: true, rules: [.length(min: 5, max: 2000)]),
    ])

    static let decisionForm = FormSchema([
        FormField("action", "裁决", .select([Choice("proceed", "按现有计划继续实施"), Choice("replan", "退回部门重新填报实施计划")]), required: true),
        FormField("decision", "裁决意见", .textarea, required: true, rules: [.length(min: 2, max: 2000)]),
    ])

    /// Top-up at most ¥100,000.00 (10,000,000 分).
    static let confirmForm = FormSchema([
        FormField("effect", "实施效果", .textarea, required: true, rules: [.length(min: 5, max: 2000)]),
        FormField("exceeded", "实施效果超过原先预期（第26条第4款）", .checkbox),
        FormField("topup", "追补建议人奖金（元）", .money, rules: [.range(1, 10_000_000)],
                  help: "效果超过原先预期时，经委员会审查后追补；不追补请留空。每条建议只追补一次。"),
        FormField("topup_reason", "追补理由", .textarea, rules: [.length(min: nil, max: 1000)]),
    ], checks: [{ v in
        var e: [FormError] = []
        if v.money("topup") != nil && !v.bool("exceeded") {
            e.append(FormError(field: "topup", "只有实施效果超过原先预期时才能追补奖金"))
        }
        if v.money("topup") != nil && v.optionalString("topup_reason") == nil {
            e.append(FormError(field: "topup_reason", "请填写追补理由"))
        }
        return e
    }])

    /// §23.3: the recipients are the active users (choices built per request).
    static func performanceForm(_ recipients: [Choice]) -> FormSchema {
        FormSchema([
            FormField("recipient", "获奖人", .select(recipients), required: true),
            FormField("amount", "金额（元）", .money, required: true, rules: [.range(1, 10_000_000)]),
            FormField("reason", "实施绩效说明", .textarea, required: true, rules: [.length(min: 2, max: 1000)]),
        ])
    }

    // MARK: Loading and access

    static func load(_ req: Request, _ ctx: Context) throws -> Row {
        guard let o = try ctx.db.first("""
            SELECT o.*, s.title, s.batch, s.outcome, s.proposer_id, s.department AS proposer_department, s.content,
                   s.expected_effect, COALESCE(u.display_name, '') AS proposer
            FROM ideas_orders o JOIN ideas_suggestions s ON s.id = o.suggestion_id LEFT JOIN users u ON u.id = s.proposer_id
            WHERE o.id = \(try req.id())
            """) else { throw HTTPError.notFound }
        return o
    }

    /// Who the user is for this order.
    struct Standing {
        var manager: Bool
        var seat: String?
        var reviewer: Bool
        var member: Bool { seat != nil }
        var chair: Bool { seat == "chair" }
        var mayView: Bool { manager || reviewer }
    }

    /// RULES §6 "Departments are records": the order is the business of its department (the
    /// directory's): its head — the department manager of §26.2 — and its members holding
    /// `ideas.implement` fill in the plan.
    static func isManager(_ user: User, of department: String, _ ctx: Context) throws -> Bool {
        guard user.can(SuggestionsModule.orderDepartment),
              let d = try IdeasDepartments.org(ctx).department(code: department, ctx) else { return false }
        return d.headID == user.id || (user.can(SuggestionsModule.implement) && d.memberIDs.contains(user.id))
    }

    static func standing(_ o: Row, _ ctx: Context) throws -> Standing {
        let user = try ctx.requireUser()
        let seat = user.can(SuggestionsModule.review) ? try Committee.position(user.id, ctx) : nil
        return Standing(manager: try isManager(user, of: o.string("department") ?? "", ctx), seat: seat,
                        reviewer: user.can(SuggestionsModule.review))
    }

    static func issuedOn(_ o: Row, _ ctx: Context) -> LocalDate {
        LocalDate(date: Date(timeIntervalSince1970: Double(o.int("created_at") ?? 0)), timeZone: ctx.timeZone)
    }

    /// Plan not back by the due date (§26.2).
    static func overdue(_ o: Row, today: LocalDate) -> Bool {
        o.string("state") == "issued" && (LocalDate(o.string("plan_due") ?? "").map { $0 < today } ?? false)
    }

    /// The plan was returned after the due date.
    static func late(_ o: Row, _ ctx: Context) -> Bool {
        guard let at = o.int("planned_at"), let due = LocalDate(o.string("plan_due") ?? "") else { return false }
        return LocalDate(date: Date(timeIntervalSince1970: Double(at)), timeZone: ctx.timeZone) > due
    }

    static func recipients(_ o: Row, _ ctx: Context) throws -> [Choice] {
        let name = IdeasDepartments.title(o.string("department") ?? "", ctx)
        return try ctx.db.query("""
            SELECT id, display_name, department FROM users WHERE active = 1
            ORDER BY CASE WHEN department = \(name) THEN 0 ELSE 1 END, department, display_name, id
            """).map { u in
            let d = u.string("department") ?? ""
            return Choice(String(u.int("id") ?? 0), (u.string("display_name") ?? "") + (d.isEmpty ? "" : "（\(d)）"))
        }
    }

    // MARK: The order page

    static let show: Handler = { req, ctx in try page(req, ctx) }

    /// GET shows the order with the focused form (restored after a session expiry; `plan` is also
    /// the department manager's view of the order); POST acts.
    static func handler(_ action: Action) -> Handler {
        { req, ctx in
            guard req.method == "POST" else { return try page(req, ctx, focus: action) }
            switch action {
            case .plan: return try plan(req, ctx)
            case .issue: return try issue(req, ctx)
            case .decide: return try decide(req, ctx)
            case .confirm: return try confirm(req, ctx)
            case .performance: return try performance(req, ctx)
            }
        }
    }

    /// The order page; `bound` is a form of `action` that failed (422).
    static func page(_ req: Request, _ ctx: Context, focus: Action? = nil, bound: (Action, BoundForm)? = nil) throws -> Response {
        let o = try load(req, ctx)
        let who = try standing(o, ctx)
        guard who.mayView else { throw HTTPError.notFound }
        let id = o.int("id") ?? 0
        let state = o.string("state") ?? "issued"
        let open = state != "confirmed"

        func form(_ a: Action, _ schema: FormSchema, initial: FormData = .init()) -> FormView {
            if let failed = bound, failed.0 == a { return failed.1.view() }
            let start = (focus == a ? ctx.resumedForm : nil) ?? initial
            return schema.blank(start, today: ctx.today).view()
        }

        var page = OrderPage(
            id: id, number: number(id), backHref: focus == .plan || focus == .issue || !who.reviewer ? "/ideas/orders/mine" : "/ideas/orders",
            resumed: ctx.resumedForm != nil && focus != nil,
            o: .init(suggestionID: o.int("suggestion_id") ?? 0, title: o.string("title") ?? "", proposer: o.string("proposer") ?? "",
                     proposerDepartment: o.string("proposer_department") ?? "",
                     department: IdeasDepartments.title(o.string("department") ?? "", ctx),
                     unmatched: !IdeasDepartments.known(o.string("department") ?? "", ctx),
                     due: o.string("due") ?? "", planDue: o.string("plan_due") ?? "", content: o.string("content") ?? "",
                     expectedEffect: o.string("expected_effect") ?? "", planDate: o.string("plan_date") ?? "",
                     planMethod: o.string("plan_method") ?? "", difficulty: o.string("difficulty") ?? "",
                     decision: o.string("decision") ?? "", effect: o.string("effect") ?? ""),
            outcome: SubmitPages.outcomeTitles[o.string("outcome") ?? ""] ?? "",
            batchTitle: SuggestionCalendar.Batch(o.string("batch") ?? "")?.title ?? "",
            stateTitle: stateTitles[state] ?? state,
            overdue: overdue(o, today: ctx.today), late: late(o, ctx),
            issued: issuedOn(o, ctx).description,
            hasPlan: o.string("plan_date") != nil, plannedAt: ctx.ideasTime(o.int("planned_at")),
            hasIssue: o.string("difficulty") != nil, issueKind: issueTitles[o.string("issue_kind") ?? ""] ?? "", issueOpen: o.bool("issue_open"),
            hasDecision: o.string("decision") != nil,
            confirmed: state == "confirmed", exceeded: o.bool("exceeded"))
        page.events = try ctx.db.query("""
            SELECT e.kind, e.text, e.created_at, COALESCE(u.display_name, '') AS author
            FROM ideas_order_events e LEFT JOIN users u ON u.id = e.author_id WHERE e.order_id = \(id) ORDER BY e.id
            """).map { e in
            .init(kind: eventTitles[e.string("kind") ?? ""] ?? "", text: e.string("text") ?? "", author: e.string("author") ?? "",
                  at: ctx.ideasTime(e.int("created_at")))
        }
        if who.reviewer {
            page.awards = try ctx.db.query("""
                SELECT l.kind, l.title, l.amount_fen, COALESCE(u.display_name, '') AS person FROM ideas_ledger l
                LEFT JOIN users u ON u.id = l.user_id
                WHERE l.suggestion_id = \(o.int("suggestion_id") ?? 0) AND (l.order_id IS NULL OR l.order_id = \(id)) ORDER BY l.id
                """).map { l in
                .init(kind: AwardsLedger.kindTitles[l.string("kind") ?? ""] ?? "", title: l.string("title") ?? "",
                      person: l.string("person") ?? "", amount: Money.yuan(l.int("amount_fen") ?? 0),
                      amountUpper: Money.uppercase(l.int("amount_fen") ?? 0))
            }
            page.hasAwards = !page.awards.isEmpty
        }
        if who.manager && open {
            var initial = FormData()
            if let d = o.string("plan_date") { initial.append("plan_date", d) }
            if let m = o.string("plan_method") { initial.append("plan_method", m) }
            page.planForm = form(.plan, planForm, initial: initial)
            page.issueForm = form(.issue, issueForm)
        }
        if who.chair && open { page.decisionForm = form(.decide, decisionForm) }
        if who.member && state == "planned" { page.confirmForm = form(.confirm, confirmForm) }
        if who.member && state == "confirmed" { page.performanceForm = form(.performance, performanceForm(try recipients(o, ctx))) }
        return ctx.render(page, title: "建议实施命令单 \(number(id))", status: bound == nil ? 200 : 422)
    }

    // MARK: Actions

    /// The order's number as people cite it: 实施命令单 `SS000012`.
    static func number(_ id: Int64) -> String { DocumentNumber.make("SS", id) }

    /// The department manager's page of an order (`ideas.implement`); the committee's is `/ideas/orders/<id>`.
    static func managerPath(_ id: Int64) -> String { "/ideas/orders/\(id)/plan" }

    static func event(_ orderID: Int64, _ kind: String, _ text: String, _ ctx: Context) throws {
        try ctx.db.execute("""
            INSERT INTO ideas_order_events (order_id, kind, text, author_id, created_at)
            VALUES (\(orderID), \(kind), \(text), \(ctx.user?.id ?? 0), \(ctx.epoch))
            """)
    }

    /// §26.2: the department manager returns the implementation date and method (may revise it
    /// until the effect is confirmed). After the due date it is still accepted, and marked late.
    static func plan(_ req: Request, _ ctx: Context) throws -> Response {
        let o = try load(req, ctx)
        guard try standing(o, ctx).manager else { throw HTTPError.forbidden }
        let id = o.int("id") ?? 0
        let state = o.string("state") ?? "issued"
        guard state != "confirmed" else { throw HTTPError.conflict("实施效果已确认，不能再修改实施计划。") }
        var bound = planForm.bind(req.form, today: ctx.today)
        if let v = bound.values, let d = v.date("plan_date") {
            let issued = issuedOn(o, ctx)
            if d < issued {
                bound.addError(FormError(field: "plan_date", "实施日期不能早于命令下达日 \(issued)"))
            } else if d > LocalDate(year: ctx.today.year + 2, month: ctx.today.month, day: min(ctx.today.day, 28)) {
                bound.addError(FormError(field: "plan_date", "实施日期应在两年之内"))
            }
        }
        guard let v = bound.values else { return try page(req, ctx, bound: (.plan, bound)) }
        let due = o.string("plan_due") ?? ""
        let isLate = LocalDate(due).map { ctx.today > $0 } ?? false
        try ctx.db.transaction {
            try ctx.db.execute("""
                UPDATE ideas_orders SET state = 'planned', plan_date = \(v.string("plan_date")), plan_method = \(v.string("plan_method")),
                    planned_by = \(ctx.user?.id), planned_at = \(ctx.epoch), updated_at = \(ctx.epoch) WHERE id = \(id)
                """)
            try event(id, "plan", "实施日期 \(v.string("plan_date"))：\(v.string("plan_method"))" + (isLate ? "（逾期填报，应于 \(due) 前）" : ""), ctx)
            try ctx.audit(AuditEntry(entity: "ideas.order", entityID: String(id), action: "plan", from: state, to: "planned",
                                     reason: isLate ? "逾期填报（应于 \(due) 前）" : nil))
        }
        return .redirect(to: managerPath(id), flash: .ok("实施计划已填报。"))
    }

    /// §26.2–§26.3: a difficulty or a disagreement is reported to the chair.
    static func issue(_ req: Request, _ ctx: Context) throws -> Response {
        let o = try load(req, ctx)
        guard try standing(o, ctx).manager else { throw HTTPError.forbidden }
        let id = o.int("id") ?? 0
        guard o.string("state") != "confirmed" else { throw HTTPError.conflict("实施效果已确认，不能再报告困难。") }
        let bound = issueForm.bind(req.form, today: ctx.today)
        guard let v = bound.values else { return try page(req, ctx, bound: (.issue, bound)) }
        try ctx.db.transaction {
            try ctx.db.execute("""
                UPDATE ideas_orders SET issue_kind = \(v.string("kind")), difficulty = \(v.string("text")), issue_open = 1,
                    updated_at = \(ctx.epoch) WHERE id = \(id)
                """)
            try event(id, v.string("kind"), v.string("text"), ctx)
            try ctx.audit(AuditEntry(entity: "ideas.order", entityID: String(id), action: "report_" + v.string("kind"),
                                     from: o.string("state"), to: o.string("state"), reason: v.string("text")))
        }
        return .redirect(to: managerPath(id), flash: .ok("已报告主任委员，待裁决。"))
    }

    /// §26.3: the chair (主任委员) alone rules; "replan" sends the order back to the department.
    static func decide(_ req: Request, _ ctx: Context) throws -> Response {
        let o = try load(req, ctx)
        guard try standing(o, ctx).chair else { throw HTTPError.forbidden }
        let id = o.int("id") ?? 0
        let state = o.string("state") ?? "issued"
        guard state != "confirmed" else { throw HTTPError.conflict("实施效果已确认，不能再裁决。") }
        let bound = decisionForm.bind(req.form, today: ctx.today)
        guard let v = bound.values else { return try page(req, ctx, bound: (.decide, bound)) }
        let next = v.string("action") == "replan" ? "issued" : state
        try ctx.db.transaction {
            try ctx.db.execute("""
                UPDATE ideas_orders SET decision = \(v.string("decision")), issue_open = 0, state = \(next), updated_at = \(ctx.epoch)
                WHERE id = \(id)
                """)
            try event(id, "decision", (next == "issued" ? "退回重新填报：" : "继续实施：") + v.string("decision"), ctx)
            try ctx.audit(AuditEntry(entity: "ideas.order", entityID: String(id), action: "decide", from: state, to: next,
                                     reason: v.string("decision")))
        }
        return .redirect(to: "/ideas/orders/\(id)", flash: .ok(next == "issued" ? "已裁决：退回部门重新填报实施计划。" : "已裁决：按现有计划继续实施。"))
    }

    /// §26.5 and §26.4: the committee confirms the effect after the implementation date, and may
    /// top up the proposer's award once per suggestion when the effect exceeds expectations.
    static func confirm(_ req: Request, _ ctx: Context) throws -> Response {
        let o = try load(req, ctx)
        guard try standing(o, ctx).member else { throw HTTPError.forbidden }
        let id = o.int("id") ?? 0
        let sid = o.int("suggestion_id") ?? 0
        switch o.string("state") {
        case "issued": throw HTTPError.conflict("部门尚未填报实施计划，不能确认实施效果。")
        case "confirmed": throw HTTPError.conflict("实施效果已确认。")
        default: break
        }
        var bound = confirmForm.bind(req.form, today: ctx.today)
        if bound.values != nil {
            if let d = LocalDate(o.string("plan_date") ?? ""), ctx.today < d {
                bound.addError(FormError("计划实施日期为 \(d)，实施后方可确认效果。"))
            }
            if o.bool("issue_open") { bound.addError(FormError("有尚未裁决的困难或异议，请主任委员先行裁决。")) }
        }
        guard let v = bound.values else { return try page(req, ctx, bound: (.confirm, bound)) }
        do {
            try ctx.db.transaction {
                try ctx.db.execute("""
                    UPDATE ideas_orders SET state = 'confirmed', effect = \(v.string("effect")), exceeded = \(v.bool("exceeded")),
                        confirmed_by = \(ctx.user?.id), confirmed_at = \(ctx.epoch), updated_at = \(ctx.epoch) WHERE id = \(id)
                    """)
                try event(id, "confirm", (v.bool("exceeded") ? "效果超过预期：" : "") + v.string("effect"), ctx)
                try ctx.audit(AuditEntry(entity: "ideas.order", entityID: String(id), action: "confirm", from: "planned", to: "confirmed",
                                         reason: v.string("effect")))
                if let fen = v.money("topup") {
                    let done = try ctx.db.scalar("SELECT COUNT(*) FROM ideas_ledger WHERE suggestion_id = \(sid) AND kind = 'topup'") ?? 0
                    if done > 0 { throw FormRejection(field: "topup", "该建议已追补过奖金（每条建议只追补一次）") }
                    let lid = try ctx.db.insert("""
                        INSERT INTO ideas_ledger (user_id, department, suggestion_id, batch, kind, title, amount_fen, created_by, created_at,
                                                  order_id, note)
                        VALUES (\(o.int("proposer_id") ?? 0), \(o.string("proposer_department") ?? ""), \(sid), \(o.string("batch") ?? ""),
                                'topup', '追补奖金（实施效果超过预期）', \(fen), \(ctx.user?.id ?? 0), \(ctx.epoch), \(id),
                                \(v.string("topup_reason"))) RETURNING id
                        """)
                    try event(id, "topup", "\(Money.yuan(fen))：\(v.string("topup_reason"))", ctx)
                    try ctx.audit(AuditEntry(entity: "ideas.ledger", entityID: String(lid), action: "topup", to: String(fen),
                                             reason: v.string("topup_reason")))
                }
            }
        } catch let r as FormRejection {
            for e in r.errors { bound.addError(e) }
            return try page(req, ctx, bound: (.confirm, bound))
        }
        return .redirect(to: "/ideas/orders/\(id)", flash: .ok("实施效果已确认。"))
    }

    /// §23.3: the implementation-performance award, recorded by the committee once the effect is
    /// confirmed; one per person and order.
    static func performance(_ req: Request, _ ctx: Context) throws -> Response {
        let o = try load(req, ctx)
        guard try standing(o, ctx).member else { throw HTTPError.forbidden }
        let id = o.int("id") ?? 0
        guard o.string("state") == "confirmed" else { throw HTTPError.conflict("实施效果确认后才能记录实施绩效奖。") }
        var bound = performanceForm(try recipients(o, ctx)).bind(req.form, today: ctx.today)
        guard let v = bound.values, let recipient = Int64(v.string("recipient")),
              let person = try ctx.db.first("SELECT id, department FROM users WHERE id = \(recipient)") else {
            return try page(req, ctx, bound: (.performance, bound))
        }
        if try ctx.db.scalar("SELECT COUNT(*) FROM ideas_ledger WHERE order_id = \(id) AND kind = 'performance' AND user_id = \(recipient)") ?? 0 > 0 {
            bound.addError(FormError(field: "recipient", "已为此人记录过本实施命令的实施绩效奖"))
            return try page(req, ctx, bound: (.performance, bound))
        }
        let fen = v.money("amount") ?? 0
        let department = (person.string("department") ?? "").isEmpty ? IdeasDepartments.title(o.string("department") ?? "", ctx)
            : (person.string("department") ?? "")
        try ctx.db.transaction {
            let lid = try ctx.db.insert("""
                INSERT INTO ideas_ledger (user_id, department, suggestion_id, batch, kind, title, amount_fen, created_by, created_at, order_id, note)
                VALUES (\(recipient), \(department), \(o.int("suggestion_id")), \(o.string("batch") ?? ""), 'performance', '实施绩效奖',
                        \(fen), \(ctx.user?.id ?? 0), \(ctx.epoch), \(id), \(v.string("reason"))) RETURNING id
                """)
            try event(id, "performance", "\(Money.yuan(fen))：\(v.string("reason"))", ctx)
            try ctx.audit(AuditEntry(entity: "ideas.ledger", entityID: String(lid), action: "performance", to: String(fen),
                                     reason: v.string("reason")))
        }
        return .redirect(to: "/ideas/orders/\(id)", flash: .ok("实施绩效奖已记入奖励台账。"))
    }

    // MARK: Lists

    static func orderStatus(_ r: Row, _ ctx: Context) -> String {
        (stateTitles[r.string("state") ?? ""] ?? "") + (overdue(r, today: ctx.today) ? "（逾期未填报）" : late(r, ctx) ? "（逾期填报）" : "")
    }

    /// The orders lists (§26): every order for the committee, the own department's for a
    /// department manager (who opens an order at its `plan` page). The same columns, filters and
    /// CSV on both; the department filter is the committee's only.
    static func ordersPage(mine: Bool) -> ListPage {
        let href: @Sendable (Row) -> String = { r in
            let id = r.int("id") ?? 0
            return mine ? managerPath(id) : "/ideas/orders/\(id)"
        }
        let columns: [ListPage.Column] = [
            .init("id", "命令单编号", sql: "o.id") { r, _ in ListCell(number(r.int("id") ?? 0), href: href(r)) },
            .init("title", "建议", sql: "s.title") { r, _ in ListCell(r.string("title") ?? "", href: href(r)) },
            .init("department", "实施部门", sql: "o.department") { r, ctx in ListCell(IdeasDepartments.title(r.string("department") ?? "", ctx)) },
            .text("batch", "批次", sql: "s.batch"),
            .text("due", "下达期限", sql: "o.due"),
            .text("plan_due", "计划填报期限", sql: "o.plan_due"),
            .text("plan_date", "实施日期", sql: "o.plan_date"),
            .init("state", "状态", sql: "o.state") { r, ctx in
                ListCell(orderStatus(r, ctx), cls: overdue(r, today: ctx.today) ? "error" : nil)
            },
            .init("issue", "困难/异议", sql: "o.issue_open") { r, _ in issueCell(r) },
        ]
        let departments: @Sendable (Context) throws -> [Choice] = { ctx in try IdeasDepartments.choices(ctx) }
        let department = ListPage.Filter("department", "实施部门", .select(all: "全部部门", options: departments),
                                         shown: { _ in !mine }, condition: { v, _ in "o.department = \(v)" })
        let filters: [ListPage.Filter] = [
            .choice("state", "状态", all: "全部状态", states) { v, _ in "o.state = \(v)" },
            department,
            .search("batch", "批次 YYYY-MM") { v, _ in "s.batch = \(v)" },
            .checkbox("overdue", "逾期未填报") { ctx in "o.state = 'issued' AND o.plan_due < \(ctx.today.description)" },
            .checkbox("issue", "待裁决") { _ in "o.issue_open = 1" },
        ]
        // A manager sees the orders of the departments the user heads or belongs to (the
        // directory's, RULES §6); none without one.
        let scope: @Sendable (Context) throws -> SQL = { ctx in
            guard mine else { return "1 = 1" }
            let codes = try IdeasDepartments.codes(of: try ctx.requireUser().id, ctx)
            if codes.isEmpty { return "1 = 0" }
            return "o.department IN (\(list: codes))"
        }
        let departmentNotice: @Sendable (Request, Context) -> String? = { _, ctx in
            guard let user = ctx.user, let list = try? IdeasDepartments.org(ctx).departments(ofUser: user.id, ctx) else { return nil }
            if list.isEmpty { return "您的账号没有登记部门，请联系系统管理员。" }
            return "本部门：" + list.map(\.name).joined(separator: "、")
        }
        let notice: (@Sendable (Request, Context) -> String?)? = mine ? departmentNotice : nil
        return ListPage(
            title: mine ? "本部门建议实施命令" : "建议实施命令", path: mine ? "/ideas/orders/mine" : "/ideas/orders",
            select: "o.id, o.department, o.due, o.plan_due, o.plan_date, o.state, o.issue_open, o.issue_kind, o.planned_at, s.title, s.batch",
            from: "ideas_orders o JOIN ideas_suggestions s ON s.id = o.suggestion_id",
            scope: scope, columns: columns, filters: filters,
            defaultSort: "plan_due", pageSize: 50, tiebreaker: "o.id",
            empty: "没有实施命令。", csvName: mine ? "本部门建议实施命令.csv" : "建议实施命令.csv",
            intro: "评定委员会于建议提出后的次月 15 日前分部门下达实施命令；部门经理于当月月底前填写实施日期与要领，实施中遇到困难报告主任委员（002 第26条）。",
            notice: notice)
    }

    static func issueCell(_ r: Row) -> ListCell {
        guard r.bool("issue_open") else { return ListCell("") }
        return ListCell((issueTitles[r.string("issue_kind") ?? ""] ?? "待裁决") + "（待裁决）", cls: "error")
    }

    static let committeePage = ordersPage(mine: false)
    static let departmentPage = ordersPage(mine: true)

    /// §26: every order, for the committee.
    static let committeeList: Handler = { req, ctx in try committeePage.respond(req, ctx) }

    /// §26.2: the orders of the manager's own department.
    static let departmentList: Handler = { req, ctx in try departmentPage.respond(req, ctx) }
}

/// One implementation order (`impl-order`): the printable order, its awards and history, and the
/// forms of whoever may act on it now.
struct OrderPage: PageModel {
    static let template = "impl-order"

    struct Order: TemplateModel {
        var suggestionID: Int64
        var title: String
        var proposer: String
        var proposerDepartment: String
        /// The implementing department's name (directory).
        var department: String
        /// A stored department the directory lacks (free text kept by migration 4).
        var unmatched: Bool
        var due: String
        var planDue: String
        var content: String
        var expectedEffect: String
        var planDate: String
        var planMethod: String
        var difficulty: String
        var decision: String
        var effect: String
    }

    struct Award: TemplateModel {
        var kind: String
        var title: String
        var person: String
        var amount: String
        /// 人民币大写 (the order is printed).
        var amountUpper: String
    }

    struct Event: TemplateModel {
        var kind: String
        var text: String
        var author: String
        var at: String
    }

    var id: Int64
    /// 命令单编号 (`ImplPages.number`).
    var number: String
    var backHref: String
    /// The focused form's values were restored after a login.
    var resumed: Bool
    var o: Order
    var outcome: String
    var batchTitle: String
    var stateTitle: String
    var overdue: Bool
    var late: Bool
    var issued: String
    var hasPlan: Bool
    var plannedAt: String
    var hasIssue: Bool
    var issueKind: String
    var issueOpen: Bool
    var hasDecision: Bool
    var confirmed: Bool
    var exceeded: Bool
    /// The ledger rows of the suggestion and this order (reviewers only).
    var awards: [Award] = []
    var hasAwards = false
    var planForm: FormView?
    var issueForm: FormView?
    var decisionForm: FormView?
    var confirmForm: FormView?
    var performanceForm: FormView?
    var events: [Event] = []
}

extension Context {
    /// An epoch instant in the company time zone, or empty.
    func ideasTime(_ epoch: Int64?) -> String {
        guard let epoch else { return "" }
        return display(Date(timeIntervalSince1970: Double(epoch)))
    }
}
