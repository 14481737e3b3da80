import Foundation
import Testing
import SalesKit
import SalesTesting
@testable import OrderingModule

@Suite struct OrderFlowTests {
    let f: OrderFixture
    init() throws { f = try OrderFixture() }

    func acceptedOrder(_ lines: [(String, String, String)] = [("阀门", "10", "100"), ("法兰", "5", "20")]) throws -> Int64 {
        let cid = try f.customer()
        try f.contract(cid)
        let id = try f.order(f.client("rep1"), lines: lines)
        #expect(try f.state(id) == "accepted")
        return id
    }

    @Test("003 §4.3.2–§4.3.4: the sales head signs the 销售计划下达表 (a rep may not: 403); it prints as the one instruction with the signer")
    func release() throws {
        let id = try acceptedOrder()
        let boss = f.client("boss")
        #expect(boss.get("/").body.contains("待签发销售计划下达表"))
        #expect(f.act(f.client("rep1"), id, "release").status == 403)
        #expect(f.client("rep1").get("/order/orders/\(id)/plan").status == 409)
        #expect(f.act(boss, id, "release").status == 303)
        #expect(try f.state(id) == "released")
        let o = try f.order(id)
        #expect(o.int("plan_signed_by") == f.boss)
        let plan = boss.get("/order/orders/\(id)/plan").body
        #expect(plan.contains("销售计划下达表"))
        #expect(plan.contains("唯一指令"))
        #expect(plan.contains("王经理"))
        #expect(plan.contains(o.string("plan_no") ?? "?"))
        #expect(try f.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'order.order' AND action = 'release' AND to_state = 'released'") == 1)
    }

    @Test("003 §4.3.2: an oral pre-notice must be followed by the written form within 24 hours — overdue ones are flagged in the sales head's inbox")
    func oralNotice() throws {
        let id = try acceptedOrder()
        let boss = f.client("boss")
        #expect(f.act(boss, id, "oral_notice").status == 303)
        #expect(try f.order(id).int("oral_notice_at") != nil)
        #expect(boss.get("/").body.contains("口头通知后须 24 小时内补下达表"))
        try f.db.execute("UPDATE order_orders SET oral_notice_at = oral_notice_at - 25 * 3600 WHERE id = \(id)")
        let home = boss.get("/").body
        #expect(home.contains("口头通知已超 24 小时"))
        #expect(boss.get("/order/orders").body.contains("口头通知已超 24 小时未补下达表"))
        #expect(f.act(boss, id, "release").status == 303)
        #expect(!boss.get("/").body.contains("口头通知已超 24 小时"))
    }

    @Test("订货登记表 as a list: the user's visible orders, filtered by state and customer, each linked to its page; CSV with the same columns")
    func orderList() throws {
        let id = try acceptedOrder()
        let no = try f.order(id).string("order_no") ?? "?"
        let rep = f.client("rep1")
        let all = rep.get("/order/orders")
        #expect(all.status == 200)
        #expect(all.body.contains("<a href=\"/order/orders/\(id)\">\(no)</a>") && all.body.contains("登记订单"))
        #expect(rep.get("/order/orders?state=accepted&customer=甲公司").body.contains(no))
        #expect(!rep.get("/order/orders?state=cancelled").body.contains(no))
        #expect(!rep.get("/order/orders?customer=KH-2099-0001").body.contains(no))
        // Another rep does not see 甲公司's orders.
        #expect(!f.client("rep2").get("/order/orders").body.contains(no))
        let csv = rep.get("/order/orders?format=csv")
        #expect(csv.header("Content-Type")?.hasPrefix("text/csv") == true)
        #expect(csv.body.contains("订单号码,接单日期,客户名称,客户代码,订货方式,数量,金额（元）,状态,制表人,提示"))
        #expect(csv.body.contains(no))
    }

    @Test("002 §4: 营销部, 财务部 and 生产部 each have their queue; production sets the schedule, finance sees credit and settlement; others get 403")
    func queues() throws {
        let id = try acceptedOrder()
        let no = try f.order(id).string("order_no") ?? "?"
        #expect(f.client("boss").get("/order/queues/sales").body.contains(no))
        let fin = f.client("fin")
        let fq = fin.get("/order/queues/finance").body
        #expect(fq.contains(no))
        #expect(fq.contains("类警戒线"))
        #expect(f.client("rep1").get("/order/queues/finance").status == 403)
        #expect(f.client("rep1").get("/order/queues/production").status == 403)
        let prod = f.client("prod")
        #expect(!prod.get("/order/queues/production").body.contains(no))   // not released yet
        f.act(f.client("boss"), id, "release")
        #expect(prod.get("/order/queues/production").body.contains(no))
        #expect(prod.get("/").body.contains("待排产"))
        prod.get("/order/orders/\(id)/schedule")
        #expect(prod.submit("/order/orders/\(id)/schedule", [("sched_start", "2030-01-05"), ("sched_end", "2030-01-03")]).status == 422)
        #expect(prod.submit("/order/orders/\(id)/schedule", [("sched_start", "2030-01-05"), ("sched_end", "2030-01-20")]).status == 303)
        #expect(try f.state(id) == "scheduled")
        #expect(try f.order(id).string("sched_end") == "2030-01-20")
        let csv = prod.get("/order/queues/production?format=csv")
        #expect(csv.header("Content-Type")?.hasPrefix("text/csv") == true)
        #expect(csv.body.contains("2030-01-20"))
        // Each queue is a ListPage: the columns of its department, sortable, the same in the CSV.
        let financeCSV = fin.get("/order/queues/finance?format=csv").body
        #expect(financeCSV.hasPrefix("\u{FEFF}订单号码,客户名称,状态,金额（元）,已发货（元）,申报预付（元）,已确认预收（元）,结算核查,警戒线核查,超出（元）\r\n"),
                "\(financeCSV.prefix(120))")
        let sorted = fin.get("/order/queues/finance?sort=total&dir=desc")
        #expect(sorted.status == 200 && sorted.body.contains(no) && sorted.body.contains("<h1>财务部队列</h1>"))
        #expect(sorted.body.contains("<a href=\"/order/orders/\(id)\">\(no)</a>"), "the order number links to the order")
    }

    @Test("003 §4.3.5–§4.3.6: partial deliveries against lines with remaining quantity (exceeding it → 422 on that line), shipped value into receivables, paperwork late after 24 h is flagged")
    func deliveries() throws {
        let id = try acceptedOrder()
        let boss = f.client("boss")
        f.act(boss, id, "release")
        let rep = f.client("rep1")
        #expect(rep.get("/order/orders/\(id)/deliveries/new").status == 200)
        let first = rep.submit("/order/orders/\(id)/deliveries/new", [("delivered_on", "2026-01-10"), ("lines.0.line_id", lineID(id, 1)),
                                                                      ("lines.0.qty", "4"), ("lines.1.line_id", lineID(id, 2)), ("lines.1.qty", "")])
        #expect(first.status == 303)
        #expect(try f.state(id) == "delivering")
        // Delivered without an arrival time: the order page asks for it beside the paperwork button.
        #expect(rep.get("/order/orders/\(id)").body.contains("name=\"arrived_at\""))
        #expect(try f.db.scalar("SELECT amount_fen FROM order_ledger WHERE order_id = \(id) AND kind = 'shipment'") == 4 * 10000)
        // Line 1 has 6 left: 7 is refused on that line, the other line's value is kept.
        rep.get("/order/orders/\(id)/deliveries/new")
        let over = rep.submit("/order/orders/\(id)/deliveries/new", [("delivered_on", "2026-01-11"), ("lines.0.line_id", lineID(id, 1)),
                                                                     ("lines.0.qty", "7"), ("lines.1.line_id", lineID(id, 2)), ("lines.1.qty", "3")])
        #expect(over.status == 422)
        #expect(over.body.contains("超过剩余数量 6"))
        #expect(over.body.contains("name=\"lines.1.qty\" value=\"3\""))
        #expect(try f.db.scalar("SELECT COUNT(*) FROM order_deliveries WHERE order_id = \(id)") == 1)
        let arrived = ISO8601DateFormatter.string(from: Date().addingTimeInterval(-30 * 3600), timeZone: TimeZone(identifier: "Asia/Shanghai")!,
                                                  formatOptions: [.withFullDate, .withSpaceBetweenDateAndTime, .withTime, .withColonSeparatorInTime])
        let second = rep.submit("/order/orders/\(id)/deliveries/new", [("delivered_on", "2026-01-11"), ("arrived_at", String(arrived.prefix(16))),
                                                                      ("lines.0.line_id", lineID(id, 1)), ("lines.0.qty", "6"),
                                                                      ("lines.1.line_id", lineID(id, 2)), ("lines.1.qty", "5")])
        #expect(second.status == 303, "\(second.body.prefix(500))")
        #expect(try f.state(id) == "delivered")
        #expect(try f.order(id).int("delivered_fen") == 10 * 10000 + 5 * 2000)
        #expect(rep.get("/").body.contains("完成交、验货手续"))
        // Completing before the paperwork is done is refused.
        f.act(rep, id, "complete")
        #expect(try f.state(id) == "delivered")
        let deliveries = try f.db.query("SELECT id FROM order_deliveries WHERE order_id = \(id) ORDER BY id").compactMap { $0.int("id") }
        rep.get("/order/orders/\(id)")
        #expect(rep.submit("/order/orders/\(id)/deliveries/\(deliveries[0])/accept", [("arrived_at", String(arrived.prefix(16)))]).status == 303)
        #expect(rep.submit("/order/orders/\(id)/deliveries/\(deliveries[1])/accept", []).status == 303)
        #expect(try f.db.scalar("SELECT COUNT(*) FROM order_deliveries WHERE order_id = \(id) AND late = 1") == 2)
        let done = rep.get("/order/orders/\(id)").body
        #expect(done.contains("超过 24 小时") && !done.contains("name=\"arrived_at\""))
        #expect(f.act(rep, id, "complete").status == 303)
        #expect(try f.state(id) == "completed")
    }

    func lineID(_ order: Int64, _ n: Int) -> String {
        String((try? f.db.scalar("SELECT id FROM order_lines WHERE order_id = \(order) AND line_no = \(n)")) ?? nil ?? 0)
    }

    @Test("003 §5.5.2.4 / issue #4 receivables: finance records a payment (audited) and the ledger shows shipped, paid, outstanding; a rep may not record payments")
    func receivables() throws {
        let cid = try f.customer()
        try f.db.execute("""
            INSERT INTO order_ledger (customer_id, kind, amount_fen, entry_date, due_on, created_by, created_at)
            VALUES (\(cid), 'shipment', 1000000, '2026-01-02', '2099-01-01', 0, 0)
            """)
        #expect(f.client("rep1").get("/order/payments/new").status == 403)
        let fin = f.client("fin")
        fin.get("/order/payments/new")
        #expect(fin.submit("/order/payments/new", [("customer_code", "KH-2026-0001"), ("kind", "payment"), ("amount", "-5"), ("paid_on", "2026-01-05")]).status == 422)
        #expect(fin.submit("/order/payments/new", [("customer_code", "KH-2026-0001"), ("kind", "payment"), ("amount", "4000"), ("paid_on", "2026-01-05")]).status == 303)
        let page = fin.get("/order/receivables").body
        #expect(page.contains("10,000.00"))
        #expect(page.contains("6,000.00"))
        #expect(fin.get("/order/receivables/\(cid)").body.contains("4,000.00"))
        #expect(try f.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'order.payment'") == 1)
        let csv = fin.get("/order/receivables?format=csv")
        #expect(csv.body.hasPrefix("\u{FEFF}"))
    }

    @Test("002 第三节 年度订货统计表 / 003 §5.4: per customer × month with half-year and year totals, an SVG chart, the KPIs, and CSV")
    func statistics() throws {
        _ = try acceptedOrder([("阀门", "10", "100")])
        let boss = f.client("boss")
        let page = boss.get("/order/stats").body
        // The month chart (issue #16 point 10): scales with the screen, a y axis in 元 with round
        // ticks, the amount printed at its bar (not only in a tooltip), a table for screen readers.
        #expect(page.contains("<svg class=\"chart\" viewBox=\"0 0 640.0 260.0\" width=\"100%\""))
        #expect(!page.contains("width=\"600\""))
        #expect(page.contains(">单位：元</text>") && page.contains(">1,000</text>") && page.contains(">200</text>"))
        #expect(page.contains("text-anchor=\"middle\" font-size=\"11\" fill=\"#33415c\">1,000</text>"))
        #expect(page.contains("<td class=\"num\">¥1,000.00</td>"))
        #expect(page.contains("上半年合计"))
        #expect(page.contains("1,000.00"))
        #expect(page.contains("回款率"))
        let csv = boss.get("/order/stats?format=csv")
        #expect(csv.body.contains("阀门 φ20"))
        // One customer's table (issue #7 endpoint): the same totals, only that customer; a rep
        // may not open another rep's customer by guessing the id.
        let cid = try #require(try f.db.scalar("SELECT customer_id FROM order_orders LIMIT 1"))
        let one = boss.get("/order/stats?customer=\(cid)").body
        #expect(one.contains("甲公司") && one.contains("1,000.00") && one.contains("全部客户"))
        #expect(!boss.get("/order/stats?customer=\(cid + 999)").body.contains("甲公司"))
        #expect(f.client("rep2").get("/order/stats?customer=\(cid)").status == 403)
        #expect(boss.get("/order/orders?format=csv").body.contains("甲公司"))
        // 003 §4.1.3 price list: the product master's list prices (ProductTests); the old address leads there.
        #expect(f.client("rep1").get("/order/prices").location == "/order/products")
    }
}
