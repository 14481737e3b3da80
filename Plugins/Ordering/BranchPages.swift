import Foundation
import SalesKit

/// Branch orders (RULES §2.2, 002 订货管理规定 §5–§8). Migration version 2 (after OrderPages' version 1).
///
/// - Branches (admin data: name, manager, capital occupancy limit) and stock per product, with the
///   transit days from the company to the branch.
/// - Sales are recorded as **monthly totals per product** (`order_branch_sales`): the average daily
///   sales of a month is its total over its number of days, which is all the formula needs.
/// - The reorder point of the current month is computed from those records when shown (no
///   scheduler): ceil(max(last month's, same month last year's average daily sales) × transit days).
///   Stock ≤ reorder point → the branch manager is prompted (branch page + inbox).
/// - Weekly demand-intent lists, due each Friday 17:30 (company time), and the report comparing
///   them with the branch orders actually placed in the week, per branch manager.
/// - Branch orders: capital occupancy = the value of released orders not yet paid back
///   (回款). Occupancy + order ≤ limit → released at once; beyond → waits for the 营销总监.
enum BranchPages {
    /// Branch staff: stock, sales, intent lists, orders.
    static let use = Permission("order", "branch", title: "分支机构订货",
                                defaultRoles: [.salesSupervisor, .salesManager, .marketingDirector, .generalManager])
    /// 营销总监: approve or reject orders beyond the capital occupancy limit (002 §8).
    static let approve = Permission("order", "branch_approve", title: "审批超资金占用限额的分支订货", defaultRoles: [.marketingDirector])
    /// Branch master data: name, manager, capital occupancy limit (set by the company, 002 §8).
    static let admin = Permission("order", "branch_admin", title: "分支机构设置（经理、资金占用限额）",
                                  defaultRoles: [.admin, .marketingDirector])
    /// Finance confirms that a branch has paid for an order, which frees its capital occupancy.
    static let settle = Permission("order", "branch_settle", title: "分支机构回款确认", defaultRoles: [.finance])

    static let permissions: [Permission] = [use, approve, admin, settle]

    static let menu: [MenuItem] = [
        MenuItem("分支机构", path: "branches", access: .permission(use)),
        MenuItem("分支机构订单", path: "branch-orders", access: .permission(use)),
        MenuItem("要货意向对比", path: "branch-intents", access: .permission(use)),
        MenuItem("分支机构回款", path: "branch-settlements", access: .permission(settle)),
    ]


    static let forms: [String: FormSchema] = [
        "branch": BranchAdminPages.branchForm,
        "branch_stock": BranchAdminPages.stockForm,
        "branch_sales": BranchAdminPages.salesForm,
        "branch_intent": BranchIntentPages.form,
        "branch_order": BranchOrderPages.form,
    ]

    /// Every page model of the branch pages (the branch, order and settlement lists are `ListPage`s).
    static let pages: [any PageModel.Type] = [
        BranchAdminPages.BranchFormPage.self, BranchAdminPages.BranchDetailPage.self,
        BranchAdminPages.StockFormPage.self, BranchAdminPages.SalesFormPage.self,
        BranchOrderPages.BranchOrderFormPage.self, BranchOrderPages.BranchOrderPage.self,
        BranchIntentPages.IntentFormPage.self, BranchIntentPages.IntentReportPage.self,
    ]

    static func routes(_ r: inout RouteBuilder) {
        r.get("branches", .permission(use), BranchAdminPages.list)
        r.form("branches/new", .permission(admin), BranchAdminPages.create)
        r.get("branches/:id", .permission(use), BranchAdminPages.detail)
        r.form("branches/:id/edit", .permission(admin), BranchAdminPages.edit)
        r.form("branches/:id/stock", .permission(use), BranchAdminPages.stock)
        r.form("branches/:id/sales", .permission(use), BranchAdminPages.sales)
        r.form("branches/:id/intent", .permission(use), BranchIntentPages.submit)
        r.get("branch-intents", .permission(use), BranchIntentPages.report)
        r.form("branches/:id/orders/new", .permission(use), BranchOrderPages.create)
        r.get("branch-orders", .permission(use), BranchOrderPages.list)
        // Branch staff, and finance for 确认回款 (on the order's page).
        r.get("branch-orders/:id", .anyOf([use, settle]), BranchOrderPages.detail)
        r.post("branch-orders/:id/act", .permission(use), BranchOrderPages.act)
        // Finance confirms payments (回款) from its own list (each order's page has the button),
        // without the branch staff permission.
        r.get("branch-settlements", .permission(settle), BranchOrderPages.settlements)
        r.post("branch-orders/:id/settle", .permission(settle), BranchOrderPages.settleOrder)
    }

    static func inbox(for user: User, _ ctx: Context) throws -> [InboxItem] {
        try BranchInbox.items(for: user, ctx)
    }
}
