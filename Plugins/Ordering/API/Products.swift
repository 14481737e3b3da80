import SalesKit

/// One product of the 订货 module's product master (产品目录): 品名, 规格, unit, the list price
/// (价格表 single price, 003 §4.1.3) and the standard cost, in 分.
public struct ProductInfo: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var spec: String
    public var unit: String
    public var listPriceFen: Int64
    public var standardCostFen: Int64
    /// Inactive products stay for history but cannot be ordered.
    public var active: Bool

    public init(id: Int64, name: String, spec: String, unit: String, listPriceFen: Int64, standardCostFen: Int64, active: Bool) {
        self.id = id
        self.name = name
        self.spec = spec
        self.unit = unit
        self.listPriceFen = listPriceFen
        self.standardCostFen = standardCostFen
        self.active = active
    }
}

/// The product master, offered by 订货 (`order`) to modules that list it in their dependencies —
/// e.g. for picking the products of a complaint or a return line.
public protocol ProductCatalog: Sendable {
    /// A product by id, or nil.
    func product(id: Int64, _ ctx: Context) throws -> ProductInfo?
    /// A product by 品名 and 规格 (exact, as stored), or nil.
    func product(name: String, spec: String, _ ctx: Context) throws -> ProductInfo?
    /// Active products whose 品名 or 规格 contains `text` (empty: all), by 品名 and 规格, at most `limit`.
    func search(_ text: String, limit: Int, _ ctx: Context) throws -> [ProductInfo]
}
