import Foundation
import Testing
import SalesKit
import SalesTesting
@testable import OrderingModule

@Suite struct OrderIntakeTests {
    let f: OrderFixture
    init() throws { f = try OrderFixture() }

    @Test("002 §3.1 / 003 §4.3.1: a phone order without its phone record is refused (422); with it, it carries 'written confirmation pending' until confirmed")
    func phoneOrder() throws {
        let cid = try f.customer()
        try f.contract(cid)
        let rep = f.client("rep1")
        let bad = f.submitOrder(rep, channel: "phone", lines: [("阀门", "10", "100")])
        #expect(bad.status == 422)
        #expect(bad.body.contains("电话订货必须做好电话记录"))
        let r = f.submitOrder(rep, channel: "phone", lines: [("阀门", "10", "100")], extra: [("phone_record", "陈经理来电，订阀门 10 件")])
        #expect(r.status == 303)
        let id = try #require(Int64(r.location?.replacingOccurrences(of: "/order/orders/", with: "") ?? ""))
        #expect(try f.order(id).bool("written_pending"))
        #expect(try f.order(id).string("channel") == "phone")
        #expect(rep.get("/").body.contains("电话订货待书面确认"))
        #expect(f.act(rep, id, "confirm_written").status == 303)
        #expect(try !f.order(id).bool("written_pending"))
        #expect(try f.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'order.order' AND action = 'confirm_written'") == 1)
    }

    @Test("002 第三节 订货单: bad lines (non-numeric quantity, negative price) get 422 with the error on that line and every line kept")
    func badLines() throws {
        let cid = try f.customer()
        try f.contract(cid)
        let rep = f.client("rep1")
        let r = f.submitOrder(rep, lines: [("阀门", "abc", "100"), ("法兰", "5", "-3"), ("螺栓", "7", "2.5")])
        #expect(r.status == 422)
        #expect(r.body.contains("请输入整数"))
        #expect(r.body.contains("应在 0.00 至"))
        #expect(r.body.contains("value=\"abc\""))
        #expect(r.body.contains("value=\"-3\""))
        #expect(r.body.contains("value=\"螺栓\""))
        #expect(r.body.contains("value=\"2.5\""))
        #expect(try f.db.scalar("SELECT COUNT(*) FROM order_orders") == 0)
        let neg = f.submitOrder(rep, lines: [("阀门", "-2", "100")])
        #expect(neg.status == 422)
        #expect(neg.body.contains("应在 1 至"))
    }

    @Test("002 第三节 + issue 12: quantity × unit price past Int64 is 422 on the line, and a number too large to hold is 数值超出范围 — never a trap")
    func amountsOutOfRange() throws {
        let cid = try f.customer()
        try f.contract(cid)
        let rep = f.client("rep1")
        // 1 亿件 × ¥10 亿: each within its field's bound, the product is not (10¹⁹ 分 > Int64.max).
        let big = f.submitOrder(rep, lines: [("阀门", "100000000", "1000000000")])
        #expect(big.status == 422)
        #expect(big.body.contains("金额（数量 × 单价）超出范围"))
        #expect(big.body.contains("value=\"100000000\""))
        let huge = f.submitOrder(rep, lines: [("阀门", "9223372036854775808", "99999999999999999999")])
        #expect(huge.status == 422)
        #expect(huge.body.contains("数值超出范围"))
        #expect(try f.db.scalar("SELECT COUNT(*) FROM order_orders") == 0)
        // The process is still answering.
        #expect(rep.get("/order/orders").status == 200)
    }

    @Test("002 第三节: totals are computed in 分 from quantity × unit price; the lines keep every 订货单 field")
    func totals() throws {
        let cid = try f.customer()
        try f.contract(cid)
        let rep = f.client("rep1")
        let id = try f.order(rep, lines: [("阀门", "3", "12.34"), ("法兰", "2", "0.05")],
                             extra: [("lines.0.color", "RAL9005"), ("lines.0.cartons", "1"), ("lines.0.weight", "12/10")])
        let o = try f.order(id)
        #expect(o.int("total_fen") == Int64(3 * 1234 + 2 * 5))
        #expect(o.int("total_qty") == 5)
        let l = try #require(try f.db.first("SELECT * FROM order_lines WHERE order_id = \(id) AND line_no = 1"))
        #expect(l.string("color") == "RAL9005")
        #expect(l.int("amount_fen") == 3702)
        #expect(l.string("weight") == "12/10")
        #expect(rep.get("/order/orders/\(id)").body.contains("37.12"))
    }

    @Test("RULES §5 / 004 第四章(1): a rep orders only for own, approved customers — another rep's customer or a prospect is refused")
    func ownApprovedCustomers() throws {
        try f.customer("甲公司", code: "KH-2026-0001", owner: f.rep1)
        try f.customer("潜在公司", code: "KH-2026-0009", owner: f.rep2, status: "prospect")
        let rep2 = f.client("rep2")
        let other = f.submitOrder(rep2, code: "KH-2026-0001", lines: [("阀门", "1", "1")])
        #expect(other.status == 422)
        #expect(other.body.contains("不是您负责的客户"))
        let prospect = f.submitOrder(rep2, code: "KH-2026-0009", lines: [("阀门", "1", "1")])
        #expect(prospect.status == 422)
        #expect(prospect.body.contains("尚未通过认定"))
        #expect(try f.db.scalar("SELECT COUNT(*) FROM order_orders") == 0)
        // The other rep's orders are not shown either.
        let rep1 = f.client("rep1")
        let id = try f.order(rep1, lines: [("阀门", "1", "1")])
        #expect(rep2.get("/order/orders/\(id)").status == 403)
        #expect(!rep2.get("/order/orders").body.contains("甲公司"))
    }
}
