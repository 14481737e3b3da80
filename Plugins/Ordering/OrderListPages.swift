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

    /// A department queue (002 §4), a `ListPage`: the orders in `states` this user may see, with
    /// the department's columns after 订单号码 / 客户名称 / 状态, sorting, paging and CSV; above it
    /// the change notices the department confirms (003 §3.12; for 生产部 also the orders with
    /// lines lacking stock, 001 篇二 §6.1). `dept` is the department's directory code; the heading
    /// is its name as the directory has it (departments are records, RULES §6).
    static func queuePage(title: String, path: String, intro: String, csvName: String, states: [OrderState], dept: String,
                          columns: [ListPage.Column]) -> ListPage {
        ListPage(
            title: title, path: path,
            select: """
                o.*, (SELECT COALESCE(SUM(l.amount_fen), 0) FROM order_ledger l WHERE l.order_id = o.id AND l.kind = 'prepayment') \
                AS prepaid_confirmed
                """,
            from: "order_orders o",
            scope: { ctx in "o.state IN (\(list: states.map(\.rawValue))) AND (" + (try OrderUtil.visibleFilter(ctx)) + ")" },
            columns: [
                .link("no", "订单号码", sql: "o.order_no", to: "/order/orders/"),
                .text("customer", "客户名称", sql: "o.customer_name"),
                .choice("state", "状态", sql: "o.state", titles: Dictionary(OrderState.allCases.map { ($0.rawValue, $0.title) }) { a, _ in a }),
            ] + columns,
            defaultSort: "no", tiebreaker: "o.id", empty: "队列为空。", csvName: csvName, intro: intro,
            notes: { _, ctx in
                ListNotes(title: "变更通知与提示", items: try OrderChangePages.notices(dept, ctx) {
                    .init(action: "/order/changes/\($0)/ack", label: "确认收到", fields: [.init("dept", dept)])
                })
            },
            heading: { ctx in try ctx.optionalService(OrgDirectory.self)?.department(code: dept, ctx).map { "\($0.name)队列" } ?? title })
    }

    /// An amount in 分 shown in 元.
    static func yuan(_ key: String, _ title: String, sql: String, sortable: Bool = true, column: String) -> ListPage.Column {
        .init(key, title, sql: sql, sortable: sortable) { r, _ in ListCell(OrderUtil.yuan(r.int(column))) }
    }

    static let salesQueuePage = queuePage(
        title: "营销部队列", path: "/order/queues/sales",
        intro: "待下达的订单（签发销售计划下达表）、待审批、待合同或结算的订单，以及交货中的订单（002 §4）。",
        csvName: "营销部队列.csv", states: OrderState.open, dept: "sales", columns: [
            .text("received", "接单日期", sql: "o.received_on"),
            yuan("total", "金额（元）", sql: "o.total_fen", column: "total_fen"),
            .text("delivery", "预定交货日期", sql: "o.planned_delivery"),
            .init("flags", "提示", sql: "o.written_pending", sortable: false) { r, ctx in ListCell(flags(r, ctx)) },
        ])

    static let financeQueuePage = queuePage(
        title: "财务部队列", path: "/order/queues/finance",
        intro: "每张订单的信用与结算核查结果（002 §3.4、003 §4.1.2）；收款登记见「应收账款」。",
        csvName: "财务部队列.csv", states: OrderState.open, dept: "finance", columns: [
            yuan("total", "金额（元）", sql: "o.total_fen", column: "total_fen"),
            yuan("delivered", "已发货（元）", sql: "o.delivered_fen", column: "delivered_fen"),
            yuan("prepaid", "申报预付（元）", sql: "o.prepaid_fen", column: "prepaid_fen"),
            yuan("confirmed", "已确认预收（元）", sql: "prepaid_confirmed", sortable: false, column: "prepaid_confirmed"),
            .text("settlement", "结算核查", sql: "o.settlement_result"),
            .text("credit", "警戒线核查", sql: "o.credit_result"),
            .init("over", "超出（元）", sql: "o.over_fen") { r, _ in ListCell((r.int("over_fen") ?? 0) > 0 ? OrderUtil.yuan(r.int("over_fen")) : "") },
        ])

    static let productionQueuePage = queuePage(
        title: "生产部队列", path: "/order/queues/production",
        intro: "已下达的订单：销售计划下达表是组织生产的唯一指令（003 §4.3.3）。请排产。",
        csvName: "生产部队列.csv", states: [.released, .scheduled, .delivering], dept: "production", columns: [
            .code("plan", "下达表编号", sql: "o.plan_no"),
            .number("qty", "数量", sql: "o.total_qty"),
            .text("delivery", "预定交货日期", sql: "o.planned_delivery"),
            .text("start", "计划开工", sql: "o.sched_start"),
            .text("end", "计划完工", sql: "o.sched_end"),
        ])

    static let salesQueue: Handler = { req, ctx in try salesQueuePage.respond(req, ctx) }
    static let financeQueue: Handler = { req, ctx in try financeQueuePage.respond(req, ctx) }
    static let productionQueue: Handler = { req, ctx in try productionQueuePage.respond(req, ctx) }
}
