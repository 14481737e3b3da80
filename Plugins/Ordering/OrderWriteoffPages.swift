import Foundation
import SalesKit

/// Bad-debt write-offs (坏账核销, RULES §6, 003 §5.4 "bad debt ≤ 5‰"): finance proposes one for a
/// customer with the reason; the GM approves or rejects it with a reason; an approved write-off is
/// booked as a `bad_debt` ledger entry (not a collection) in the same transaction, and refused if
/// it would exceed the receivable at that moment.
enum WriteoffState: String, Sendable, CaseIterable {
    case pending, approved, rejected

    var title: String {
        switch self {
        case .pending: "待总经理审批"
        case .approved: "已批准并核销"
        case .rejected: "已驳回"
        }
    }
}

enum OrderWriteoffs {
    static let machine = StateMachine<WriteoffState>(entity: "order.writeoff", transitions: [
        .init("approve", from: [.pending], to: .approved, permission: OrderPages.approve, requiresReason: true, title: "总经理批准核销"),
        .init("reject", from: [.pending], to: .rejected, permission: OrderPages.approve, requiresReason: true, title: "总经理驳回"),
    ])

    static func state(_ r: Row) -> WriteoffState { WriteoffState(rawValue: r.string("state") ?? "") ?? .pending }

    static let listPage = ListPage(
        title: "坏账核销", path: "/order/writeoffs",
        select: "w.*", from: "order_writeoffs w",
        scope: { ctx in try OrderUtil.visibleFilter(ctx, column: "w.customer_id") },
        columns: [
            .init("no", "核销编号", sql: "w.id") { r, _ in ListCell(OrderDocNo.writeoff(r.int("id") ?? 0), href: "/order/writeoffs/\(r.int("id") ?? 0)") },
            .text("code", "客户代码", sql: "w.customer_code"),
            .text("customer", "客户名称", sql: "w.customer_name"),
            .init("amount", "核销金额（元）", sql: "w.amount_fen") { r, _ in ListCell(OrderUtil.yuan(r.int("amount_fen")), cls: "num") },
            .text("reason", "理由", sql: "w.reason", sortable: false),
            .init("state", "状态", sql: "w.state") { r, _ in ListCell(state(r).title) },
            .text("by", "申请人", sql: "w.requested_name"),
            .time("at", "申请时间", sql: "w.requested_at"),
            .text("decided", "审批人", sql: "w.decided_name"),
        ],
        filters: [
            .choice("state", "状态", all: "全部状态", WriteoffState.allCases.map { Choice($0.rawValue, $0.title) }) { s, _ in "w.state = \(s)" },
            .search("customer", "客户代码或名称") { c, _ in "w.customer_code = \(c) OR w.customer_name LIKE \("%" + c + "%")" },
        ],
        actions: [ListPage.Action("申请坏账核销", href: "/order/writeoffs/new", shown: { $0.can(OrderPages.finance) })],
        defaultSort: "no", defaultDescending: true, tiebreaker: "w.id", empty: "没有坏账核销申请。", csvName: "坏账核销.csv",
        intro: "财务部申请，总经理批准后记入应收明细（坏账核销不是回款；坏账率目标 ≤ 5‰，003 §5.4）。",
        rowClass: { r, _ in state(r) == .pending ? "urgent" : nil })

    static let list: Handler = { req, ctx in try listPage.respond(req, ctx) }

    /// One write-off with its decision and history.
    struct WriteoffPage: PageModel {
        static let template = "order-writeoff"

        struct Writeoff: TemplateModel {
            /// `OrderDocNo.writeoff` (HX…).
            var number: String
            var customerID: Int64
            var customerCode: String
            var customerName: String
            var amount: String
            var reason: String
            var requestedName: String
            var requestedAt: String
            var decidedName: String
            var decidedAt: String
            var decisionReason: String
        }

        var w: Writeoff
        var stateText: String
        var outstanding: String
        /// 总经理审批: 审批意见 above the steps this user can take (nil: none).
        var approval: ApprovalPanel?
        var history: History
    }

    static func load(_ id: Int64, _ ctx: Context) throws -> Row {
        guard let w = try ctx.db.first("SELECT * FROM order_writeoffs WHERE id = \(id)") else { throw HTTPError.notFound }
        guard try OrderUtil.maySee(customer: w.int("customer_id") ?? 0, ctx) else { throw HTTPError.forbidden }
        return w
    }

    /// Finance proposes a write-off: at most the receivable less the write-offs still pending.
    static let create: Handler = { req, ctx in
        var initial = FormData()
        if let code = req.query["customer"] { initial.append("customer_code", code) }
        return try ctx.handleForm(OrderForms.writeoff, title: "申请坏账核销", initial: initial, page: {
            OrderLedgerPages.EntryFormPage(heading: "申请坏账核销",
                                           intro: "确实无法收回的应收账款，写明原因与依据；总经理批准后作为坏账核销记账（不是回款，RULES §6）。核销金额不得超过应收余额。",
                                           button: "提交总经理审批", back: "/order/writeoffs",
                                           form: $0.suggesting("customer_code", try OrderUtil.customerPicker(OrderUtil.directory(ctx), ctx),
                                                               none: OrderUtil.noCustomers))
        }) { v in
            let c = try OrderLedgerPages.customer(code: v.string("customer_code"), field: "customer_code", ctx)
            let amount = v.money("amount") ?? 0
            let receivable = try Ledger.totals(customer: c.id, ctx).receivable
            let pending = try ctx.db.scalar("""
                SELECT COALESCE(SUM(amount_fen), 0) FROM order_writeoffs WHERE customer_id = \(c.id) AND state = \(WriteoffState.pending.rawValue)
                """) ?? 0
            let available = max(0, try Stored.subtract(receivable, pending))
            guard amount <= available else {
                throw FormRejection(field: "amount", "核销金额超过可核销的应收余额 ¥\(Money.format(available))"
                                        + (pending > 0 ? "（应收余额 ¥\(Money.format(receivable))，已有待批核销 ¥\(Money.format(pending))）" : ""))
            }
            let user = try ctx.requireUser()
            let id: Int64 = try ctx.db.transaction {
                let id = try ctx.db.insert("""
                    INSERT INTO order_writeoffs (customer_id, customer_code, customer_name, amount_fen, reason, state, requested_by,
                        requested_name, requested_at)
                    VALUES (\(c.id), \(c.code ?? ""), \(c.name), \(amount), \(v.string("reason")), \(WriteoffState.pending.rawValue),
                        \(user.id), \(user.displayName), \(ctx.epoch))
                    RETURNING id
                    """)
                try ctx.audit(AuditEntry(entity: "order.writeoff", entityID: String(id), action: "create", to: WriteoffState.pending.rawValue,
                                         reason: "\(c.code ?? "") \(c.name) 申请核销坏账 ¥\(Money.format(amount))：\(v.string("reason"))"))
                return id
            }
            return .redirect(to: "/order/writeoffs/\(id)")
        }
    }

    static let detail: Handler = { req, ctx in
        let w = try load(try req.id(), ctx)
        let id = try w.requireInt("id")
        let st = state(w)
        let approval = ApprovalPanel(heading: "总经理审批", url: "/order/writeoffs/\(w.int("id") ?? 0)/act", machine: machine, from: st, for: ctx.user)
        let page = WriteoffPage(
            w: .init(number: OrderDocNo.writeoff(id), customerID: w.int("customer_id") ?? 0, customerCode: w.text("customer_code"), customerName: w.text("customer_name"),
                     amount: OrderUtil.yuan(w.int("amount_fen")), reason: w.text("reason"), requestedName: w.text("requested_name"),
                     requestedAt: ctx.displayEpoch(w.int("requested_at")), decidedName: w.text("decided_name"),
                     decidedAt: ctx.displayEpoch(w.int("decided_at")), decisionReason: w.text("decision_reason")),
            stateText: st.title, outstanding: Money.format(try Ledger.totals(customer: w.int("customer_id") ?? 0, ctx).receivable), approval: approval,
            history: try ctx.history(entity: "order.writeoff", id: id))
        return ctx.render(page, title: "坏账核销 \(OrderDocNo.writeoff(id))")
    }

    /// The GM's decision; an approval books the write-off (refused when it exceeds the receivable now).
    static let act: Handler = { req, ctx in
        let w = try load(try req.id(), ctx)
        let id = try w.requireInt("id")
        let path = "/order/writeoffs/\(id)"
        let from = state(w)
        let action = req.form["action"] ?? ""
        let reason = (req.form["reason"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let user = try ctx.requireUser()
        do {
            try ctx.db.transaction {
                let to = try machine.apply(action, from: from, id: String(id), reason: reason, ctx)
                var entry: Int64?
                if to == .approved {
                    entry = try Ledger.book(.init(customerID: w.int("customer_id") ?? 0, kind: .badDebt, amountFen: w.int("amount_fen") ?? 0,
                                                  date: ctx.today, note: "坏账核销 \(OrderDocNo.writeoff(id))（总经理 \(user.displayName) 批准）：\(w.text("reason"))"), ctx)
                }
                let changed = try ctx.db.execute("""
                    UPDATE order_writeoffs SET state = \(to.rawValue), decided_by = \(user.id), decided_name = \(user.displayName),
                        decided_at = \(ctx.epoch), decision_reason = \(reason), entry_id = \(entry)
                    WHERE id = \(id) AND state = \(from.rawValue)
                    """)
                guard changed == 1 else { throw HTTPError.conflict("该核销申请已被他人处理，请刷新。") }
            }
        } catch let refusal as StateMachine<WriteoffState>.Refusal {
            if case .forbidden = refusal { throw HTTPError.forbidden }
            return OrderUtil.back(path, error: refusal.description)
        } catch let r as Ledger.Refusal {
            return OrderUtil.back(path, error: r.message)
        }
        return .redirect(to: path)
    }
}
