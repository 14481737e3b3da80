import CustomerDevelopmentAPI
import Foundation
import SalesKit

/// 对账单 — the monthly statement of account per customer (003 §5.5.2.4: the rep reconciles the
/// accounts with each customer every month; RULES §6 "Statements of account").
///
/// The balance shown is what the customer owes net of its advances: the receivable less the
/// advances held (预收). The opening balance is that of every entry dated before the month; each
/// entry of the month is a movement (a shipment or an adjustment up is a debit; a payment, a
/// prepayment, a return credit, a write-off or an adjustment down is a credit; settling an
/// advance against a shipment moves nothing between the two parties and is not listed); the
/// closing balance follows. The customer's answer (confirmed, or disputed with a note) is recorded
/// with who recorded it and when, audited; a later change of the month's entries shows beside it.
enum Statements {
    static let form = FormSchema([
        FormField("result", "客户对账结果", .select([Choice("confirmed", "确认无误"), Choice("disputed", "有异议")]), required: true),
        FormField("confirmed_on", "客户确认日期", .date, required: true, rules: [.notInFuture]),
        FormField("signer", "客户确认人", required: true, rules: [.length(min: 2, max: 40)]),
        FormField("note", "说明（有异议时写明差异）", .textarea, rules: [.length(min: nil, max: 500)]),
    ], checks: [{ v in
        v.string("result") == "disputed" && (v.optionalString("note") ?? "").count < 2
            ? [FormError(field: "note", "客户有异议时，须写明异议内容（差异的款项、金额）")] : []
    }])

    static let resultTitles = ["confirmed": "确认无误", "disputed": "有异议"]

    /// One line of the statement.
    struct Movement {
        var date: String
        var kind: String
        var note: String
        var orderNo: String
        var debit: Int64
        var credit: Int64
        var balance: Int64
    }

    struct Statement {
        var opening: Int64
        var movements: [Movement]
        var debits: Int64
        var credits: Int64
        var closing: Int64
    }

    /// The statement of a customer for a month (see the type's comment for the balance).
    static func statement(customer: Int64, year: Int, month: Int, _ ctx: Context) throws -> Statement {
        let (from, to) = Collections.bounds(year: year, month: month)
        let net = "(\(Ledger.receivableEffect)) - (\(Ledger.advanceEffect))"
        let opening = try ctx.db.scalar("""
            SELECT COALESCE(SUM(\(raw: net)), 0) FROM order_ledger WHERE customer_id = \(customer) AND entry_date < \(from)
            """) ?? 0
        let rows = try ctx.db.query("""
            SELECT l.entry_date, l.kind, l.note, o.order_no, \(raw: net) AS net
            FROM order_ledger l LEFT JOIN order_orders o ON o.id = l.order_id
            WHERE l.customer_id = \(customer) AND l.entry_date BETWEEN \(from) AND \(to) ORDER BY l.entry_date, l.id
            """)
        var balance = opening, debits: Int64 = 0, credits: Int64 = 0
        var movements: [Movement] = []
        for r in rows {
            let n = r.int("net") ?? 0
            guard n != 0 else { continue }   // an advance settled against a shipment: nothing between the parties
            balance = try Stored.add(balance, n)
            let debit = n > 0 ? n : 0, credit = n < 0 ? try Stored.subtract(0, n) : 0
            debits = try Stored.add(debits, debit)
            credits = try Stored.add(credits, credit)
            movements.append(Movement(date: r.text("entry_date"), kind: LedgerKind.title(r.string("kind")), note: r.text("note"),
                                      orderNo: r.text("order_no"), debit: debit, credit: credit, balance: balance))
        }
        return Statement(opening: opening, movements: movements, debits: debits, credits: credits, closing: balance)
    }

    /// The customer (404) if the user may see it (403).
    static func customer(_ id: Int64, _ ctx: Context) throws -> CustomerInfo {
        guard let c = try OrderUtil.directory(ctx).customer(id: id, ctx) else { throw HTTPError.notFound }
        guard try OrderUtil.maySee(customer: id, ctx) else { throw HTTPError.forbidden }
        return c
    }

    /// The month asked for, or the last month (the one normally reconciled).
    static func month(_ req: Request, _ ctx: Context) -> (year: Int, month: Int) {
        if let m = Collections.parseMonth(req.query["month"]) { return m }
        let t = ctx.today
        return t.month == 1 ? (t.year - 1, 12) : (t.year, t.month - 1)
    }

    /// The rep who answers for the customer's account (003 §5.5.2.4), the sales heads and finance
    /// record the customer's answer (for the customers they may see).
    static let record = Permission("order", "statement", title: "登记客户对账结果（业务员、销售主管/经理、财务部）",
                                   defaultRoles: [.salesRep, .salesSupervisor, .salesManager, .finance])

    static func mayRecord(_ ctx: Context) -> Bool { ctx.can(record) }

    // MARK: Pages

    struct StatementPage: PageModel {
        static let template = "order-statement"

        struct Line: TemplateModel {
            var date: String
            var kind: String
            var note: String
            var orderNo: String
            var debit: String
            var credit: String
            var balance: String
        }

        struct Confirmation: TemplateModel {
            var result: String
            var disputed: Bool
            var confirmedOn: String
            var signer: String
            var note: String
            var hasNote: Bool
            var recordedName: String
            var recordedAt: String
            /// The closing balance confirmed, when the month's entries changed since.
            var changed: Bool
            var confirmedClosing: String
        }

        var customerID: Int64
        var code: String
        var name: String
        var address: String
        var owner: String
        var month: String
        var from: String
        var to: String
        var prev: String
        var next: String
        var opening: String
        var lines: [Line]
        var debits: String
        var credits: String
        var closing: String
        var closingUpper: String
        var owes: Bool
        var settled: Bool
        var advance: Bool
        var printedAt: String
        var confirmation: Confirmation?
        var canRecord: Bool
        /// The recorded answers of this month (audit rows), shown on screen only.
        var history: History
    }

    struct ConfirmPage: PageModel {
        static let template = "order-statement-confirm"
        var customerID: Int64
        var name: String
        var month: String
        var opening: String
        var closing: String
        var closingUpper: String
        var form: FormView
    }

    /// The month's statements to reconcile: every visible customer with a movement in the month or
    /// a balance at its end, with the customer's recorded answer.
    struct MonthPage: PageModel {
        static let template = "order-statement-month"

        struct Line: TemplateModel {
            var customerID: Int64
            var code: String
            var name: String
            var owner: String
            var opening: String
            var closing: String
            var moves: Int64
            var answer: String
            var pending: Bool
            var disputed: Bool
        }

        var month: String
        var prev: String
        var next: String
        var ended: Bool
        var lines: [Line]
        var pendingCount: Int
    }

    static let pages: [any PageModel.Type] = [StatementPage.self, ConfirmPage.self, MonthPage.self]

    /// One customer's line of a month: balances and movements.
    struct MonthLine {
        var customerID: Int64
        var opening: Int64
        var closing: Int64
        var moves: Int64
    }

    /// Every customer (of `only`, else every visible one) with a movement in the month or a
    /// balance at its end: one grouped query over the ledger.
    static func monthLines(year: Int, month: Int, only: [Int64]? = nil, _ ctx: Context) throws -> [MonthLine] {
        let (from, to) = Collections.bounds(year: year, month: month)
        let net = "(\(Ledger.receivableEffect)) - (\(Ledger.advanceEffect))"
        let filter: SQL = try only.map { "o.customer_id IN (\(list: $0))" } ?? OrderUtil.visibleFilter(ctx)
        return try ctx.db.query("""
            SELECT o.customer_id,
                   COALESCE(SUM(CASE WHEN entry_date < \(from) THEN \(raw: net) ELSE 0 END), 0) AS opening,
                   COALESCE(SUM(\(raw: net)), 0) AS closing,
                   COALESCE(SUM(CASE WHEN entry_date >= \(from) AND kind <> 'prepayment_applied' THEN 1 ELSE 0 END), 0) AS moves
            FROM order_ledger o WHERE entry_date <= \(to) AND \(filter)
            GROUP BY o.customer_id ORDER BY o.customer_id
            """).compactMap { r in
            let line = MonthLine(customerID: r.int("customer_id") ?? 0, opening: r.int("opening") ?? 0, closing: r.int("closing") ?? 0,
                                 moves: r.int("moves") ?? 0)
            return line.moves > 0 || line.closing != 0 ? line : nil
        }
    }

    /// The recorded answers of a month: customer id → result.
    static func answers(month: String, _ ctx: Context) throws -> [Int64: String] {
        var out: [Int64: String] = [:]
        for r in try ctx.db.query("SELECT customer_id, result FROM order_statements WHERE month = \(month)") {
            out[r.int("customer_id") ?? 0] = r.text("result")
        }
        return out
    }

    static let monthPage: Handler = { req, ctx in
        let (year, m) = month(req, ctx)
        let label = Collections.monthText(year, m)
        let answers = try answers(month: label, ctx)
        let dir = try OrderUtil.directory(ctx)
        var lines: [MonthPage.Line] = []
        for l in try monthLines(year: year, month: m, ctx) {
            guard let c = try dir.customer(id: l.customerID, ctx) else { continue }
            let a = answers[l.customerID]
            lines.append(.init(customerID: l.customerID, code: c.code ?? "", name: c.name, owner: c.ownerName, opening: Money.format(l.opening),
                               closing: Money.format(l.closing), moves: l.moves, answer: a.map { resultTitles[$0] ?? $0 } ?? "未确认",
                               pending: a == nil, disputed: a == "disputed"))
        }
        lines.sort { ($0.code, $0.customerID) < ($1.code, $1.customerID) }
        let prev = m == 1 ? Collections.monthText(year - 1, 12) : Collections.monthText(year, m - 1)
        let next = m == 12 ? Collections.monthText(year + 1, 1) : Collections.monthText(year, m + 1)
        let ended = Collections.bounds(year: year, month: m).to < ctx.today.description
        return ctx.render(MonthPage(month: label, prev: prev, next: next, ended: ended, lines: lines,
                                    pendingCount: lines.filter(\.pending).count),
                          title: "月度对账 \(label)")
    }

    /// The rep's to-do (003 §5.5.2.4): last month's statements of the customers they answer for
    /// that have no recorded answer yet.
    static func inbox(for user: User, _ ctx: Context) throws -> [InboxItem] {
        var out: [InboxItem] = []
        // Finance: statements the customer disputed, until an answer of 确认无误 replaces the dispute.
        if user.can(OrderPages.finance) {
            let disputed = try ctx.db.scalar("SELECT COUNT(*) FROM order_statements WHERE result = 'disputed'") ?? 0
            if disputed > 0 {
                out.append(InboxItem(title: "客户对账有异议：\(disputed) 份对账单", detail: "核对差异后重新登记客户确认（003 §5.5.2.4）",
                                     url: "/order/statements?result=disputed", urgent: true))
            }
        }
        return try out + pendingStatements(for: user, ctx)
    }

    private static func pendingStatements(for user: User, _ ctx: Context) throws -> [InboxItem] {
        guard user.can(record) else { return [] }
        let own = try OrderUtil.directory(ctx).search("", limit: 100_000, ctx).filter { $0.ownerID == user.id }.map(\.id)
        guard !own.isEmpty else { return [] }
        let t = ctx.today
        let (year, m) = t.month == 1 ? (t.year - 1, 12) : (t.year, t.month - 1)
        let label = Collections.monthText(year, m)
        let answered = try answers(month: label, ctx)
        let pending = try monthLines(year: year, month: m, only: own, ctx).filter { answered[$0.customerID] == nil }.count
        guard pending > 0 else { return [] }
        return [InboxItem(title: "\(label) 对账单待客户确认：\(pending) 户", detail: "每月与客户核对往来帐目（003 §5.5.2.4）",
                          url: "/order/statements/month?month=\(label)")]
    }

    static let show: Handler = { req, ctx in
        let c = try customer(try req.id("cid"), ctx)
        let (year, m) = month(req, ctx)
        let s = try statement(customer: c.id, year: year, month: m, ctx)
        let (from, to) = Collections.bounds(year: year, month: m)
        let label = Collections.monthText(year, m)
        let lines = s.movements.map {
            StatementPage.Line(date: $0.date, kind: $0.kind, note: $0.note, orderNo: $0.orderNo,
                               debit: $0.debit == 0 ? "" : Money.format($0.debit), credit: $0.credit == 0 ? "" : Money.format($0.credit),
                               balance: Money.format($0.balance))
        }
        if req.query["format"] == "csv" {
            let rows = [[from, "期初余额", "", "", "", "", Money.format(s.opening)]]
                + lines.map { [$0.date, $0.kind, $0.note, $0.orderNo, $0.debit, $0.credit, $0.balance] }
                + [[to, "期末余额", Money.uppercase(s.closing), "", Money.format(s.debits), Money.format(s.credits), Money.format(s.closing)]]
            return .csv(filename: "对账单-\(c.code ?? "")-\(label).csv",
                        CSVTable(header: ["日期", "类型", "摘要", "订单", "借方（应收增加）", "贷方（应收减少）", "余额"], rows: rows))
        }
        let stored = try ctx.db.first("SELECT * FROM order_statements WHERE customer_id = \(c.id) AND month = \(label)")
        let history = try stored.map { try ctx.history(entity: "order.statement", id: $0.int("id") ?? 0) } ?? History(entries: [])
        let conf = stored.map { r in
            StatementPage.Confirmation(
                result: resultTitles[r.text("result")] ?? r.text("result"), disputed: r.string("result") == "disputed",
                confirmedOn: r.text("confirmed_on"), signer: r.text("signer"), note: r.text("note"), hasNote: !r.text("note").isEmpty, recordedName: r.text("recorded_name"),
                recordedAt: ctx.displayEpoch(r.int("recorded_at")),
                changed: r.int("closing_fen") != s.closing || r.int("opening_fen") != s.opening,
                confirmedClosing: Money.format(r.int("closing_fen") ?? 0))
        }
        let prev = m == 1 ? Collections.monthText(year - 1, 12) : Collections.monthText(year, m - 1)
        let next = m == 12 ? Collections.monthText(year + 1, 1) : Collections.monthText(year, m + 1)
        let page = StatementPage(
            customerID: c.id, code: c.code ?? "", name: c.name, address: c.address, owner: c.ownerName, month: label, from: from, to: to,
            prev: prev, next: next, opening: Money.format(s.opening), lines: lines, debits: Money.format(s.debits),
            credits: Money.format(s.credits), closing: Money.format(s.closing), closingUpper: Money.uppercase(s.closing),
            owes: s.closing > 0, settled: s.closing == 0, advance: s.closing < 0, printedAt: ctx.display(ctx.now), confirmation: conf, canRecord: mayRecord(ctx),
            history: history)
        return ctx.render(page, title: "对账单：\(c.name) \(label)")
    }

    /// Records the customer's answer to a month's statement (confirmed, or disputed with a note).
    /// **Decision:** only a month that has ended can be confirmed, on a day after its end; the
    /// record keeps the balances confirmed; a new answer replaces the old one, both audited.
    static let confirm: Handler = { req, ctx in
        let c = try customer(try req.id("cid"), ctx)
        let (year, m) = month(req, ctx)
        let label = Collections.monthText(year, m)
        let (_, to) = Collections.bounds(year: year, month: m)
        guard to < ctx.today.description else {
            throw HTTPError.conflict("\(label) 尚未结束，月末之后才能请客户确认对账单。")
        }
        let s = try statement(customer: c.id, year: year, month: m, ctx)
        var initial = FormData([("confirmed_on", ctx.today.description)])
        if let old = try ctx.db.first("SELECT * FROM order_statements WHERE customer_id = \(c.id) AND month = \(label)") {
            initial = FormData([("result", old.text("result")), ("confirmed_on", old.text("confirmed_on")), ("signer", old.text("signer")),
                                ("note", old.text("note"))])
        }
        return try ctx.handleForm(form, title: "登记客户对账确认", initial: initial, page: {
            ConfirmPage(customerID: c.id, name: c.name, month: label, opening: Money.format(s.opening), closing: Money.format(s.closing),
                        closingUpper: Money.uppercase(s.closing), form: $0)
        }) { v in
            guard let on = v.date("confirmed_on"), on.description > to else {
                throw FormRejection(field: "confirmed_on", "确认日期须在对账月份结束（\(to)）之后")
            }
            let user = try ctx.requireUser()
            let result = v.string("result")
            try ctx.db.transaction {
                let old = try ctx.db.first("SELECT id, result FROM order_statements WHERE customer_id = \(c.id) AND month = \(label)")
                // One answer per customer and month; a concurrent first record becomes an update.
                let id = try ctx.db.insert("""
                    INSERT INTO order_statements (customer_id, customer_code, customer_name, month, opening_fen, closing_fen, result,
                        confirmed_on, signer, note, recorded_by, recorded_name, recorded_at)
                    VALUES (\(c.id), \(c.code ?? ""), \(c.name), \(label), \(s.opening), \(s.closing), \(result), \(on.description),
                        \(v.string("signer")), \(v.string("note")), \(user.id), \(user.displayName), \(ctx.epoch))
                    ON CONFLICT (customer_id, month) DO UPDATE SET customer_code = excluded.customer_code,
                        customer_name = excluded.customer_name, opening_fen = excluded.opening_fen, closing_fen = excluded.closing_fen,
                        result = excluded.result, confirmed_on = excluded.confirmed_on, signer = excluded.signer, note = excluded.note,
                        recorded_by = excluded.recorded_by, recorded_name = excluded.recorded_name, recorded_at = excluded.recorded_at
                    RETURNING id
                    """)
                try ctx.audit(AuditEntry(entity: "order.statement", entityID: String(id), action: old == nil ? "record" : "update",
                                         from: old?.string("result"), to: result,
                                         reason: "\(Ledger.label(c.id, ctx)) \(label) 对账单期末余额 ¥\(Money.format(s.closing))，"
                                             + "\(v.string("signer")) 于 \(on.description) \(resultTitles[result] ?? result)"
                                             + (v.optionalString("note").map { "：\($0)" } ?? "")))
            }
            return .redirect(to: "/order/statements/\(c.id)?month=\(label)", flash: .ok("已登记客户对账结果。"))
        }
    }

    /// The recorded answers (a plain list of every visible customer's statements).
    static let listPage = ListPage(
        title: "对账单确认记录", path: "/order/statements",
        select: """
            s.id, s.customer_id, s.customer_code, s.customer_name, s.month, s.result, s.closing_fen, s.confirmed_on, s.signer,
                   s.recorded_name, s.recorded_at
            """,
        from: "order_statements s",
        scope: { ctx in try OrderUtil.visibleFilter(ctx, column: "s.customer_id") },
        columns: [
            .code("code", "客户代码", sql: "s.customer_code"),
            .init("name", "客户名称", sql: "s.customer_name") { r, _ in
                ListCell(r.text("customer_name"), href: "/order/statements/\(r.int("customer_id") ?? 0)?month=\(r.text("month"))")
            },
            .text("month", "月份", sql: "s.month"),
            .init("result", "对账结果", sql: "s.result") { r, _ in
                ListCell(resultTitles[r.text("result")] ?? r.text("result"))
            },
            .init("closing", "期末余额（元）", sql: "s.closing_fen") { r, _ in ListCell(Money.format(r.int("closing_fen") ?? 0)) }.styled(.number),
            .text("confirmed", "客户确认日期", sql: "s.confirmed_on"),
            .text("signer", "客户确认人", sql: "s.signer"),
            .text("recorder", "登记人", sql: "s.recorded_name"),
            .time("recorded", "登记时间", sql: "s.recorded_at"),
        ],
        filters: [
            .search("q", "客户名称或代码") { s, _ in
                let like = "%" + s + "%"
                return "s.customer_name LIKE \(like) OR s.customer_code LIKE \(like)"
            },
            .choice("result", "对账结果", all: "全部结果", [Choice("confirmed", "确认无误"), Choice("disputed", "有异议")]) { s, _ in "s.result = \(s)" },
        ],
        actions: [.init("月度对账", href: "/order/statements/month")],
        defaultSort: "month", defaultDescending: true, tiebreaker: "s.id", empty: "还没有登记客户对账结果。",
        intro: "每月与客户核对往来帐目（003 §5.5.2.4）：已登记的客户确认和异议。")

    static let list: Handler = { req, ctx in try listPage.respond(req, ctx) }

    static func routes(_ r: inout RouteBuilder) {
        r.get("statements", .permission(OrderPages.view), list)
        r.get("statements/month", .permission(OrderPages.view), monthPage)
        r.get("statements/:cid", .permission(OrderPages.view), show)
        // The customer's visibility is checked in the handler (403).
        r.form("statements/:cid/confirm", .permission(record), confirm)
    }
}
