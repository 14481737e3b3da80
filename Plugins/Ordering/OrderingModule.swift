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

    public var permissions: [Permission] {
        OrderPages.permissions + BranchPages.permissions
            + OrderControls.permissions  // order-a: contract review, contract changes (#14–#17)
    }
    public var menu: [MenuItem] {
        OrderPages.menu + BranchPages.menu
            + OrderControls.menu  // order-a
    }
    public var migrations: [Migration] { OrderMigrations.all }
    public var forms: [String: FormSchema] {
        FormSchema.combine(OrderPages.forms, BranchPages.forms,
                           OrderControls.forms)  // order-a
    }
    public var pages: [any PageModel.Type] {
        OrderPages.pages + BranchPages.pages
            + OrderControls.pages  // order-a
    }

    public func routes(_ r: inout RouteBuilder) {
        OrderPages.routes(&r)
        BranchPages.routes(&r)
        OrderControls.routes(&r)  // order-a
    }

    public func inbox(for user: User, _ ctx: Context) throws -> [InboxItem] {
        try OrderPages.inbox(for: user, ctx) + BranchPages.inbox(for: user, ctx)
            + OrderControls.inbox(for: user, ctx)  // order-a
    }

    // MARK: order-a — overdue items and the audit vocabulary (issues #16, #17)

    public func overdue(_ ctx: Context) throws -> [OverdueItem] { try OrderControls.overdue(ctx) }
    public var auditVocabulary: AuditVocabulary { OrderVocabulary.vocabulary }

    public func services(_ s: inout ServiceRegistry) {
        s.provide(ReceivablesService.self, OrderReceivablesService())
        s.provide(ProductCatalog.self, OrderProductCatalog())
    }
}
