import Foundation
import SalesKit

/// The order page: its register fields, lines with remaining quantity, the three checks with
/// their results, approval records, the 销售计划下达表, deliveries, history and actions.
enum OrderDetailPages {
    /// The order page.
    struct OrderDetailPage: PageModel {
        static let template = "order-detail"

        /// A partial delivery with its lines and the 24-hour paperwork (003 §4.3.6).
        struct Delivery: TemplateModel {
            struct Item: TemplateModel {
                var lineNo: Int64
                var product: String
                var spec: String
                var qty: Int64
            }

            var id: Int64
            /// `OrderDocNo.delivery` (JH…).
            var number: String
            var deliveredOn: String
            var items: [Item]
            var value: String
            /// Nil until the arrival is recorded (the page then asks for it).
            var arrived: String?
            var isAccepted: Bool
            var accepted: String
            var isLate: Bool
        }

        /// A line's stock check and trial (001 篇二 §6.1–§6.2).
        struct Path: TemplateModel {
            var lineNo: Int64
            var product: String
            var spec: String
            var qty: Int64
            var onHand: String
            var toProduction: Bool
            var newVariant: Bool
            var trialText: String
            var trialNote: String?
        }

        var o: OrderRecord
        var stateText: String
        var channelText: String
        var total: String
        var delivered: String
        var isReleased: Bool
        var writtenPending: Bool
        var writtenConfirmed: String
        var isPhone: Bool
        var hasOral: Bool
        var oralNotice: String
        var oralDeadline: String
        var oralOverdue: Bool
        var checkedAt: String
        var checks: [OrderCheckView]
        var isSporadic: Bool
        /// Declared at registration (a sporadic order's 已收预付款).
        var prepaid: String
        /// Prepayments finance booked for this order, and what of them is not yet settled.
        var prepaidConfirmed: String
        var advanceHeld: String
        var showPrepayment: Bool
        var canConfirmPrepayment: Bool
        var approvals: [OrderApprovalView]
        var hasApprovals: Bool
        /// 办理: 审批意见 above the steps this user can take now (nil: none, no empty card).
        var approval: ApprovalPanel?
        var lines: [OrderLineView]
        var canDeliver: Bool
        var canSchedule: Bool
        var paths: [Path]
        var hasPaths: Bool
        var changes: [OrderChangePages.ChangeView]
        var hasChanges: Bool
        var canChange: Bool
        /// 003 §3.11: the company may initiate a change.
        var canCompanyChange: Bool
        var productionStarted: Bool
        var canPaths: Bool
        var deliveries: [Delivery]
        var history: History
    }

    /// 订货单 + 订货登记表 as the paper forms.
    struct OrderPrintPage: PageModel {
        static let template = "order-print"
        var o: OrderRecord
        var printedAt: String
        var lines: [OrderLineView]
        var total: String
        /// 人民币大写 of the total.
        var totalUpper: String
        var channelText: String
        var checks: [OrderCheckView]
        var approvals: [OrderApprovalView]
        var hasApprovals: Bool
        /// 编制 the order's maker, 审核 the sales head who signed the plan, 批准 the general
        /// manager's approval when one was needed (003 §4.1.3, §4.2) — each with the date.
        var signatures: SignatureBlock
    }

    /// 销售计划下达表 (003 §4.3.2–§4.3.4).
    struct OrderPlanPage: PageModel {
        static let template = "order-plan"
        var o: OrderRecord
        var lines: [OrderLineView]
        var total: String
        var totalUpper: String
        var planSigned: String
        var hasOral: Bool
        var oralNotice: String
        var oralDeadline: String
        var approvals: [OrderApprovalView]
        var hasApprovals: Bool
        /// As on the 订货单: maker, the sales head who signed, the GM's approval if needed.
        var signatures: SignatureBlock
    }

    static func deliveries(_ id: Int64, _ ctx: Context) throws -> [OrderDetailPage.Delivery] {
        try ctx.db.query("SELECT * FROM order_deliveries WHERE order_id = \(id) ORDER BY id").map { d in
            let items = try ctx.db.query("""
                SELECT l.line_no, l.product, l.spec, dl.qty FROM order_delivery_lines dl JOIN order_lines l ON l.id = dl.line_id
                WHERE dl.delivery_id = \(d.int("id") ?? 0) ORDER BY l.line_no
                """).map { OrderDetailPage.Delivery.Item(lineNo: $0.int("line_no") ?? 0, product: $0.text("product"), spec: $0.text("spec"),
                                                     qty: $0.int("qty") ?? 0) }
            let accepted = d.int("accepted_at")
            let late = d.bool("late") || (accepted == nil && (d.int("arrived_at").map { $0 < ctx.epoch - 86_400 } ?? false))
            return OrderDetailPage.Delivery(id: d.int("id") ?? 0, number: OrderDocNo.delivery(d.int("id") ?? 0), deliveredOn: d.text("delivered_on"), items: items,
                                       value: OrderUtil.yuan(d.int("value_fen")),
                                       arrived: d.int("arrived_at").map { ctx.displayEpoch($0) },
                                       isAccepted: accepted != nil, accepted: ctx.displayEpoch(accepted), isLate: late)
        }
    }

    /// The steps this user may take on the order in its state, as one approval panel's decisions
    /// (issue #16 point 8): the usual step primary, a refusal in the warning colour.
    static func decisions(_ o: Row, _ ctx: Context) -> [ApprovalPanel.Decision] {
        let state = OrderUtil.state(o)
        var decisions = OrderFlow.machine.available(from: state, for: ctx.user).map(ApprovalPanel.Decision.init)
        if OrderFlow.recheckable.contains(state) && (ctx.can(OrderPages.register) || ctx.can(OrderPages.release)) {
            decisions.append(.init("recheck", state == .creditBlocked ? "重新核查警戒线（客户回款后）" : "重新核查（合同已批准/欠款已结清后）"))
        }
        if state == .pricePending && ctx.can(PriceControl.approve) {
            // 001 篇一 1.6, 第十三条: the sales manager consents to the price cut, or refuses it, with a reason.
            decisions.append(.init("price_approve", "销售经理批准低价", needsReason: true, style: "primary"))
            decisions.append(.init("price_reject", "销售经理驳回", needsReason: true, style: "danger"))
        }
        if o.bool("written_pending") && ctx.can(OrderPages.register) && OrderState.open.contains(state) {
            decisions.append(.init("confirm_written", "已收到客户书面确认（传真/信函）"))
        }
        if state == .accepted && o.int("oral_notice_at") == nil && ctx.can(OrderPages.release) {
            decisions.append(.init("oral_notice", "已口头预先通知相关部门（须 24 小时内补下达表）"))
        }
        return decisions
    }

    static let detail: Handler = { req, ctx in try detailPage(req, ctx) }

    /// The order's page; after a refused panel submit, with the panel's error and the typed
    /// opinion kept (422).
    static func detailPage(_ req: Request, _ ctx: Context, refusal: (message: String, opinion: String)? = nil) throws -> Response {
        let o = try OrderUtil.load(try req.id(), ctx)
        let id = try o.requireInt("id")
        let state = OrderUtil.state(o)
        var approval = ApprovalPanel(heading: "办理", url: "/order/orders/\(id)/act", decisions: decisions(o, ctx))
        if let refusal { approval = approval?.with(error: refusal.message, opinion: refusal.opinion) }
        let approvals = try OrderApprovalView.all(id, ctx)
        let oralDeadline = o.int("oral_notice_at").map(OrderUtil.plusDay)
        let changes = try ctx.db.query("SELECT * FROM order_changes WHERE order_id = \(id) ORDER BY id").map { try OrderChangePages.ChangeView($0, ctx) }
        let paths = try OrderPaths.lineFlags(id, ctx)
        let confirmed = try Ledger.confirmedPrepayment(id, ctx)
        let page = OrderDetailPage(
            o: OrderRecord(o), stateText: state.title, channelText: OrderChannel.title(o.string("channel")),
            total: OrderUtil.yuan(o.int("total_fen")), delivered: OrderUtil.yuan(o.int("delivered_fen")),
            isReleased: o.string("plan_no") != nil, writtenPending: o.bool("written_pending"),
            writtenConfirmed: ctx.displayEpoch(o.int("written_confirmed_at")), isPhone: o.string("channel") == "phone",
            hasOral: o.int("oral_notice_at") != nil, oralNotice: ctx.displayEpoch(o.int("oral_notice_at")),
            oralDeadline: ctx.displayEpoch(oralDeadline),
            oralOverdue: state == .accepted && (oralDeadline.map { $0 < ctx.epoch } ?? false), checkedAt: ctx.displayEpoch(o.int("checked_at")), checks: try OrderCheckView.all(o, ctx),
            isSporadic: o.bool("sporadic"), prepaid: OrderUtil.yuan(o.int("prepaid_fen")),
            prepaidConfirmed: Money.format(confirmed), advanceHeld: Money.format(try Ledger.orderAdvance(id, ctx)),
            showPrepayment: o.bool("sporadic") || confirmed > 0,
            canConfirmPrepayment: ctx.can(OrderPages.finance) && OrderState.open.contains(state),
            approvals: approvals, hasApprovals: !approvals.isEmpty, approval: approval,
            lines: try OrderLineView.all(id, ctx),
            canDeliver: [.released, .scheduled, .delivering].contains(state) && ctx.can(OrderPages.register),
            canSchedule: [.released, .scheduled].contains(state) && ctx.can(OrderPages.production),
            paths: paths, hasPaths: !paths.isEmpty, changes: changes, hasChanges: !changes.isEmpty,
            canChange: OrderChangeFlow.changeable.contains(state) && ctx.can(OrderPages.register),
            canCompanyChange: OrderChangeFlow.changeable.contains(state) && ctx.can(OrderChangeFlow.companyChange),
            productionStarted: OrderChangeFlow.productionStarted(o, today: ctx.today),
            canPaths: OrderPaths.editable.contains(state) && ctx.can(OrderPages.register),
            deliveries: try deliveries(id, ctx),
            // The order and its deliveries' paperwork, titled by the module's audit vocabulary.
            history: try ctx.history([AuditSubject("order.order", id)]
                                     + ctx.db.query("SELECT id FROM order_deliveries WHERE order_id = \(id) ORDER BY id").map {
                                         AuditSubject("order.delivery", $0.int("id") ?? 0)
                                     }))
        return ctx.render(page, title: "订单 \(o.text("order_no"))", status: refusal == nil ? 200 : 422)
    }

    /// 订货单 + 订货登记表 as the paper forms, with the approval record and the signature block.
    static let printOrder: Handler = { req, ctx in
        let o = try OrderUtil.load(try req.id(), ctx)
        let id = try o.requireInt("id")
        let approvals = try OrderApprovalView.all(id, ctx)
        let page = OrderPrintPage(o: OrderRecord(o), printedAt: ctx.display(ctx.now), lines: try OrderLineView.all(id, ctx),
                             total: OrderUtil.yuan(o.int("total_fen")), totalUpper: Money.uppercase(o.int("total_fen") ?? 0), channelText: OrderChannel.title(o.string("channel")),
                             checks: try OrderCheckView.all(o, ctx), approvals: approvals, hasApprovals: !approvals.isEmpty,
                             signatures: try signatures(o, ctx))
        return ctx.render(page, title: "订货单 \(o.text("order_no"))")
    }

    /// The printed 订货单's signatures: who made it, who signed the plan, who approved it (the
    /// general manager's latest approval of a credit or sporadic order); empty where nobody has.
    static func signatures(_ o: Row, _ ctx: Context) throws -> SignatureBlock {
        let gm = try ctx.db.first("""
            SELECT approver_name, at FROM order_approvals
            WHERE order_id = \(try o.requireInt("id")) AND kind IN ('credit', 'sporadic') AND decision = 'approved' ORDER BY at DESC, id DESC LIMIT 1
            """)
        return SignatureBlock(prepared: .init(o.string("created_name"), at: o.int("created_at"), ctx),
                              reviewed: .init(o.string("plan_signed_name"), at: o.int("plan_signed_at"), ctx),
                              approved: .init(gm?.string("approver_name"), at: gm?.int("at"), ctx))
    }

    /// 销售计划下达表 (003 §4.3.2–§4.3.4): only for a released order.
    static let printPlan: Handler = { req, ctx in
        let o = try OrderUtil.load(try req.id(), ctx)
        guard o.string("plan_no") != nil else { throw HTTPError.conflict("订单尚未下达，没有销售计划下达表。") }
        let id = try o.requireInt("id")
        let approvals = try OrderApprovalView.all(id, ctx)
        let oral = o.int("oral_notice_at")
        let page = OrderPlanPage(o: OrderRecord(o), lines: try OrderLineView.all(id, ctx), total: OrderUtil.yuan(o.int("total_fen")),
                            totalUpper: Money.uppercase(o.int("total_fen") ?? 0), planSigned: ctx.displayEpoch(o.int("plan_signed_at")), hasOral: oral != nil,
                            oralNotice: ctx.displayEpoch(oral), oralDeadline: ctx.displayEpoch(oral.map(OrderUtil.plusDay)),
                            approvals: approvals, hasApprovals: !approvals.isEmpty, signatures: try signatures(o, ctx))
        return ctx.render(page, title: "销售计划下达表 \(o.text("plan_no"))")
    }

    static let act: Handler = { req, ctx in
        let o = try OrderUtil.load(try req.id(), ctx)
        let id = try o.requireInt("id")
        let action = req.form["action"] ?? ""
        let reason = req.form["reason"]
        let state = OrderUtil.state(o)
        // One approval panel: a step offered here without its required opinion comes back 422
        // beside the opinion box, the text kept; a step not offered goes on to the flow's answer.
        let offered = decisions(o, ctx)
        if offered.contains(where: { $0.action == action }), case .refused(let message) = ApprovalPanel.read(req, offered: offered) {
            return try detailPage(req, ctx, refusal: (message, reason ?? ""))
        }
        let path = "/order/orders/\(id)"
        let user = try ctx.requireUser()
        let now = ctx.epoch
        switch action {
        case "recheck":
            guard ctx.can(OrderPages.register) || ctx.can(OrderPages.release) else { throw HTTPError.forbidden }
            guard OrderFlow.recheckable.contains(state) else { return OrderUtil.back(path, error: "当前状态不需要重新核查。") }
            let to = try ctx.db.transaction { try OrderIntake.recheck(o, ctx) }
            if to == state && state == .creditBlocked {
                return OrderUtil.back(path, error: "重新核查后仍超出销售警戒线，仍须总经理批准（003 §4.2）。")
            }
            return .redirect(to: path)
        case "price_approve", "price_reject":
            // 001 篇一 1.6, 第十三条 / RULES §6: recorded like the GM's warning-line approval; an approved
            // order goes on to the remaining checks (the warning line may still send it to the GM).
            try ctx.require(PriceControl.approve)
            guard state == .pricePending else { return OrderUtil.back(path, error: "该订单不在待销售经理批准低价的状态。") }
            let why = (reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard !why.isEmpty else { return OrderUtil.back(path, error: "「\(action == "price_approve" ? "销售经理批准低价" : "销售经理驳回")」必须填写理由") }
            let approved = action == "price_approve"
            try ctx.db.transaction {
                let changed = try ctx.db.execute("""
                    UPDATE order_orders SET price_approved = \(approved), state = \(approved ? state.rawValue : OrderState.rejected.rawValue),
                        updated_at = \(now) WHERE id = \(id) AND state = \(state.rawValue)
                    """)
                guard changed == 1 else { throw HTTPError.conflict("订单状态已被他人修改，请刷新后重试。") }
                try ctx.db.execute("""
                    INSERT INTO order_approvals (order_id, kind, decision, approver_id, approver_name, at, over_fen, reason)
                    VALUES (\(id), 'price', \(approved ? "approved" : "rejected"), \(user.id), \(user.displayName), \(now), 0, \(why))
                    """)
                try ctx.audit(AuditEntry(entity: "order.order", entityID: String(id), action: action, from: state.rawValue,
                                         to: approved ? state.rawValue : OrderState.rejected.rawValue,
                                         reason: "\(o.text("price_result"))；\(approved ? "批准" : "驳回")理由：\(why)"))
                if approved, let fresh = try ctx.db.first("SELECT * FROM order_orders WHERE id = \(id)") {
                    _ = try OrderIntake.recheck(fresh, ctx)
                }
            }
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
                                         reason: "口头预先通知生产、品质、发货；书面下达表须在 \(ctx.displayEpoch(now + 86_400)) 前补发"))
            }
            return .redirect(to: path)
        default:
            break
        }
        if action == "approve" && [.creditBlocked, .sporadicPending].contains(state) {
            // RULES §6 "E means no supply": a customer re-rated E since the check is refused, not approved.
            let c = try OrderUtil.directory(ctx).customer(id: o.int("customer_id") ?? 0, ctx)
            let line = try c?.ratingClass.flatMap { try OrderUtil.directory(ctx).classPolicy($0, ctx)?.warningLineFen }
            if line == nil {
                _ = try ctx.db.transaction { try OrderIntake.recheck(o, ctx) }
                return OrderUtil.back(path, error: "该客户现为「\(c?.ratingClass ?? "未评定")」类，无销售警戒线，不予供货：订单已拒绝，不能批准（003 §4.1.2）。")
            }
        }
        if action == "approve" && state == .sporadicPending {
            // 003 §4.1.3: payment received in full — as booked by finance, not as declared.
            let confirmed = try Ledger.confirmedPrepayment(id, ctx), total = o.int("total_fen") ?? 0
            if confirmed < total {
                return OrderUtil.back(path, error: "财务部尚未确认收到全额预付款（已确认 ¥\(Money.format(confirmed))，订单金额 ¥\(Money.format(total))），"
                                          + "不能批准零星客户订单（003 §4.1.3）。")
            }
        }
        if action == "complete" {
            let open = try ctx.db.scalar("SELECT COUNT(*) FROM order_deliveries WHERE order_id = \(id) AND accepted_at IS NULL") ?? 0
            if open > 0 { return OrderUtil.back(path, error: "还有 \(open) 批交货未完成交、验货手续（003 §4.3.6）。") }
        }
        let next: OrderState
        do {
            next = try ctx.db.transaction {
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
                return next
            }
        } catch let refusal as StateMachine<OrderState>.Refusal {
            if case .forbidden = refusal { throw HTTPError.forbidden }
            return OrderUtil.back(path, error: refusal.description)
        }
        let step = OrderFlow.machine.transitions.first { $0.action == action }?.title ?? "办理"
        return .redirect(to: path, flash: .ok("已办理「\(step)」，订单现为「\(next.title)」。"))
    }
}
