import SalesKit

/// What other modules may know about a customer (RULES §1.1, 002 §7: "the customer's basic
/// data becomes visible to the other departments"). Offered by the 客户开发 module (`crm`)
/// to modules that declare `dependencies: ["crm"]`.
public struct CustomerInfo: Sendable, Equatable {
    public var id: Int64
    /// 客户代码, assigned on approval (nil for a prospect).
    public var code: String?
    public var name: String
    /// `prospect`, `customer` or `closed`.
    public var status: String
    public var ownerID: Int64
    public var ownerName: String
    /// The class in force A–E: the last *approved* rating (RULES §6, 003 §2.4 — a new rating is a
    /// proposal until the 销售主管, and for a higher warning line the 销售经理, approve it). Orders
    /// are checked against this class. nil if no rating was ever approved.
    public var ratingClass: String?
    /// 市内 (same city) – decides the 24 h / 48 h complaint deadline (003 §7.8).
    public var inCity: Bool
    public var city: String
    public var address: String
    public var phone: String

    public init(id: Int64, code: String?, name: String, status: String, ownerID: Int64, ownerName: String,
                ratingClass: String?, inCity: Bool, city: String, address: String, phone: String) {
        self.id = id
        self.code = code
        self.name = name
        self.status = status
        self.ownerID = ownerID
        self.ownerName = ownerName
        self.ratingClass = ratingClass
        self.inCity = inCity
        self.city = city
        self.address = address
        self.phone = phone
    }
}

/// One row of the class policy table (admin-editable, pre-filled from the seeds): the one place
/// other modules read the credit warning line and volumes from.
public struct ClassPolicy: Sendable, Equatable {
    public var ratingClass: String
    public var title: String
    /// 销售警戒线 in 分 (003 §4.1.2); nil means no supply (class E).
    public var warningLineFen: Int64?
    /// Typical monthly volume in sets (003 §4.1.2).
    public var monthlyVolume: Int64
    /// Planned visits per month by visitor role (002 访问频次计划表):
    /// 经办人, 部门主管, 部门经理, 总经理或副总经理.
    public var visitsHandler: Int64
    public var visitsDepartmentHead: Int64
    public var visitsDepartmentManager: Int64
    public var visitsGeneralManager: Int64

    public init(ratingClass: String, title: String, warningLineFen: Int64?, monthlyVolume: Int64,
                visitsHandler: Int64, visitsDepartmentHead: Int64, visitsDepartmentManager: Int64, visitsGeneralManager: Int64) {
        self.ratingClass = ratingClass
        self.title = title
        self.warningLineFen = warningLineFen
        self.monthlyVolume = monthlyVolume
        self.visitsHandler = visitsHandler
        self.visitsDepartmentHead = visitsDepartmentHead
        self.visitsDepartmentManager = visitsDepartmentManager
        self.visitsGeneralManager = visitsGeneralManager
    }
}

/// The customer master's read service.
public protocol CustomerDirectory: Sendable {
    /// A customer by id, or nil.
    func customer(id: Int64, _ ctx: Context) throws -> CustomerInfo?
    /// A customer by 客户代码, or nil.
    func customer(code: String, _ ctx: Context) throws -> CustomerInfo?
    /// Whether the current user may see this customer's data (004 第四章(1): a rep sees own
    /// customers; supervisors and above see all). Dependants must apply the same rule.
    func maySee(customerID: Int64, _ ctx: Context) throws -> Bool
    /// Customers (not prospects) the current user may see, by name or code, for pickers.
    func search(_ text: String, limit: Int, _ ctx: Context) throws -> [CustomerInfo]
    /// Every customer (not prospects) by name or code, whoever asks: for a dependant whose own
    /// permission already lets this user act on all of them (订货's 查看全部订单 for finance).
    func searchAll(_ text: String, limit: Int, _ ctx: Context) throws -> [CustomerInfo]
    /// The policy row of a rating class A–E.
    func classPolicy(_ ratingClass: String, _ ctx: Context) throws -> ClassPolicy?
}
