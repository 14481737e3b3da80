import Foundation
import SalesKit

/// Contract-change pages (003 §3.9–§3.12): the customer's written request against an order, the
/// re-review by the sales head, the GM's decision, and the change notices in the three queues.
enum OrderChangePages {
    static func load(_ id: Int64, _ ctx: Context) throws -> (change: Row, order: Row) {
        guard let c = try ctx.db.first("SELECT * FROM order_changes WHERE id = \(id)") else { throw HTTPError.notFound }
        return (c, try OrderUtil.load(c.int("order_id") ?? 0, ctx))
    }

    static func state(_ c: Row) -> ChangeState { ChangeState(rawValue: c.string("state") ?? "") ?? .reviewing }

    /// A change request as its pages show it (the change page, and the list on the order page).
    struct ChangeView: TemplateModel {
        var id: Int64
        /// `OrderDocNo.change` (BG…).
        var number: String
        var stateText: String
        var requestedOn: String
        var requestRef: String
        var kindText: String
        var content: String
        var reason: String
        var newPlannedDelivery: String?
        var started: Bool
        var agreementText: String
        var agreementNote: String?
        var createdName: String
        var created: String
        var reviewedName: String?
        var reviewed: String
        var reviewNote: String
        var decidedName: String?
        var decided: String
        var decisionReason: String?
        var notice: String
        /// 003 §3.11: a change the company initiated, with the initiating department's name.
        var isCompany: Bool
        var initiatorDept: String
        /// The order lines it changes (old → new), and once approved what was applied.
        var lineChanges: [String]
        var hasLineChanges: Bool
        var appliedText: String?

        init(_ c: Row, _ ctx: Context) throws {
            id = c.int("id") ?? 0
            number = OrderDocNo.change(id)
            stateText = OrderChangePages.state(c).title
            requestedOn = c.text("requested_on")
            requestRef = c.text("request_ref")
            kindText = OrderChangeFlow.title(OrderChangeFlow.kinds, c.string("kind"))
            content = c.text("content")
            reason = c.text("reason")
            newPlannedDelivery = c.nonEmpty("new_planned_delivery")
            started = c.bool("production_started")
            agreementText = OrderChangeFlow.title(OrderChangeFlow.agreements, c.string("agreement"))
            agreementNote = c.nonEmpty("agreement_note")
            createdName = c.text("created_name")
            created = ctx.displayEpoch(c.int("created_at"))
            reviewedName = c.nonEmpty("reviewed_name")
            reviewed = ctx.displayEpoch(c.int("reviewed_at"))
            reviewNote = c.text("review_note")
            decidedName = c.nonEmpty("decided_name")
            decided = ctx.displayEpoch(c.int("decided_at"))
            decisionReason = c.nonEmpty("decision_reason")
            notice = ctx.displayEpoch(c.int("notice_at"))
            isCompany = c.string("initiator") == "company"
            initiatorDept = try c.nonEmpty("initiator_dept").map { try ContractFlow.deptName($0, ctx) } ?? ""
            lineChanges = try OrderChangeApply.describe(id, ctx)
            hasLineChanges = !lineChanges.isEmpty
            appliedText = c.nonEmpty("applied_text")
        }
    }

    /// The customer's written change request against an order.
    struct ChangeFormPage: PageModel {
        static let template = "order-change-form"
        var o: OrderRecord
        var stateText: String
        var started: Bool
        /// 003 §3.11: the company's own change (no customer request, no agreement).
        var isCompany: Bool
        var form: FormView
    }

    /// One change request: its content, decisions, the departments' receipts and the history.
    struct ChangeDetailPage: PageModel {
        static let template = "order-change-detail"

        /// A department the approved change is re-sent to (003 §3.12).
        struct Department: TemplateModel {
            var code: String
            var title: String
            var received: String
            var done: Bool
        }

        var c: ChangeView
        var o: OrderRecord
        var orderStateText: String
        /// 办理: 审批意见 above the steps this user can take (nil: none).
        var approval: ApprovalPanel?
        var isApproved: Bool
        var depts: [Department]
        var history: History
        /// 编制 who registered the change, 审核 who re-reviewed it (营销部, 003 §3.9), 批准 the
        /// general manager once approved — names and dates.
        var signatures: SignatureBlock
    }


    /// Registers the customer's written change request (rep of the customer, or anyone registering orders).
    static let create: Handler = { req, ctx in
        let o = try OrderUtil.load(try req.id(), ctx)
        let id = try o.requireInt("id")
        let orderState = OrderUtil.state(o)
        guard OrderChangeFlow.changeable.contains(orderState) else {
            throw HTTPError.conflict("只有已生效、未完成交货的订单才能登记合同变更（当前：\(orderState.title)）。")
        }
        if try ctx.db.scalar("SELECT COUNT(*) FROM order_changes WHERE order_id = \(id) AND state IN (\(list: ChangeState.open.map(\.rawValue)))") ?? 0 > 0 {
            throw HTTPError.conflict("该订单已有一项待处理的变更申请，请先办结。")
        }
        let started = OrderChangeFlow.productionStarted(o, today: ctx.today)
        return try ctx.handleForm(OrderChangeFlow.form, title: "登记合同变更申请",
                                  initial: FormData([("requested_on", ctx.today.description)]),
                                  page: { form in ChangeFormPage(o: OrderRecord(o), stateText: orderState.title, started: started, isCompany: false, form: form) }) { v in
            // 003 §3.10: once production has started, only with the customer's agreement.
            if started && v.optionalString("agreement") == nil {
                throw FormRejection(field: "agreement", "本公司已投入生产：须客户同意执行完已投入生产的产品或给予经济补偿，方可变更（003 §3.10）")
            }
            let user = try ctx.requireUser()
            let now = ctx.epoch
            let lines = try OrderChangeApply.lines(v, orderID: id, ctx)
            let cid: Int64 = try ctx.db.transaction {
                let open = try ctx.db.scalar("SELECT COUNT(*) FROM order_changes WHERE order_id = \(id) AND state IN (\(list: ChangeState.open.map(\.rawValue)))") ?? 0
                guard open == 0 else { throw FormRejection("该订单已有一项待处理的变更申请") }
                let cid = try ctx.db.insert("""
                    INSERT INTO order_changes (order_id, requested_on, request_ref, kind, content, reason, new_planned_delivery,
                        production_started, agreement, agreement_note, state, created_by, created_name, created_at, updated_at,
                        initiator, contract_id)
                    VALUES (\(id), \(v.date("requested_on")?.description ?? ctx.today.description), \(v.string("request_ref")), \(v.string("kind")),
                        \(v.string("content")), \(v.string("reason")), \(v.optionalString("new_planned_delivery")), \(started),
                        \(started ? v.optionalString("agreement") : nil), \(started ? v.optionalString("agreement_note") : nil),
                        \(ChangeState.reviewing.rawValue), \(user.id), \(user.displayName), \(now), \(now), 'customer', \(o.int("contract_id")))
                    RETURNING id
                    """)
                try OrderChangeApply.insert(cid, lines, ctx)
                try ctx.audit(AuditEntry(entity: "order.change", entityID: String(cid), action: "create", to: ChangeState.reviewing.rawValue,
                                         reason: "订单 \(o.string("order_no") ?? "")；\(OrderChangeFlow.title(OrderChangeFlow.kinds, v.string("kind")))："
                                            + v.string("content") + (started ? "；已投入生产，" + OrderChangeFlow.title(OrderChangeFlow.agreements, v.string("agreement")) : "；尚未投入生产")))
                return cid
            }
            return .redirect(to: "/order/changes/\(cid)")
        }
    }

    static let detail: Handler = { req, ctx in
        let (c, o) = try load(try req.id(), ctx)
        let st = state(c)
        let approval = ApprovalPanel(url: "/order/changes/\(c.int("id") ?? 0)/act", machine: OrderChangeFlow.machine, from: st, for: ctx.user)
        let receipts = try ctx.db.query("SELECT * FROM order_change_receipts WHERE change_id = \(c.int("id") ?? 0) ORDER BY at")
        let depts = try OrderChangeFlow.departments.map { d in
            let r = receipts.first { $0.string("dept") == d.code }
            return ChangeDetailPage.Department(code: d.code, title: try ContractFlow.deptName(d.code, ctx),
                                               received: r.map { "\($0.text("user_name"))，\(ctx.displayEpoch($0.int("at")))" } ?? "未确认",
                                               done: r != nil)
        }
        let history = try ctx.history(entity: "order.change", id: c.int("id") ?? 0)
        let page = ChangeDetailPage(c: try ChangeView(c, ctx), o: OrderRecord(o), orderStateText: OrderUtil.state(o).title,
                              approval: approval, isApproved: st == .approved, depts: depts, history: history,
                              signatures: SignatureBlock(prepared: .init(c.string("created_name"), at: c.int("created_at"), ctx),
                                                         reviewed: .init(c.string("reviewed_name"), at: c.int("reviewed_at"), ctx),
                                                         approved: st == .approved ? .init(c.string("decided_name"), at: c.int("decided_at"), ctx) : nil))
        return ctx.render(page, title: "合同变更 \(OrderDocNo.change(c.int("id") ?? 0))")
    }

    static let act: Handler = { req, ctx in
        let (c, o) = try load(try req.id(), ctx)
        let cid = try c.requireInt("id")
        let oid = try o.requireInt("id")
        let action = req.form["action"] ?? ""
        let reason = req.form["reason"]
        let from = state(c)
        let path = "/order/changes/\(cid)"
        let user = try ctx.requireUser()
        let now = ctx.epoch
        let note = (reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        do {
            try ctx.db.transaction {
                let to = try OrderChangeFlow.machine.apply(action, from: from, id: String(cid), reason: reason, ctx)
                let changed = try ctx.db.execute("UPDATE order_changes SET state = \(to.rawValue), updated_at = \(now) WHERE id = \(cid) AND state = \(from.rawValue)")
                guard changed == 1 else { throw HTTPError.conflict("变更申请已被他人办理，请刷新后重试。") }
                switch action {
                case "review":
                    try ctx.db.execute("""
                        UPDATE order_changes SET reviewed_by = \(user.id), reviewed_name = \(user.displayName), reviewed_at = \(now),
                            review_note = \(note) WHERE id = \(cid)
                        """)
                case "approve", "reject":
                    try ctx.db.execute("""
                        UPDATE order_changes SET decided_by = \(user.id), decided_name = \(user.displayName), decided_at = \(now),
                            decision_reason = \(note.isEmpty ? nil : note) WHERE id = \(cid)
                        """)
                default:
                    break
                }
                if action == "approve" {
                    // RULES §6: applied to the open order lines and the contract in this transaction
                    // (the warning line re-checked: 409 over it, rolling the approval back).
                    let applied = try OrderChangeApply.apply(c, ctx)
                    // 003 §3.12: the changed contract is re-sent to every department (a notice in each queue).
                    try ctx.db.execute("UPDATE order_changes SET notice_at = \(now) WHERE id = \(cid)")
                    let names = try OrderChangeFlow.departments.map { try ContractFlow.deptName($0.code, ctx) }.joined(separator: "、")
                    try ctx.audit(AuditEntry(entity: "order.order", entityID: String(oid), action: "change",
                                             reason: "合同变更 \(OrderDocNo.change(cid)) 经总经理批准：\(c.string("content") ?? "")"
                                                + (applied.isEmpty ? "" : "；\(applied)")
                                                + "；已重新传递\(names)（003 §3.12）"))
                }
            }
        } catch let refusal as StateMachine<ChangeState>.Refusal {
            if case .forbidden = refusal { throw HTTPError.forbidden }
            return OrderUtil.back(path, error: refusal.description)
        }
        return .redirect(to: path)
    }

    /// 003 §3.11: a change the company initiates — the initiating department (from the directory)
    /// applies, the GM approves (no customer re-review: it goes straight to the GM), then sales
    /// contacts the customer (its queue notice says so). Lines as for a customer's change.
    static let createCompany: Handler = { req, ctx in
        guard let o = try ctx.db.first("SELECT * FROM order_orders WHERE id = \(try req.id())") else { throw HTTPError.notFound }
        guard try OrderUtil.maySee(customer: o.int("customer_id") ?? 0, ctx) else { throw HTTPError.forbidden }
        let id = try o.requireInt("id")
        let orderState = OrderUtil.state(o)
        guard OrderChangeFlow.changeable.contains(orderState) else {
            throw HTTPError.conflict("只有已生效、未完成交货的订单才能提出合同变更（当前：\(orderState.title)）。")
        }
        if try ctx.db.scalar("SELECT COUNT(*) FROM order_changes WHERE order_id = \(id) AND state IN (\(list: ChangeState.open.map(\.rawValue)))") ?? 0 > 0 {
            throw HTTPError.conflict("该订单已有一项待处理的变更申请，请先办结。")
        }
        let org = try ctx.service(OrgDirectory.self)
        let user = try ctx.requireUser()
        var initial = FormData()
        if let mine = try org.departments(ofUser: user.id, ctx).first { initial.append("initiator_dept", mine.code) }
        let started = OrderChangeFlow.productionStarted(o, today: ctx.today)
        return try ctx.handleForm(OrderChangeFlow.companyForm(departments: try org.choices(ctx)), title: "本公司提出合同变更", initial: initial,
                                  page: { form in ChangeFormPage(o: OrderRecord(o), stateText: orderState.title, started: started, isCompany: true, form: form) }) { v in
            let lines = try OrderChangeApply.lines(v, orderID: id, ctx)
            let dept = try org.name(code: v.string("initiator_dept"), ctx)
            let now = ctx.epoch
            let cid: Int64 = try ctx.db.transaction {
                let open = try ctx.db.scalar("SELECT COUNT(*) FROM order_changes WHERE order_id = \(id) AND state IN (\(list: ChangeState.open.map(\.rawValue)))") ?? 0
                guard open == 0 else { throw FormRejection("该订单已有一项待处理的变更申请") }
                let cid = try ctx.db.insert("""
                    INSERT INTO order_changes (order_id, requested_on, request_ref, kind, content, reason, new_planned_delivery,
                        production_started, state, created_by, created_name, created_at, updated_at, initiator, initiator_dept, contract_id)
                    VALUES (\(id), \(ctx.today.description), \(dept + "申请"), \(v.string("kind")), \(v.string("content")), \(v.string("reason")),
                        \(v.optionalString("new_planned_delivery")), \(started), \(ChangeState.pendingGM.rawValue), \(user.id), \(user.displayName),
                        \(now), \(now), 'company', \(v.string("initiator_dept")), \(o.int("contract_id")))
                    RETURNING id
                    """)
                try OrderChangeApply.insert(cid, lines, ctx)
                try ctx.audit(AuditEntry(entity: "order.change", entityID: String(cid), action: "create_company", to: ChangeState.pendingGM.rawValue,
                                         reason: "订单 \(o.text("order_no"))；\(dept)因故提出（003 §3.11）；"
                                            + "\(OrderChangeFlow.title(OrderChangeFlow.kinds, v.string("kind")))：\(v.string("content"))；原因：\(v.string("reason"))"))
                return cid
            }
            return .redirect(to: "/order/changes/\(cid)", flash: .ok("变更申请已报总经理批准；批准后由销售部与客户联系处理。"))
        }
    }

    /// The change notices of a department without an order queue of its own (技术部, 品质部; 003 §3.12).
    struct NoticesPage: PageModel {
        static let template = "order-notices"
        var heading: String
        var notes: ListNotes?
    }

    static func noticesPage(_ code: String) -> Handler {
        { _, ctx in
            guard let d = OrderChangeFlow.department(code) else { throw HTTPError.notFound }
            guard try OrderChangeFlow.actsFor(d, ctx) else { throw HTTPError.forbidden }
            // Confirmed under the notices' own path: these departments have no order queue.
            let items = try notices(d.code, ctx) { .init(action: "/order/notices/\(d.code)/\($0)/ack", label: "确认收到") }
            let heading = "\(try ContractFlow.deptName(d.code, ctx))：合同变更通知"
            return ctx.render(NoticesPage(heading: heading, notes: items.isEmpty ? nil : ListNotes(title: "待确认的变更通知", items: items)),
                              title: heading)
        }
    }

    /// A department confirms it has received the change notice (003 §3.12); its queue then drops it.
    static let ack: Handler = { req, ctx in try acknowledge(req.form["dept"], req, ctx) }

    /// The confirmation of a department without an order queue (技术部, 品质部), under its notices' path.
    static func ackFor(_ code: String) -> Handler { { req, ctx in try acknowledge(code, req, ctx) } }

    static func acknowledge(_ code: String?, _ req: Request, _ ctx: Context) throws -> Response {
        // Every department gets a copy of every change (002 §4): who may confirm is decided by the department, not the customer.
        guard let c = try ctx.db.first("SELECT * FROM order_changes WHERE id = \(try req.id())") else { throw HTTPError.notFound }
        let cid = try c.requireInt("id")
        guard let dept = OrderChangeFlow.department(code) else {
            throw HTTPError.conflict("未知部门。")
        }
        guard try OrderChangeFlow.actsFor(dept, ctx) else { throw HTTPError.forbidden }
        let title = try ContractFlow.deptName(dept.code, ctx)
        guard state(c) == .approved else { return OrderUtil.back("/order/changes/\(cid)", error: "只有已批准的变更才有变更通知。") }
        let user = try ctx.requireUser()
        try ctx.db.transaction {
            let inserted = try ctx.db.execute("""
                INSERT INTO order_change_receipts (change_id, dept, user_id, user_name, at)
                VALUES (\(cid), \(dept.code), \(user.id), \(user.displayName), \(ctx.epoch))
                ON CONFLICT (change_id, dept) DO NOTHING
                """)
            if inserted == 1 {
                try ctx.audit(AuditEntry(entity: "order.change", entityID: String(cid), action: "ack", reason: "\(title)已收到变更通知"))
            }
        }
        return .redirect(to: dept.queue)
    }

    /// The contract changes of the orders this user may see (003 §3.9–§3.12).
    static let listPage = ListPage(
        title: "合同变更", path: "/order/changes",
        select: "c.*, o.order_no, o.customer_name", from: "order_changes c JOIN order_orders o ON o.id = c.order_id",
        scope: { ctx in try OrderUtil.visibleFilter(ctx) },
        columns: [
            .init("no", "变更编号", sql: "c.id") { r, _ in ListCell(OrderDocNo.change(r.int("id") ?? 0), href: "/order/changes/\(r.int("id") ?? 0)") },
            .text("order", "订单号码", sql: "o.order_no"),
            .text("customer", "客户名称", sql: "o.customer_name"),
            .text("requested", "申请日期", sql: "c.requested_on"),
            .init("kind", "类别", sql: "c.kind") { r, _ in ListCell(OrderChangeFlow.title(OrderChangeFlow.kinds, r.string("kind"))) },
            .text("content", "变更内容", sql: "c.content", sortable: false),
            .init("started", "已投入生产", sql: "c.production_started") { r, _ in ListCell(r.bool("production_started") ? "是" : "否") },
            .init("state", "状态", sql: "c.state") { r, _ in ListCell(state(r).title) },
        ],
        filters: [
            .choice("state", "状态", all: "全部状态", ChangeState.allCases.map { Choice($0.rawValue, $0.title) }) { v, _ in "c.state = \(v)" },
            .search("customer", "订单号码或客户名称") { q, _ in "o.order_no = \(q) OR o.customer_name LIKE \("%" + q + "%")" },
        ],
        defaultSort: "no", defaultDescending: true, tiebreaker: "c.id", empty: "没有合同变更。", csvName: "合同变更.csv",
        intro: "客户书面变更申请：未投入生产的经重新评审后报总经理批准；已投入生产的须客户同意执行完或给予经济补偿（003 §3.9–§3.10）。"
            + "批准后重新传递各部门（003 §3.12）。在订单页登记变更申请。")

    static let list: Handler = { req, ctx in try listPage.respond(req, ctx) }

    // MARK: Hooks used by the order page, the queues and the inbox

    /// Change notices a department has not yet confirmed (003 §3.12), each with the button
    /// `confirm` makes of the change's id, plus, for 生产部, orders whose lines have no stock and
    /// go to production scheduling (001 篇二 §6.1; nothing to confirm).
    static func notices(_ dept: String, _ ctx: Context,
                        confirm: (Int64) -> ListNotes.Confirm) throws -> [ListNotes.Item] {
        var out: [ListNotes.Item] = []
        for r in try ctx.db.query("""
            SELECT c.*, o.order_no, o.customer_name FROM order_changes c JOIN order_orders o ON o.id = c.order_id
            WHERE c.state = 'approved'
              AND NOT EXISTS (SELECT 1 FROM order_change_receipts x WHERE x.change_id = c.id AND x.dept = \(dept))
            ORDER BY c.id
            """) {
            let id = r.int("id") ?? 0
            // 003 §3.11: after the GM's approval of a company-initiated change, sales contacts the customer.
            let contact = dept == StandardDepartment.sales.rawValue && r.string("initiator") == "company" ? "（本公司提出的变更：请与客户联系处理，003 §3.11）" : ""
            out.append(ListNotes.Item("变更通知 \(OrderDocNo.change(id))：\(r.text("order_no")) \(r.text("customer_name")) — "
                                  + OrderChangeFlow.title(OrderChangeFlow.kinds, r.string("kind")) + "：" + r.text("content")
                                  + (r.nonEmpty("applied_text").map { "（已执行：\($0)）" } ?? "")
                                  + (r.string("new_planned_delivery").map { "（预定交货日期改为 \($0)）" } ?? "") + contact,
                              href: "/order/changes/\(id)", confirm: confirm(id)))
        }
        if dept == "production" {
            out += try OrderPaths.productionNotices(ctx)
        }
        return out
    }

    static func inbox(for user: User, _ ctx: Context) throws -> [InboxItem] {
        var out: [InboxItem] = []
        func label(_ r: Row) -> String { "\(OrderDocNo.change(r.int("id") ?? 0)) \(r.string("order_no") ?? "") \(r.string("customer_name") ?? "")" }
        let base = "SELECT c.*, o.order_no, o.customer_name FROM order_changes c JOIN order_orders o ON o.id = c.order_id"
        if user.can(OrderPages.release) {
            for r in try ctx.db.query("\(raw: base) WHERE c.state = 'reviewing' ORDER BY c.id") {
                out.append(InboxItem(title: "合同变更待重新评审：\(label(r))", detail: "003 §3.9", url: "/order/changes/\(r.int("id") ?? 0)"))
            }
        }
        if user.can(OrderPages.approve) {
            for r in try ctx.db.query("\(raw: base) WHERE c.state = 'pending_gm' ORDER BY c.id") {
                out.append(InboxItem(title: "合同变更待总经理批准：\(label(r))", detail: "003 §3.9–§3.10", url: "/order/changes/\(r.int("id") ?? 0)",
                                     urgent: true))
            }
        }
        // 003 §3.12: each department's notices reach its members (directory), or the holders of its queue.
        let org = ctx.optionalService(OrgDirectory.self)
        for d in OrderChangeFlow.departments {
            let member = try org?.department(code: d.code, ctx)?.inboxUserIDs.contains(user.id) ?? false
            guard member || user.can(d.permission) else { continue }
            let n = try ctx.db.scalar("""
                SELECT COUNT(*) FROM order_changes c WHERE c.state = 'approved'
                  AND NOT EXISTS (SELECT 1 FROM order_change_receipts x WHERE x.change_id = c.id AND x.dept = \(d.code))
                """) ?? 0
            if n > 0 {
                out.append(InboxItem(title: "\(try ContractFlow.deptName(d.code, ctx))：\(n) 项合同变更通知待确认", detail: "003 §3.12", url: d.queue))
            }
        }
        return out
    }
}
