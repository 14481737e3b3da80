import SalesKit

/// Receivables of the 订货 module (`order`), offered to modules that list `order` in their
/// `dependencies` or `optionalDependencies` — e.g. 售后服务 settling a return reduces what the
/// customer owes (RULES §3.2).
public protocol ReceivablesService: Sendable {
    /// Books a credit (e.g. a settled return) against the customer's receivables, in 分, inside
    /// the caller's transaction; returns the ledger entry id. `reference` names the source.
    func credit(customerID: Int64, amountFen: Int64, reference: String, _ ctx: Context) throws -> Int64
    /// Outstanding receivables of a customer in 分.
    func outstanding(customerID: Int64, _ ctx: Context) throws -> Int64
}
