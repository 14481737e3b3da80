import Foundation
import SalesKit

/// Shared reads of the branch pages: branches, stock with its reorder points, occupancy.
enum BranchData {
    /// The branch with its manager's name, or 404.
    static func branch(_ id: Int64, _ ctx: Context) throws -> Row {
        guard let b = try ctx.db.first("""
            SELECT b.*, COALESCE(u.display_name, '') AS manager FROM order_branch_branches b
            LEFT JOIN users u ON u.id = b.manager_id WHERE b.id = \(id)
            """) else { throw HTTPError.notFound }
        return b
    }

    /// Active users who may work branch orders (candidates for 分支机构经理).
    static func managers(_ ctx: Context) throws -> [Row] {
        try ctx.db.query("""
            SELECT DISTINCT u.id, u.display_name FROM users u JOIN user_roles ur ON ur.user_id = u.id
            JOIN role_permissions rp ON rp.role_id = ur.role_id
            WHERE u.active = 1 AND rp.permission = \(BranchPages.use.id) ORDER BY u.id
            """).sortedByPinyin { $0.text("display_name") }
    }

    /// Capital occupied by a branch (002 §8): released orders not yet paid back, in 分.
    static func occupancy(_ branchID: Int64, _ ctx: Context) throws -> Int64 {
        try ctx.db.scalar("SELECT COALESCE(SUM(amount), 0) FROM order_branch_orders WHERE branch_id = \(branchID) AND state = 'released'") ?? 0
    }

    /// One stocked product with this month's reorder point.
    struct StockLine {
        var id: Int64
        var product: String
        var onHand: Int64
        var transitDays: Int64
        var breakdown: BranchMath.Breakdown
        var mustOrder: Bool { BranchMath.mustOrder(onHand: onHand, reorderPoint: breakdown.point) }
    }

    /// Stock of a branch with the reorder points of the month `today` falls in (002 §5: set monthly).
    static func stock(_ branchID: Int64, _ ctx: Context) throws -> [StockLine] {
        let today = ctx.today
        let (py, pm) = BranchMath.previousMonth(year: today.year, month: today.month)
        let months = [BranchMath.monthKey(year: py, month: pm), BranchMath.monthKey(year: today.year - 1, month: today.month)]
        // Products match by their bytes, as the database's keys (and the branch list's count,
        // `BranchAdminPages.mustOrderCountSQL`) match them — not by Swift's canonical equivalence.
        var sales: [[UInt8]: [String: Int64]] = [:]
        for r in try ctx.db.query("""
            SELECT product, month, quantity FROM order_branch_sales WHERE branch_id = \(branchID) AND month IN (\(list: months))
            """) {
            sales[Array((r.string("product") ?? "").utf8), default: [:]][r.string("month") ?? ""] = r.int("quantity") ?? 0
        }
        return try ctx.db.query("SELECT id, product, on_hand, transit_days FROM order_branch_stock WHERE branch_id = \(branchID) ORDER BY product, id")
            .map { r in
                let product = r.string("product") ?? ""
                let transit = r.int("transit_days") ?? 0
                return StockLine(id: r.int("id") ?? 0, product: product, onHand: r.int("on_hand") ?? 0, transitDays: transit,
                                 breakdown: BranchMath.reorderPoint(year: today.year, month: today.month,
                                                                   sales: sales[Array(product.utf8)] ?? [:], transitDays: transit))
            }
    }

    /// The branch as the heading of its pages.
    struct Head: TemplateModel {
        var id: Int64
        var name: String
        var manager: String

        init(_ b: Row) {
            id = b.int("id") ?? 0
            name = b.text("name")
            manager = b.text("manager")
        }
    }

    /// A stocked product with this month's reorder point, as the branch page shows it.
    struct StockView: TemplateModel {
        var product: String
        var onHand: Int64
        var transitDays: Int64
        var lastMonth: String
        var lastYear: String
        var demand: String
        var point: Int64
        var mustOrder: Bool

        init(_ s: StockLine) {
            product = s.product
            onHand = s.onHand
            transitDays = s.transitDays
            lastMonth = s.breakdown.lastMonth.description
            lastYear = s.breakdown.sameMonthLastYear.description
            demand = s.breakdown.demand.description
            point = s.breakdown.point
            mustOrder = s.mustOrder
        }
    }

    /// A single-line error text for a redirect back to a page.
    static func back(_ path: String, _ message: String) -> Response {
        .redirect(to: path, flash: .error(message))     // in the session, never in the URL (#16)
    }
}

/// To-do items of branch ordering.
enum BranchInbox {
    static func items(for user: User, _ ctx: Context) throws -> [InboxItem] {
        var items: [InboxItem] = []
        if user.can(BranchPages.approve) {
            for r in try ctx.db.query("""
                SELECT o.id, o.amount, o.occupancy_before, o.capital_limit, b.name FROM order_branch_orders o
                JOIN order_branch_branches b ON b.id = o.branch_id WHERE o.state = 'pending' ORDER BY o.created_at, o.id LIMIT 50
                """) {
                let over = try Stored.subtract(try Stored.add(r.int("occupancy_before") ?? 0, r.int("amount") ?? 0), r.int("capital_limit") ?? 0)
                items.append(InboxItem(title: "超资金占用限额订单待审批：\(r.string("name") ?? "") \(OrderDocNo.branchOrder(r.int("id") ?? 0))",
                                       detail: "订单金额 \(Money.yuan(r.int("amount") ?? 0))，超出限额 \(Money.yuan(over))",
                                       url: "/order/branch-orders/\(r.int("id") ?? 0)"))
            }
        }
        guard user.can(BranchPages.use) else { return items }
        let branches = try ctx.db.query("SELECT id, name, created_at FROM order_branch_branches WHERE manager_id = \(user.id) ORDER BY name, id")
        let today = ctx.today
        for b in branches {
            let bid = b.int("id") ?? 0, name = b.string("name") ?? ""
            // 002 §5: stock at or below the reorder point → order.
            for s in try BranchData.stock(bid, ctx) where s.mustOrder {
                items.append(InboxItem(title: "请订货：\(name) · \(s.product)",
                                       detail: "库存 \(s.onHand) ≤ 本月订货点 \(s.breakdown.point)",
                                       url: "/order/branches/\(bid)", urgent: s.onHand <= 0))
            }
            // 002 §7: the intent list due this Friday, and last Friday's if it never came.
            let due = BranchMath.intentDueDate(on: today)
            for d in [BranchMath.adding(-7, to: due), due] {
                let sent = try ctx.db.scalar("SELECT COUNT(*) FROM order_branch_intents WHERE branch_id = \(bid) AND due_date = \(d.description)") ?? 0
                guard sent == 0 else { continue }
                let deadline = BranchMath.deadline(due: d, timeZone: ctx.timeZone)
                // A list that fell due before the branch existed was never owed.
                if Int64(deadline.timeIntervalSince1970) < b.int("created_at") ?? 0 { continue }
                let overdue = ctx.now > deadline
                if d < due && !overdue { continue }
                let period = BranchMath.intentPeriod(due: d)
                items.append(InboxItem(title: (overdue ? "要货意向清单已逾期：" : "要货意向清单：") + name,
                                       detail: "\(period.start)–\(period.end) 的要货意向，\(d) 下班前（\(BranchMath.closeHour):\(BranchMath.closeMinute)）报公司销售部",
                                       url: "/order/branches/\(bid)/intent?due=\(d)", due: deadline, urgent: overdue))
            }
        }
        return items
    }
}
