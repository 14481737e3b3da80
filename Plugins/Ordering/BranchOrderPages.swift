import Foundation
import SalesKit

/// Branch orders against the capital occupancy limit (002 §8): within the limit they are
/// released at once (营销本部 guarantees supply); beyond it they wait for the 营销总监.
/// Finance records the branch's payment (回款), which frees the occupied capital.
enum BranchOrderPages {
    enum State: String, Sendable, CaseIterable {
        case pending, released, rejected, settled
    }

    static let stateTitles = ["pending": "超限额，待营销总监审批", "released": "已放行供货", "rejected": "已驳回", "settled": "已回款"]

    static let flow = StateMachine<State>(entity: "order.branch_order", transitions: [
        .init("approve", from: [.pending], to: .released, permission: BranchPages.approve, title: "批准供货"),
        .init("reject", from: [.pending], to: .rejected, permission: BranchPages.approve, requiresReason: true, title: "驳回"),
        .init("settle", from: [.released], to: .settled, permission: BranchPages.settle, title: "确认回款"),
    ])

    static let form = FormSchema([
        FormField("order_date", "订货日期", .date, required: true, rules: [.notInFuture]),
        FormField("lines", "订货明细", .rows(FormSchema([
            FormField("product", "品名规格", required: true, rules: [BranchAdminPages.productRule]),
            FormField("quantity", "数量", .integer, required: true, rules: [.range(1, 1_000_000_000)]),
            FormField("unit_price", "单价（元）", .money, required: true, rules: [.range(0, 10_000_000_000)]),
        ]), minRows: 1, blankRows: 4)),
        FormField("note", "备注", .textarea, rules: [.length(min: nil, max: 500)]),
    ])

    /// A branch's order form with its capital occupancy.
    struct BranchOrderFormPage: PageModel {
        static let template = "branch-order-form"
        var b: BranchData.Head
        var limit: String
        var occupancy: String
        var available: String
        var form: FormView
    }

    /// A branch order: occupancy against the limit, lines, the 营销总监's decision, actions, history.
    struct BranchOrderPage: PageModel {
        static let template = "branch-order"

        struct Order: TemplateModel {
            var id: Int64
            /// `OrderDocNo.branchOrder` (FD…).
            var number: String
            var branchId: Int64
            var branch: String
            var orderDate: String
            var creator: String
            /// Nil until decided.
            var decider: String?
            var decisionReason: String?
            var note: String?
        }

        struct Line: TemplateModel {
            var no: Int64
            var product: String
            var quantity: Int64
            var price: String
            var amount: String
        }


        var o: Order
        var stateText: String
        var amount: String
        var before: String
        var cap: String
        var over: String
        var isOver: Bool
        var decided: String
        var lines: [Line]
        /// 办理: 审批意见 above the steps this user can take (nil: none). 确认回款 is not among
        /// them: it has its own button (`canSettle`).
        var approval: ApprovalPanel?
        /// The order is released (supplied, not paid back) and this user confirms payments:
        /// the 确认回款 button, posting to `/order/branch-orders/:id/settle`.
        var canSettle: Bool
        /// The branch's page is open to this user (finance confirming a payment may lack it).
        var canOpenBranch: Bool
        var history: History
    }

    static let create: Handler = { req, ctx in
        let b = try BranchData.branch(try req.id(), ctx)
        let bid = try b.requireInt("id")
        let occupancy = try BranchData.occupancy(bid, ctx)
        let limit = b.int("capital_limit") ?? 0
        return try ctx.handleForm(form, title: "分支机构订货单", initial: FormData([("order_date", ctx.today.description)]), page: { form in
            BranchOrderFormPage(b: BranchData.Head(b), limit: Money.format(limit), occupancy: Money.format(occupancy),
                          available: Money.format(max(0, try Stored.subtract(limit, occupancy))), form: form)
        }) { v in
            let user = try ctx.requireUser()
            let lines = v.rows("lines").map { l -> (String, Int64, Int64) in
                (l.string("product").trimmingCharacters(in: .whitespaces), l.int("quantity") ?? 0, l.money("unit_price") ?? 0)
            }
            let (total, overflow) = lines.reduce((Int64(0), false)) { acc, l in
                let (line, o1) = l.1.multipliedReportingOverflow(by: l.2)
                let (sum, o2) = acc.0.addingReportingOverflow(line)
                return (sum, acc.1 || o1 || o2)
            }
            guard !overflow, total <= 100_000_000_000 else { throw FormRejection(field: "lines", "订单金额过大，请拆分订单") }
            let id: Int64 = try ctx.db.transaction {
                // Occupancy is read again inside the write transaction, so two orders at the same
                // moment cannot both fit into a limit only one fits.
                let current = try BranchData.occupancy(bid, ctx)
                let cap = try ctx.db.scalar("SELECT capital_limit FROM order_branch_branches WHERE id = \(bid)") ?? 0
                let within = BranchMath.withinLimit(occupancy: current, order: total, limit: cap)
                let state: State = within ? .released : .pending
                let now = ctx.epoch
                let id = try ctx.db.insert("""
                    INSERT INTO order_branch_orders (branch_id, state, order_date, amount, occupancy_before, capital_limit, note,
                        created_by, created_at, updated_at)
                    VALUES (\(bid), \(state.rawValue), \(v.string("order_date")), \(total), \(current), \(cap), \(v.string("note")),
                        \(user.id), \(now), \(now)) RETURNING id
                    """)
                for (i, l) in lines.enumerated() {
                    try ctx.db.execute("""
                        INSERT INTO order_branch_order_lines (order_id, line_no, product, quantity, unit_price, amount)
                        VALUES (\(id), \(i + 1), \(l.0), \(l.1), \(l.2), \(Money.times(l.2, l.1) ?? 0))
                        """)
                }
                let why = "资金占用 \(Money.yuan(current)) + 本单 \(Money.yuan(total)) " + (within ? "≤" : ">") + " 限额 \(Money.yuan(cap))"
                try ctx.audit(AuditEntry(entity: "order.branch_order", entityID: String(id), action: "create", to: state.rawValue, reason: why))
                return id
            }
            return .redirect(to: "/order/branch-orders/\(id)")
        }
    }

    /// Every branch order, by branch and state (CSV with the same columns).
    static let listPage = ListPage(
        title: "分支机构订单", path: "/order/branch-orders",
        select: "o.id, o.order_date, o.amount, o.state, b.name, COALESCE(u.display_name, '') AS creator",
        from: "order_branch_orders o JOIN order_branch_branches b ON b.id = o.branch_id LEFT JOIN users u ON u.id = o.created_by",
        scope: { _ in "1 = 1" },
        columns: [
            .init("id", "编号", sql: "o.id") { r, _ in
                let id = r.int("id") ?? 0
                return ListCell(String(id), href: "/order/branch-orders/\(id)")
            },
            .text("branch", "分支机构", sql: "b.name"),
            .text("date", "订货日期", sql: "o.order_date"),
            .init("amount", "金额（元）", sql: "o.amount") { r, _ in ListCell(Money.format(r.int("amount") ?? 0)) },
            .init("state", "状态", sql: "o.state") { r, _ in ListCell(stateTitles[r.text("state")] ?? "") },
            .init("creator", "填单人", sql: "COALESCE(u.display_name, '')", rowKey: "creator") { r, _ in ListCell(r.text("creator")) },
        ],
        filters: [
            ListPage.Filter("branch", "分支机构", .select(all: "全部分支机构", options: { ctx in
                try ctx.db.query("SELECT id, name FROM order_branch_branches ORDER BY name, id").map {
                    Choice(String($0.int("id") ?? 0), $0.text("name"))
                }
            })) { v, _ in Int64(v).map { "o.branch_id = \($0)" } },
            .choice("state", "状态", all: "全部状态", State.allCases.map { Choice($0.rawValue, stateTitles[$0.rawValue] ?? "") }) { s, _ in
                "o.state = \(s)"
            },
        ],
        defaultSort: "date", defaultDescending: true, tiebreaker: "o.id", empty: "没有订单。", csvName: "分支机构订单.csv")

    static let list: Handler = { req, ctx in try listPage.respond(req, ctx) }

    static func load(_ id: Int64, _ ctx: Context) throws -> Row {
        guard let o = try ctx.db.first("""
            SELECT o.*, b.name AS branch, COALESCE(u.display_name, '') AS creator, COALESCE(d.display_name, '') AS decider
            FROM order_branch_orders o JOIN order_branch_branches b ON b.id = o.branch_id
            LEFT JOIN users u ON u.id = o.created_by LEFT JOIN users d ON d.id = o.decided_by WHERE o.id = \(id)
            """) else { throw HTTPError.notFound }
        return o
    }

    /// Open to branch staff and to finance (who confirms the payment here, `settleOrder`); the
    /// route is `.authenticated`, the permission checked here (403).
    static let detail: Handler = { req, ctx in
        let o = try load(try req.id(), ctx)
        let id = try o.requireInt("id")
        let state = State(rawValue: o.string("state") ?? "") ?? .pending
        let lines = try ctx.db.query("SELECT * FROM order_branch_order_lines WHERE order_id = \(id) ORDER BY line_no")
        let approval = ApprovalPanel(heading: "办理", url: "/order/branch-orders/\(id)/act",
                                     decisions: flow.available(from: state, for: ctx.user).filter { $0.action != "settle" }.map(ApprovalPanel.Decision.init))
        let amount = o.int("amount") ?? 0, before = o.int("occupancy_before") ?? 0, cap = o.int("capital_limit") ?? 0
        let exposure = try Stored.add(before, amount)
        let page = BranchOrderPage(
            o: .init(id: id, number: OrderDocNo.branchOrder(id), branchId: o.int("branch_id") ?? 0, branch: o.text("branch"), orderDate: o.text("order_date"),
                     creator: o.text("creator"), decider: o.nonEmpty("decider"), decisionReason: o.nonEmpty("decision_reason"),
                     note: o.nonEmpty("note")),
            stateText: stateTitles[state.rawValue] ?? "",
            amount: Money.format(amount), before: Money.format(before), cap: Money.format(cap),
            over: Money.format(max(0, try Stored.subtract(exposure, cap))), isOver: exposure > cap,
            decided: ctx.displayEpoch(o.int("decided_at")),
            lines: lines.map { r in
                .init(no: r.int("line_no") ?? 0, product: r.text("product"), quantity: r.int("quantity") ?? 0,
                      price: Money.format(r.int("unit_price") ?? 0), amount: Money.format(r.int("amount") ?? 0))
            },
            approval: approval,
            canSettle: state == .released && ctx.can(BranchPages.settle),
            canOpenBranch: ctx.can(BranchPages.use),
            history: try ctx.history(entity: "order.branch_order", id: id))
        return ctx.render(page, title: "分支机构订货单 \(OrderDocNo.branchOrder(id))")
    }

    /// Takes an action of the flow; a user without its permission gets 403.
    static let act: Handler = { req, ctx in
        try perform(req.form["action"] ?? "", req, ctx, back: "/order/branch-orders/\(try req.id())")
    }

    /// Finance's 回款 confirmation, from the order's page (`BranchOrderPage.canSettle`): back to
    /// the settlements list with a confirmation; refused (no longer released), back to the order.
    static let settleOrder: Handler = { req, ctx in
        let id = try req.id()
        return try perform("settle", req, ctx, back: "/order/branch-orders/\(id)", done: { o in
            .redirect(to: "/order/branch-settlements",
                      flash: .ok("已确认 \(OrderDocNo.branchOrder(id))（\(o.text("branch"))）回款 \(Money.yuan(o.int("amount") ?? 0))，资金占用已释放。"))
        })
    }

    /// Takes `action` of the flow (audited by `flow.apply`); a refusal goes `back` with its
    /// reason, success to `done` (by default `back` too).
    static func perform(_ action: String, _ req: Request, _ ctx: Context, back: String,
                        done: ((Row) -> Response)? = nil) throws -> Response {
        let o = try load(try req.id(), ctx)
        let id = try o.requireInt("id")
        let reason = req.form["reason"]
        let state = State(rawValue: o.string("state") ?? "") ?? .pending
        do {
            try ctx.db.transaction {
                let next = try flow.apply(action, from: state, id: String(id), reason: reason, ctx)
                let user = try ctx.requireUser()
                let decision = next == .released || next == .rejected
                let changed = try ctx.db.execute("""
                    UPDATE order_branch_orders SET state = \(next.rawValue), updated_at = \(ctx.epoch),
                        decided_by = \(decision ? user.id : o.int("decided_by")), decided_at = \(decision ? ctx.epoch : o.int("decided_at")),
                        decision_reason = \(decision ? reason : o.string("decision_reason"))
                    WHERE id = \(id) AND state = \(state.rawValue)
                    """)
                guard changed == 1 else { throw HTTPError.conflict("订单状态已被他人修改，请刷新后重试。") }
            }
        } catch let refusal as StateMachine<State>.Refusal {
            if case .forbidden = refusal { throw HTTPError.forbidden }
            return BranchData.back(back, refusal.description)
        }
        return done?(o) ?? .redirect(to: back)
    }

    /// Released orders waiting for the branch's payment (002 §8: they occupy the capital limit).
    ///
    /// A `ListPage`, which has no per-row buttons (issue #13). Decided: the order number links to
    /// the branch order's page, and 确认回款 is a button there (`BranchOrderPage.canSettle`: the
    /// order released, the user holding `BranchPages.settle`) — finance sees the order's lines and
    /// amount before confirming the money received; after it, `settleOrder` comes back here.
    static let settlementsPage = ListPage(
        title: "分支机构回款", path: "/order/branch-settlements",
        select: "o.id, o.order_date, o.amount, b.name",
        from: "order_branch_orders o JOIN order_branch_branches b ON b.id = o.branch_id",
        scope: { _ in "o.state = 'released'" },
        columns: [
            .init("no", "编号", sql: "o.id") { r, _ in
                let id = r.int("id") ?? 0
                return ListCell(OrderDocNo.branchOrder(id), href: "/order/branch-orders/\(id)")
            },
            .text("branch", "分支机构", sql: "b.name"),
            .text("date", "订货日期", sql: "o.order_date"),
            .init("amount", "金额（元）", sql: "o.amount") { r, _ in ListCell(Money.format(r.int("amount") ?? 0)) },
        ],
        filters: [
            ListPage.Filter("branch", "分支机构", .select(all: "全部分支机构", options: { ctx in
                try ctx.db.query("SELECT id, name FROM order_branch_branches ORDER BY name, id").map {
                    Choice(String($0.int("id") ?? 0), $0.text("name"))
                }
            })) { v, _ in Int64(v).map { "o.branch_id = \($0)" } },
            .dateRange("订货日期", column: "o.order_date"),
        ],
        defaultSort: "branch", tiebreaker: "o.id", empty: "没有待回款的订单。", csvName: "分支机构回款.csv",
        intro: "已放行供货、尚未回款的分支机构订单占用资金占用限额（002 第8条）。确认回款后即释放占用：点编号打开订单，核对明细与金额后在订单页「确认回款」。")

    static let settlements: Handler = { req, ctx in try settlementsPage.respond(req, ctx) }
}
