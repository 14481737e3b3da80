import CustomerDevelopmentAPI
import Foundation
import SalesKit

/// The receivables ledger per customer (RULES §6: every money movement an entry of its kind,
/// `Ledger`): the summary per customer, one customer's entries with both balances, finance's
/// payment / prepayment and adjustment entries.
enum OrderLedgerPages {
    /// A customer by code for finance and other all-seeing roles (the order module's own visibility rule).
    static func customer(code: String, field: String, _ ctx: Context) throws -> CustomerInfo {
        guard let c = try OrderUtil.directory(ctx).customer(code: code, ctx), try OrderUtil.maySee(customer: c.id, ctx) else {
            throw FormRejection(field: field, "没有此客户代码，或您无权查看该客户")
        }
        return c
    }

    /// 应收账款: one row per customer.
    struct ReceivablesPage: PageModel {
        static let template = "order-receivables"

        struct Customer: TemplateModel {
            var id: Int64
            var code: String
            var name: String
            var ratingClass: String
            var owner: String
            var line: String
            var shipped: String
            var collected: String
            var otherCredits: String
            var outstanding: String
            var advance: String
            var overdue: String
            var isOverdue: Bool
            var open: String
            var isOver: Bool
        }

        var rows: [Customer]
        var canPay: Bool
    }

    /// One customer's ledger (应收明细) with the receivable and advance balances after each entry.
    struct LedgerPage: PageModel {
        static let template = "order-ledger"

        struct Customer: TemplateModel {
            var id: Int64
            var name: String
            var code: String
        }

        var c: Customer
        var header: [String]
        var rows: [Cells]
        var colspan: Int
        var outstanding: String
        var overdue: String
        var shipped: String
        var collected: String
        var otherCredits: String
        var advance: String
        var canPay: Bool
    }

    /// A finance entry form (收款/预收款, 调整, 坏账核销申请) with its heading and rule.
    struct EntryFormPage: PageModel {
        static let template = "order-entry-form"
        var heading: String
        var intro: String
        var button: String
        var back: String
        var form: FormView
    }

    /// A customer's receivables: the row shown, and the amounts the KPIs add up.
    struct Summary {
        var row: ReceivablesPage.Customer
        var outstandingFen: Int64
    }

    /// One row per visible customer with ledger entries or orders (or just `customer`).
    static func summaryRows(_ ctx: Context, customer: Int64? = nil) throws -> [Summary] {
        let ids: [Int64]
        if let customer {
            ids = try OrderUtil.maySee(customer: customer, ctx) ? [customer] : []
        } else {
            ids = try ctx.db.query("""
                SELECT DISTINCT customer_id FROM order_ledger o WHERE \(try OrderUtil.visibleFilter(ctx))
                UNION SELECT DISTINCT customer_id FROM order_orders o WHERE \(try OrderUtil.visibleFilter(ctx))
                """).compactMap { $0.int("customer_id") }
        }
        let dir = try OrderUtil.directory(ctx)
        var out: [Summary] = []
        for id in ids {
            guard let c = try dir.customer(id: id, ctx) else { continue }
            let b = try OrderChecks.balance(customer: id, today: ctx.today, ctx)
            let open = try OrderChecks.openOrdersFen(customer: id, excluding: nil, ctx)
            let line = try c.ratingClass.flatMap { try dir.classPolicy($0, ctx)?.warningLineFen }
            let exposure = try Stored.add(b.outstandingFen, open)
            let over = line.map { exposure > $0 } ?? (exposure > 0)
            out.append(Summary(row: ReceivablesPage.Customer(
                id: id, code: c.code ?? "", name: c.name, ratingClass: c.ratingClass ?? "", owner: c.ownerName,
                line: line.map { Money.format($0) } ?? "不予供货", shipped: Money.format(b.shippedFen),
                collected: Money.format(b.collectedFen), otherCredits: Money.format(b.otherCreditsFen),
                outstanding: Money.format(b.outstandingFen), advance: Money.format(b.advanceFen),
                overdue: Money.format(b.overdueFen), isOverdue: b.overdueFen > 0,
                open: Money.format(open), isOver: over), outstandingFen: b.outstandingFen))
        }
        return out.sorted { $0.row.code < $1.row.code }
    }

    static let summary: Handler = { req, ctx in
        let rows = try summaryRows(ctx).map(\.row)
        let header = ["客户代码", "客户名称", "类别", "负责人", "警戒线（元）", "发货金额（元）", "回款（元）", "其他冲减（元）", "应收余额（元）",
                      "预收余额（元）", "逾期（元）", "未发货订单（元）"]
        if req.query["format"] == "csv" {
            return .csv(filename: "应收账款.csv", CSVTable(header: header + ["超警戒线"], rows: rows.map { r in
                [r.code, r.name, r.ratingClass, r.owner, r.line, r.shipped, r.collected, r.otherCredits, r.outstanding, r.advance, r.overdue,
                 r.open, r.isOver ? "是" : ""] }))
        }
        return ctx.render(ReceivablesPage(rows: rows, canPay: ctx.can(OrderPages.finance)), title: "应收账款")
    }

    static let customer: Handler = { req, ctx in
        let cid = try req.id("cid")
        guard let c = try OrderUtil.directory(ctx).customer(id: cid, ctx) else { throw HTTPError.notFound }
        guard try OrderUtil.maySee(customer: cid, ctx) else { throw HTTPError.forbidden }
        let entries = try ctx.db.query("""
            SELECT l.*, o.order_no, \(raw: Ledger.receivableEffect) AS r_effect, \(raw: Ledger.advanceEffect) AS a_effect
            FROM order_ledger l LEFT JOIN order_orders o ON o.id = l.order_id
            WHERE l.customer_id = \(cid) ORDER BY l.entry_date, l.id
            """)
        var receivable: Int64 = 0, advance: Int64 = 0
        let rows = try entries.map { e -> [String] in
            let r = e.int("r_effect") ?? 0, a = e.int("a_effect") ?? 0
            receivable = try Stored.add(receivable, r)
            advance = try Stored.add(advance, a)
            return [e.text("entry_date"), LedgerKind.title(e.string("kind")), e.text("note"), e.text("order_no"),
                    r > 0 ? Money.format(r) : "", r < 0 ? Money.format(try Stored.subtract(0, r)) : "",
                    a == 0 ? "" : (a > 0 ? "+" : "") + Money.format(a), e.text("due_on"),
                    Money.format(receivable), Money.format(advance)]
        }
        let header = ["日期", "类型", "摘要", "订单", "应收增加（借）", "应收减少（贷）", "预收增减", "到期日", "应收余额", "预收余额"]
        if req.query["format"] == "csv" { return .csv(filename: "应收明细-\(c.code ?? "").csv", CSVTable(header: header, rows: rows)) }
        let b = try OrderChecks.balance(customer: cid, today: ctx.today, ctx)
        let page = LedgerPage(c: .init(id: c.id, name: c.name, code: c.code ?? ""), header: header, rows: rows.map { Cells(cells: $0) },
                              colspan: header.count, outstanding: Money.format(b.outstandingFen), overdue: Money.format(b.overdueFen),
                              shipped: Money.format(b.shippedFen), collected: Money.format(b.collectedFen),
                              otherCredits: Money.format(b.otherCreditsFen), advance: Money.format(b.advanceFen),
                              canPay: ctx.can(OrderPages.finance))
        return ctx.render(page, title: "应收明细：\(c.name)")
    }

    /// 收款 or 预收款 (finance). A payment lowers the receivable and may not exceed it; a
    /// prepayment (先款后货: a sporadic customer's full prepayment, 003 §4.1.3) is held as an
    /// advance, earmarked for an order when one is named, and settled against its shipments.
    static let payment: Handler = { req, ctx in
        let prepay = req.query["kind"] == LedgerKind.prepayment.rawValue
        var initial = FormData([("paid_on", ctx.today.description),
                                ("kind", prepay ? LedgerKind.prepayment.rawValue : LedgerKind.payment.rawValue)])
        if let code = req.query["customer"] { initial.append("customer_code", code) }
        if let no = req.query["order"],
           let o = try ctx.db.first("SELECT customer_id, customer_code, prepaid_fen FROM order_orders WHERE order_no = \(no)"),
           try OrderUtil.maySee(customer: o.int("customer_id") ?? 0, ctx) {
            initial.append("order_no", no)
            if req.query["customer"] == nil { initial.append("customer_code", o.text("customer_code")) }
            if let p = o.int("prepaid_fen"), p > 0 { initial.append("amount", Money.format(p, grouping: false)) }
        }
        return try ctx.handleForm(OrderForms.payment, title: "登记收款 / 预收款", initial: initial, page: {
            EntryFormPage(heading: "登记收款 / 预收款",
                          intro: "收款冲减应收余额，不得超过应收余额（RULES §6）；先款后货（如零星客户全额预付，003 §4.1.3）请登记为预收款并填写订单号码，"
                              + "发货时自动冲抵该订单的发货金额。",
                          button: "登记", back: "/order/receivables",
                          form: $0.suggesting("customer_code", try OrderUtil.customerPicker(OrderUtil.directory(ctx), ctx),
                                              none: OrderUtil.noCustomers))
        }) { v in
            let c = try customer(code: v.string("customer_code"), field: "customer_code", ctx)
            let kind: LedgerKind = v.string("kind") == LedgerKind.prepayment.rawValue ? .prepayment : .payment
            var order: Row?
            if let no = v.optionalString("order_no") {
                guard let o = try ctx.db.first("SELECT id, order_no, customer_id, state FROM order_orders WHERE order_no = \(no)"),
                      o.int("customer_id") == c.id else {
                    throw FormRejection(field: "order_no", "该客户没有此订单号码")
                }
                guard OrderState.open.contains(OrderUtil.state(o)) else {
                    throw FormRejection(field: "order_no", "该订单\(OrderUtil.state(o).title)，不能再登记其款项")
                }
                order = o
            }
            let note = v.optionalString("note") ?? (order.map { "\(kind.title)（订单 \($0.text("order_no"))）" } ?? kind.title)
            do {
                _ = try ctx.db.transaction {
                    try Ledger.book(.init(customerID: c.id, kind: kind, amountFen: v.money("amount") ?? 0,
                                          date: v.date("paid_on") ?? ctx.today, orderID: order?.int("id"), note: note), ctx)
                }
            } catch let r as Ledger.Refusal {
                throw FormRejection(field: "amount", r.message)
            }
            return .redirect(to: order.map { "/order/orders/\($0.int("id") ?? 0)" } ?? "/order/receivables/\(c.id)")
        }
    }

    /// An adjustment (调整): finance corrects the receivable with a written reason — the one kind
    /// of entry that may make the receivable negative, explicitly and with the reason on record.
    static let adjustment: Handler = { req, ctx in
        var initial = FormData([("entry_date", ctx.today.description)])
        if let code = req.query["customer"] { initial.append("customer_code", code) }
        return try ctx.handleForm(OrderForms.adjustment, title: "登记调整分录", initial: initial, page: {
            EntryFormPage(heading: "登记调整分录",
                          intro: "更正应收余额（如开票差错），须写明理由。调整是唯一可使应收余额为负的分录，摘要和审计记录中会注明（RULES §6）。",
                          button: "登记调整", back: "/order/receivables",
                          form: $0.suggesting("customer_code", try OrderUtil.customerPicker(OrderUtil.directory(ctx), ctx),
                                              none: OrderUtil.noCustomers))
        }) { v in
            let c = try customer(code: v.string("customer_code"), field: "customer_code", ctx)
            let amount = v.money("amount") ?? 0
            let signed = v.string("direction") == "down" ? try Stored.subtract(0, amount) : amount
            let after = try Stored.add(try Ledger.totals(customer: c.id, ctx).receivable, signed)
            let note = "调整（\(signed > 0 ? "增加" : "减少")应收）：\(v.string("reason"))"
                + (after < 0 ? "；调整后应收余额为负 ¥\(Money.format(after))" : "")
            do {
                _ = try ctx.db.transaction {
                    try Ledger.book(.init(customerID: c.id, kind: .adjustment, amountFen: signed, date: v.date("entry_date") ?? ctx.today,
                                          note: note), ctx)
                }
            } catch let r as Ledger.Refusal {
                throw FormRejection(field: "amount", r.message)
            }
            return .redirect(to: "/order/receivables/\(c.id)")
        }
    }
}
