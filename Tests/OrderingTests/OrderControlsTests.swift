import Foundation
import Testing
import SalesKit
import SalesTesting
@testable import OrderingModule

/// 人民币大写 on the prints, overdue items, history in Chinese (issues #15–#17).
@Suite struct OrderControlsTests {
    let f: OrderFixture
    init() throws { f = try OrderFixture() }

    func releasedOrder() throws -> Int64 {
        let cid = try f.customer()
        try f.contract(cid)
        let id = try f.order(f.client("rep1"), lines: [("阀门", "10", "100.5"), ("法兰", "5", "20")])
        #expect(f.act(f.client("boss"), id, "release").status == 303)
        return id
    }

    @Test("002 第三节 三.1 订货单 总计 / 003 §4.3.3 销售计划下达表: the printed total in 人民币大写 beside the figures")
    func test_002_3_1_printShowsUppercaseTotal() throws {
        let id = try releasedOrder()
        let rep = f.client("rep1")
        // 10 × ¥100.50 + 5 × ¥20 = ¥1,105.00
        #expect(Money.uppercase(110_500) == "壹仟壹佰零伍元整")
        #expect(rep.get("/order/orders/\(id)/print").body.contains("壹仟壹佰零伍元整"))
        #expect(rep.get("/order/orders/\(id)/plan").body.contains("壹仟壹佰零伍元整"))
    }

    @Test("#16 point 10: the printed 订货单's signature block names who made it and the sales head who signed the plan, with the dates; 批准 stays for the pen when no general manager's approval was needed")
    func printedSignaturesAreFilledWhereKnown() throws {
        let id = try releasedOrder()
        let o = try #require(try f.db.first("SELECT created_name, plan_signed_name FROM order_orders WHERE id = \(id)"))
        let maker = try #require(o.string("created_name")), head = try #require(o.string("plan_signed_name"))
        #expect(!maker.isEmpty && !head.isEmpty)
        let print = f.client("rep1").get("/order/orders/\(id)/print").body
        #expect(print.contains("<th>编制</th><td class=\"signer\">\(maker)</td><th>审核</th><td class=\"signer\">\(head)</td><th>批准</th><td class=\"signer\"></td>"))
        #expect(print.contains("<tr><th>日期</th><td class=\"nowrap\">20") && print.contains("</td><th>日期</th><td class=\"nowrap\"></td></tr>"))
        // The 销售计划下达表 carries the same signatures.
        #expect(f.client("rep1").get("/order/orders/\(id)/plan").body.contains("<th>编制</th><td class=\"signer\">\(maker)</td><th>审核</th><td class=\"signer\">\(head)</td>"))
    }

    @Test("003 §4.3.5: an order past its promised delivery date is overdue, the rep who registered it responsible; 003 §4.3.6: paperwork past 24 hours too")
    func test_003_4_3_5_deliveryPastPromisedDateOverdue() throws {
        let id = try releasedOrder()
        let module = OrderingModule()
        let ctx = f.t.context(module: "order")
        #expect(try module.overdue(ctx).isEmpty)   // promised 2030-01-31
        try f.db.execute("UPDATE order_orders SET planned_delivery = '2026-01-05' WHERE id = \(id)")
        let late = try module.overdue(ctx)
        #expect(late.count == 1)
        #expect(late.first?.responsibleUserID == f.rep1 && late.first?.item.url == "/order/orders/\(id)")
        #expect(late.first?.item.title.contains("逾期未交货") == true)
        // Delivered in full and completed: no longer overdue.
        try f.db.execute("UPDATE order_orders SET state = 'delivered' WHERE id = \(id)")
        #expect(try module.overdue(ctx).isEmpty)
        // Arrived 2 days ago, paperwork not done (setup of the module's own table).
        let arrived = Int64(Date().timeIntervalSince1970) - 2 * 86_400
        try f.db.execute("""
            INSERT INTO order_deliveries (order_id, delivered_on, arrived_at, value_fen, created_by, created_at)
            VALUES (\(id), '2026-01-01', \(arrived), 100, \(f.rep1), \(arrived))
            """)
        let paperwork = try module.overdue(ctx)
        #expect(paperwork.count == 1 && paperwork.first?.item.title.contains("交、验货手续") == true)
        #expect(paperwork.first?.responsibleUserID == f.rep1)
    }

    @Test("003 §4.3.2: an oral pre-notice not followed by the written 销售计划下达表 within 24 hours is overdue, the sales head who gave it responsible")
    func test_003_4_3_2_oralNoticeOverdue() throws {
        let cid = try f.customer()
        try f.contract(cid)
        let id = try f.order(f.client("rep1"), lines: [("阀门", "10", "100")])
        #expect(f.act(f.client("boss"), id, "oral_notice").status == 303)
        let module = OrderingModule()
        #expect(try module.overdue(f.t.context(module: "order")).isEmpty)
        let later = try module.overdue(f.t.context(module: "order", now: Date().addingTimeInterval(25 * 3600)))
        #expect(later.count == 1 && later.first?.responsibleUserID == f.boss && later.first?.item.detail == "003 §4.3.2")
        // Released (the written form signed): no longer overdue.
        #expect(f.act(f.client("boss"), id, "release").status == 303)
        #expect(try module.overdue(f.t.context(module: "order", now: Date().addingTimeInterval(25 * 3600))).isEmpty)
    }

    @Test("issue #17: the order's history reads in Chinese — actors by name, actions and states by title (the module's audit vocabulary)")
    func test_history_inChinese() throws {
        let id = try releasedOrder()
        let page = f.client("rep1").get("/order/orders/\(id)").body
        #expect(page.contains("登记订单（订货登记表）") && page.contains("签发销售计划下达表") && page.contains("王经理"))
        #expect(page.contains("审核通过，待下达 → 已下达（销售计划下达表）"))
        #expect(!page.contains(">release<") && !page.contains(">accepted<"))
        let v = OrderingModule().auditVocabulary
        for (entity, action) in [("order.order", "price_approve"), ("order.contract", "review_refuse"), ("order.change", "ack"),
                                 ("order.change", "create_company"), ("order.trial", "passed"), ("order.writeoff", "approve"),
                                 ("order.credit", "create"), ("order.branch_order", "settle")] {
            #expect(v.actionTitle(entity: entity, action: action) != nil, "\(entity) \(action) has no title")
        }
        #expect(v.stateTitle(entity: "order.contract", state: "pending_gm") == "评审通过，待总经理价格评审及批准")
    }
}
