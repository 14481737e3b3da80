import CustomerDevelopmentAPI
import Foundation
import SalesKit

/// The receivables ledger per customer (shipped value in, payments in, outstanding, overdue),
/// finance's payment entry, and the price list for sporadic customers.
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
            var paid: String
            var outstanding: String
            var overdue: String
            var isOverdue: Bool
            var open: String
            var isOver: Bool
        }

        var rows: [Customer]
        var canPay: Bool
    }

    /// One customer's ledger (应收明细).
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
        var outstanding: String
        var overdue: String
        var shipped: String
        var paid: String
        var canPay: Bool
    }

    struct PaymentPage: PageModel {
        static let template = "order-payment"
        var form: FormView
    }

    /// 价格表 with the form to set a price.
    struct PricesPage: PageModel {
        static let template = "order-prices"

        struct Price: TemplateModel {
            var product: String
            var spec: String
            var price: String
        }

        var prices: [Price]
        var canEdit: Bool
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
                line: line.map { Money.format($0) } ?? "不予供货", shipped: Money.format(b.shippedFen), paid: Money.format(b.paidFen),
                outstanding: Money.format(b.outstandingFen), overdue: Money.format(b.overdueFen), isOverdue: b.overdueFen > 0,
                open: Money.format(open), isOver: over), outstandingFen: b.outstandingFen))
        }
        return out.sorted { $0.row.code < $1.row.code }
    }

    static let summary: Handler = { req, ctx in
        let rows = try summaryRows(ctx).map(\.row)
        let header = ["客户代码", "客户名称", "类别", "负责人", "警戒线（元）", "发货金额（元）", "收款（元）", "应收余额（元）", "逾期（元）", "未发货订单（元）"]
        if req.query["format"] == "csv" {
            return .csv(filename: "应收账款.csv", CSVTable(header: header + ["超警戒线"], rows: rows.map { r in
                [r.code, r.name, r.ratingClass, r.owner, r.line, r.shipped, r.paid, r.outstanding, r.overdue, r.open, r.isOver ? "是" : ""] }))
        }
        return ctx.render(ReceivablesPage(rows: rows, canPay: ctx.can(OrderPages.finance)), title: "应收账款")
    }

    static let customer: Handler = { req, ctx in
        let cid = try req.id("cid")
        guard let c = try OrderUtil.directory(ctx).customer(id: cid, ctx) else { throw HTTPError.notFound }
        guard try OrderUtil.maySee(customer: cid, ctx) else { throw HTTPError.forbidden }
        let entries = try ctx.db.query("SELECT * FROM order_ledger WHERE customer_id = \(cid) ORDER BY entry_date, id")
        var balance: Int64 = 0
        let rows = try entries.map { e -> [String] in
            let amount = e.int("amount_fen") ?? 0
            let isShip = e.string("kind") == "shipment"
            balance = try isShip ? Stored.add(balance, amount) : Stored.subtract(balance, amount)
            return [e.text("entry_date"), isShip ? "发货" : "收款", e.text("note"),
                    isShip ? Money.format(amount) : "", isShip ? "" : Money.format(amount), e.text("due_on"), Money.format(balance)]
        }
        let header = ["日期", "类型", "摘要", "发货（借）", "收款（贷）", "到期日", "余额"]
        if req.query["format"] == "csv" { return .csv(filename: "应收明细-\(c.code ?? "").csv", CSVTable(header: header, rows: rows)) }
        let b = try OrderChecks.balance(customer: cid, today: ctx.today, ctx)
        let page = LedgerPage(c: .init(id: c.id, name: c.name, code: c.code ?? ""), header: header, rows: rows.map { Cells(cells: $0) },
                              outstanding: Money.format(b.outstandingFen), overdue: Money.format(b.overdueFen),
                              shipped: Money.format(b.shippedFen), paid: Money.format(b.paidFen), canPay: ctx.can(OrderPages.finance))
        return ctx.render(page, title: "应收明细：\(c.name)")
    }

    static let payment: Handler = { req, ctx in
        var initial = FormData([("paid_on", ctx.today.description)])
        if let code = req.query["customer"] { initial.append("customer_code", code) }
        return try ctx.handleForm(OrderForms.payment, title: "登记收款", initial: initial, page: { PaymentPage(form: $0) }) { v in
            let c = try customer(code: v.string("customer_code"), field: "customer_code", ctx)
            let amount = v.money("amount") ?? 0
            try ctx.db.transaction {
                let id = try ctx.db.insert("""
                    INSERT INTO order_ledger (customer_id, kind, amount_fen, entry_date, note, created_by, created_at)
                    VALUES (\(c.id), 'payment', \(amount), \(v.string("paid_on")), \(v.optionalString("note") ?? "收款"),
                        \(try ctx.requireUser().id), \(ctx.epoch))
                    RETURNING id
                    """)
                try ctx.audit(AuditEntry(entity: "order.payment", entityID: String(id), action: "create", to: "recorded",
                                         reason: "\(c.code ?? "") \(c.name) 收款 ¥\(Money.format(amount))"))
            }
            return .redirect(to: "/order/receivables/\(c.id)")
        }
    }

    static let prices: Handler = { req, ctx in
        let rows = try ctx.db.query("SELECT * FROM order_prices ORDER BY product, spec")
        let items = rows.map { r in
            PricesPage.Price(product: r.text("product"), spec: r.text("spec"), price: OrderUtil.yuan(r.int("unit_price_fen")))
        }
        if req.query["format"] == "csv" {
            return .csv(filename: "价格表.csv", CSVTable(header: ["品名", "规格", "单价（元）"], rows: items.map { [$0.product, $0.spec, $0.price] }))
        }
        if req.method == "POST" { try ctx.require(OrderPages.prices) }
        return try ctx.handleForm(OrderForms.price, title: "价格表", page: { form in
            PricesPage(prices: items, canEdit: ctx.can(OrderPages.prices), form: form)
        }) { v in
            try ctx.db.transaction {
                let id = try ctx.db.insert("""
                    INSERT INTO order_prices (product, spec, unit_price_fen, updated_at)
                    VALUES (\(v.string("product")), \(v.string("spec")), \(v.money("price") ?? 0), \(ctx.epoch))
                    ON CONFLICT (product, spec) DO UPDATE SET unit_price_fen = excluded.unit_price_fen, updated_at = excluded.updated_at
                    RETURNING id
                    """)
                try ctx.audit(AuditEntry(entity: "order.price", entityID: String(id), action: "set",
                                         reason: "\(v.string("product")) \(v.string("spec")) ¥\(Money.format(v.money("price") ?? 0))"))
            }
            return .redirect(to: "/order/prices")
        }
    }
}
