import Foundation

/// One customer's sales as the company books them, in 分.
public struct CustomerSales: Sendable, Equatable {
    /// Shipped value from 1 January to the day asked (inclusive).
    public var sales: Int64
    /// Shipped value over the same days of the year before.
    public var lastYear: Int64
    /// Gross profit on `sales`: shipped value less the products' standard cost.
    public var profit: Int64
    /// Whether every shipped line of this year had a standard cost (otherwise `profit` is not a margin).
    public var costKnown: Bool

    public init(sales: Int64, lastYear: Int64, profit: Int64, costKnown: Bool) {
        self.sales = sales
        self.lastYear = lastYear
        self.profit = profit
        self.costKnown = costKnown
    }
}

/// Per-customer sales for a year to date — a platform contract: the module that books sales
/// (订货) offers it to every module (`ServiceRegistry.provideToEveryModule`), so 客户开发's
/// 重点客户管理表 can rank customers by sales, growth and margin although 订货 depends on it.
public protocol CustomerSalesFigures: Sendable {
    /// Every customer with shipments this year to `asOf` or in the same period last year.
    func figures(asOf: LocalDate, _ ctx: Context) throws -> [Int64: CustomerSales]
}
