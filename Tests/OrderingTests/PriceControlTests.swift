import Foundation
import Testing
import SalesKit
import SalesTesting
@testable import OrderingModule

/// Price control (001 篇一 1.6, 第十三条; RULES §6 "Price cuts need consent").
@Suite struct PriceControlTests {
    let f: OrderFixture
    init() throws {
        f = try OrderFixture()
        try f.t.addUser("adm", roles: [.admin], displayName: "管理员")
    }

    /// A customer of the given class with an approved contract, and 阀门 φ20 at ¥120 in the master.
    @discardableResult
    func setUp(_ cls: String = "C") throws -> Int64 {
        let cid = try f.customer(ratingClass: cls)
        try f.contract(cid)
        try f.product("阀门", listFen: 12_000)
        return cid
    }

    @Test("001 篇一 1.6 / 第十三条: a line below the list price waits for the 销售经理 (rep and GM 403); approved with a reason it is recorded like the GM's approval, audited, printed, and the order proceeds")
    func test_001_1_6_belowListPriceNeedsSalesManager() throws {
        try setUp()
        let rep = f.client("rep1"), boss = f.client("boss")
        let id = try f.order(rep, lines: [("阀门", "10", "100"), ("法兰", "5", "20")])
        #expect(try f.state(id) == "price_pending")
        let page = rep.get("/order/orders/\(id)").body
        #expect(page.contains("第1行 阀门 φ20 单价 ¥100.00 低于价格表 ¥120.00（允许下浮 0%，最低 ¥120.00）"))
        #expect(page.contains("低于价格表 ¥120.00</span>"))
        #expect(boss.get("/").body.contains("低价订单待销售经理批准"))
        #expect(f.act(rep, id, "price_approve", reason: "老客户").status == 403)
        #expect(f.act(f.client("gm"), id, "price_approve", reason: "老客户").status == 403)
        // One approval panel (#16): 422, the message beside 审批意见.
        let noReason = f.act(boss, id, "price_approve")
        #expect(noReason.status == 422 && noReason.body.contains("「销售经理批准低价」须填写审批意见。"))
        #expect(try f.state(id) == "price_pending")
        #expect(f.act(boss, id, "price_approve", reason: "批量采购，年度框架内让价").status == 303)
        #expect(try f.state(id) == "accepted")
        let a = try #require(try f.db.first("SELECT * FROM order_approvals WHERE order_id = \(id)"))
        #expect(a.string("kind") == "price" && a.string("decision") == "approved" && a.int("approver_id") == f.boss)
        #expect(a.string("reason") == "批量采购，年度框架内让价")
        let trail = try f.db.query("SELECT action, from_state, to_state FROM audit_log WHERE entity = 'order.order' AND entity_id = \(String(id)) ORDER BY id")
        #expect(trail.map { $0.text("action") } == ["create", "price_approve", "recheck"])
        #expect(trail.last?.string("from_state") == "price_pending" && trail.last?.string("to_state") == "accepted")
        #expect(try f.order(id).string("price_result")?.contains("低价已经销售经理 王经理 批准") == true)
        let printed = rep.get("/order/orders/\(id)/print").body
        #expect(printed.contains("销售经理：低于合同价/价格表审批") && printed.contains("王经理"))
        #expect(!boss.get("/").body.contains("低价订单待销售经理批准"))
    }

    @Test("001 篇一 1.6: the 销售经理 may refuse the price cut with a reason — the order is rejected, the refusal recorded")
    func test_001_1_6_salesManagerRejects() throws {
        try setUp()
        let id = try f.order(f.client("rep1"), lines: [("阀门", "10", "1")])
        #expect(try f.state(id) == "price_pending")
        #expect(f.act(f.client("boss"), id, "price_reject", reason: "低于成本，不同意").status == 303)
        #expect(try f.state(id) == "rejected")
        #expect(try f.db.scalar("SELECT COUNT(*) FROM order_approvals WHERE order_id = \(id) AND kind = 'price' AND decision = 'rejected'") == 1)
    }

    @Test("RULES §6: the allowed floating percentage is a policy value (admin; 422 out of range): at 10 % a price at the floor passes, one 分 below waits")
    func test_RULES6_floatPercentagePolicy() throws {
        try setUp()
        #expect(f.client("rep1").get("/order/policy").status == 403)
        let adm = f.client("adm")
        adm.get("/order/policy")
        let bad = adm.submit("/order/policy", [("price_float_pct", "101")])
        #expect(bad.status == 422 && bad.body.contains("value=\"101\""))
        #expect(adm.submit("/order/policy", [("price_float_pct", "10")]).status == 303)
        #expect(try f.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'order.policy' AND to_state = '允许下浮 10%'") == 1)
        let rep = f.client("rep1")
        let atFloor = try f.order(rep, lines: [("阀门", "1", "108")])
        #expect(try f.state(atFloor) == "accepted")
        #expect(try f.order(atFloor).string("price_result")?.contains("允许下浮 10%") == true)
        let below = try f.order(rep, lines: [("阀门", "1", "107.99")])
        #expect(try f.state(below) == "price_pending")
    }

    @Test("001 篇一 1.6 then 003 §4.2: an approved low price does not skip the warning line — over it, the order then waits for the GM")
    func test_001_1_6_priceApprovalThenWarningLine() throws {
        try setUp("D")   // 15万
        let id = try f.order(f.client("rep1"), lines: [("阀门", "2000", "100")])   // ¥200,000
        #expect(try f.state(id) == "price_pending")
        #expect(f.act(f.client("boss"), id, "price_approve", reason: "大单让价").status == 303)
        #expect(try f.state(id) == "credit_blocked")
        #expect(f.act(f.client("gm"), id, "approve", reason: "年底备货").status == 303)
        #expect(try f.state(id) == "accepted")
        #expect(try f.db.query("SELECT kind FROM order_approvals WHERE order_id = \(id) ORDER BY id").map { $0.text("kind") } == ["price", "credit"])
    }

    @Test("003 §3.2 / RULES §6: the contract's agreed price is the reference where it has one (below the list price is then fine; below the contract price is not)")
    func test_003_3_2_contractPriceIsTheReference() throws {
        let cid = try setUp()
        let contract = try #require(try f.db.scalar("SELECT id FROM order_contracts WHERE customer_id = \(cid)"))
        try f.db.execute("""
            INSERT INTO order_contract_lines (contract_id, line_no, product, spec, qty, unit_price_fen) VALUES (\(contract), 1, '阀门', 'φ20', 1000, 9000)
            """)
        let rep = f.client("rep1")
        #expect(try f.state(try f.order(rep, lines: [("阀门", "10", "95")])) == "accepted")
        let low = try f.order(rep, lines: [("阀门", "10", "85")])
        #expect(try f.state(low) == "price_pending")
        #expect(try f.order(low).string("price_result")?.contains("低于合同价 ¥90.00") == true)
    }

    @Test("003 §3.2: a contract is registered with its product lines and agreed prices (values kept on 422), shown on the contract list; once the GM approves it the orders are checked against those prices")
    func test_003_3_2_contractLinesThroughThePages() throws {
        let cid = try f.customer()
        try f.product("阀门", listFen: 12_000)
        let rep = f.client("rep1")
        rep.get("/order/contracts/new")
        let bad = rep.submit("/order/contracts/new", [("customer_code", "KH-2026-0001"), ("contract_no", "HT-P-01"), ("title", "年度供货合同"),
                                                  ("lines.0.product", "阀门"), ("lines.0.spec", "φ20"), ("lines.0.qty", "1000"), ("lines.0.price", "abc")])
        #expect(bad.status == 422 && bad.body.contains("value=\"abc\"") && bad.body.contains("value=\"1000\""))
        #expect(rep.submit("/order/contracts/new", [("customer_code", "KH-2026-0001"), ("contract_no", "HT-P-01"), ("title", "年度供货合同"),
                                                ("lines.0.product", "阀门"), ("lines.0.spec", "φ20"), ("lines.0.qty", "1000"),
                                                ("lines.0.price", "90")]).status == 303)
        let contract = try #require(try f.db.scalar("SELECT id FROM order_contracts WHERE customer_id = \(cid)"))
        #expect(try f.db.scalar("SELECT unit_price_fen FROM order_contract_lines WHERE contract_id = \(contract) AND product = '阀门'") == 9_000)
        #expect(rep.get("/order/contracts").body.contains("阀门 φ20 × 1000 @¥90.00"))
        f.reviewAll(contract)
        #expect(f.approveContract(contract).status == 303)
        let ok = try f.order(rep, lines: [("阀门", "10", "90")])
        #expect(try f.state(ok) == "accepted")
        #expect(try f.state(try f.order(rep, lines: [("阀门", "10", "89.99")])) == "price_pending")
    }
}
