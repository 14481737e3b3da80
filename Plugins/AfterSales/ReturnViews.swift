import Foundation
import OrderingAPI
import SalesKit

/// The pages of a return: list + CSV, registration, the record with its lines and
/// discrepancies, the print of the 准予退回通知单 and the receipt, and the four steps.
enum ReturnViews {
    typealias P = ReturnPages

    static func state(_ r: Row) -> P.State { P.State(rawValue: r.string("state") ?? "") ?? .registered }

    /// The step must start from `expected`; otherwise 409 with the reason, nothing changed.
    static func require(_ r: Row, _ expected: P.State, _ reason: String) throws {
        guard state(r) == expected else { throw HTTPError.conflict(reason) }
    }

    /// Moves the return from the state seen, with the audit row, in the caller's transaction.
    static func move(_ r: Row, _ action: String, reason: String? = nil, set extra: SQL = "", _ ctx: Context) throws {
        let id = try r.requireInt("id")
        let from = state(r)
        let next = try P.flow.apply(action, from: from, id: String(id), reason: reason, ctx)
        let changed = try ctx.db.execute("""
            UPDATE service_returns SET state = \(next.rawValue), updated_at = \(ctx.epoch)\(extra)
            WHERE id = \(id) AND state = \(from.rawValue)
            """)
        guard changed == 1 else { throw HTTPError.conflict("退货状态已被他人修改，请刷新后重试。") }
    }

    static func lines(_ id: Int64, _ ctx: Context) throws -> [Row] {
        try ctx.db.query("SELECT * FROM service_return_lines WHERE return_id = \(id) ORDER BY id")
    }

    /// 退货: the plain list (heading, filters, table, pager, CSV with the same columns).
    static let listPage = ListPage(
        title: "退货", path: "/service/returns",
        select: "r.*", from: "service_returns r",
        scope: { ctx in try visibility(ctx) },
        columns: [
            .init("id", "退货编号", sql: "r.id") { r, _ in
                ListCell(DocNo.returnOrder(r.int("id") ?? 0), href: "/service/returns/\(r.int("id") ?? 0)")
            },
            .text("customer", "客户", sql: "r.customer_name"),
            .init("reason", "原因", sql: "r.reason_code") { r, _ in ListCell(P.reasonTitle(r.string("reason_code") ?? "")) },
            .init("state", "状态", sql: "r.state") { r, _ in ListCell(P.stateTitles[r.string("state") ?? ""] ?? "") },
            .time("created", "登记时间", sql: "r.created_at"),
            .init("settled", "结算金额", sql: "r.settled_fen") { r, _ in ListCell(r.int("settled_fen").map { Money.format($0) } ?? "") },
            .init("arrival", "到达客户（003 §6.2）", sql: "r.arrival_due_at") { r, ctx in
                let a = arrival(r, ctx)
                return ListCell(a.text, cls: a.overdue ? "error" : nil)
            },
        ],
        filters: [
            .choice("state", "状态", all: "全部状态", P.State.allCases.map { Choice($0.rawValue, P.stateTitles[$0.rawValue] ?? "") }) { s, _ in
                "r.state = \(s)"
            },
            .choice("reason", "原因", all: "全部原因", P.reasons) { s, _ in "r.reason_code = \(s)" },
            // The customers of the returns this user sees (finance or the warehouse may see no customer in 客户开发).
            .init("customer", "客户", .select(all: "全部客户", options: { ctx in
                try ctx.db.query("""
                    SELECT r.customer_id, MAX(r.customer_name) AS name FROM service_returns r WHERE \(try visibility(ctx))
                    GROUP BY r.customer_id ORDER BY name
                    """).map { Choice(String($0.int("customer_id") ?? 0), $0.string("name") ?? "") }
            })) { s, _ in Int64(s).map { "r.customer_id = \($0)" } },
            // 003 §6.2: the rep has not recorded reaching the customer and the deadline has passed.
            .checkbox("arrival_overdue", "仅到达超时") { ctx in
                "r.arrived_at IS NULL AND r.arrival_due_at < \(ctx.epoch) AND r.state NOT IN ('refused', 'settled')"
            },
        ],
        actions: [.init("登记退货", href: "/service/returns/new", shown: { ctx in ctx.can(P.register) })],
        defaultSort: "created", defaultDescending: true, tiebreaker: "r.id", empty: "没有退货。",
        rowClass: { r, ctx in arrival(r, ctx).overdue ? "overdue" : nil })

    static let list: Handler = { req, ctx in try listPage.respond(req, ctx) }

    /// SQL condition (on alias `r`) for the returns the user may see (as `ReturnPages.load`).
    static func visibility(_ ctx: Context) throws -> SQL {
        if P.seesAll(ctx) { return "1 = 1" }
        let ids = try ServiceUtil.visibleCustomerIDs(ctx)
        let own: SQL = "r.created_by = \(try ctx.requireUser().id)"
        return ids.isEmpty ? own : own + " OR r.customer_id IN (\(list: ids))"
    }

    static let create: Handler = { req, ctx in
        let choices = try ServiceUtil.customerChoices(ctx)
        // From the customer page (登记退货): the customer chosen already, if the user may pick it.
        let initial = req.query["customer"].flatMap { c in choices.contains { $0.value == c } ? FormData([("customer", c)]) : nil }
        return try ctx.handleForm(P.registerForm(customers: choices), title: "登记退货", initial: initial ?? FormData(),
                           page: { form in ReturnStepPage(heading: "登记退货（003 第六章）", r: nil, form: form) }) { v in
            let dir = try ServiceUtil.directory(ctx)
            guard let cid = Int64(v.string("customer")), let c = try dir.customer(id: cid, ctx), try dir.maySee(customerID: cid, ctx) else {
                throw FormRejection(field: "customer", "请选择您可查看的客户")
            }
            let now = ctx.epoch
            // 003 §6.2: registering the customer's return notice starts the rep's arrival deadline.
            let arrivalDue = ServiceDeadline.arrivalDue(registeredAt: now, policy: try DeadlinePolicy.load(ctx))
            let id: Int64 = try ctx.db.transaction {
                let id = try ctx.db.insert("""
                    INSERT INTO service_returns (customer_id, customer_name, reason_code, reason_form, reason_text, state, owner_id,
                        arrival_due_at, created_by, created_at, updated_at)
                    VALUES (\(c.id), \(c.name), \(v.string("reason_code")), \(v.string("reason_form")), \(v.string("reason_text")),
                        'registered', \(c.ownerID), \(arrivalDue), \(try ctx.requireUser().id), \(now), \(now)) RETURNING id
                    """)
                try ctx.audit(AuditEntry(entity: "service.return", entityID: String(id), action: "create", to: "registered",
                                         reason: P.reasonTitle(v.string("reason_code"))))
                return id
            }
            return .redirect(to: "/service/returns/\(id)", flash: .ok("退货已登记，退货编号 \(DocNo.returnOrder(id))。"))
        }
    }

    /// What the record and its print (the 准予退回通知单 and the receipt) both show.
    static func body(_ r: Row, _ ctx: Context) throws -> ReturnBody {
        let id = try r.requireInt("id")
        let s = state(r)
        let ls = try lines(id, ctx).map { l throws in
            let q = l.int("quantity") ?? 0
            var line = ReturnBody.Line(product: l.string("product") ?? "", spec: l.string("spec") ?? "", quantity: q,
                                       price: Money.format(l.int("unit_price_fen") ?? 0), accepted: l.int("accepted"),
                                       reduced: (l.int("accepted") ?? q) != q, received: l.int("received"), discrepancy: false, diff: 0)
            if let got = l.int("received") {
                let expected = P.acceptedQuantity(l)
                line.diff = try Stored.subtract(got, expected)
                line.discrepancy = got != expected
            }
            return line
        }
        let total = try settlementAmount(try lines(id, ctx))
        let credit = try creditText(id, ctx)
        let arrived = arrival(r, ctx)
        func text(_ column: String) -> String { r.string(column) ?? "" }
        return ReturnBody(
            r: .init(id: id, number: DocNo.returnOrder(id), customerName: text("customer_name"), reasonText: text("reason_text"), noticeNo: text("notice_no"),
                     noticeOpinion: text("notice_opinion"), discrepancyNote: text("discrepancy_note")),
            stateText: P.stateTitles[s.rawValue] ?? "", reasonTitle: P.reasonTitle(text("reason_code")),
            oral: r.string("reason_form") == "oral",
            registeredAt: ctx.displayEpoch(r.int("created_at")), arrivalDue: ctx.displayEpoch(r.int("arrival_due_at")),
            arrivedAt: ctx.displayEpoch(r.int("arrived_at")), arrivalNote: text("arrival_note"),
            arrivalText: arrived.text, arrivalOverdue: arrived.overdue,
            outcome: P.outcomeTitle(r.string("notice_outcome")), refused: s == .refused,
            partial: r.string("notice_outcome") == "partial",
            noticeAt: ctx.displayEpoch(r.int("notice_at")), receivedAt: ctx.displayEpoch(r.int("received_at")),
            settled: r.int("settled_fen").map(Money.yuan) ?? "", settledUpper: r.int("settled_fen").map(Money.uppercase) ?? "",
            settledAt: ctx.displayEpoch(r.int("settled_at")),
            settledHere: s == .settled, creditText: credit,
            hasDiscrepancy: ls.contains { $0.discrepancy }, lines: ls, receivedTotal: Money.yuan(total),
            receivedTotalUpper: Money.uppercase(total))
    }

    static let detail: Handler = { req, ctx in
        let r = try P.load(try req.id(), ctx)
        let id = try r.requireInt("id")
        let s = state(r)
        let canArrive = try r.int("arrived_at") == nil && P.mayRecordArrival(r, ctx)
        return ctx.render(ReturnPage(
            body: try body(r, ctx),
            canArrive: canArrive,
            canList: ctx.can(P.register) && (s == .registered || s == .listed),
            canNotice: ctx.can(P.verify) && s == .listed,
            canReceive: ctx.can(P.receive) && s == .approved,
            canSettle: ctx.can(P.settle) && s == .received,
            history: try ctx.history(entity: "service.return", id: id)
        ), title: "退货 \(DocNo.returnOrder(id))")
    }

    static let print: Handler = { req, ctx in
        let r = try P.load(try req.id(), ctx)
        return ctx.render(ReturnPrintPage(body: try body(r, ctx), printedAt: ctx.display(ctx.now), signatures: try signatures(r, ctx)),
                          title: "退货 \(DocNo.returnOrder(try r.requireInt("id")))")
    }

    /// The print's signatures (issue #16 point 10): who registered the return, who of 品质部
    /// decided the 准予退回通知 (003 §6.3), who of 生产部 took the goods in — as recorded.
    static func signatures(_ r: Row, _ ctx: Context) throws -> SignatureBlock {
        func name(_ column: String) throws -> String? {
            guard let id = r.int(column) else { return nil }
            return try ctx.db.first("SELECT display_name FROM users WHERE id = \(id)")?.string("display_name")
        }
        return SignatureBlock(prepared: .init(try name("created_by"), at: r.int("created_at"), ctx),
                              reviewed: .init(try name("notice_by"), at: r.int("notice_at"), ctx),
                              approved: .init(try name("received_by"), at: r.int("received_at"), ctx),
                              titles: ("登记", "品质部核实", "入库"))
    }

    /// The arrival line of a return (003 §6.2): the time left or overdue while the rep has not
    /// arrived; on time or late once recorded; nothing for returns registered before the rule.
    static func arrival(_ r: Row, _ ctx: Context) -> (text: String, overdue: Bool) {
        guard let due = r.int("arrival_due_at") else { return ("", false) }
        if let at = r.int("arrived_at") {
            if at <= due { return ("按时到达", false) }
            let late = ServiceDeadline.timeLeft(due: due, now: at).text.replacingOccurrences(of: "已超时 ", with: "")
            return ("逾期到达（超过时限 \(late)）", false)
        }
        if [.refused, .settled].contains(state(r)) { return ("未记录到达时间", false) }
        return ServiceDeadline.timeLeft(due: due, now: ctx.epoch)
    }

    /// 003 §6.2: the rep records when they reached the customer — not in the future, not before
    /// the return was registered; once.
    static let arrivalStep: Handler = { req, ctx in
        let r = try P.load(try req.id(), ctx)
        let id = try r.requireInt("id")
        guard try P.mayRecordArrival(r, ctx) else { throw HTTPError.forbidden }
        guard r.int("arrived_at") == nil else { throw HTTPError.conflict("已记录到达客户时间，不能重复记录。") }
        let registered = r.int("created_at") ?? 0
        let (hour, minute) = ServiceDeadline.hourMinute(ctx)
        let initial = FormData([("arrived_date", ctx.today.description), ("arrived_hour", hour), ("arrived_minute", minute)])
        return try ctx.handleForm(P.arrivalForm, title: "到达客户", initial: initial,
                                  page: { form in ReturnStepPage(heading: "记录到达客户时间（003 §6.2）", r: .init(r), form: form) }) { v in
            guard let at = ServiceDeadline.instant(try v.requireDate("arrived_date"), hour: try v.requireInt("arrived_hour"),
                                                   minute: try v.requireInt("arrived_minute"), ctx.timeZone) else {
                throw FormRejection(field: "arrived_hour", "请填写 0–23 时、0–59 分")
            }
            if at > ctx.epoch { throw FormRejection(field: "arrived_hour", "到达时间不能晚于现在") }
            if at < registered {
                throw FormRejection(field: "arrived_date", "到达时间不能早于退货登记时间（\(ctx.displayEpoch(registered))）")
            }
            let due = r.int("arrival_due_at")
            let verdict = due.map { at <= $0 ? "按时到达" : "逾期到达（时限 \(ctx.displayEpoch($0))）" } ?? "到达"
            try ctx.db.transaction {
                let changed = try ctx.db.execute("""
                    UPDATE service_returns SET arrived_at = \(at), arrived_by = \(try ctx.requireUser().id), arrival_note = \(v.optionalString("note")),
                        updated_at = \(ctx.epoch)
                    WHERE id = \(id) AND arrived_at IS NULL
                    """)
                guard changed == 1 else { throw HTTPError.conflict("已记录到达客户时间，不能重复记录。") }
                try ctx.audit(AuditEntry(entity: "service.return", entityID: String(id), action: "arrive",
                                         reason: "到达客户 \(ctx.displayEpoch(at))，\(verdict)" + (v.optionalString("note").map { "：" + $0 } ?? "")))
            }
            return .redirect(to: "/service/returns/\(id)", flash: .ok("已记录到达客户。"))
        }
    }

    /// 003 §6.2.2: the return list, checked with the customer.
    static let listStep: Handler = { req, ctx in
        let r = try P.load(try req.id(), ctx)
        let id = try r.requireInt("id")
        guard [.registered, .listed].contains(state(r)) else { throw HTTPError.conflict("品质部已签发通知单，退货清单不能再修改。") }
        var initial = FormData()
        for (i, l) in try lines(id, ctx).enumerated() {
            initial.append("lines.\(i).product", l.string("product") ?? "")
            initial.append("lines.\(i).spec", l.string("spec") ?? "")
            initial.append("lines.\(i).quantity", String(l.int("quantity") ?? 0))
            initial.append("lines.\(i).price", Money.format(l.int("unit_price_fen") ?? 0, grouping: false))
        }
        return try ctx.handleForm(P.listForm, title: "退货清单", initial: initial,
                                  page: { form in ReturnStepPage(heading: "退货清单（与客户核对）", r: .init(r), form: form) }) { v in
            try ctx.db.transaction {
                try move(r, "list", set: ", listed_by = \(try ctx.requireUser().id), listed_at = \(ctx.epoch)", ctx)
                try ctx.db.execute("DELETE FROM service_return_lines WHERE return_id = \(id)")
                for l in v.rows("lines") {
                    try ctx.db.execute("""
                        INSERT INTO service_return_lines (return_id, product, spec, quantity, unit_price_fen)
                        VALUES (\(id), \(l.string("product")), \(l.string("spec")), \(try l.requireInt("quantity")), \(try l.requireMoney("price")))
                        """)
                }
            }
            return .redirect(to: "/service/returns/\(id)", flash: .ok("退货清单已保存。"))
        }
    }

    /// 003 §6.3.1: 品质部 verifies and issues the 准予退回通知单 — for every line as listed, or
    /// partly (the accepted quantity per line) — or refuses the return with the reason, which
    /// ends it: nothing is received or credited (RULES §6 "Returns").
    static let noticeStep: Handler = { req, ctx in
        let r = try P.load(try req.id(), ctx)
        let id = try r.requireInt("id")
        try require(r, .listed, state(r) == .registered ? "退货清单尚未与客户核对，品质部不能签发通知单。"
                    : state(r) == .refused ? "品质部已拒绝本退货。" : "通知单已签发，不能重复签发。")
        let ls = try lines(id, ctx)
        var initial = FormData([("outcome", P.Outcome.approve.rawValue)])
        for l in ls { initial.append(P.acceptedField(l), String(l.int("quantity") ?? 0)) }
        return try ctx.handleForm(P.noticeForm(lines: ls), title: "品质部核实", initial: initial,
                                  page: { form in ReturnStepPage(heading: "品质部：核实退货，签发准予退回通知单或拒绝退回", r: .init(r), form: form) }) { v in
            let opinion = v.string("opinion")
            let user = try ctx.requireUser()
            guard let outcome = P.Outcome(rawValue: v.string("outcome")) else { throw FormRejection(field: "outcome", "请选择核实结果") }
            try ctx.db.transaction {
                switch outcome {
                case .refuse:
                    try move(r, "refuse", reason: opinion, set: """
                        , notice_outcome = 'refused', notice_opinion = \(opinion), notice_by = \(user.id), notice_at = \(ctx.epoch)
                        """, ctx)
                case .approve, .partial:
                    var accepted: [(Row, Int64)] = []
                    for l in ls {
                        let qty = l.int("quantity") ?? 0
                        accepted.append((l, outcome == .partial ? try v.requireInt(P.acceptedField(l)) : qty))
                    }
                    let detail = outcome == .partial
                        ? "部分准予：" + accepted.map { l, a in "\(P.lineTitle(l)) 准予 \(a)／清单 \(l.int("quantity") ?? 0)" }.joined(separator: "；")
                            + "。" + opinion
                        : opinion
                    let no = String(format: "ZYTH-%04d-%05lld", ctx.today.year, id)
                    try move(r, "notice", reason: detail, set: """
                        , notice_no = \(no), notice_outcome = \(outcome == .partial ? "partial" : "approved"), notice_opinion = \(opinion),
                          notice_by = \(user.id), notice_at = \(ctx.epoch)
                        """, ctx)
                    for (l, a) in accepted {
                        try ctx.db.execute("UPDATE service_return_lines SET accepted = \(a) WHERE id = \(try l.requireInt("id"))")
                    }
                }
            }
            return .redirect(to: "/service/returns/\(id)", flash: .ok(outcome == .refuse ? "已拒绝退回，理由已记录。" : "准予退回通知单已签发。"))
        }
    }

    /// 003 §6.3.2: the 退货库 counts the goods against the list and records what arrived — never
    /// more than 品质部 accepted (a larger quantity is refused next to its line).
    static let receiveStep: Handler = { req, ctx in
        let r = try P.load(try req.id(), ctx)
        let id = try r.requireInt("id")
        try require(r, .approved, [.registered, .listed].contains(state(r))
                    ? "没有品质部签发的准予退回通知单，退货库不能验收入库。"
                    : state(r) == .refused ? "品质部已拒绝退回，退货库不能验收入库。" : "本退货已验收入库。")
        let ls = try lines(id, ctx)
        return try ctx.handleForm(P.receiveForm(lines: ls), title: "验收入库",
                                  page: { form in ReturnStepPage(heading: "退货库：按准予退回通知单清点，记录实收数量", r: .init(r), form: form) }) { v in
            try ctx.db.transaction {
                for l in ls {
                    try ctx.db.execute("UPDATE service_return_lines SET received = \(try v.requireInt(P.receivedField(l))) WHERE id = \(try l.requireInt("id"))")
                }
                try move(r, "receive", reason: v.optionalString("discrepancy_note"), set: """
                    , received_by = \(try ctx.requireUser().id), received_at = \(ctx.epoch), discrepancy_note = \(v.optionalString("discrepancy_note"))
                    """, ctx)
            }
            return .redirect(to: "/service/returns/\(id)", flash: .ok("已验收入库。"))
        }
    }

    /// What finance settles (003 §6.3.3): per line the quantity received and accepted — the
    /// smaller of the two, for receipts recorded before the receipt was bounded — at the listed
    /// price. Overflow-checked.
    static func settlementAmount(_ ls: [Row]) throws -> Int64 {
        try Stored.total(ls.map { l in
            try Stored.multiply(min(l.int("received") ?? 0, P.acceptedQuantity(l)), l.int("unit_price_fen") ?? 0)
        })
    }

    /// 003 §6.3.3: finance settles on the receipt — the RECEIVED (and accepted) quantities.
    static let settleStep: Handler = { req, ctx in
        let r = try P.load(try req.id(), ctx)
        let id = try r.requireInt("id")
        try require(r, .received, state(r) == .settled ? "本退货已结算。"
                    : state(r) == .refused ? "品质部已拒绝退回，没有可结算的退货。" : "退货尚未验收入库，财务不能结算。")
        let ls = try lines(id, ctx)
        let typedAmount = try settlementAmount(ls)
        // With 订货 installed the settlement credits the customer's receivables at the ORDER's
        // price for what was received and accepted, never more than was shipped to the customer
        // (RULES §6, 003 §6.3.3); without it the settlement is recorded here at the listed price.
        let receivables = ctx.optionalService(ReceivablesService.self)
        let creditLines = ls.compactMap { l -> ReturnCreditLine? in
            let q = min(l.int("received") ?? 0, P.acceptedQuantity(l))
            return q > 0 ? ReturnCreditLine(product: l.string("product") ?? "", spec: l.string("spec") ?? "", quantity: q) : nil
        }
        let heading = receivables != nil && !creditLines.isEmpty
            ? "财务：按实收数量结算，按订单价冲减客户应收账款（退货单所列单价合计 \(Money.yuan(typedAmount))）"
            : "财务：按实收数量结算 \(Money.yuan(typedAmount))"
        return try ctx.handleForm(P.settleForm, title: "退货结算",
                                  page: { form in ReturnStepPage(heading: heading, r: .init(r), form: form) }) { v in
            try ctx.db.transaction {
                var amount = typedAmount
                var creditNote: String?
                if let receivables, !creditLines.isEmpty {
                    let credit: ReturnCredit
                    do {
                        credit = try receivables.creditReturn(customerID: r.int("customer_id") ?? 0, lines: creditLines,
                                                              reference: creditReference(id), ctx)
                    } catch let e as ReturnCreditError {
                        throw FormRejection(e.message)          // 422 on the settle form; nothing is booked
                    }
                    amount = credit.amountFen
                    let parts = credit.parts.map { "\($0.product) \($0.quantity) × \(Money.yuan($0.unitPriceFen))（\($0.orderNo)）" }
                    creditNote = "已冲减应收 \(Money.yuan(amount))：订货应收分录 #\(credit.entryID)（\(creditReference(id))）；按订单价："
                        + parts.joined(separator: "，")
                }
                try move(r, "settle", reason: "按实收数量结算 \(Money.yuan(amount))", set: """
                    , settled_fen = \(amount), settle_note = \(v.optionalString("note")), settled_by = \(try ctx.requireUser().id), settled_at = \(ctx.epoch)
                    """, ctx)
                if let creditNote {
                    try ctx.audit(AuditEntry(entity: "service.return", entityID: String(id), action: creditAction, reason: creditNote))
                }
            }
            return .redirect(to: "/service/returns/\(id)", flash: .ok("已结算。"))
        }
    }

    /// The audit action that records the receivables credit of a settlement, and the reference
    /// the 订货 ledger carries for it.
    static let creditAction = "receivables_credit"
    static func creditReference(_ id: Int64) -> String { "售后退货 #\(id)" }

    /// The receivables credit of a settled return as shown on it ("已冲减应收 … 订货应收分录 #n"), if any.
    static func creditText(_ id: Int64, _ ctx: Context) throws -> String? {
        try ctx.db.first("""
            SELECT reason FROM audit_log WHERE entity = 'service.return' AND entity_id = \(String(id)) AND action = \(creditAction)
            ORDER BY id DESC LIMIT 1
            """)?.string("reason")
    }
}

// MARK: - Page models

/// What the record and its print both show (`return-body`); the pages put it in a `{{#body}}` section.
struct ReturnBody: TemplateModel {
    struct Head: TemplateModel {
        var id: Int64
        var number: String
        var customerName: String
        /// The customer's reason as written or recorded.
        var reasonText: String
        var noticeNo: String
        var noticeOpinion: String
        var discrepancyNote: String
    }

    struct Line: TemplateModel {
        var product: String
        var spec: String
        var quantity: Int64
        var price: String
        /// What 品质部 accepted (nil before the notice).
        var accepted: Int64?
        /// Accepted less than listed (部分准予).
        var reduced: Bool
        var received: Int64?
        var discrepancy: Bool
        var diff: Int64
    }

    var r: Head
    var stateText: String
    /// The 003 §6.1 reason.
    var reasonTitle: String
    var oral: Bool
    var registeredAt: String
    /// The rep's arrival (003 §6.2): deadline, when, the note, and 剩余… / 已超时… / 按时到达 / 逾期到达.
    var arrivalDue: String
    var arrivedAt: String
    var arrivalNote: String
    var arrivalText: String
    var arrivalOverdue: Bool
    /// 品质部's outcome: 准予退回 / 部分准予 / 拒绝退回 ("" before the verification).
    var outcome: String
    var refused: Bool
    var partial: Bool
    var noticeAt: String
    var receivedAt: String
    var settled: String
    /// 人民币大写 of the settlement (on the print).
    var settledUpper: String
    var settledAt: String
    var settledHere: Bool
    /// The receivables credit of the settlement, when 订货 took one.
    var creditText: String?
    var hasDiscrepancy: Bool
    var lines: [Line]
    var receivedTotal: String
    var receivedTotalUpper: String
}

/// 退货 #n.
struct ReturnPage: PageModel {
    static let template = "return"
    var body: ReturnBody
    var canArrive: Bool
    var canList: Bool
    var canNotice: Bool
    var canReceive: Bool
    var canSettle: Bool
    var history: History
}

/// 准予退回通知单 / 退货入库单 for paper.
struct ReturnPrintPage: PageModel {
    static let template = "return-print"
    var body: ReturnBody
    var printedAt: String
    /// 登记 / 品质部核实 / 入库 with the names and dates recorded.
    var signatures: SignatureBlock
}

/// Registration and the four steps of a return.
struct ReturnStepPage: PageModel {
    static let template = "return-step"
    struct Subject: TemplateModel {
        var id: Int64
        var number: String
        var customerName: String

        init(_ r: Row) {
            id = r.int("id") ?? 0
            number = DocNo.returnOrder(id)
            customerName = r.string("customer_name") ?? ""
        }
    }

    var heading: String
    /// The return (none while registering).
    var r: Subject?
    var form: FormView
}
