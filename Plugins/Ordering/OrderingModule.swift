import CustomerDevelopmentAPI
import Foundation
import OrderingAPI
import SalesKit

/// 订货 — ordering (RULES.md §2): customer orders with lines, the contract / settlement /
/// credit-warning-line checks, GM and director approvals, release with the 销售计划下达表,
/// department queues, deliveries, receivables; branch orders with reorder points.
/// Reads customers only through `CustomerDirectory` (module `crm`).
public struct OrderingModule: DepartmentModule {
    public init() {}

    public let manifest = ModuleManifest(id: "order", title: "订货", version: "0.1.0", dependencies: ["crm"], folder: "Ordering")

    public var permissions: [Permission] { OrderPages.permissions + BranchPages.permissions }
    public var menu: [MenuItem] { OrderPages.menu + BranchPages.menu }
    public var migrations: [Migration] { OrderMigrations.all }
    public var forms: [String: FormSchema] { FormSchema.combine(OrderPages.forms, BranchPages.forms) }
    public var pages: [any PageModel.Type] { OrderPages.pages + BranchPages.pages }

    public func routes(_ r: inout RouteBuilder) {
        OrderPages.routes(&r)
        BranchPages.routes(&r)
    }

    public func inbox(for user: User, _ ctx: Context) throws -> [InboxItem] {
        try OrderPages.inbox(for: user, ctx) + BranchPages.inbox(for: user, ctx)
    }

    public func services(_ s: inout ServiceRegistry) {
        s.provide(ReceivablesService.self, OrderReceivablesService())
        s.provide(ProductCatalog.self, OrderProductCatalog())
    }
}
