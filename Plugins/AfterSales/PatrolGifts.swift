import CustomerDevelopmentAPI
import Foundation
import SalesKit

/// 赠送礼品预算申请表 (002 §8) and the weekly 客户质量信息反馈表 (003 §7.9).
enum PatrolGifts {
    typealias P = PatrolPages

    static let states = ["pending": "待审批", "approved": "已批准", "rejected": "已驳回", "recorded": "已赠送"]

    static func applyForm(customers: [Choice]) -> FormSchema {
        FormSchema([
            FormField("customer", "客户", .select(customers), required: true),
            FormField("gift", "礼品", required: true, rules: [.length(min: 1, max: 200)]),
            FormField("budget", "预算金额（元）", .money, required: true, rules: [.range(1, 100_000_000)]),
            FormField("reason", "赠送理由", .textarea, required: true, rules: [.length(min: 2, max: 1000)]),
        ])
    }

    static let decideForm = FormSchema([
        FormField("decision", "审批结果", .select([Choice("approve", "批准"), Choice("reject", "驳回")]), required: true),
        FormField("note", "审批意见", .textarea, rules: [.length(min: nil, max: 1000)]),
    ], checks: [{ v in
        v.string("decision") == "reject" && v.string("note").isEmpty ? [FormError(field: "note", "驳回须填写理由")] : []
    }])

    static let recordForm = FormSchema([
        FormField("given_date", "赠送日期", .date, required: true, rules: [.notInFuture]),
        FormField("actual", "实际金额（元）", .money, required: true, rules: [.range(0, 100_000_000)]),
        FormField("note", "赠送情况", .textarea, rules: [.length(min: nil, max: 1000)]),
    ])

    static func load(_ id: Int64, _ ctx: Context) throws -> Row {
        guard let g = try ctx.db.first("SELECT * FROM service_patrol_gifts WHERE id = \(id)") else { throw HTTPError.notFound }
        guard ctx.can(P.manage) || ctx.can(P.giftApprove) || g.int("applied_by") == ctx.user?.id else {
            throw HTTPError.forbidden
        }
        return g
    }

    /// 赠送礼品预算申请: the plain list (the applicant's own, or all for 巡访管理 and the approvers).
    static let listPage = ListPage(
        title: "赠送礼品预算申请", path: "/service/patrol/gifts",
        select: "g.*, COALESCE(u.display_name, '') AS applicant",
        from: "service_patrol_gifts g LEFT JOIN users u ON u.id = g.applied_by",
        scope: { ctx in
            ctx.can(P.manage) || ctx.can(P.giftApprove) ? "1 = 1" : "g.applied_by = \(try ctx.requireUser().id)"
        },
        columns: [
            .init("id", "申请编号", sql: "g.id") { r, _ in
                ListCell(DocNo.gift(r.int("id") ?? 0), href: "/service/patrol/gifts/\(r.int("id") ?? 0)")
            },
            .text("customer", "客户", sql: "g.customer_name"),
            .text("gift", "礼品", sql: "g.gift"),
            .init("budget", "预算金额", sql: "g.budget_fen") { r, _ in ListCell(Money.yuan(r.int("budget_fen") ?? 0)) },
            .text("applicant", "申请人", sql: "applicant"),
            .time("applied", "申请时间", sql: "g.applied_at"),
            .init("state", "状态", sql: "g.state") { r, _ in ListCell(states[r.string("state") ?? ""] ?? "") },
            .init("actual", "实际金额", sql: "g.actual_fen") { r, _ in ListCell(r.int("actual_fen").map { Money.yuan($0) } ?? "") },
        ],
        filters: [
            .choice("state", "状态", all: "状态：全部", states.sorted { $0.key < $1.key }.map { Choice($0.key, $0.value) }) { s, _ in
                "g.state = \(s)"
            },
        ],
        actions: [.init("填写赠送礼品预算申请表", href: "/service/patrol/gifts/new")],
        defaultSort: "id", defaultDescending: true, tiebreaker: "g.id", empty: "没有记录。")

    static let list: Handler = { req, ctx in try listPage.respond(req, ctx) }

    static let apply: Handler = { req, ctx in
        let customers = try P.customerChoices(ctx)
        return try ctx.handleForm(applyForm(customers: customers), title: "赠送礼品预算申请表", page: { form in
            PatrolFormPage(heading: "赠送礼品预算申请表", intro: "002 §8：对特殊客户赠送礼品，应填写赠送礼品预算申请表，报主管上级审批。",
                           cancel: "/service/patrol/gifts", form: form)
        }) { v in
            guard let c = try P.patrolCustomer(v.string("customer"), ctx) else {
                throw FormRejection(field: "customer", "请选择您可查看的客户")
            }
            let id: Int64 = try ctx.db.transaction {
                let id = try ctx.db.insert("""
                    INSERT INTO service_patrol_gifts (customer_id, customer_name, gift, budget_fen, reason, state, applied_by, applied_at)
                    VALUES (\(c.id), \(c.name), \(v.string("gift")), \(try v.requireMoney("budget")), \(v.string("reason")), 'pending',
                        \(try ctx.requireUser().id), \(ctx.epoch)) RETURNING id
                    """)
                try ctx.audit(AuditEntry(entity: "service.patrol_gift", entityID: String(id), action: "apply", to: "pending"))
                return id
            }
            return .redirect(to: "/service/patrol/gifts/\(id)", flash: .ok("赠送礼品预算申请已提交，待审批。"))
        }
    }

    static func model(_ g: Row, _ ctx: Context) throws -> GiftView {
        GiftView(id: g.int("id") ?? 0, number: DocNo.gift(g.int("id") ?? 0), customerName: g.string("customer_name") ?? "",
                 gift: g.string("gift") ?? "",
                 budget: Money.yuan(g.int("budget_fen") ?? 0), budgetUpper: Money.uppercase(g.int("budget_fen") ?? 0), reason: g.string("reason") ?? "",
                 applicant: try P.userName(g.int("applied_by"), ctx), appliedAt: ctx.displayEpoch(g.int("applied_at")),
                 stateText: states[g.string("state") ?? ""] ?? "", decider: try P.userName(g.int("decided_by"), ctx),
                 decidedAt: ctx.displayEpoch(g.int("decided_at")), decisionNote: g.string("decision_note") ?? "",
                 givenDate: g.string("given_date") ?? "", actual: g.int("actual_fen").map { Money.yuan($0) } ?? "",
                 actualUpper: g.int("actual_fen").map(Money.uppercase) ?? "",
                 givenNote: g.string("given_note") ?? "")
    }

    static let detail: Handler = { req, ctx in
        let g = try load(try req.id(), ctx)
        let id = try g.requireInt("id")
        let s = g.string("state") ?? ""
        return ctx.render(PatrolGiftPage(
            g: try model(g, ctx),
            canDecide: ctx.can(P.giftApprove) && s == "pending",
            canRecord: s == "approved" && g.int("applied_by") == ctx.user?.id,
            signatures: SignatureBlock(prepared: .init(try P.userName(g.int("applied_by"), ctx), at: g.int("applied_at"), ctx),
                                       approved: ["approved", "recorded"].contains(s)
                                           ? .init(try P.userName(g.int("decided_by"), ctx), at: g.int("decided_at"), ctx) : nil),
            history: try ctx.history(entity: "service.patrol_gift", id: id)
        ), title: "赠送礼品预算申请表 \(DocNo.gift(id))")
    }

    static let decide: Handler = { req, ctx in
        let g = try load(try req.id(), ctx)
        let id = try g.requireInt("id")
        return try ctx.handleForm(decideForm, title: "审批赠送礼品预算", page: { form in
            PatrolFormPage(heading: "审批赠送礼品预算申请 \(DocNo.gift(id))", g: try model(g, ctx), cancel: "/service/patrol/gifts/\(id)", form: form)
        }) { v in
            guard g.string("state") == "pending" else { throw FormRejection("该申请已审批，不能重复审批") }
            let to = v.string("decision") == "approve" ? "approved" : "rejected"
            try ctx.db.transaction {
                try ctx.db.execute("""
                    UPDATE service_patrol_gifts SET state = \(to), decided_by = \(try ctx.requireUser().id), decided_at = \(ctx.epoch),
                        decision_note = \(v.string("note")) WHERE id = \(id) AND state = 'pending'
                    """)
                try ctx.audit(AuditEntry(entity: "service.patrol_gift", entityID: String(id), action: v.string("decision"), from: "pending", to: to,
                                         reason: v.optionalString("note")))
            }
            return .redirect(to: "/service/patrol/gifts/\(id)", flash: .ok(to == "approved" ? "已批准。" : "已驳回，理由已记录。"))
        }
    }

    /// 002 §8: a gift is recorded only on an approved application, by its applicant, within the budget.
    static let record: Handler = { req, ctx in
        let g = try load(try req.id(), ctx)
        let id = try g.requireInt("id")
        return try ctx.handleForm(recordForm, title: "登记礼品赠送", page: { form in
            PatrolFormPage(heading: "登记礼品赠送 \(DocNo.gift(id))", g: try model(g, ctx), cancel: "/service/patrol/gifts/\(id)", form: form)
        }) { v in
            guard g.string("state") == "approved" else {
                throw FormRejection("002 §8：赠送礼品预算申请表尚未批准（当前：\(states[g.string("state") ?? ""] ?? "")），不能登记赠送")
            }
            guard g.int("applied_by") == ctx.user?.id else { throw FormRejection("只有申请人可以登记赠送") }
            let actual = try v.requireMoney("actual")
            if actual > (g.int("budget_fen") ?? 0) {
                throw FormRejection(field: "actual", "实际金额超出批准的预算 \(Money.yuan(g.int("budget_fen") ?? 0))")
            }
            try ctx.db.transaction {
                try ctx.db.execute("""
                    UPDATE service_patrol_gifts SET state = 'recorded', given_date = \(try v.requireDate("given_date").description), actual_fen = \(actual),
                        given_note = \(v.string("note")), recorded_at = \(ctx.epoch) WHERE id = \(id) AND state = 'approved'
                    """)
                try ctx.audit(AuditEntry(entity: "service.patrol_gift", entityID: String(id), action: "record", from: "approved", to: "recorded"))
            }
            return .redirect(to: "/service/patrol/gifts/\(id)", flash: .ok("礼品赠送已登记。"))
        }
    }

    // MARK: weekly 客户质量信息反馈表 (003 §7.9)

    /// The Monday of the week containing `day`.
    static func monday(_ day: LocalDate) -> LocalDate { day.adding(days: 1 - day.weekday) }

    static let feedbackPage: Handler = { req, ctx in
        let day = req.query["week"].flatMap(LocalDate.init) ?? ctx.today
        let mon = monday(day), sun = mon.adding(days: 6)
        let from = Int64(mon.start(in: ctx.timeZone).timeIntervalSince1970)
        let to = Int64(mon.adding(days: 7).start(in: ctx.timeZone).timeIntervalSince1970)
        let rows = try ctx.db.query("""
            SELECT c.* FROM service_complaints c WHERE c.kind = 'quality' AND c.registered_at >= \(from) AND c.registered_at < \(to)
            ORDER BY c.registered_at, c.id
            """)
        // The routed departments of the week's complaints, joined in Swift (portable SQL, #17).
        var routed: [Int64: [String]] = [:]
        let ids = rows.compactMap { $0.int("id") }
        if !ids.isEmpty {
            for d in try ctx.db.query("""
                SELECT complaint_id, department FROM service_complaint_departments WHERE complaint_id IN (\(list: ids)) ORDER BY complaint_id, id
                """) {
                routed[d.int("complaint_id") ?? 0, default: []].append(ServiceDepartments.title(d.string("department") ?? "", ctx))
            }
        }
        let header = ["投诉编号", "登记时间", "客户", "票据", "品名", "规格", "数量", "等级", "色号", "购买日期", "投诉内容", "分送部门", "处理措施", "状态"]
        let cells = rows.map { r -> [String] in
            let depts = (routed[r.int("id") ?? 0] ?? []).joined(separator: "、")
            return [DocNo.complaint(r.int("id") ?? 0), ctx.displayEpoch(r.int("registered_at")), r.string("customer_name") ?? "",
                    r.string("invoice_no") ?? "", r.string("product") ?? "", r.string("spec") ?? "", r.int("quantity").map { String($0) } ?? "",
                    r.string("grade") ?? "", r.string("color") ?? "", r.string("purchase_date") ?? "", r.string("summary") ?? "", depts,
                    r.string("remedy") ?? "", ComplaintPages.stateTitles[r.string("state") ?? ""] ?? ""]
        }
        if req.query["format"] == "csv" {
            return .csv(filename: "客户质量信息反馈表-\(mon.description).csv", CSVTable(header: header, rows: cells))
        }
        return ctx.render(PatrolFeedbackPage(
            monday: mon.description, sunday: sun.description, count: rows.count,
            prev: mon.adding(days: -7).description, next: mon.adding(days: 7).description,
            headers: header, rows: cells.map { .init(cells: $0) }
        ), title: "客户质量信息反馈表")
    }
}
