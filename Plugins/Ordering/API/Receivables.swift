import SalesKit

/// Receivables of the 订货 module (`order`), offered to modules that list `order` in their
/// `dependencies` or `optionalDependencies` — e.g. 售后服务 settling a return reduces what the
/// customer owes (RULES §3.2, §6).
public protocol ReceivablesService: Sendable {
    /// Books a credit (e.g. a settled return) against the customer's receivables, in 分, inside
    /// the caller's transaction; returns the ledger entry id. `reference` names the source.
    ///
    /// Deprecated: the amount is whatever the caller computed (e.g. at a typed unit price). Use
    /// `creditReturn(customerID:lines:reference:_:)`, which prices each line at the order's price
    /// and refuses more than was shipped (RULES §6). Kept so that callers keep building; the entry
    /// is booked as a return credit (not a collection), and what exceeds the receivable becomes an
    /// advance of the customer (预收) rather than a negative balance.
    func credit(customerID: Int64, amountFen: Int64, reference: String, _ ctx: Context) throws -> Int64

    /// Credits a return line by line (RULES §6, 003 §6.3.3), inside the caller's transaction:
    /// each line is priced at the unit price of this customer's shipped order lines for that
    /// product and specification, **latest shipment first** (the goods coming back are taken to be
    /// the most recently delivered ones; quantities credited before consume shipments the same
    /// way), and the quantity may not exceed what was shipped to the customer minus what was
    /// already credited. One return-credit entry (not a collection) is booked; what exceeds the
    /// receivable becomes an advance of the customer (预收), never a negative balance.
    ///
    /// Throws `ReturnCreditError` (Chinese `message`; `conflict` for a 409) and books nothing
    /// when a line cannot be credited.
    func creditReturn(customerID: Int64, lines: [ReturnCreditLine], reference: String, _ ctx: Context) throws -> ReturnCredit

    /// Outstanding receivables of a customer in 分.
    func outstanding(customerID: Int64, _ ctx: Context) throws -> Int64
}

/// A returned quantity of one product and specification (as received by the warehouse).
public struct ReturnCreditLine: Sendable, Equatable {
    public var product: String
    public var spec: String
    public var quantity: Int64

    public init(product: String, spec: String, quantity: Int64) {
        self.product = product
        self.spec = spec
        self.quantity = quantity
    }
}

/// The booked return credit: its ledger entry, the amount and how each line was priced.
public struct ReturnCredit: Sendable, Equatable {
    /// One part of a line, priced at one shipped order line.
    public struct Part: Sendable, Equatable {
        public var product: String
        public var spec: String
        public var quantity: Int64
        public var unitPriceFen: Int64
        public var amountFen: Int64
        /// The order the price was taken from (`DH-2026-0001`).
        public var orderNo: String

        public init(product: String, spec: String, quantity: Int64, unitPriceFen: Int64, amountFen: Int64, orderNo: String) {
            self.product = product
            self.spec = spec
            self.quantity = quantity
            self.unitPriceFen = unitPriceFen
            self.amountFen = amountFen
            self.orderNo = orderNo
        }
    }

    public var entryID: Int64
    public var amountFen: Int64
    public var parts: [Part]

    public init(entryID: Int64, amountFen: Int64, parts: [Part]) {
        self.entryID = entryID
        self.amountFen = amountFen
        self.parts = parts
    }
}

/// Why a return cannot be credited (nothing is booked).
public enum ReturnCreditError: Error, Equatable, CustomStringConvertible {
    /// No lines, a quantity of zero or less, or no customer.
    case invalid(String)
    /// Nothing of this product and specification was ever shipped to the customer.
    case notShipped(product: String, spec: String)
    /// More than shipped minus already credited.
    case exceedsShipped(product: String, spec: String, requested: Int64, shipped: Int64, credited: Int64)

    /// The reason in Chinese, for the page.
    public var message: String {
        switch self {
        case .invalid(let m): return m
        case .notShipped(let p, let s):
            return "未向该客户发过「\(p)\(s.isEmpty ? "" : " " + s)」，不能按订单价冲减应收（RULES §6）"
        case .exceedsShipped(let p, let s, let requested, let shipped, let credited):
            let (left, overflow) = shipped.subtractingReportingOverflow(credited)
            return "「\(p)\(s.isEmpty ? "" : " " + s)」退货冲减数量 \(requested) 超过已发给该客户的数量 \(shipped) 减已冲减的 \(credited)"
                + "（最多还可冲减 \(overflow ? 0 : max(0, left))，RULES §6）"
        }
    }

    public var description: String { message }

    /// The refusal as a 409 for a handler that does not show it on a form.
    public var conflict: HTTPError { .conflict(message) }
}
