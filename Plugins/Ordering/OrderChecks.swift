import CustomerDevelopmentAPI
import Foundation
import SalesKit

/// The checks of an order, in order (002 §3.3 contract, 002 §3.4 settlement, 001 篇一 1.6 / 第十三条
/// price, 003 §4.1.2 credit warning line), and the state they lead to. Run inside the transaction that writes
/// the order, so two orders for one customer cannot both pass a line only one of them fits.
struct OrderCheckResult {
    var contractID: Int64?
    var contractOK = false
    var contractText = ""
    var settlementOK = false
    var settlementText = ""
    var creditOK = false
    var creditText = ""
    var priceOK = true
    var priceText = ""
    /// Per line: the reference price (contract or list) and whether the line is below the floor.
    var priceLines: [PriceControl.Checked] = []
    var lineFen: Int64?
    var exposureFen: Int64 = 0
    var overFen: Int64 = 0

    /// The results in the order of the checks, for the audit trail.
    var summary: String { [contractText, settlementText, priceText, creditText].filter { !$0.isEmpty }.joined(separator: "；") }

    /// No warning line: class E (or not rated) — no supply (003 §4.1.2, RULES §6).
    var noSupply: Bool { lineFen == nil }

    /// The first failing check decides; a sporadic order always waits for the GM (003 §4.1.3).
    /// A customer without a warning line (class E) is refused outright, never sent to the GM as
    /// "超出 ¥0.00" (RULES §6 "E means no supply").
    func state(sporadic: Bool) -> OrderState {
        if noSupply { return .rejected }
        if !contractOK { return .contractPending }
        if !settlementOK { return .settlementPending }
        if !priceOK { return .pricePending }
        if !creditOK { return .creditBlocked }
        return sporadic ? .sporadicPending : .accepted
    }
}

enum OrderChecks {
    /// Receivables per customer (RULES §6: every movement an entry of its kind, `Ledger`):
    /// the receivable and the advances held; overdue is what remains unpaid of shipments due
    /// before today, every credit to the receivable applied to the oldest shipments first.
    struct Balance {
        /// Shipped value (all shipments).
        var shippedFen: Int64
        /// Cash collected: payments and prepayments (a return credit or a write-off is not one).
        var collectedFen: Int64
        /// What else lowered the receivable: return credits, write-offs, negative adjustments,
        /// advances settled against shipments (the cash was counted when prepaid).
        var otherCreditsFen: Int64
        /// The receivable (应收余额).
        var outstandingFen: Int64
        /// Advances held (预收余额): prepaid, not yet settled against a shipment.
        var advanceFen: Int64
        var overdueFen: Int64
    }

    static func balance(customer id: Int64, today: LocalDate, _ ctx: Context) throws -> Balance {
        let r = try ctx.db.first("""
            SELECT COALESCE(SUM(CASE WHEN kind = 'shipment' THEN amount_fen ELSE 0 END), 0) AS shipped,
                   COALESCE(SUM(CASE WHEN kind IN ('payment', 'prepayment') THEN amount_fen ELSE 0 END), 0) AS collected,
                   COALESCE(SUM(CASE WHEN kind = 'payment' THEN amount_fen ELSE 0 END), 0) AS paid,
                   COALESCE(SUM(\(raw: Ledger.receivableEffect)), 0) AS receivable,
                   COALESCE(SUM(\(raw: Ledger.advanceEffect)), 0) AS advance,
                   COALESCE(SUM(\(raw: Ledger.receivableReduction)), 0) AS reduced,
                   COALESCE(SUM(CASE WHEN kind = 'shipment' AND due_on < \(today.description) THEN amount_fen ELSE 0 END), 0) AS due
            FROM order_ledger WHERE customer_id = \(id)
            """)
        let reduced = r?.int("reduced") ?? 0
        return Balance(shippedFen: r?.int("shipped") ?? 0, collectedFen: r?.int("collected") ?? 0,
                       otherCreditsFen: max(0, try Stored.subtract(reduced, r?.int("paid") ?? 0)),
                       outstandingFen: r?.int("receivable") ?? 0, advanceFen: r?.int("advance") ?? 0,
                       overdueFen: max(0, try Stored.subtract(r?.int("due") ?? 0, reduced)))
    }

    /// Value of committed orders not yet shipped (they will become receivables), except `excluding`.
    static func openOrdersFen(customer id: Int64, excluding: Int64?, _ ctx: Context) throws -> Int64 {
        let states = OrderState.committed.map(\.rawValue)
        return try ctx.db.scalar("""
            SELECT COALESCE(SUM(total_fen - delivered_fen), 0) FROM order_orders
            WHERE customer_id = \(id) AND state IN (\(list: states)) AND id <> \(excluding ?? 0)
            """) ?? 0
    }

    static func run(customer: CustomerInfo, orderFen: Int64, receivedOn: LocalDate, sporadic: Bool, prepaidFen: Int64,
                    lines: [PriceControl.Line], priceApproval: String?, excluding: Int64?, _ ctx: Context) throws -> OrderCheckResult {
        var r = OrderCheckResult()
        // 1. Contract (002 §3.3): an approved contract valid on the order date.
        if sporadic {
            r.contractOK = true
            r.contractText = "零星客户，未签合同：按价格表售价、货款全额预付、总经理批准（003 §4.1.3）"
        } else {
            let contracts = try ctx.db.query("SELECT * FROM order_contracts WHERE customer_id = \(customer.id) ORDER BY id DESC")
            let day = receivedOn.description
            let valid = contracts.first { c in
                c.bool("approved") && (c.string("valid_from").map { $0 <= day } ?? true) && (c.string("valid_to").map { $0 >= day } ?? true)
            }
            if let c = valid {
                r.contractOK = true
                r.contractID = c.int("id")
                r.contractText = "合同 \(c.string("contract_no") ?? "")（已批准" + (c.string("valid_to").map { "，有效期至 \($0)" } ?? "") + "）"
            } else if let c = contracts.first(where: { !$0.bool("approved") }) {
                r.contractText = "合同 \(c.string("contract_no") ?? "")：\(ContractFlow.state(c).title)，尚未批准，订单待合同批准后执行（002 §3.3、003 §3.2–§3.7）"
            } else if !contracts.isEmpty {
                r.contractText = "已有合同不在有效期内（接单日期 \(day)），须重新签订并批准合同（002 §3.3）"
            } else {
                r.contractText = "没有与该客户的销售合同，须先签订并批准合同（002 §3.3）"
            }
        }
        // 2. Settlement (002 §3.4): no overdue unsettled receivables.
        let bal = try balance(customer: customer.id, today: ctx.today, ctx)
        if bal.overdueFen > 0 {
            r.settlementText = "有逾期未结货款 ¥\(Money.format(bal.overdueFen))，须先结清（002 §3.4）"
        } else {
            r.settlementOK = true
            r.settlementText = "无逾期未结货款（应收余额 ¥\(Money.format(bal.outstandingFen))）"
        }
        // 3. Price (001 篇一 1.6, 第十三条): no line below the contract (or list) price beyond the
        // policy's float without the sales manager's approval. A sporadic order pays list prices exactly.
        if sporadic {
            r.priceText = "零星客户按价格表售价（003 §4.1.3）"
        } else {
            let p = try PriceControl.check(lines, contractID: r.contractID, ctx)
            r.priceLines = p.lines
            r.priceText = p.text
            if p.below {
                if let priceApproval {
                    r.priceText += "；\(priceApproval)"
                } else {
                    r.priceOK = false
                    r.priceText += "，须销售经理批准（001 篇一 1.6）"
                }
            }
        }
        // 4. Credit warning line (003 §4.1.2): outstanding + open orders + this order ≤ the class line.
        let cls = customer.ratingClass ?? ""
        let line = cls.isEmpty ? nil : try OrderUtil.directory(ctx).classPolicy(cls, ctx)?.warningLineFen
        r.lineFen = line
        let open = try openOrdersFen(customer: customer.id, excluding: excluding, ctx)
        // Prepaid: what a sporadic order declares at registration, or (on a re-check) what finance
        // has booked for this order and not yet settled against a shipment, whichever is larger.
        let earmarked = try excluding.map { try Ledger.orderAdvance($0, ctx) } ?? 0
        let prepaid = max(0, min(orderFen, max(sporadic ? prepaidFen : 0, earmarked)))
        let exposure = try Stored.subtract(try Stored.total([bal.outstandingFen, open, orderFen]), prepaid)
        r.exposureFen = exposure
        if let line {
            r.overFen = max(0, try Stored.subtract(exposure, line))
            r.creditOK = r.overFen == 0
            r.creditText = "应收余额 ¥\(Money.format(bal.outstandingFen)) + 未发货订单 ¥\(Money.format(open)) + 本单 ¥\(Money.format(orderFen))"
                + (prepaid > 0 ? " − 预付 ¥\(Money.format(prepaid))" : "")
                + " = ¥\(Money.format(exposure))；\(cls) 类警戒线 ¥\(Money.format(line))"
                + (r.creditOK ? "，未超出" : "，超出 ¥\(Money.format(r.overFen))，须总经理批准（003 §4.2）")
        } else {
            r.creditText = "客户类别 \(cls.isEmpty ? "未评定" : cls)：无销售警戒线，不予供货，订单拒绝（003 §4.1.2）"
        }
        return r
    }
}
