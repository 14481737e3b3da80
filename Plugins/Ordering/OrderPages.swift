import Foundation
import SalesKit

/// Customer orders (RULES §2.1, §2.3). Migration version 1.
enum OrderPages {
    // MARK: Permissions (RULES §5)

    /// Register orders: a rep for own customers, supervisors and managers for all they may see.
    static let register = Permission("order", "register", title: "登记客户订单",
                                     defaultRoles: [.salesRep, .salesSupervisor, .salesManager])
    /// See orders (every order role); which orders is decided per customer or by `viewAll`.
    static let view = Permission("order", "view", title: "查看订单",
                                 defaultRoles: [.salesRep, .salesSupervisor, .salesManager, .marketingDirector, .generalManager,
                                                .finance, .production])
    /// See every order, not only those of customers one may see.
    static let viewAll = Permission("order", "view_all", title: "查看全部订单",
                                    defaultRoles: [.salesSupervisor, .salesManager, .marketingDirector, .generalManager,
                                                   .finance, .production])
    /// GM: approve over-line orders, sporadic-customer orders, contracts and contract changes (003 §4.2, §4.1.3, §3.7, §3.9).
    static let approve = Permission("order", "approve", title: "总经理审批（超警戒线、零星客户、合同、坏账核销）",
                                    defaultRoles: [.generalManager])
    /// Sales head: sign the 销售计划下达表 (003 §4.3.4) and give oral pre-notices.
    static let release = Permission("order", "release", title: "签发销售计划下达表（销售负责人）",
                                    defaultRoles: [.salesManager, .salesSupervisor])
    /// 财务部: finance queue, receivables, recording payments, prepayments, adjustments and
    /// proposing bad-debt write-offs (002 §4, RULES §6).
    static let finance = Permission("order", "finance", title: "财务部：订单队列与收款登记", defaultRoles: [.finance])
    /// 生产部: production queue and schedule (002 §4).
    static let production = Permission("order", "production", title: "生产部：订单队列与排产", defaultRoles: [.production])
    static let permissions: [Permission] = [register, view, viewAll, approve, release, finance, production, ProductPages.products,
                                            PriceControl.approve, PriceControl.policy, OrderPaths.technical]

    static let menu: [MenuItem] = [
        MenuItem("订单列表", path: "orders", access: .permission(view)),
        MenuItem("登记订单", path: "orders/new", access: .permission(register)),
        MenuItem("营销部队列", path: "queues/sales", access: .permission(release)),
        MenuItem("财务部队列", path: "queues/finance", access: .permission(finance)),
        MenuItem("生产部队列", path: "queues/production", access: .permission(production)),
        MenuItem("销售合同", path: "contracts", access: .permission(view)),
        MenuItem("应收账款", path: "receivables", access: .permission(view)),
        MenuItem("坏账核销", path: "writeoffs", access: .permission(view)),
        MenuItem("产品目录（价格表）", path: "products", access: .permission(view)),
        MenuItem("维护产品目录", path: "products/new", access: .permission(ProductPages.products)),
        MenuItem("订货政策", path: "policy", access: .permission(PriceControl.policy)),
        MenuItem("年度订货统计表", path: "stats", access: .permission(view)),
        MenuItem("合同变更", path: "changes", access: .permission(view)),
        MenuItem("技术部试制", path: "queues/technical", access: .permission(OrderPaths.technical)),
    ]


    static let forms: [String: FormSchema] = [
        "order": OrderForms.order, "delivery": OrderForms.delivery, "contract": OrderForms.contract,
        "payment": OrderForms.payment, "adjustment": OrderForms.adjustment, "writeoff": OrderForms.writeoff, "schedule": OrderForms.schedule, "product": ProductPages.form, "order_policy": PriceControl.policyForm,
        "order_change": OrderChangeFlow.form, "order_paths": OrderPaths.form, "order_trial": OrderChangeFlow.trialForm,
    ]

    /// Every page model of the customer-order pages (the lists are `ListPage`s: the host's page).
    static let pages: [any PageModel.Type] = [
        OrderIntake.OrderFormPage.self,
        OrderDetailPages.OrderDetailPage.self, OrderDetailPages.OrderPrintPage.self, OrderDetailPages.OrderPlanPage.self,
        OrderDeliveryPages.SchedulePage.self, OrderDeliveryPages.DeliveryPage.self,
        OrderContractPages.ContractNewPage.self,
        OrderLedgerPages.ReceivablesPage.self, OrderLedgerPages.LedgerPage.self, OrderLedgerPages.EntryFormPage.self,
        OrderWriteoffs.WriteoffPage.self,
        OrderStatsPages.StatsPage.self,
        OrderChangePages.ChangeFormPage.self, OrderChangePages.ChangeDetailPage.self,
        OrderPaths.PathsPage.self, OrderPaths.TrialPage.self,
    ]

    static func routes(_ r: inout RouteBuilder) {
        r.get("orders", .permission(view), OrderListPages.list)
        r.form("orders/new", .permission(register), OrderIntake.create)
        r.get("orders/:id", .permission(view), OrderDetailPages.detail)
        r.get("orders/:id/print", .permission(view), OrderDetailPages.printOrder)
        r.get("orders/:id/plan", .permission(view), OrderDetailPages.printPlan)
        r.post("orders/:id/act", .permission(view), OrderDetailPages.act)
        r.form("orders/:id/schedule", .permission(production), OrderDeliveryPages.schedule)
        r.form("orders/:id/deliveries/new", .permission(register), OrderDeliveryPages.create)
        r.post("orders/:id/deliveries/:did/accept", .permission(register), OrderDeliveryPages.accept)
        r.get("queues/sales", .permission(release), OrderListPages.salesQueue)
        r.get("queues/finance", .permission(finance), OrderListPages.financeQueue)
        r.get("queues/production", .permission(production), OrderListPages.productionQueue)
        r.get("contracts", .permission(view), OrderContractPages.list)
        r.form("contracts/new", .permission(register), OrderContractPages.create)
        r.get("receivables", .permission(view), OrderLedgerPages.summary)
        r.get("receivables/:cid", .permission(view), OrderLedgerPages.customer)
        r.form("payments/new", .permission(finance), OrderLedgerPages.payment)
        r.form("adjustments/new", .permission(finance), OrderLedgerPages.adjustment)
        r.get("writeoffs", .permission(view), OrderWriteoffs.list)
        r.form("writeoffs/new", .permission(finance), OrderWriteoffs.create)
        r.get("writeoffs/:id", .permission(view), OrderWriteoffs.detail)
        r.post("writeoffs/:id/act", .permission(approve), OrderWriteoffs.act)
        r.get("prices", .permission(view), ProductPages.prices)
        // Read by every order role and by the keepers of the master (e.g. the admin): checked in the handler.
        r.get("products", .anyOf([view, ProductPages.products]), ProductPages.list)
        r.form("products/new", .permission(ProductPages.products), ProductPages.create)
        r.form("products/:id", .permission(ProductPages.products), ProductPages.update)
        r.form("policy", .permission(PriceControl.policy), PriceControl.policyPage)
        r.get("stats", .permission(view), OrderStatsPages.yearly)
        // Contract changes (003 §3.9–§3.12); the state machine decides who may review/approve (403).
        r.form("orders/:id/changes/new", .permission(register), OrderChangePages.create)
        r.get("changes", .permission(view), OrderChangePages.list)
        r.get("changes/:id", .permission(view), OrderChangePages.detail)
        r.post("changes/:id/act", .permission(view), OrderChangePages.act)
        // 003 §3.12: the department is checked in the handler (its queue's permission or membership in the directory).
        r.post("changes/:id/ack", .permission(view), OrderChangePages.ack)
        // Other paths (001 篇二 §6.1–§6.2): stock check → production, never-made variant → 技术部.
        r.form("orders/:id/paths", .permission(register), OrderPaths.paths)
        r.get("queues/technical", .permission(OrderPaths.technical), OrderPaths.technicalQueue)
        r.form("trials/:id", .permission(OrderPaths.technical), OrderPaths.trial)
    }

    static func inbox(for user: User, _ ctx: Context) throws -> [InboxItem] {
        try OrderInbox.items(for: user, ctx)
    }
}
