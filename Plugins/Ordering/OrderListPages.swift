import Foundation
import SalesKit

/// The order list (订货登记表 as a list) and the three department queues of 002 §4:
/// 营销部, 财务部, 生产部 each get a copy of every order and see what concerns them.
enum OrderListPages {
    /// 提示 of an order: written confirmation pending, oral pre-notice given (or overdue).
    static func flags(_ r: Row, _ ctx: Context) -> String {
        var f: [String] = []
        if r.bool("written_pending") { f.append("待书面确认") }
        if r.string("state") == OrderState.accepted.rawValue, let oral = r.int("oral_notice_at") {
            f.append(OrderUtil.plusDay(oral) < ctx.epoch ? "口头通知已超 24 小时未补下达表" : "已口头通知")
        }
        return f.joined(separator: "；")
    }

    /// 订货登记表 as a list: the orders of the customers this user may see.
    static let listPage = ListPage(
        title: "订单列表（订货登记表）", path: "/order/orders",
        select: "o.*", from: "order_orders o",
        scope: { ctx in try OrderUtil.visibleFilter(ctx) },
        columns: [
            .init("no", "订单号码", sql: "o.order_no") { r, _ in ListCell(r.text("order_no"), href: "/order/orders/\(r.int("id") ?? 0)") },
            .text("received", "接单日期", sql: "o.received_on"),
            .text("customer", "客户名称", sql: "o.customer_name"),
            .text("code", "客户代码", sql: "o.customer_code"),
            .init("channel", "订货方式", sql: "o.channel") { r, _ in ListCell(OrderChannel.title(r.string("channel"))) },
            .init("qty", "数量", sql: "o.total_qty") { r, _ in ListCell(String(r.int("total_qty") ?? 0)) },
            .init("total", "金额（元）", sql: "o.total_fen") { r, _ in ListCell(OrderUtil.yuan(r.int("total_fen"))) },
            .init("state", "状态", sql: "o.state") { r, _ in ListCell(OrderState(rawValue: r.text("state"))?.title ?? "") },
            .text("by", "制表人", sql: "o.created_name"),
            .init("flags", "提示", sql: "o.written_pending", sortable: false) { r, ctx in ListCell(flags(r, ctx)) },
        ],
        filters: [
            .choice("state", "状态", all: "全部状态", OrderState.allCases.map { Choice($0.rawValue, $0.title) }) { s, _ in "o.state = \(s)" },
            .search("customer", "客户代码或名称") { c, _ in "o.customer_code = \(c) OR o.customer_name LIKE \("%" + c + "%")" },
        ],
        actions: [ListPage.Action("登记订单", href: "/order/orders/new", shown: { $0.can(OrderPages.register) })],
        defaultSort: "received", defaultDescending: true, tiebreaker: "o.id", empty: "没有订单。", csvName: "订货登记表.csv")

    static let list: Handler = { req, ctx in try listPage.respond(req, ctx) }

    /// A department queue (002 §4): its columns, the change notices to confirm, CSV. `dept` is the
    /// department's directory code (`sales`, `finance`, `production`).
    struct QueuePage: PageModel {
        static let template = "order-queue"
        var heading: String
        var intro: String
        var header: [String]
        var rows: [LinkedCells]
        var csvHref: String
        var colspan: Int
        var notices: [OrderChangePages.Notice]
        var hasNotices: Bool
    }

    /// A department's copy of the orders: the columns that concern it, CSV like every list.
    static func queue(_ req: Request, _ ctx: Context, title: String, intro: String, filename: String, states: [OrderState],
                      dept: String, columns: [(String, (Row) -> String)]) throws -> Response {
        let rows = try ctx.db.query("""
            SELECT o.*, (SELECT COALESCE(SUM(l.amount_fen), 0) FROM order_ledger l WHERE l.order_id = o.id AND l.kind = 'prepayment') AS prepaid_confirmed
            FROM order_orders o WHERE o.state IN (\(list: states.map(\.rawValue))) AND \(try OrderUtil.visibleFilter(ctx))
            ORDER BY o.received_on, o.id LIMIT 2000
            """)
        let header = ["订单号码", "客户名称", "状态"] + columns.map(\.0)
        func cells(_ r: Row) -> [String] {
            [r.string("order_no") ?? "", r.string("customer_name") ?? "", OrderState(rawValue: r.string("state") ?? "")?.title ?? ""]
                + columns.map { $0.1(r) }
        }
        if req.query["format"] == "csv" { return .csv(filename: filename, CSVTable(header: header, rows: rows.map(cells))) }
        let notices = try OrderChangePages.notices(dept, ctx)
        // The department's name as the directory has it (departments are records, RULES §6).
        let heading = try ctx.optionalService(OrgDirectory.self)?.department(code: dept, ctx).map { "\($0.name)队列" } ?? title
        return ctx.render(QueuePage(heading: heading, intro: intro, header: header,
                                    rows: rows.map { LinkedCells(id: $0.int("id") ?? 0, cells: cells($0)) },
                                    csvHref: req.path + "?format=csv", colspan: header.count + 1,
                                    // 003 §3.12 change notices (and, for 生产部, no-stock orders, 001 篇二 §6.1).
                                    notices: notices, hasNotices: !notices.isEmpty), title: heading)
    }

    static let salesQueue: Handler = { req, ctx in
        try queue(req, ctx, title: "营销部队列", intro: "待下达的订单（签发销售计划下达表）、待审批、待合同或结算的订单，以及交货中的订单（002 §4）。",
                  filename: "营销部队列.csv", states: OrderState.open, dept: "sales", columns: [
                    ("接单日期", { $0.string("received_on") ?? "" }),
                    ("金额（元）", { OrderUtil.yuan($0.int("total_fen")) }),
                    ("预定交货日期", { $0.string("planned_delivery") ?? "" }),
                    ("提示", { flags($0, ctx) }),
                  ])
    }

    static let financeQueue: Handler = { req, ctx in
        try queue(req, ctx, title: "财务部队列", intro: "每张订单的信用与结算核查结果（002 §3.4、003 §4.1.2）；收款登记见「应收账款」。",
                  filename: "财务部队列.csv", states: OrderState.open, dept: "finance", columns: [
                    ("金额（元）", { OrderUtil.yuan($0.int("total_fen")) }),
                    ("已发货（元）", { OrderUtil.yuan($0.int("delivered_fen")) }),
                    ("申报预付（元）", { OrderUtil.yuan($0.int("prepaid_fen")) }),
                    ("已确认预收（元）", { OrderUtil.yuan($0.int("prepaid_confirmed")) }),
                    ("结算核查", { $0.string("settlement_result") ?? "" }),
                    ("警戒线核查", { $0.string("credit_result") ?? "" }),
                    ("超出（元）", { ($0.int("over_fen") ?? 0) > 0 ? OrderUtil.yuan($0.int("over_fen")) : "" }),
                  ])
    }

    static let productionQueue: Handler = { req, ctx in
        try queue(req, ctx, title: "生产部队列", intro: "已下达的订单：销售计划下达表是组织生产的唯一指令（003 §4.3.3）。请排产。",
                  filename: "生产部队列.csv", states: [.released, .scheduled, .delivering], dept: "production", columns: [
                    ("下达表编号", { $0.string("plan_no") ?? "" }),
                    ("数量", { String($0.int("total_qty") ?? 0) }),
                    ("预定交货日期", { $0.string("planned_delivery") ?? "" }),
                    ("计划开工", { $0.string("sched_start") ?? "" }),
                    ("计划完工", { $0.string("sched_end") ?? "" }),
                  ])
    }
}
