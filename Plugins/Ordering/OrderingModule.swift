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

    /// The module's parts (their permissions, menus, forms, pages, routes, inboxes and overdue
    /// items merge): the audit vocabulary first, orders, branch orders, the controls (contract
    /// review, changes; #14–#17), collections / statements / reports (#14), the customer panel.
    public var features: [any ModuleFeature.Type] {
        [OrderVocabulary.self, OrderPages.self, BranchPages.self, OrderControls.self, OrderMoneyPages.self, OrderCustomerPanel.self]
    }
    public var migrations: [Migration] { OrderMigrations.all }

    public func services(_ s: inout ServiceRegistry) {
        s.provide(ReceivablesService.self, OrderReceivablesService())
        s.provide(ProductCatalog.self, OrderProductCatalog())
        // A platform contract: 客户开发 (which 订货 depends on) ranks its key customers by it.
        s.provideToEveryModule(CustomerSalesFigures.self, OrderCustomerSales())
    }
}

// MARK: - Collections, statements of account and sales reports (issue #14, branch order-b)

/// Everything the collections / statements / reports work adds to the module, in one block
/// (kept apart from the contract-review additions to ease the merge).
enum OrderMoneyPages: ModuleFeature {
    static var permissions: [Permission] { [CollectionPages.plan, Statements.record] }
    static var menu: [MenuItem] { CollectionPages.menu + SalesReports.menu }
    static var forms: [String: FormSchema] { FormSchema.combine(CollectionPages.forms, ["statement": Statements.form]) }
    static var pages: [any PageModel.Type] { CollectionPages.pages + Statements.pages + SalesReports.pages }
    static func routes(_ r: inout RouteBuilder) {
        CollectionPages.routes(&r)
        Statements.routes(&r)
        SalesReports.routes(&r)
    }
    static func inbox(for user: User, _ ctx: Context) throws -> [InboxItem] {
        try Statements.inbox(for: user, ctx)
    }
    /// Titles of the audit codes written by these pages (merge into the module's `auditVocabulary`).
    static var vocabulary: AuditVocabulary {
        AuditVocabulary()
            .entity("order.collection_plan", "年度回款额度", actions: ["create": "下达", "update": "修改"])
            .entity("order.new_product", "当年新品", actions: ["create": "设定"], states: ["new": "新品"])
            .entity("order.statement", "对账单", actions: ["record": "登记客户对账结果", "update": "更新客户对账结果"],
                    states: Statements.resultTitles)
    }
}

extension OrderPages: ModuleFeature {}
extension BranchPages: ModuleFeature {}
extension OrderControls: ModuleFeature {}
extension OrderVocabulary: ModuleFeature {}
extension OrderCustomerPanel: ModuleFeature {}
