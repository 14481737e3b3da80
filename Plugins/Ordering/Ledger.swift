import CustomerDevelopmentAPI
import Foundation
import SalesKit

/// The kinds of money movement (RULES §6 "Every money movement is an entry of its kind").
///
/// Two balances per customer follow from the entries:
/// - the **receivable** (应收): shipments and adjustments raise it; payments, advances settled
///   against a shipment, return credits and bad-debt write-offs lower it;
/// - the **advance** (预收, cash received before the goods): prepayments raise it, settling it
///   against a shipment lowers it, and the part of a return credit that exceeds the receivable
///   goes to it (the customer's credit, used by the next shipment).
///
/// Neither may go below zero through an entry (the entry is refused with the reason); only an
/// explicit adjustment, with its reason, may make the receivable negative.
enum LedgerKind: String, Sendable, CaseIterable {
    case shipment, payment, prepayment
    case prepaymentApplied = "prepayment_applied"
    case returnCredit = "return_credit"
    case badDebt = "bad_debt"
    case adjustment

    var title: String {
        switch self {
        case .shipment: "发货"
        case .payment: "收款"
        case .prepayment: "预收款"
        case .prepaymentApplied: "预收款冲抵发货"
        case .returnCredit: "退货冲减"
        case .badDebt: "坏账核销"
        case .adjustment: "调整"
        }
    }

    /// Cash received: what 回款 counts (003 §5.4). A return credit, a write-off, an adjustment and
    /// settling an advance already counted are not collections.
    var isCollection: Bool { self == .payment || self == .prepayment }

    /// The audit entity of a booked entry (`order.payment`, `order.credit` as before).
    var auditEntity: String {
        switch self {
        case .returnCredit: "order.credit"
        default: "order.\(rawValue)"
        }
    }

    static func title(_ raw: String?) -> String { LedgerKind(rawValue: raw ?? "")?.title ?? (raw ?? "") }
}

enum Ledger {
    /// An entry's effect on the receivable, as SQL over an `order_ledger` row.
    static let receivableEffect = """
        CASE kind WHEN 'shipment' THEN amount_fen WHEN 'adjustment' THEN amount_fen
            WHEN 'return_credit' THEN advance_fen - amount_fen
            WHEN 'payment' THEN -amount_fen WHEN 'prepayment_applied' THEN -amount_fen WHEN 'bad_debt' THEN -amount_fen
            ELSE 0 END
        """
    /// An entry's effect on the customer's advances (预收), as SQL.
    static let advanceEffect = """
        CASE kind WHEN 'prepayment' THEN amount_fen WHEN 'return_credit' THEN advance_fen
            WHEN 'prepayment_applied' THEN -amount_fen ELSE 0 END
        """
    /// What an entry takes off the receivable (0 when it adds), as SQL: the credits applied to the
    /// oldest shipments first when overdue is computed.
    static let receivableReduction = """
        CASE kind WHEN 'adjustment' THEN CASE WHEN amount_fen < 0 THEN -amount_fen ELSE 0 END
            WHEN 'return_credit' THEN amount_fen - advance_fen
            WHEN 'payment' THEN amount_fen WHEN 'prepayment_applied' THEN amount_fen WHEN 'bad_debt' THEN amount_fen
            ELSE 0 END
        """

    /// One movement to book.
    struct Entry {
        var customerID: Int64
        var kind: LedgerKind
        /// Positive; an adjustment alone is signed (+ raises the receivable).
        var amountFen: Int64
        var date: LocalDate
        var dueOn: LocalDate? = nil
        var orderID: Int64? = nil
        var deliveryID: Int64? = nil
        var note: String
        /// The part of a return credit that goes to the customer's advances.
        var advanceFen: Int64 = 0
    }

    /// An entry refused (it would make a balance negative, or is not an amount); nothing is booked.
    struct Refusal: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
        init(_ message: String) { self.message = message }
    }

    struct Totals {
        var receivable: Int64
        var advance: Int64
    }

    /// The customer's receivable and advance balances (all entries, or those dated up to `through`).
    static func totals(customer id: Int64, through: LocalDate? = nil, _ ctx: Context) throws -> Totals {
        let last = (through ?? LocalDate(year: 9999, month: 12, day: 31)).description
        let r = try ctx.db.first("""
            SELECT COALESCE(SUM(\(raw: receivableEffect)), 0) AS receivable, COALESCE(SUM(\(raw: advanceEffect)), 0) AS advance
            FROM order_ledger WHERE customer_id = \(id) AND entry_date <= \(last)
            """)
        return Totals(receivable: r?.int("receivable") ?? 0, advance: r?.int("advance") ?? 0)
    }

    /// The effect of an entry on (receivable, advance), checked.
    static func effect(_ e: Entry) throws -> (receivable: Int64, advance: Int64) {
        switch e.kind {
        case .shipment: return (e.amountFen, 0)
        case .adjustment: return (e.amountFen, 0)
        case .payment, .badDebt: return (-e.amountFen, 0)
        case .prepayment: return (0, e.amountFen)
        case .prepaymentApplied: return (-e.amountFen, -e.amountFen)
        case .returnCredit: return (try Stored.subtract(e.advanceFen, e.amountFen), e.advanceFen)
        }
    }

    /// The customer's name for audit lines (`KH-2026-0001 甲公司`), or `#id`.
    static func label(_ customer: Int64, _ ctx: Context) -> String {
        guard let c = try? OrderUtil.directory(ctx).customer(id: customer, ctx) else { return "#\(customer)" }
        return [c.code ?? "", c.name].filter { !$0.isEmpty }.joined(separator: " ")
    }

    /// Books one entry inside the caller's transaction (or its own): refuses, with the reason, an
    /// entry that would make the receivable (except an adjustment) or the advance negative; writes
    /// the audit row. Returns the entry id.
    @discardableResult
    static func book(_ e: Entry, _ ctx: Context) throws -> Int64 {
        if e.kind == .adjustment ? e.amountFen == 0 : e.amountFen <= 0 {
            throw Refusal("\(e.kind.title)的金额须\(e.kind == .adjustment ? "不为零" : "大于零")。")
        }
        guard e.advanceFen >= 0, e.advanceFen <= max(0, e.amountFen), e.advanceFen == 0 || e.kind == .returnCredit else {
            throw Refusal("转入预收的金额无效。")
        }
        guard e.customerID > 0 else { throw Refusal("分录须指明客户。") }
        let user = try ctx.requireUser()
        return try ctx.db.transaction {
            let before = try totals(customer: e.customerID, ctx)
            let effect = try effect(e)
            let receivable = try Stored.add(before.receivable, effect.receivable)
            let advance = try Stored.add(before.advance, effect.advance)
            if receivable < 0 && e.kind != .adjustment {
                switch e.kind {
                case .payment:
                    throw Refusal("收款 ¥\(Money.format(e.amountFen)) 超过该客户的应收余额 ¥\(Money.format(before.receivable))；"
                                  + "先收款后发货的款项请登记为「预收款」（余额不得为负，RULES §6）。")
                case .badDebt:
                    throw Refusal("核销金额 ¥\(Money.format(e.amountFen)) 超过该客户的应收余额 ¥\(Money.format(before.receivable))（余额不得为负）。")
                default:
                    throw Refusal("\(e.kind.title) ¥\(Money.format(e.amountFen)) 会使应收余额为负（¥\(Money.format(receivable))），已拒绝；"
                                  + "确需如此请登记「调整」分录并写明理由。")
                }
            }
            if advance < 0 {
                throw Refusal("\(e.kind.title) ¥\(Money.format(e.amountFen)) 超过该客户的预收余额 ¥\(Money.format(before.advance))（余额不得为负）。")
            }
            let id = try ctx.db.insert("""
                INSERT INTO order_ledger (customer_id, kind, order_id, delivery_id, amount_fen, advance_fen, entry_date, due_on, note,
                    created_by, created_at)
                VALUES (\(e.customerID), \(e.kind.rawValue), \(e.orderID), \(e.deliveryID), \(e.amountFen), \(e.advanceFen),
                    \(e.date.description), \(e.dueOn?.description), \(e.note), \(user.id), \(ctx.epoch))
                RETURNING id
                """)
            var reason = "\(label(e.customerID, ctx)) \(e.kind.title) ¥\(Money.format(e.amountFen))：\(e.note)"
            if e.advanceFen > 0 { reason += "（其中 ¥\(Money.format(e.advanceFen)) 超出应收，转入预收）" }
            reason += "；应收余额 ¥\(Money.format(receivable))，预收余额 ¥\(Money.format(advance))"
            try ctx.audit(AuditEntry(entity: e.kind.auditEntity, entityID: String(id), action: "create", to: "recorded", reason: reason))
            return id
        }
    }

    /// The advance held for an order (prepayments earmarked for it, less what settled its shipments).
    static func orderAdvance(_ orderID: Int64, _ ctx: Context) throws -> Int64 {
        try ctx.db.scalar("""
            SELECT COALESCE(SUM(CASE kind WHEN 'prepayment' THEN amount_fen WHEN 'prepayment_applied' THEN -amount_fen ELSE 0 END), 0)
            FROM order_ledger WHERE order_id = \(orderID) AND kind IN ('prepayment', 'prepayment_applied')
            """) ?? 0
    }

    /// Prepayments confirmed by finance for an order (003 §4.1.3: a sporadic order is paid in full).
    static func confirmedPrepayment(_ orderID: Int64, _ ctx: Context) throws -> Int64 {
        try ctx.db.scalar("SELECT COALESCE(SUM(amount_fen), 0) FROM order_ledger WHERE order_id = \(orderID) AND kind = 'prepayment'") ?? 0
    }

    /// Books a shipment and settles it against the customer's advances (RULES §6: a prepayment is
    /// settled against the shipment): first what was prepaid for this order, then the customer's
    /// advances not earmarked for an order (order_id NULL: prepayments without an order, return
    /// credits beyond the receivable). Each settlement is its own `prepayment_applied` entry whose
    /// `order_id` names the advance it used (NULL for the unearmarked ones).
    static func ship(customer: Int64, orderID: Int64, orderNo: String, deliveryID: Int64, amountFen: Int64, on date: LocalDate,
                     due: LocalDate, _ ctx: Context) throws {
        guard amountFen > 0 else { return }   // lines at a price of 0 (samples): nothing owed
        try book(Entry(customerID: customer, kind: .shipment, amountFen: amountFen, date: date, dueOn: due, orderID: orderID,
                       deliveryID: deliveryID, note: "订单 \(orderNo) 第 \(deliveryID) 批发货"), ctx)
        var left = amountFen
        let earmarked = try orderAdvance(orderID, ctx)
        if left > 0 && earmarked > 0 {
            let use = min(left, earmarked)
            try book(Entry(customerID: customer, kind: .prepaymentApplied, amountFen: use, date: date, orderID: orderID, deliveryID: deliveryID,
                           note: "订单 \(orderNo) 的预收款冲抵第 \(deliveryID) 批发货"), ctx)
            left = try Stored.subtract(left, use)
        }
        let free = try ctx.db.scalar("""
            SELECT COALESCE(SUM(\(raw: advanceEffect)), 0) FROM order_ledger WHERE customer_id = \(customer) AND order_id IS NULL
            """) ?? 0
        if left > 0 && free > 0 {
            let use = min(left, free)
            try book(Entry(customerID: customer, kind: .prepaymentApplied, amountFen: use, date: date, orderID: nil, deliveryID: deliveryID,
                           note: "客户预收余额冲抵订单 \(orderNo) 第 \(deliveryID) 批发货"), ctx)
        }
    }
}
