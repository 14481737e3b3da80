import CustomerDevelopmentAPI
import Foundation
import SalesKit

/// Customer service and patrol visits (RULES §3.3, 002 第九章 客户服务管理办法). Migration version 3.
enum PatrolPages {
    // MARK: permissions

    /// Patrol work: the visits assigned to oneself, daily reports, urgent reports, gift applications.
    static let patrol = Permission("service", "patrol", title: "客户巡访（日报、紧急报告、礼品申请）",
                                   defaultRoles: [.serviceRep, .serviceSupervisor, .salesManager])
    /// 002 §6, §9–§10: the 客户服务管理人员 assigns patrols, reads the daily reports, compiles the monthly summary.
    static let manage = Permission("service", "patrol_manage", title: "巡访管理（指派、审阅日报、月度报告）",
                                   defaultRoles: [.serviceSupervisor, .salesManager])
    /// 002 §7: the service plan per class, edited by admin / the service supervisor.
    static let plan = Permission("service", "patrol_plan", title: "客户服务计划设置", defaultRoles: [.admin, .serviceSupervisor])
    /// 002 §8: the 赠送礼品预算申请表 is approved by the superior.
    static let giftApprove = Permission("service", "patrol_gift_approve", title: "审批赠送礼品预算",
                                        defaultRoles: [.serviceSupervisor, .salesManager])
    /// 003 §7.9: the weekly 客户质量信息反馈表 goes to the departments.
    static let feedback = Permission("service", "quality_feedback", title: "客户质量信息反馈表",
                                     defaultRoles: [.serviceRep, .serviceSupervisor, .salesManager, .quality, .technical, .production])

    static let permissions: [Permission] = [patrol, manage, plan, giftApprove, feedback]
    static let menu: [MenuItem] = [
        MenuItem("巡访安排", path: "patrol/visits", access: .permission(patrol)),
        MenuItem("巡访日报", path: "patrol/reports", access: .permission(patrol)),
        MenuItem("巡访紧急报告", path: "patrol/urgent", access: .permission(patrol)),
        MenuItem("每月巡访报告", path: "patrol/monthly", access: .permission(manage)),
        MenuItem("赠送礼品申请", path: "patrol/gifts", access: .permission(patrol)),
        MenuItem("客户服务计划", path: "patrol/plans", access: .permission(plan)),
        MenuItem("质量信息反馈表", path: "patrol/feedback", access: .permission(feedback)),
    ]


    static let forms: [String: FormSchema] = [
        "patrol-plan": planForm, "patrol-visit": visitForm(customers: [], patrollers: []),
        "patrol-report": PatrolReports.reportForm, "patrol-urgent": PatrolReports.urgentForm(customers: []),
        "patrol-monthly": PatrolReports.monthlyForm, "patrol-gift": PatrolGifts.applyForm(customers: []),
        "patrol-gift-decide": PatrolGifts.decideForm, "patrol-gift-record": PatrolGifts.recordForm,
    ]

    static func routes(_ r: inout RouteBuilder) {
        r.form("patrol/plans", .permission(plan), plans)
        r.get("patrol/visits", .permission(patrol), visits)
        r.form("patrol/visits/new", .permission(manage), assign)
        r.get("patrol/visits/:id", .permission(patrol), visit)
        r.form("patrol/visits/:id/report", .permission(patrol), PatrolReports.report)
        r.get("patrol/reports", .permission(patrol), PatrolReports.list)
        r.get("patrol/reports/:id", .permission(patrol), PatrolReports.detail)
        r.post("patrol/reports/:id/ack", .permission(manage), PatrolReports.ack)
        r.get("patrol/urgent", .permission(patrol), PatrolReports.urgentList)
        r.form("patrol/urgent/new", .permission(patrol), PatrolReports.urgentNew)
        r.get("patrol/urgent/:id", .permission(patrol), PatrolReports.urgentDetail)
        r.post("patrol/urgent/:id/ack", .permission(manage), PatrolReports.urgentAck)
        r.form("patrol/monthly", .permission(manage), PatrolReports.monthly)
        r.get("patrol/monthly/submitted", .permission(manage), PatrolReports.monthlyList)
        r.get("patrol/gifts", .permission(patrol), PatrolGifts.list)
        r.form("patrol/gifts/new", .permission(patrol), PatrolGifts.apply)
        r.get("patrol/gifts/:id", .permission(patrol), PatrolGifts.detail)
        r.form("patrol/gifts/:id/decide", .permission(giftApprove), PatrolGifts.decide)
        r.form("patrol/gifts/:id/record", .permission(patrol), PatrolGifts.record)
        r.get("patrol/feedback", .permission(feedback), PatrolGifts.feedbackPage)
    }

    // MARK: inbox

    static func inbox(for user: User, _ ctx: Context) throws -> [InboxItem] {
        var items: [InboxItem] = []
        if user.can(patrol) {
            for r in try ctx.db.query("""
                SELECT * FROM service_patrol_visits WHERE patroller_id = \(user.id) AND state = 'assigned' ORDER BY planned_date, id LIMIT 200
                """) {
                items.append(InboxItem(title: "巡访待填日报：\(r.string("customer_name") ?? "") \(DocNo.patrolVisit(r.int("id") ?? 0))",
                                       detail: "计划日期 \(r.string("planned_date") ?? "")", url: "/service/patrol/visits/\(r.int("id") ?? 0)"))
            }
            for r in try ctx.db.query("""
                SELECT * FROM service_patrol_gifts WHERE applied_by = \(user.id) AND state = 'approved' ORDER BY id LIMIT 200
                """) {
                items.append(InboxItem(title: "礼品申请已批准，待登记赠送：\(r.string("customer_name") ?? "") \(DocNo.gift(r.int("id") ?? 0))",
                                       url: "/service/patrol/gifts/\(r.int("id") ?? 0)"))
            }
        }
        if user.can(manage) {
            // 002 §11: an urgent report reaches the superior at once, marked urgent.
            for r in try ctx.db.query("SELECT * FROM service_patrol_urgent WHERE ack_at IS NULL ORDER BY created_at, id LIMIT 200") {
                items.append(InboxItem(title: "【紧急】巡访紧急报告：\(PatrolReports.triggerTitle(r.string("trigger") ?? "")) \(DocNo.patrolUrgent(r.int("id") ?? 0))",
                                       detail: r.string("customer_name") ?? "", url: "/service/patrol/urgent/\(r.int("id") ?? 0)",
                                       urgent: true))
            }
            // 002 §9: the daily report waits for the superior until read.
            for r in try ctx.db.query("SELECT * FROM service_patrol_reports WHERE ack_at IS NULL ORDER BY created_at, id LIMIT 200") {
                items.append(InboxItem(title: "巡访日报待阅：\(r.string("customer_name") ?? "") \(DocNo.patrolReport(r.int("id") ?? 0))",
                                       detail: "\(r.string("visit_date") ?? "") \(r.string("visit_time") ?? "")",
                                       url: "/service/patrol/reports/\(r.int("id") ?? 0)"))
            }
        }
        if user.can(giftApprove) {
            for r in try ctx.db.query("SELECT * FROM service_patrol_gifts WHERE state = 'pending' ORDER BY id LIMIT 200") {
                items.append(InboxItem(title: "赠送礼品预算申请待审批：\(r.string("customer_name") ?? "") \(DocNo.gift(r.int("id") ?? 0))",
                                       detail: Money.yuan(r.int("budget_fen") ?? 0), url: "/service/patrol/gifts/\(r.int("id") ?? 0)"))
            }
        }
        return items
    }

    // MARK: helpers

    static let classes = ["A", "B", "C", "D"]

    /// The business unit (营业单位) of a user: the user's department, or 客户服务部.
    static func unit(_ user: User) -> String { user.department.isEmpty ? "客户服务部" : user.department }

    static func userName(_ id: Int64?, _ ctx: Context) throws -> String {
        guard let id else { return "" }
        return try ctx.db.first("SELECT display_name FROM users WHERE id = \(id)")?.string("display_name") ?? ""
    }

    /// The customer card (002 §9: the daily report goes up with the customer card) — from CustomerDirectory.
    static func card(_ customerID: Int64, _ ctx: Context) throws -> CustomerCard? {
        guard let c = try ServiceUtil.directory(ctx).customer(id: customerID, ctx) else { return nil }
        return CustomerCard(code: c.code ?? "", name: c.name, ratingClass: c.ratingClass ?? "未评级", owner: c.ownerName,
                            city: c.city, inCity: c.inCity ? "市内" : "市外", address: c.address, phone: c.phone)
    }

    /// Patrol staff: active users with a service or sales role (the choice is refused for the customer's own rep).
    static func patrollerChoices(_ ctx: Context) throws -> [Choice] {
        try ctx.db.query("""
            SELECT DISTINCT u.id, u.display_name, u.username FROM users u JOIN user_roles ur ON ur.user_id = u.id
            WHERE u.active = 1 AND ur.role_id IN ('service_rep', 'service_supervisor', 'sales_rep', 'sales_supervisor')
            ORDER BY u.id
            """).sortedByPinyin { $0.string("display_name") ?? "" }.map { Choice(String($0.int("id") ?? 0), "\($0.string("display_name") ?? "")（\($0.string("username") ?? "")）") }
    }

    /// Customers for patrol pickers: those the user may see through CustomerDirectory, plus those
    /// whose patrol is assigned to the user (002 §6: the dedicated person is responsible for them).
    static func customerChoices(_ ctx: Context) throws -> [Choice] {
        var choices = try ServiceUtil.customerChoices(ctx)
        let known = Set(choices.map(\.value))
        let dir = try ServiceUtil.directory(ctx)
        for id in try assignedCustomerIDs(ctx) where !known.contains(String(id)) {
            guard let c = try dir.customer(id: id, ctx), c.status == "customer" else { continue }
            choices.append(Choice(String(c.id), (c.code.map { $0 + " " } ?? "") + c.name + (c.inCity ? "（市内）" : "（市外）")))
        }
        return choices
    }

    static func assignedCustomerIDs(_ ctx: Context) throws -> [Int64] {
        guard let uid = ctx.user?.id else { return [] }
        return try ctx.db.query("SELECT DISTINCT customer_id FROM service_patrol_visits WHERE patroller_id = \(uid)").compactMap { $0.int("customer_id") }
    }

    /// The customer, if the user may see it or patrols it.
    static func patrolCustomer(_ raw: String, _ ctx: Context) throws -> CustomerInfo? {
        let dir = try ServiceUtil.directory(ctx)
        guard let id = Int64(raw), let c = try dir.customer(id: id, ctx) else { return nil }
        if try dir.maySee(customerID: id, ctx) || assignedCustomerIDs(ctx).contains(id) { return c }
        return nil
    }

    /// Whoever holds `patrol_manage` sees all patrol records; others their own.
    static func mayManage(_ ctx: Context) -> Bool { ctx.can(manage) }

    // MARK: service plan (002 §5, §7)

    static let planForm = FormSchema([
        FormField("rating_class", "客户类别", .select(classes.map { Choice($0, "\($0) 类") }), required: true),
        FormField("key_products", "重点推销商品", .textarea, rules: [.length(min: nil, max: 2000)]),
        FormField("key_surveys", "重点调查项目", .textarea, rules: [.length(min: nil, max: 2000)]),
        FormField("special_surveys", "特别调查项目", .textarea, rules: [.length(min: nil, max: 2000)]),
        FormField("visits_per_month", "巡访安排（每月巡访次数）", .integer, required: true, rules: [.range(0, 31)]),
        FormField("after_sales", "具体售后服务内容", .textarea, rules: [.length(min: nil, max: 2000)]),
    ])

    static func planRows(_ ctx: Context) throws -> [PlanView] {
        try ctx.db.query("SELECT * FROM service_patrol_plans ORDER BY rating_class").map { PlanView($0, ctx) }
    }

    static let plans: Handler = { req, ctx in
        let cls = req.query["class"].flatMap { classes.contains($0) ? $0 : nil } ?? "A"
        let cur = try ctx.db.first("SELECT * FROM service_patrol_plans WHERE rating_class = \(cls)")
        var initial = FormData([("rating_class", cls)])
        for f in ["key_products", "key_surveys", "special_surveys", "after_sales"] { initial.append(f, cur?.string(f) ?? "") }
        initial.append("visits_per_month", String(cur?.int("visits_per_month") ?? 0))
        return try ctx.handleForm(planForm, title: "客户服务计划", initial: initial,
                                  page: { form in PatrolPlansPage(plans: try planRows(ctx), form: form) }) { v in
            let c = v.string("rating_class")
            let old = try ctx.db.first("SELECT visits_per_month FROM service_patrol_plans WHERE rating_class = \(c)")
            try ctx.db.transaction {
                try ctx.db.execute("""
                    UPDATE service_patrol_plans SET key_products = \(v.string("key_products")), key_surveys = \(v.string("key_surveys")),
                        special_surveys = \(v.string("special_surveys")), visits_per_month = \(try v.requireInt("visits_per_month")),
                        after_sales = \(v.string("after_sales")), updated_by = \(try ctx.requireUser().id), updated_at = \(ctx.epoch)
                    WHERE rating_class = \(c)
                    """)
                try ctx.audit(AuditEntry(entity: "service.patrol_plan", entityID: c, action: "edit",
                                         from: old.map { "每月 \($0.int("visits_per_month") ?? 0) 次" }, to: "每月 \(try v.requireInt("visits_per_month")) 次"))
            }
            return .redirect(to: "/service/patrol/plans?class=\(c)", flash: .ok("客户服务计划已保存。"))
        }
    }

    // MARK: visits (002 §6)

    static func visitForm(customers: [Choice], patrollers: [Choice]) -> FormSchema {
        FormSchema([
            FormField("customer", "客户", .select(customers), required: true),
            FormField("patroller", "巡访专人", .select(patrollers), required: true,
                      help: "002 §6：原则上不能由本地区负责销售的人员担任"),
            FormField("planned_date", "计划巡访日期", .date, required: true),
            FormField("purpose", "巡访要点", .textarea, rules: [.length(min: nil, max: 1000)]),
        ])
    }

    static let visitStates = ["assigned": "待巡访", "reported": "已报日报"]

    /// 巡访安排: the patroller's own visits, or all for 巡访管理 (who may also filter by patroller).
    static let visitPage = ListPage(
        title: "巡访安排", path: "/service/patrol/visits",
        select: "v.*, COALESCE(u.display_name, '') AS patroller",
        from: "service_patrol_visits v LEFT JOIN users u ON u.id = v.patroller_id",
        scope: { ctx in mayManage(ctx) ? "1 = 1" : "v.patroller_id = \(try ctx.requireUser().id)" },
        columns: [
            .init("id", "巡访编号", sql: "v.id") { r, _ in ListCell(DocNo.patrolVisit(r.int("id") ?? 0), href: "/service/patrol/visits/\(r.int("id") ?? 0)") },
            .text("customer", "客户", sql: "v.customer_name"),
            .text("class", "类别", sql: "v.rating_class"),
            .init("patroller", "巡访专人", sql: "COALESCE(u.display_name, '')", rowKey: "patroller") { r, _ in ListCell(r.string("patroller") ?? "") },
            .text("date", "计划日期", sql: "v.planned_date"),
            .init("state", "状态", sql: "v.state") { r, _ in ListCell(visitStates[r.string("state") ?? ""] ?? "") },
        ],
        filters: [
            .init("customer", "客户", .select(all: "客户：全部", options: { ctx in try customerChoices(ctx) })) { s, _ in
                Int64(s).map { "v.customer_id = \($0)" }
            },
            .choice("state", "状态", all: "状态：全部", visitStates.sorted { $0.key < $1.key }.map { Choice($0.key, $0.value) }) { s, _ in
                "v.state = \(s)"
            },
            .init("patroller", "巡访专人", .select(all: "巡访专人：全部", options: { ctx in try patrollerChoices(ctx) }),
                  shown: { ctx in mayManage(ctx) }) { s, _ in Int64(s).map { "v.patroller_id = \($0)" } },
            .dateRange("计划日期", column: "v.planned_date"),
        ],
        actions: [.init("指派巡访", href: "/service/patrol/visits/new", shown: { ctx in ctx.can(manage) })],
        defaultSort: "date", defaultDescending: true, tiebreaker: "v.id", empty: "没有记录。")

    static let visits: Handler = { req, ctx in try visitPage.respond(req, ctx) }

    static let assign: Handler = { req, ctx in
        let customers = try ServiceUtil.customerChoices(ctx)
        let patrollers = try patrollerChoices(ctx)
        return try ctx.handleForm(visitForm(customers: customers, patrollers: patrollers), title: "指派巡访", page: { form in
            PatrolFormPage(heading: "指派巡访专人", intro: "002 第九章 §3、§6：专人负责，定期巡访；原则上不能由本地区负责销售的人员担任。",
                           showPlans: true, plans: try planRows(ctx), form: form)
        }) { v in
            let dir = try ServiceUtil.directory(ctx)
            guard let cid = Int64(v.string("customer")), let customer = try dir.customer(id: cid, ctx),
                  try dir.maySee(customerID: cid, ctx) else {
                throw FormRejection(field: "customer", "请选择您可查看的客户")
            }
            let patroller = Int64(v.string("patroller")) ?? 0
            if patroller == customer.ownerID {
                throw FormRejection(field: "patroller",
                                    "002 §6：巡访须由专人负责，不能由该客户本地区负责销售的人员（\(customer.ownerName)）担任")
            }
            let now = ctx.epoch
            let id: Int64 = try ctx.db.transaction {
                let id = try ctx.db.insert("""
                    INSERT INTO service_patrol_visits (customer_id, customer_name, rating_class, patroller_id, planned_date, purpose,
                        state, assigned_by, assigned_at)
                    VALUES (\(customer.id), \(customer.name), \(customer.ratingClass ?? ""), \(patroller), \(try v.requireDate("planned_date").description),
                        \(v.string("purpose")), 'assigned', \(try ctx.requireUser().id), \(now)) RETURNING id
                    """)
                try ctx.audit(AuditEntry(entity: "service.patrol_visit", entityID: String(id), action: "assign", to: "assigned"))
                return id
            }
            return .redirect(to: "/service/patrol/visits/\(id)", flash: .ok("巡访已指派。"))
        }
    }

    static func loadVisit(_ id: Int64, _ ctx: Context) throws -> Row {
        guard let v = try ctx.db.first("SELECT * FROM service_patrol_visits WHERE id = \(id)") else { throw HTTPError.notFound }
        guard mayManage(ctx) || v.int("patroller_id") == ctx.user?.id else { throw HTTPError.forbidden }
        return v
    }

    static let visit: Handler = { req, ctx in
        let v = try loadVisit(try req.id(), ctx)
        let id = try v.requireInt("id")
        let plan = try ctx.db.first("SELECT * FROM service_patrol_plans WHERE rating_class = \(v.string("rating_class") ?? "")")
        let report = try ctx.db.first("SELECT id FROM service_patrol_reports WHERE visit_id = \(id)")
        return ctx.render(PatrolVisitPage(
            v: .init(id: id, number: DocNo.patrolVisit(id), customerName: v.string("customer_name") ?? "", patroller: try userName(v.int("patroller_id"), ctx),
                     plannedDate: v.string("planned_date") ?? "", stateText: visitStates[v.string("state") ?? ""] ?? "",
                     purpose: v.string("purpose") ?? "", assignedAt: ctx.displayEpoch(v.int("assigned_at"))),
            card: try card(v.int("customer_id") ?? 0, ctx), plan: plan.map { PlanView($0, ctx) },
            canReport: v.string("state") == "assigned" && v.int("patroller_id") == ctx.user?.id,
            hasReport: report != nil, reportID: report?.int("id") ?? 0,
            history: try ctx.history(entity: "service.patrol_visit", id: id)
        ), title: "巡访 \(DocNo.patrolVisit(id))")
    }
}
