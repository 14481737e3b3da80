import Foundation
import OrderingAPI
import SalesKit

/// The 订货 module's `ReceivablesService` for other modules (e.g. 售后服务 settling a return,
/// RULES §3.2 / 003 §6.3.3). A credit is booked into `order_ledger` like a payment (it reduces
/// what the customer owes in `OrderChecks.balance`), with a note naming the reference and an
/// audit row; `outstanding` is the same figure the receivables pages show.
struct OrderReceivablesService: ReceivablesService {
    func credit(customerID: Int64, amountFen: Int64, reference: String, _ ctx: Context) throws -> Int64 {
        guard amountFen > 0 else { throw HTTPError.conflict("冲减应收的金额须大于零。") }
        guard customerID > 0 else { throw HTTPError.conflict("冲减应收须指明客户。") }
        let user = try ctx.requireUser()
        let note = "冲减应收：\(reference)"
        // A savepoint when the caller already holds a transaction (the normal case).
        return try ctx.db.transaction {
            let id = try ctx.db.insert("""
                INSERT INTO order_ledger (customer_id, kind, amount_fen, entry_date, note, created_by, created_at)
                VALUES (\(customerID), 'payment', \(amountFen), \(ctx.today.description), \(note), \(user.id), \(ctx.epoch))
                RETURNING id
                """)
            try ctx.audit(AuditEntry(entity: "order.credit", entityID: String(id), action: "create", to: "recorded",
                                     reason: "客户 #\(customerID) \(note) ¥\(Money.format(amountFen))"))
            return id
        }
    }

    func outstanding(customerID: Int64, _ ctx: Context) throws -> Int64 {
        try OrderChecks.balance(customer: customerID, today: ctx.today, ctx).outstandingFen
    }
}
