import Foundation
import SalesKit

/// The steps of a complaint: routing, department findings, the remedy, verification, penalty,
/// closing and reopening. Each checks the state it expects and changes it optimistically
/// (`WHERE state = seen`), with the audit row in the same transaction.
enum ComplaintActions {
    typealias P = ComplaintPages

    static func state(_ c: Row) -> P.State { P.State(rawValue: c.string("state") ?? "") ?? .open }

    /// Moves the complaint from the state the user saw; 409 when someone else changed it.
    static func move(_ c: Row, action: String, reason: String?, set extra: SQL = "", _ ctx: Context) throws -> P.State {
        let id = try c.requireInt("id")
        let from = state(c)
        let next = try P.flow.apply(action, from: from, id: String(id), reason: reason, ctx)
        let changed = try ctx.db.execute("""
            UPDATE service_complaints SET state = \(next.rawValue), updated_at = \(ctx.epoch)\(extra)
            WHERE id = \(id) AND state = \(from.rawValue)
            """)
        guard changed == 1 else { throw HTTPError.conflict("投诉状态已被他人修改，请刷新后重试。") }
        return next
    }

    static func refuse(_ c: Row, _ message: String) -> Response {
        ServiceUtil.back("/service/complaints/\(c.int("id") ?? 0)", message)
    }

    /// 001 篇二 §5.1: the sales manager routes a quality complaint (客户投诉质量处理表) to the
    /// departments concerned; 技术部 is always among them, since it decides the remedy. RULES §6
    /// "Departments are records": the departments are picked from the directory (codes) and each
    /// part lands in the inbox of that department's head and members.
    static let route: Handler = { req, ctx in
        let c = try P.load(try req.id(), ctx)
        let id = try c.requireInt("id")
        guard c.string("kind") == "quality" else { throw HTTPError.conflict("服务投诉不分送部门，由销售经理核实处理。") }
        guard [.open, .routed].contains(state(c)) else {
            throw HTTPError.conflict("投诉当前状态（\(P.stateTitles[state(c).rawValue] ?? "")）不能分送部门。")
        }
        let choices = try ServiceDepartments.choices(ctx)
        let technical = StandardDepartment.technical.rawValue
        return try ctx.handleForm(P.routeForm(choices), title: "分送相关部门",
                                  initial: FormData([("departments", StandardDepartment.quality.rawValue), ("departments", technical)]),
                                  page: { form in ComplaintStepPage(c, heading: "分送相关部门（客户投诉质量处理表）", form: form) }) { v in
            var depts = v.list("departments")
            if !depts.contains(technical) { depts.append(technical) }
            let user = try ctx.requireUser()
            let names = depts.map { ServiceDepartments.title($0, ctx) }.joined(separator: "、")
            var added: [String] = []
            try ctx.db.transaction {
                _ = try move(c, action: "route", reason: v.optionalString("note") ?? names, ctx)
                for d in depts {
                    let n = try ctx.db.execute("""
                        INSERT INTO service_complaint_departments (complaint_id, department, routed_by, routed_at)
                        VALUES (\(id), \(d), \(user.id), \(ctx.epoch)) ON CONFLICT (complaint_id, department) DO NOTHING
                        """)
                    if n > 0 { added.append(d) }
                }
                if !added.isEmpty {
                    try ctx.audit(AuditEntry(entity: "service.complaint", entityID: String(id), action: "route_departments",
                                             to: added.joined(separator: ","), reason: "分送 \(names)"))
                }
            }
            ctx.flash(.ok, "已分送 \(names)，待各部门填写处理意见。")
            return .redirect(to: "/service/complaints/\(id)")
        }
    }

    /// Each department fills in its part, from its own queue.
    static let finding: Handler = { req, ctx in
        let c = try P.load(try req.id(), ctx)
        let id = try c.requireInt("id")
        let key = req.parameters["dept"] ?? ""
        guard let row = try ctx.db.first("SELECT * FROM service_complaint_departments WHERE complaint_id = \(id) AND department = \(key)")
        else { throw HTTPError.notFound }
        // RULES §6: the department's head and members fill in its part.
        guard try ServiceDepartments.reaches(key, userID: try ctx.requireUser().id, ctx) else { throw HTTPError.forbidden }
        guard state(c) == .routed else { throw HTTPError.conflict("投诉不在部门处理阶段，不能填写。") }
        let title = ServiceDepartments.title(key, ctx)
        return try ctx.handleForm(P.findingForm, title: "\(title)处理意见",
                                  initial: FormData([("finding", row.string("finding") ?? "")]),
                                  page: { form in ComplaintStepPage(c, heading: "\(title)：填写本部门处理意见", form: form) }) { v in
            try ctx.db.transaction {
                try ctx.db.execute("""
                    UPDATE service_complaint_departments SET finding = \(v.string("finding")), filled_by = \(try ctx.requireUser().id),
                        filled_at = COALESCE(filled_at, \(ctx.epoch)) WHERE id = \(try row.requireInt("id"))
                    """)
                try ctx.audit(AuditEntry(entity: "service.complaint", entityID: String(id), action: "finding", to: key,
                                         reason: title + "：" + v.string("finding")))
            }
            ctx.flash(.ok, "\(title)处理意见已保存。")
            // A member without 售后服务's view permission stays on the department's form.
            return .redirect(to: ctx.can(P.view) ? "/service/complaints/\(id)"
                                                  : "/service/complaints/\(id)/departments/\(URLEncoding.percentEncode(key))")
        }
    }

    /// 技术部 verifies and decides the remedy; the area manager is only informed.
    static let decideRemedy: Handler = { req, ctx in
        let c = try P.load(try req.id(), ctx)
        let id = try c.requireInt("id")
        guard state(c) == .routed else { throw HTTPError.conflict("投诉尚未分送技术部，或处理措施已定，不能决定处理措施。") }
        return try ctx.handleForm(P.remedyForm, title: "决定处理措施",
                                  page: { form in ComplaintStepPage(c, heading: "技术部：决定处理措施", form: form) }) { v in
            try ctx.db.transaction {
                _ = try move(c, action: "remedy", reason: nil, set: """
                    , remedy = \(v.string("remedy")), remedy_by = \(try ctx.requireUser().id), remedy_at = \(ctx.epoch)
                    """, ctx)
            }
            return .redirect(to: "/service/complaints/\(id)", flash: .ok("处理措施已决定，待结案。"))
        }
    }

    /// Closing requires the result and the customer's feedback; the first close is the
    /// handling time for the deadline (003 §7.8). The customer's rep gets the outcome in their
    /// inbox (001 篇一 §1.12, RULES §3.1).
    static let close: Handler = { req, ctx in
        let c = try P.load(try req.id(), ctx)
        let id = try c.requireInt("id")
        let s = state(c)
        let quality = c.string("kind") == "quality"
        if quality && s != .decided { throw HTTPError.conflict("质量投诉须先由技术部决定处理措施，才能结案。") }
        if !quality && ![.open, .verified].contains(s) { throw HTTPError.conflict("投诉当前状态不能结案。") }
        return try ctx.handleForm(P.closeForm, title: "结案",
                                  page: { form in ComplaintStepPage(c, heading: "结案：处理结果与客户反馈", form: form) }) { v in
            let now = ctx.epoch
            let user = try ctx.requireUser()
            let customer = try ServiceUtil.directory(ctx).customer(id: c.int("customer_id") ?? 0, ctx)
            try ctx.db.transaction {
                _ = try move(c, action: "close", reason: v.string("result"), set: """
                    , result = \(v.string("result")), feedback = \(v.string("feedback")), closed_by = \(user.id),
                      closed_at = \(now), handled_at = COALESCE(handled_at, \(now))
                    """, ctx)
                // 001 篇一 §1.12: the customer's rep is told the outcome (until they open the complaint).
                if let customer, customer.ownerID != 0, customer.ownerID != user.id {
                    try ctx.db.execute("""
                        INSERT INTO service_complaint_notices (complaint_id, user_id, created_at) VALUES (\(id), \(customer.ownerID), \(now))
                        ON CONFLICT (complaint_id, user_id) DO UPDATE SET created_at = excluded.created_at, read_at = NULL
                        """)
                    try ctx.audit(AuditEntry(entity: "service.complaint", entityID: String(id), action: "notify_owner",
                                             reason: "处理结果已通知客户负责销售 \(customer.ownerName)"))
                }
            }
            return .redirect(to: "/service/complaints/\(id)", flash: .ok("投诉已结案，处理结果已记录。"))
        }
    }

    /// Whether a penalty may be recorded on the complaint: a verified service complaint
    /// (001 篇二 §5.3a), or a quality complaint whose cause 技术部 has established by deciding the
    /// remedy (§5.3b).
    static func penaltyAllowed(_ c: Row) -> Bool {
        c.string("kind") == "quality" ? c.string("remedy") != nil : c.bool("verified")
    }

    /// 001 篇二 §5.3: the penalty of the complaint's kind — §5.3a a notice and a 20–100 元 fine
    /// for the person; §5.3b a notice and a penalty per the 考核方案 for the responsible
    /// department and person, or the proposal to dismiss.
    static let penalty: Handler = { req, ctx in
        let c = try P.load(try req.id(), ctx)
        guard penaltyAllowed(c) else {
            throw HTTPError.conflict(c.string("kind") == "quality" ? "质量投诉须经技术部查明原因、决定处理措施后，才能记录处罚。"
                                                                 : "只有经核实属实的服务投诉才能记录处罚。")
        }
        return c.string("kind") == "quality" ? try qualityPenalty(c, ctx) : try servicePenalty(c, ctx)
    }

    static func servicePenalty(_ c: Row, _ ctx: Context) throws -> Response {
        let id = try c.requireInt("id")
        return try ctx.handleForm(P.penaltyForm, title: "处罚记录",
                                  initial: FormData([("person", c.string("concerned") ?? "")]),
                                  page: { form in ComplaintStepPage(c, heading: "处罚：批评通报与罚款（20–100 元）", form: form) }) { v in
            try ctx.db.transaction {
                let pid = try ctx.db.insert("""
                    INSERT INTO service_penalties (complaint_id, person, notice, fine_fen, created_by, created_at)
                    VALUES (\(id), \(v.string("person")), \(v.string("notice")), \(try v.requireMoney("fine")), \(try ctx.requireUser().id),
                        \(ctx.epoch)) RETURNING id
                    """)
                try ctx.audit(AuditEntry(entity: "service.complaint", entityID: String(id), action: "penalty",
                                         reason: "\(v.string("person")) 罚款 \(Money.yuan(try v.requireMoney("fine")))（处罚记录 \(pid)）"))
            }
            return .redirect(to: "/service/complaints/\(id)", flash: .ok("处罚已记录。"))
        }
    }

    static func qualityPenalty(_ c: Row, _ ctx: Context) throws -> Response {
        let id = try c.requireInt("id")
        // The departments the complaint was routed to come first as the likely responsible one.
        let routed = try ctx.db.first("SELECT department FROM service_complaint_departments WHERE complaint_id = \(id) AND department <> 'technical' ORDER BY id")
        return try ctx.handleForm(P.qualityPenaltyForm(try ServiceDepartments.choices(ctx)), title: "质量投诉处罚记录",
                                  initial: FormData([("department", routed?.string("department") ?? "")]),
                                  page: { form in
            ComplaintStepPage(c, heading: "质量投诉处罚：对相关责任部门及责任人通报批评，按《考核方案》处罚（001 篇二 §5.3b）", form: form)
        }) { v in
            let fine = v.money("fine") ?? 0
            let department = v.string("department")
            try ctx.db.transaction {
                let pid = try ctx.db.insert("""
                    INSERT INTO service_quality_penalties (complaint_id, department, person, notice, fine_fen, basis, dismissal, created_by, created_at)
                    VALUES (\(id), \(department), \(v.string("person")), \(v.string("notice")), \(fine), \(v.string("basis")),
                        \(v.bool("dismissal")), \(try ctx.requireUser().id), \(ctx.epoch)) RETURNING id
                    """)
                let who = ServiceDepartments.title(department, ctx) + (v.string("person").isEmpty ? "" : " " + v.string("person"))
                try ctx.audit(AuditEntry(entity: "service.complaint", entityID: String(id), action: "quality_penalty",
                                         reason: "\(who) 通报批评，罚款 \(Money.yuan(fine))" + (v.bool("dismissal") ? "，建议辞退" : "")
                                            + "；依据 \(v.string("basis"))（质量投诉处罚记录 \(pid)）"))
            }
            return .redirect(to: "/service/complaints/\(id)", flash: .ok("质量投诉处罚已记录。"))
        }
    }

    /// verify (service complaint, with the handling proposal) and reopen (with a reason), from
    /// the approval panel. A decision offered without its required opinion comes back as 422
    /// beside the opinion box with the text kept; one not offered goes on to the flow, which
    /// answers as before (403 without the permission, a refusal otherwise).
    static let act: Handler = { req, ctx in
        let c = try P.load(try req.id(), ctx)
        let action = req.form["action"] ?? ""
        let offered = ComplaintViews.decisions(c, ctx)
        if offered.contains(where: { $0.action == action }), case .refused(let message) = ApprovalPanel.read(req, offered: offered) {
            return try ComplaintViews.detailPage(req, ctx, refusal: (message, req.form["reason"] ?? ""))
        }
        let reason = req.form["reason"].flatMap { r in
            let t = r.trimmingCharacters(in: .whitespacesAndNewlines)
            return t.isEmpty ? nil : t
        }
        if action == "verify" && c.string("kind") != "service" { return refuse(c, "只有服务投诉需要核实。") }
        guard ["verify", "reopen"].contains(action) else { return refuse(c, "未知操作。") }
        do {
            try ctx.db.transaction {
                let extra: SQL = action == "verify" ? ", verified = 1, proposal = \(reason)" : ""
                _ = try move(c, action: action, reason: reason, set: extra, ctx)
            }
        } catch let r as StateMachine<P.State>.Refusal {
            if case .forbidden = r { throw HTTPError.forbidden }
            return refuse(c, r.description)
        }
        return .redirect(to: "/service/complaints/\(try c.requireInt("id"))",
                         flash: .ok(action == "verify" ? "投诉已核实，处理建议已记录。" : "投诉已重新打开，原因已记录。"))
    }
}
