import Foundation
import OrderingAPI
import SalesKit

/// The 订货 module's `ReceivablesService` for other modules (e.g. 售后服务 settling a return,
/// RULES §3.2, §6 / 003 §6.3.3). A credit is a `return_credit` ledger entry (`Ledger`): it lowers
/// the receivable, is not a collection (回款), and what exceeds the receivable becomes an advance
/// of the customer instead of a negative balance. `outstanding` is the figure the receivables
/// pages show.
struct OrderReceivablesService: ReceivablesService {
    /// Deprecated (see the protocol): the amount as the caller computed it.
    func credit(customerID: Int64, amountFen: Int64, reference: String, _ ctx: Context) throws -> Int64 {
        guard amountFen > 0 else { throw HTTPError.conflict("冲减应收的金额须大于零。") }
        guard customerID > 0 else { throw HTTPError.conflict("冲减应收须指明客户。") }
        // A savepoint when the caller already holds a transaction (the normal case).
        return try ctx.db.transaction {
            try book(customerID: customerID, amountFen: amountFen, note: "冲减应收：\(reference)", ctx)
        }
    }

    /// A return credit of `amountFen`; the part above the receivable goes to the customer's advances.
    private func book(customerID: Int64, amountFen: Int64, note: String, _ ctx: Context) throws -> Int64 {
        let receivable = try Ledger.totals(customer: customerID, ctx).receivable
        let toAdvance = try Stored.subtract(amountFen, min(amountFen, max(0, receivable)))
        return try Ledger.book(.init(customerID: customerID, kind: .returnCredit, amountFen: amountFen, date: ctx.today,
                                     note: note + (toAdvance > 0 ? "（超出应收 ¥\(Money.format(toAdvance)) 转入预收）" : ""),
                                     advanceFen: toAdvance), ctx)
    }

    func creditReturn(customerID: Int64, lines: [ReturnCreditLine], reference: String, _ ctx: Context) throws -> ReturnCredit {
        guard customerID > 0 else { throw ReturnCreditError.invalid("退货冲减须指明客户。") }
        // One request per product and specification (two lines of the same product add up).
        var merged: [(product: String, spec: String, qty: Int64)] = []
        for l in lines {
            let product = l.product.trimmingCharacters(in: .whitespacesAndNewlines)
            let spec = l.spec.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !product.isEmpty else { throw ReturnCreditError.invalid("退货冲减的每一行须有品名。") }
            guard l.quantity > 0 else { throw ReturnCreditError.invalid("「\(product)」的退货冲减数量须大于零。") }
            if let i = merged.firstIndex(where: { $0.product == product && $0.spec == spec }) {
                merged[i].qty = try Stored.add(merged[i].qty, l.quantity)
            } else {
                merged.append((product, spec, l.quantity))
            }
        }
        guard !merged.isEmpty else { throw ReturnCreditError.invalid("没有退货冲减的明细。") }
        return try ctx.db.transaction {
            var parts: [(part: ReturnCredit.Part, orderID: Int64, deliveryLineID: Int64)] = []
            for m in merged {
                // Shipped lines of this customer for the product, latest shipment first, with what
                // earlier credits already took from each.
                let shipped = try ctx.db.query("""
                    SELECT dl.id, dl.qty, l.unit_price_fen, o.id AS order_id, o.order_no,
                           COALESCE((SELECT SUM(rc.qty) FROM order_return_credits rc WHERE rc.delivery_line_id = dl.id), 0) AS credited
                    FROM order_lines l JOIN order_delivery_lines dl ON dl.line_id = l.id
                    JOIN order_deliveries d ON d.id = dl.delivery_id JOIN order_orders o ON o.id = l.order_id
                    WHERE l.product = \(m.product) AND l.spec = \(m.spec) AND o.customer_id = \(customerID)
                    ORDER BY d.delivered_on DESC, d.id DESC, dl.id DESC
                    """)
                guard !shipped.isEmpty else { throw ReturnCreditError.notShipped(product: m.product, spec: m.spec) }
                let total = try Stored.total(shipped.map { $0.int("qty") ?? 0 })
                let credited = try Stored.total(shipped.map { $0.int("credited") ?? 0 })
                var left = m.qty
                for s in shipped where left > 0 {
                    let free = max(0, try Stored.subtract(s.int("qty") ?? 0, s.int("credited") ?? 0))
                    guard free > 0 else { continue }
                    let take = min(free, left)
                    let price = s.int("unit_price_fen") ?? 0
                    parts.append((ReturnCredit.Part(product: m.product, spec: m.spec, quantity: take, unitPriceFen: price,
                                                    amountFen: try Stored.multiply(take, price), orderNo: s.text("order_no")),
                                  s.int("order_id") ?? 0, s.int("id") ?? 0))
                    left = try Stored.subtract(left, take)
                }
                if left > 0 {
                    throw ReturnCreditError.exceedsShipped(product: m.product, spec: m.spec, requested: m.qty, shipped: total, credited: credited)
                }
            }
            let amount = try Stored.total(parts.map(\.part.amountFen))
            guard amount > 0 else { throw ReturnCreditError.invalid("按订单价计算的退货冲减金额为零（发货单价为 0），无须冲减应收。") }
            let priced = parts.map { "\($0.part.product) \($0.part.spec) × \($0.part.quantity) @¥\(Money.format($0.part.unitPriceFen))（\($0.part.orderNo)）" }
            let entry = try book(customerID: customerID, amountFen: amount,
                                 note: "冲减应收：\(reference)；按订单价 " + priced.joined(separator: "，"), ctx)
            for p in parts {
                try ctx.db.execute("""
                    INSERT INTO order_return_credits (entry_id, customer_id, order_id, delivery_line_id, product, spec, qty, unit_price_fen,
                        amount_fen, reference)
                    VALUES (\(entry), \(customerID), \(p.orderID), \(p.deliveryLineID), \(p.part.product), \(p.part.spec), \(p.part.quantity),
                        \(p.part.unitPriceFen), \(p.part.amountFen), \(reference))
                    """)
            }
            return ReturnCredit(entryID: entry, amountFen: amount, parts: parts.map(\.part))
        }
    }

    func outstanding(customerID: Int64, _ ctx: Context) throws -> Int64 {
        try OrderChecks.balance(customer: customerID, today: ctx.today, ctx).outstandingFen
    }
}
