import CustomerDevelopmentAPI
import Foundation
import SalesKit

/// Daily visit reports (002 §9), urgent reports (§11) and the monthly patrol summary (§10).
enum PatrolReports {
    typealias P = PatrolPages

    // MARK: daily report (002 §9)

    static let reportForm = FormSchema([
        FormField("visit_date", "巡访日期", .date, required: true, rules: [.notInFuture]),
        FormField("visit_time", "巡访时间（时:分）", required: true, rules: [.pattern("^([01][0-9]|2[0-3]):[0-5][0-9]$", message: "请按 HH:MM 填写时间")]),
        FormField("opinions", "客户意见、建议、希望", .textarea, required: true, rules: [.length(min: 2, max: 2000)]),
        FormField("market", "市场行情、竞争对手动向及其他企业的销售政策", .textarea, required: true, rules: [.length(min: 2, max: 2000)]),
        FormField("effect", "巡访活动的效果", .textarea, required: true, rules: [.length(min: 2, max: 2000)]),
        FormField("handling", "主要处理事项的处理经过及结果", .textarea, required: true, rules: [.length(min: 2, max: 2000)]),
        FormField("other", "其他必要报告事项", .textarea, rules: [.length(min: nil, max: 2000)]),
    ])

    static let report: Handler = { req, ctx in
        let v = try P.loadVisit(try req.id(), ctx)
        let id = try v.requireInt("id")
        let user = try ctx.requireUser()
        guard v.int("patroller_id") == user.id else { throw HTTPError.forbidden }
        let cid = v.int("customer_id") ?? 0
        return try ctx.handleForm(reportForm, title: "巡访日报", initial: FormData([("visit_date", ctx.today.description)]), page: { form in
            PatrolFormPage(heading: "巡访日报 · \(v.string("customer_name") ?? "")",
                           intro: "002 §9：每日将拜访客户结果以日报表形式向上级主管汇报，并一同呈报客户卡。",
                           hasCard: true, card: try P.card(cid, ctx), cancel: "/service/patrol/visits/\(id)", form: form)
        }) { f in
            guard v.string("state") == "assigned" else { throw FormRejection("本次巡访已报日报") }
            let now = ctx.epoch
            let rid: Int64 = try ctx.db.transaction {
                let rid = try ctx.db.insert("""
                    INSERT INTO service_patrol_reports (visit_id, customer_id, customer_name, visit_date, visit_time, opinions, market,
                        effect, handling, other, unit, reporter_id, created_at)
                    VALUES (\(id), \(cid), \(v.string("customer_name") ?? ""), \(try f.requireDate("visit_date").description), \(f.string("visit_time")),
                        \(f.string("opinions")), \(f.string("market")), \(f.string("effect")), \(f.string("handling")), \(f.string("other")),
                        \(P.unit(user)), \(user.id), \(now)) RETURNING id
                    """)
                try ctx.db.execute("UPDATE service_patrol_visits SET state = 'reported' WHERE id = \(id)")
                try ctx.audit(AuditEntry(entity: "service.patrol_visit", entityID: String(id), action: "report", from: "assigned", to: "reported"))
                try ctx.audit(AuditEntry(entity: "service.patrol_report", entityID: String(rid), action: "submit", to: "submitted"))
                return rid
            }
            return .redirect(to: "/service/patrol/reports/\(rid)", flash: .ok("巡访日报已提交。"))
        }
    }

    /// 巡访日报: the patroller's own daily reports, or all for 巡访管理 (who may also filter by unit).
    static let reportPage = ListPage(
        title: "巡访日报", path: "/service/patrol/reports",
        select: "r.*, COALESCE(u.display_name, '') AS reporter",
        from: "service_patrol_reports r LEFT JOIN users u ON u.id = r.reporter_id",
        scope: { ctx in P.mayManage(ctx) ? "1 = 1" : "r.reporter_id = \(try ctx.requireUser().id)" },
        columns: [
            .init("id", "日报编号", sql: "r.id") { r, _ in ListCell(DocNo.patrolReport(r.int("id") ?? 0), href: "/service/patrol/reports/\(r.int("id") ?? 0)") },
            .text("date", "巡访日期", sql: "r.visit_date"),
            .text("time", "时间", sql: "r.visit_time", sortable: false),
            .text("customer", "客户", sql: "r.customer_name"),
            .init("reporter", "巡访人", sql: "COALESCE(u.display_name, '')", rowKey: "reporter") { r, _ in ListCell(r.string("reporter") ?? "") },
            .text("unit", "营业单位", sql: "r.unit"),
            .text("opinions", "客户意见、建议、希望", sql: "r.opinions", sortable: false),
            .text("market", "市场行情、竞争对手动向", sql: "r.market", sortable: false),
            .text("effect", "巡访效果", sql: "r.effect", sortable: false),
            .text("handling", "主要事项处理", sql: "r.handling", sortable: false),
            .text("other", "其他", sql: "r.other", sortable: false),
            .init("ack", "上级已阅", sql: "r.ack_at") { r, ctx in ListCell(r.int("ack_at") == nil ? "未阅" : ctx.displayEpoch(r.int("ack_at"))) },
        ],
        filters: [
            .init("customer", "客户", .select(all: "客户：全部", options: { ctx in try P.customerChoices(ctx) })) { s, _ in
                Int64(s).map { "r.customer_id = \($0)" }
            },
            .checkbox("unread", "仅上级未阅") { _ in "r.ack_at IS NULL" },
            .init("unit", "营业单位", .select(all: "营业单位：全部", options: { ctx in
                try ctx.db.query("SELECT DISTINCT unit FROM service_patrol_reports ORDER BY unit").map {
                    Choice($0.string("unit") ?? "", $0.string("unit") ?? "")
                }
            }), shown: { ctx in P.mayManage(ctx) }) { s, _ in "r.unit = \(s)" },
            .dateRange("巡访日期", column: "r.visit_date"),
        ],
        actions: [.init("填写巡访紧急报告", href: "/service/patrol/urgent/new")],
        defaultSort: "date", defaultDescending: true, tiebreaker: "r.id", empty: "没有记录。",
        intro: "002 §9 日报表。填写日报：在“巡访安排”中打开指派给您的巡访。")

    static let list: Handler = { req, ctx in try reportPage.respond(req, ctx) }

    static func loadReport(_ id: Int64, _ ctx: Context) throws -> Row {
        guard let r = try ctx.db.first("SELECT * FROM service_patrol_reports WHERE id = \(id)") else { throw HTTPError.notFound }
        guard P.mayManage(ctx) || r.int("reporter_id") == ctx.user?.id else { throw HTTPError.forbidden }
        return r
    }

    static let detail: Handler = { req, ctx in
        let r = try loadReport(try req.id(), ctx)
        let id = try r.requireInt("id")
        return ctx.render(PatrolReportPage(
            r: .init(id: id, number: DocNo.patrolReport(id), customerName: r.string("customer_name") ?? "", visitDate: r.string("visit_date") ?? "",
                     visitTime: r.string("visit_time") ?? "", opinions: r.string("opinions") ?? "", market: r.string("market") ?? "",
                     effect: r.string("effect") ?? "", handling: r.string("handling") ?? "", other: r.string("other") ?? "",
                     reporter: try P.userName(r.int("reporter_id"), ctx), unit: r.string("unit") ?? "",
                     created: ctx.displayEpoch(r.int("created_at")), ackBy: try P.userName(r.int("ack_by"), ctx),
                     ackAt: r.int("ack_at").map { ctx.displayEpoch($0) }),
            card: try P.card(r.int("customer_id") ?? 0, ctx),
            canAck: ctx.can(P.manage) && r.int("ack_at") == nil,
            signatures: SignatureBlock(prepared: .init(try P.userName(r.int("reporter_id"), ctx), at: r.int("created_at"), ctx),
                                       reviewed: r.int("ack_at") == nil ? nil : .init(try P.userName(r.int("ack_by"), ctx), at: r.int("ack_at"), ctx)),
            history: try ctx.history(entity: "service.patrol_report", id: id)
        ), title: "巡访日报 \(DocNo.patrolReport(id))")
    }

    /// The superior reads (acknowledges) a daily report; it leaves the inbox.
    static let ack: Handler = { req, ctx in
        let r = try loadReport(try req.id(), ctx)
        let id = try r.requireInt("id")
        if r.int("ack_at") == nil {
            try ctx.db.transaction {
                try ctx.db.execute("""
                    UPDATE service_patrol_reports SET ack_by = \(try ctx.requireUser().id), ack_at = \(ctx.epoch) WHERE id = \(id)
                    """)
                try ctx.audit(AuditEntry(entity: "service.patrol_report", entityID: String(id), action: "read", from: "submitted", to: "read"))
            }
            ctx.flash(.ok, "已阅。")
        }
        return .redirect(to: "/service/patrol/reports/\(id)")
    }

    // MARK: urgent report (002 §11)

    static let triggers: [(String, String)] = [
        ("policy", "同行的销售方针政策发生重大变化"),
        ("product", "同行有新产品上市"),
        ("trend", "同行的销售或服务出现新动向"),
        ("defect", "发现本企业产品有重大缺陷或问题"),
        ("other", "其他需作紧急处理事项"),
    ]
    static func triggerTitle(_ key: String) -> String { triggers.first { $0.0 == key }?.1 ?? key }

    static func urgentForm(customers: [Choice]) -> FormSchema {
        FormSchema([
            FormField("trigger", "紧急事项类别", .select(triggers.map { Choice($0.0, $0.1) }), required: true),
            FormField("customer", "相关客户", .select(customers)),
            FormField("content", "报告内容", .textarea, required: true, rules: [.length(min: 2, max: 4000)]),
        ])
    }

    static let urgentNew: Handler = { req, ctx in
        let customers = try P.customerChoices(ctx)
        return try ctx.handleForm(urgentForm(customers: customers), title: "巡访紧急报告", page: { form in
            PatrolFormPage(heading: "巡访紧急报告", intro: "002 §11：本单位不能自行解决的问题，随时填写巡访紧急报告报上级处理。",
                           cancel: "/service/patrol/urgent", form: form)
        }) { v in
            let user = try ctx.requireUser()
            var cid: Int64?
            var cname = ""
            if let raw = v.optionalString("customer") {
                guard let c = try P.patrolCustomer(raw, ctx) else {
                    throw FormRejection(field: "customer", "请选择您可查看的客户")
                }
                cid = c.id
                cname = c.name
            }
            let id: Int64 = try ctx.db.transaction {
                let id = try ctx.db.insert("""
                    INSERT INTO service_patrol_urgent (customer_id, customer_name, trigger, content, unit, reporter_id, created_at)
                    VALUES (\(cid), \(cname), \(v.string("trigger")), \(v.string("content")), \(P.unit(user)), \(user.id), \(ctx.epoch))
                    RETURNING id
                    """)
                try ctx.audit(AuditEntry(entity: "service.patrol_urgent", entityID: String(id), action: "submit", to: "submitted",
                                         reason: triggerTitle(v.string("trigger"))))
                return id
            }
            return .redirect(to: "/service/patrol/urgent/\(id)", flash: .ok("巡访紧急报告已提交。"))
        }
    }

    /// 巡访紧急报告: the plain list (the reporter's own, or all for 巡访管理).
    static let urgentPage = ListPage(
        title: "巡访紧急报告", path: "/service/patrol/urgent",
        select: "x.*, COALESCE(u.display_name, '') AS reporter",
        from: "service_patrol_urgent x LEFT JOIN users u ON u.id = x.reporter_id",
        scope: { ctx in P.mayManage(ctx) ? "1 = 1" : "x.reporter_id = \(try ctx.requireUser().id)" },
        columns: [
            .init("id", "报告编号", sql: "x.id") { r, _ in
                ListCell(DocNo.patrolUrgent(r.int("id") ?? 0), href: "/service/patrol/urgent/\(r.int("id") ?? 0)")
            },
            .time("created", "报告时间", sql: "x.created_at"),
            .init("trigger", "紧急事项类别", sql: "x.trigger") { r, _ in ListCell(triggerTitle(r.string("trigger") ?? "")) },
            .text("customer", "相关客户", sql: "x.customer_name"),
            .init("reporter", "报告人", sql: "COALESCE(u.display_name, '')", rowKey: "reporter") { r, w, _ in w.text(r, "reporter") },
            .text("unit", "营业单位", sql: "x.unit"),
            .text("content", "报告内容", sql: "x.content", sortable: false),
            .init("ack", "上级已阅", sql: "x.ack_at") { r, ctx in
                ListCell(r.int("ack_at") == nil ? "未阅" : ctx.displayEpoch(r.int("ack_at")))
            },
        ],
        // Unread reports were highlighted in the former list; the filter finds them.
        filters: [.checkbox("unread", "仅上级未阅") { _ in "x.ack_at IS NULL" }],
        actions: [.init("填写紧急报告", href: "/service/patrol/urgent/new")],
        defaultSort: "created", defaultDescending: true, tiebreaker: "x.id", empty: "没有记录。")

    static let urgentList: Handler = { req, ctx in try urgentPage.respond(req, ctx) }

    static func loadUrgent(_ id: Int64, _ ctx: Context) throws -> Row {
        guard let r = try ctx.db.first("SELECT * FROM service_patrol_urgent WHERE id = \(id)") else { throw HTTPError.notFound }
        guard P.mayManage(ctx) || r.int("reporter_id") == ctx.user?.id else { throw HTTPError.forbidden }
        return r
    }

    static let urgentDetail: Handler = { req, ctx in
        let r = try loadUrgent(try req.id(), ctx)
        let id = try r.requireInt("id")
        return ctx.render(PatrolUrgentPage(
            u: .init(id: id, number: DocNo.patrolUrgent(id), triggerText: triggerTitle(r.string("trigger") ?? ""), customerName: r.string("customer_name") ?? "",
                     content: r.string("content") ?? "", reporter: try P.userName(r.int("reporter_id"), ctx), unit: r.string("unit") ?? "",
                     created: ctx.displayEpoch(r.int("created_at")), ackBy: try P.userName(r.int("ack_by"), ctx),
                     ackAt: r.int("ack_at").map { ctx.displayEpoch($0) }),
            canAck: ctx.can(P.manage) && r.int("ack_at") == nil,
            history: try ctx.history(entity: "service.patrol_urgent", id: id)
        ), title: "巡访紧急报告 \(DocNo.patrolUrgent(id))")
    }

    static let urgentAck: Handler = { req, ctx in
        let r = try loadUrgent(try req.id(), ctx)
        let id = try r.requireInt("id")
        if r.int("ack_at") == nil {
            try ctx.db.transaction {
                try ctx.db.execute("""
                    UPDATE service_patrol_urgent SET ack_by = \(try ctx.requireUser().id), ack_at = \(ctx.epoch) WHERE id = \(id)
                    """)
                try ctx.audit(AuditEntry(entity: "service.patrol_urgent", entityID: String(id), action: "read", from: "submitted", to: "read"))
            }
            ctx.flash(.ok, "已阅。")
        }
        return .redirect(to: "/service/patrol/urgent/\(id)")
    }

    // MARK: monthly summary (002 §10)

    static let monthlyForm = FormSchema([
        FormField("month", "月份", required: true, rules: [.pattern("^[0-9]{4}-(0[1-9]|1[0-2])$", message: "请按 YYYY-MM 填写月份")]),
        FormField("unit", "营业单位", required: true, rules: [.length(min: 1, max: 50)]),
        FormField("summary", "每月巡访情况报告书", .textarea, required: true, rules: [.length(min: 2, max: 20000)]),
    ])

    /// The month's daily reports of a unit, in date order.
    static func monthReports(unit: String, month: String, _ ctx: Context) throws -> [Row] {
        try ctx.db.query("""
            SELECT * FROM service_patrol_reports WHERE unit = \(unit) AND visit_date >= \(month + "-01") AND visit_date <= \(month + "-31")
            ORDER BY visit_date, visit_time, id
            """)
    }

    /// The summary pre-filled from the daily reports (002 §10: 整理汇总).
    static func compile(unit: String, month: String, _ ctx: Context) throws -> String {
        let rows = try monthReports(unit: unit, month: month, ctx)
        let customers = Set(rows.compactMap { $0.int("customer_id") }).count
        var out = "\(unit) \(month) 巡访情况：共巡访 \(rows.count) 次，涉及客户 \(customers) 家。\n"
        let sections: [(String, String)] = [("opinions", "客户意见、建议、希望"), ("market", "市场行情、竞争对手动向及其他企业的销售政策"),
                                            ("effect", "巡访活动的效果"), ("handling", "主要处理事项的处理经过及结果"), ("other", "其他")]
        for (key, title) in sections {
            let lines = rows.compactMap { r -> String? in
                let t = r.string(key) ?? ""
                return t.isEmpty ? nil : "- \(r.string("visit_date") ?? "") \(r.string("customer_name") ?? "")：\(t)"
            }
            if lines.isEmpty { continue }
            out += "\n【\(title)】\n" + lines.joined(separator: "\n") + "\n"
        }
        return out
    }

    /// The 每月巡访情况报告书 submitted, newest month first; each opens its month and unit in the
    /// form (to read or to revise). The CSV carries the summaries too.
    static let monthlyListPage = ListPage(
        title: "已提交的每月巡访情况报告书", path: "/service/patrol/monthly/submitted",
        select: "m.*, COALESCE(u.display_name, '') AS submitter",
        from: "service_patrol_monthly m LEFT JOIN users u ON u.id = m.submitted_by",
        scope: { _ in "1 = 1" },   // the route asks for 巡访管理, who reads every unit's report
        columns: [
            .init("month", "月份", sql: "m.month", style: .nowrap) { r, w, _ in
                w.text(r, "month")
                w.href("/service/patrol/monthly?" + URLEncoding.encode(FormData([("month", r.string("month") ?? ""), ("unit", r.string("unit") ?? "")])))
            },
            .text("unit", "营业单位", sql: "m.unit"),
            .number("count", "日报数", sql: "m.report_count", column: "report_count"),
            .init("submitter", "提交人", sql: "COALESCE(u.display_name, '')", rowKey: "submitter") { r, w, _ in w.text(r, "submitter") },
            .time("at", "提交时间", sql: "m.submitted_at"),
            .text("summary", "汇总内容", sql: "m.summary").exportOnly(),
        ],
        filters: [.search("unit", "营业单位") { s, _ in "m.unit LIKE \("%" + s + "%")" }],
        actions: [.init("编写本月报告书", href: "/service/patrol/monthly")],
        defaultSort: "month", defaultDescending: true, tiebreaker: "m.id", empty: "还没有提交的报告书。",
        csvName: "每月巡访情况报告书.csv",
        intro: "营业单位主管整理巡访日报后提交的每月巡访情况报告书（002 §10）。")

    static let monthlyList: Handler = { req, ctx in try monthlyListPage.respond(req, ctx) }

    static let monthly: Handler = { req, ctx in
        let user = try ctx.requireUser()
        let monthParam = req.query["month"] ?? ""
        let month = monthParam.range(of: "^[0-9]{4}-(0[1-9]|1[0-2])$", options: .regularExpression) != nil
            ? monthParam : String(ctx.today.description.prefix(7))
        let unit = req.query["unit"].flatMap { $0.isEmpty ? nil : $0 } ?? P.unit(user)
        let existing = try ctx.db.first("SELECT * FROM service_patrol_monthly WHERE unit = \(unit) AND month = \(month)")
        let summary = try existing?.string("summary") ?? compile(unit: unit, month: month, ctx)
        // The month's daily reports and the reports submitted are read only when the page is shown (issue 20).
        func daily() throws -> [PatrolMonthlyPage.Daily] {
            try monthReports(unit: unit, month: month, ctx).map { r in
                PatrolMonthlyPage.Daily(visitDate: r.string("visit_date") ?? "", visitTime: r.string("visit_time") ?? "",
                                        customerName: r.string("customer_name") ?? "", effect: r.string("effect") ?? "",
                                        url: "/service/patrol/reports/\(r.int("id") ?? 0)")
            }
        }
        return try ctx.handleForm(monthlyForm, title: "每月巡访情况报告书",
                                  initial: FormData([("month", month), ("unit", unit), ("summary", summary)]), page: { form in
            let daily = try daily()
            return PatrolMonthlyPage(month: month, unit: unit, existing: existing != nil,
                                     existingAt: ctx.displayEpoch(existing?.int("submitted_at")),
                                     daily: daily, hasDaily: !daily.isEmpty, form: form)
        }) { v in
            let m = v.string("month"), u = v.string("unit")
            let count = Int64(try monthReports(unit: u, month: m, ctx).count)
            let now = ctx.epoch
            try ctx.db.transaction {
                let old = try ctx.db.first("SELECT id FROM service_patrol_monthly WHERE unit = \(u) AND month = \(m)")
                let id = try ctx.db.insert("""
                    INSERT INTO service_patrol_monthly (unit, month, report_count, summary, state, submitted_by, submitted_at)
                    VALUES (\(u), \(m), \(count), \(v.string("summary")), 'submitted', \(user.id), \(now))
                    ON CONFLICT (unit, month) DO UPDATE SET report_count = excluded.report_count, summary = excluded.summary,
                        submitted_by = excluded.submitted_by, submitted_at = excluded.submitted_at
                    RETURNING id
                    """)
                try ctx.audit(AuditEntry(entity: "service.patrol_monthly", entityID: String(id), action: old == nil ? "submit" : "resubmit",
                                         from: old == nil ? nil : "submitted", to: "submitted", reason: "\(u) \(m)"))
            }
            return .redirect(to: "/service/patrol/monthly?month=\(m)&unit=\(URLEncoding.percentEncode(u))", flash: .ok("每月巡访情况报告书已提交。"))
        }
    }
}
