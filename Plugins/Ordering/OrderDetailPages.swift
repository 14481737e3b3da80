import Foundation
import SalesKit

/// The order page: its register fields, lines with remaining quantity, the three checks with
/// their results, approval records, the 销售计划下达表, deliveries, history and actions.
enum OrderDetailPages {
    static func lineModels(_ id: Int64, _ ctx: Context) throws -> [[String: Any]] {
        try ctx.db.query("SELECT * FROM order_lines WHERE order_id = \(id) ORDER BY line_no").map { l in
            var d: [String: Any] = l.dictionary
            d["price"] = OrderUtil.yuan(l.int("unit_price_fen"))
            d["amount"] = OrderUtil.yuan(l.int("amount_fen"))
            d["remaining"] = try Stored.subtract(l.int("qty") ?? 0, l.int("delivered_qty") ?? 0)
            return d
        }
    }

    static func approvals(_ id: Int64, _ ctx: Context) throws -> [[String: Any]] {
        try ctx.db.query("SELECT * FROM order_approvals WHERE order_id = \(id) ORDER BY at, id").map { a in
            var d: [String: Any] = a.dictionary
            d["at"] = OrderUtil.time(ctx, a.int("at"))
            d["kindTitle"] = ["credit": "超销售警戒线审批（003 §4.2）", "sporadic": "零星客户审批（003 §4.1.3）"][a.string("kind") ?? ""] ?? ""
            d["decisionTitle"] = a.string("decision") == "approved" ? "批准" : "驳回"
            d["over"] = OrderUtil.yuan(a.int("over_fen"))
            d["line"] = OrderUtil.yuan(a.int("line_fen"))
            d["exposure"] = OrderUtil.yuan(a.int("exposure_fen"))
            d["isCredit"] = a.string("kind") == "credit"
            return d
        }
    }

    static func deliveries(_ id: Int64, _ ctx: Context) throws -> [[String: Any]] {
        try ctx.db.query("SELECT * FROM order_deliveries WHERE order_id = \(id) ORDER BY id").map { d in
            var m: [String: Any] = d.dictionary
            m["value"] = OrderUtil.yuan(d.int("value_fen"))
            m["arrived"] = OrderUtil.time(ctx, d.int("arrived_at"))
            m["accepted"] = OrderUtil.time(ctx, d.int("accepted_at"))
            m["isAccepted"] = d.int("accepted_at") != nil
            m["isLate"] = d.bool("late") || (d.int("accepted_at") == nil && (d.int("arrived_at").map { $0 < OrderUtil.epoch(ctx) - 86_400 } ?? false))
            m["items"] = try ctx.db.query("""
                SELECT l.line_no, l.product, l.spec, dl.qty FROM order_delivery_lines dl JOIN order_lines l ON l.id = dl.line_id
                WHERE dl.delivery_id = \(d.int("id") ?? 0) ORDER BY l.line_no
                """).map(\.dictionary)
            return m
        }
    }

    /// Everything the order page and its print views show.
    static func model(_ o: Row, _ req: Request, _ ctx: Context) throws -> [String: Any] {
        let id = try o.requireInt("id")
        let state = OrderUtil.state(o)
        var actions = OrderFlow.machine.available(from: state, for: ctx.user).map { t -> [String: Any] in
            ["action": t.action, "title": t.title, "needsReason": t.requiresReason]
        }
        if [.contractPending, .settlementPending].contains(state) && (ctx.can(OrderPages.register) || ctx.can(OrderPages.release)) {
            actions.append(["action": "recheck", "title": "重新核查（合同已批准/欠款已结清后）", "needsReason": false])
        }
        if o.bool("written_pending") && ctx.can(OrderPages.register) && OrderState.open.contains(state) {
            actions.append(["action": "confirm_written", "title": "已收到客户书面确认（传真/信函）", "needsReason": false])
        }
        if state == .accepted && o.int("oral_notice_at") == nil && ctx.can(OrderPages.release) {
            actions.append(["action": "oral_notice", "title": "已口头预先通知相关部门（须 24 小时内补下达表）", "needsReason": false])
        }
        let oralDeadline = o.int("oral_notice_at").map { $0 + 86_400 }
        let checks: [[String: Any]] = [
            ["n": 1, "title": "合同核查（002 §3.3）", "ok": o.bool("contract_ok"), "result": o.string("contract_result") ?? ""],
            ["n": 2, "title": "结算核查（002 §3.4）", "ok": o.bool("settlement_ok"), "result": o.string("settlement_result") ?? ""],
            ["n": 3, "title": "销售警戒线（003 §4.1.2）", "ok": o.bool("credit_ok"), "result": o.string("credit_result") ?? ""],
        ]
        let lines = try lineModels(id, ctx)
        let approvalRecords = try approvals(id, ctx)
        let canDeliver = [.released, .scheduled, .delivering].contains(state) && ctx.can(OrderPages.register)
        return [
            "o": o.dictionary,
            "stateText": state.title,
            "channelText": OrderChannel.title(o.string("channel")),
            "isPhone": o.string("channel") == "phone",
            "writtenPending": o.bool("written_pending"),
            "writtenConfirmed": OrderUtil.time(ctx, o.int("written_confirmed_at")),
            "isSporadic": o.bool("sporadic"),
            "prepaid": OrderUtil.yuan(o.int("prepaid_fen")),
            "total": OrderUtil.yuan(o.int("total_fen")),
            "delivered": OrderUtil.yuan(o.int("delivered_fen")),
            "checks": checks,
            "checkedAt": OrderUtil.time(ctx, o.int("checked_at")),
            "lines": lines,
            "approvals": approvalRecords,
            "hasApprovals": !approvalRecords.isEmpty,
            "deliveries": try deliveries(id, ctx),
            "actions": actions,
            "hasActions": !actions.isEmpty,
            "canDeliver": canDeliver,
            "canSchedule": [.released, .scheduled].contains(state) && ctx.can(OrderPages.production),
            "isReleased": o.string("plan_no") != nil,
            "planSigned": OrderUtil.time(ctx, o.int("plan_signed_at")),
            "oralNotice": OrderUtil.time(ctx, o.int("oral_notice_at")),
            "oralDeadline": OrderUtil.time(ctx, oralDeadline),
            "oralOverdue": state == .accepted && (oralDeadline.map { $0 < OrderUtil.epoch(ctx) } ?? false),
            "hasOral": o.int("oral_notice_at") != nil,
            "history": try OrderUtil.history("order.order", id, ctx),
            "error": req.query["error"] ?? "",
            "hasError": req.query["error"] != nil,
            "printedAt": ctx.display(ctx.now),
            "createdAt": OrderUtil.time(ctx, o.int("created_at")),
        ].merging(try OrderChangePages.detailExtras(o, ctx)) { a, _ in a }
    }

    static let detail: Handler = { req, ctx in
        let o = try OrderUtil.load(try req.id(), ctx)
        return ctx.render("order-detail", try model(o, req, ctx), title: "订单 \(o.string("order_no") ?? "")")
    }

    /// 订货单 + 订货登记表 as the paper forms, with the approval record and the signature block.
    static let printOrder: Handler = { req, ctx in
        let o = try OrderUtil.load(try req.id(), ctx)
        return ctx.render("order-print", try model(o, req, ctx), title: "订货单 \(o.string("order_no") ?? "")")
    }

    /// 销售计划下达表 (003 §4.3.2–§4.3.4): only for a released order.
    static let printPlan: Handler = { req, ctx in
        let o = try OrderUtil.load(try req.id(), ctx)
        guard o.string("plan_no") != nil else { throw HTTPError.conflict("订单尚未下达，没有销售计划下达表。") }
        return ctx.render("order-plan", try model(o, req, ctx), title: "销售计划下达表 \(o.string("plan_no") ?? "")")
    }

    static let act: Handler = { req, ctx in
        let o = try OrderUtil.load(try req.id(), ctx)
        let id = try o.requireInt("id")
        let action = req.form["action"] ?? ""
        let reason = req.form["reason"]
        let state = OrderUtil.state(o)
        let path = "/order/orders/\(id)"
        let user = try ctx.requireUser()
        let now = OrderUtil.epoch(ctx)
        switch action {
        case "recheck":
            guard ctx.can(OrderPages.register) || ctx.can(OrderPages.release) else { throw HTTPError.forbidden }
            guard [.contractPending, .settlementPending].contains(state) else { return OrderUtil.back(path, error: "当前状态不需要重新核查。") }
            _ = try ctx.db.transaction { try OrderIntake.recheck(o, ctx) }
            return .redirect(to: path)
        case "confirm_written":
            // 003 §4.3.1: the phone order is confirmed in writing.
            try ctx.require(OrderPages.register)
            guard o.bool("written_pending") else { return OrderUtil.back(path, error: "该订单没有待书面确认。") }
            try ctx.db.transaction {
                try ctx.db.execute("UPDATE order_orders SET written_pending = 0, written_confirmed_at = \(now), updated_at = \(now) WHERE id = \(id)")
                try ctx.audit(AuditEntry(entity: "order.order", entityID: String(id), action: "confirm_written", reason: "电话订货已收到书面确认"))
            }
            return .redirect(to: path)
        case "oral_notice":
            // 003 §4.3.2: an oral pre-notice; the written form must follow within 24 hours.
            try ctx.require(OrderPages.release)
            guard state == .accepted, o.int("oral_notice_at") == nil else { return OrderUtil.back(path, error: "只能对待下达且未口头通知的订单登记口头通知。") }
            try ctx.db.transaction {
                try ctx.db.execute("UPDATE order_orders SET oral_notice_at = \(now), updated_at = \(now) WHERE id = \(id)")
                try ctx.audit(AuditEntry(entity: "order.order", entityID: String(id), action: "oral_notice",
                                         reason: "口头预先通知生产、品质、发货；书面下达表须在 \(OrderUtil.time(ctx, now + 86_400)) 前补发"))
            }
            return .redirect(to: path)
        default:
            break
        }
        if action == "complete" {
            let open = try ctx.db.scalar("SELECT COUNT(*) FROM order_deliveries WHERE order_id = \(id) AND accepted_at IS NULL") ?? 0
            if open > 0 { return OrderUtil.back(path, error: "还有 \(open) 批交货未完成交、验货手续（003 §4.3.6）。") }
        }
        do {
            try ctx.db.transaction {
                let next = try OrderFlow.machine.apply(action, from: state, id: String(id), reason: reason, ctx)
                let changed = try ctx.db.execute("UPDATE order_orders SET state = \(next.rawValue), updated_at = \(now) WHERE id = \(id) AND state = \(state.rawValue)")
                guard changed == 1 else { throw HTTPError.conflict("订单状态已被他人修改，请刷新后重试。") }
                switch action {
                case "approve", "reject":
                    // The GM's decision is its own record on the order (approver, time, amount over the line, reason).
                    try ctx.db.execute("""
                        INSERT INTO order_approvals (order_id, kind, decision, approver_id, approver_name, at, line_fen, exposure_fen, over_fen, reason)
                        VALUES (\(id), \(state == .creditBlocked ? "credit" : "sporadic"), \(action == "approve" ? "approved" : "rejected"),
                            \(user.id), \(user.displayName), \(now), \(o.int("line_fen")), \(o.int("exposure_fen")), \(o.int("over_fen") ?? 0),
                            \((reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines)))
                        """)
                case "release":
                    let planNo = "XD" + (o.string("order_no") ?? "").dropFirst(2)
                    try ctx.db.execute("""
                        UPDATE order_orders SET plan_no = \(planNo), plan_signed_by = \(user.id), plan_signed_name = \(user.displayName),
                            plan_signed_at = \(now) WHERE id = \(id)
                        """)
                default:
                    break
                }
            }
        } catch let refusal as StateMachine<OrderState>.Refusal {
            if case .forbidden = refusal { throw HTTPError.forbidden }
            return OrderUtil.back(path, error: refusal.description)
        }
        return .redirect(to: path)
    }
}
