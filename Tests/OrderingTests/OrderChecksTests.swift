import Foundation
import Testing
import SalesKit
import SalesTesting
@testable import OrderingModule

@Suite struct OrderChecksTests {
    let f: OrderFixture
    init() throws { f = try OrderFixture() }

    @Test("002 §3.3: without an approved contract the order waits; once the GM approves the recorded contract it is checked again and accepted")
    func contractCheck() throws {
        let cid = try f.customer()
        let rep = f.client("rep1")
        let id = try f.order(rep, lines: [("阀门", "10", "100")])
        #expect(try f.state(id) == "contract_pending")
        #expect(rep.get("/order/orders/\(id)").body.contains("没有与该客户的销售合同"))
        rep.get("/order/contracts/new")
        #expect(rep.submit("/order/contracts/new", [("customer_code", "KH-2026-0001"), ("contract_no", "HT-2026-01"), ("title", "年度供货合同")]).status == 303)
        #expect(try f.state(id) == "contract_pending")
        let cidRow = try #require(try f.db.first("SELECT id FROM order_contracts WHERE customer_id = \(cid)"))
        // Approving a contract is the GM's (003 §3.7), after 技术部、品质部、生产部 agreed (003 §3.3–§3.5).
        let contract = try #require(cidRow.int("id"))
        f.reviewAll(contract)
        rep.get("/order/contracts")
        #expect(rep.submit("/order/contracts/\(contract)/approve", [("action", "approve")]).status == 403)
        #expect(f.approveContract(contract).status == 303)
        #expect(try f.state(id) == "accepted")
        #expect(try f.order(id).string("contract_result")?.contains("HT-2026-01") == true)
    }

    @Test("002 §3.4: a customer with overdue unsettled receivables waits for settlement; after the payment is recorded a re-check accepts it")
    func settlementCheck() throws {
        let cid = try f.customer()
        try f.contract(cid)
        try f.db.execute("""
            INSERT INTO order_ledger (customer_id, kind, amount_fen, entry_date, due_on, created_by, created_at)
            VALUES (\(cid), 'shipment', 500000, '2020-01-01', '2020-02-01', 0, 0)
            """)
        let rep = f.client("rep1")
        let id = try f.order(rep, lines: [("阀门", "10", "100")])
        #expect(try f.state(id) == "settlement_pending")
        #expect(try f.order(id).string("settlement_result")?.contains("逾期未结货款 ¥5,000.00") == true)
        let fin = f.client("fin")
        fin.get("/order/payments/new")
        #expect(fin.submit("/order/payments/new", [("customer_code", "KH-2026-0001"), ("kind", "payment"), ("amount", "5000"), ("paid_on", "2020-03-01")]).status == 303)
        #expect(f.act(rep, id, "recheck").status == 303)
        #expect(try f.state(id) == "accepted")
    }

    @Test("003 §4.1.2: receivables outstanding + open orders + this order within the class line pass; over it the order is BLOCKED with the amount over")
    func creditLine() throws {
        let cid = try f.customer(ratingClass: "D")   // 15万
        try f.contract(cid)
        try f.db.execute("""
            INSERT INTO order_ledger (customer_id, kind, amount_fen, entry_date, due_on, created_by, created_at)
            VALUES (\(cid), 'shipment', 5000000, '2030-01-01', '2099-01-01', 0, 0)
            """)   // ¥50,000 outstanding, not yet due
        let rep = f.client("rep1")
        let ok = try f.order(rep, lines: [("阀门", "100", "900")])            // 50,000 + 90,000 = 140,000 ≤ 150,000
        #expect(try f.state(ok) == "accepted")
        let over = try f.order(rep, lines: [("阀门", "20", "1000")])          // 140,000 + 20,000 = 160,000 > 150,000
        #expect(try f.state(over) == "credit_blocked")
        #expect(try f.order(over).int("over_fen") == 1_000_000)
        let page = rep.get("/order/orders/\(over)").body
        #expect(page.contains("超出 ¥10,000.00"))
        #expect(page.contains("超销售警戒线，待总经理批准"))
        // Blocked, not just warned: it cannot be released.
        #expect(f.act(f.client("boss"), over, "release").status == 303)
        #expect(try f.state(over) == "credit_blocked")
    }

    @Test("003 §4.1.2: an E-class customer has no warning line — no supply (422)")
    func classE() throws {
        let cid = try f.customer(ratingClass: "E")
        try f.contract(cid)
        let r = f.submitOrder(f.client("rep1"), lines: [("阀门", "1", "1")])
        #expect(r.status == 422)
        #expect(r.body.contains("不予供货"))
    }

    @Test("003 §4.2: only the GM approves an over-line order (403 otherwise); the approval is its own record (approver, time, amount over, reason) and is printed")
    func gmApproval() throws {
        let cid = try f.customer(ratingClass: "D")
        try f.contract(cid)
        let rep = f.client("rep1")
        let id = try f.order(rep, lines: [("阀门", "200", "1000")])           // 200,000 > 150,000
        #expect(try f.state(id) == "credit_blocked")
        #expect(f.act(rep, id, "approve", reason: "老客户").status == 403)
        #expect(f.act(f.client("boss"), id, "approve", reason: "老客户").status == 403)
        let gm = f.client("gm")
        #expect(gm.get("/").body.contains("超警戒线订单待批准"))
        // One approval panel (#16): 422, the message beside 审批意见, nothing decided.
        let noReason = f.act(gm, id, "approve")
        #expect(noReason.status == 422)
        #expect(noReason.body.contains("id=\"approval-error\">") && noReason.body.contains("须填写审批意见"))
        #expect(try f.state(id) == "credit_blocked")
        #expect(f.act(gm, id, "approve", reason: "年底集中备货，已承诺月底回款").status == 303)
        #expect(try f.state(id) == "accepted")
        let a = try #require(try f.db.first("SELECT * FROM order_approvals WHERE order_id = \(id)"))
        #expect(a.int("approver_id") == f.gm)
        #expect(a.int("over_fen") == 5_000_000)
        #expect(a.string("decision") == "approved")
        #expect(a.string("reason") == "年底集中备货，已承诺月底回款")
        let print = rep.get("/order/orders/\(id)/print").body
        #expect(print.contains("总经理审批记录"))
        #expect(print.contains("赵总"))
        #expect(print.contains("50,000.00"))
        #expect(print.contains("class=\"signatures\""))
        // The check itself now reads 「已批准」 with who approved, on the page and on paper — not 「未通过」.
        for page in [rep.get("/order/orders/\(id)").body, print] {
            #expect(page.contains("<span class=\"tag approved\">已批准</span>"))
            #expect(page.contains("须总经理批准（003 §4.2）；总经理 赵总 已于 "))
            #expect(!page.contains("<span class=\"tag danger\">未通过</span>"))
        }
    }

    @Test("003 §4.1.3: a sporadic customer's order needs list prices and full prepayment (422 otherwise), then GM approval")
    func sporadic() throws {
        try f.customer()
        try f.product("阀门", spec: "φ20", listFen: 12000)
        let rep = f.client("rep1")
        let wrong = f.submitOrder(rep, lines: [("阀门", "2", "100")], extra: [("sporadic", "1"), ("prepaid", "200")])
        #expect(wrong.status == 422)
        #expect(wrong.body.contains("零星客户须按价格表售价 ¥120.00"))
        let unpaid = f.submitOrder(rep, lines: [("阀门", "2", "120")], extra: [("sporadic", "1"), ("prepaid", "100")])
        #expect(unpaid.status == 422)
        #expect(unpaid.body.contains("须全额预付"))
        let id = try f.order(rep, lines: [("阀门", "2", "120")], extra: [("sporadic", "1"), ("prepaid", "240")])
        #expect(try f.state(id) == "sporadic_pending")
        // RULES §6: the payment is received in full when finance books it (LedgerTests has the rest).
        let fin = f.client("fin")
        fin.get("/order/payments/new")
        #expect(fin.submit("/order/payments/new", [("customer_code", "KH-2026-0001"), ("kind", "prepayment"), ("amount", "240"),
                                                   ("order_no", try f.order(id).string("order_no") ?? ""),
                                                   ("paid_on", LocalDate(date: Date(), timeZone: TimeZone(identifier: "Asia/Shanghai")!).description)]).status == 303)
        #expect(f.act(f.client("gm"), id, "approve", reason: "零星采购，款已到").status == 303)
        #expect(try f.state(id) == "accepted")
        #expect(try f.db.scalar("SELECT COUNT(*) FROM order_approvals WHERE order_id = \(id) AND kind = 'sporadic'") == 1)
    }

    // MARK: Re-check instead of dead ends (003 §4.1.2, §4.2; RULES §6)

    @Test("003 §4.1.2 / RULES §6: an order registered while the contract was pending, whose customer is E when it is checked, is refused — never sent to the GM as 超出 ¥0.00")
    func test_003_4_1_2_pendingContractOrderOfNowEClassRefused() throws {
        let cid = try f.customer()
        let rep = f.client("rep1"), gm = f.client("gm")
        let a = try f.order(rep, lines: [("阀门", "10", "100")])
        let b = try f.order(rep, lines: [("法兰", "5", "20")])
        #expect(try f.state(a) == "contract_pending" && f.state(b) == "contract_pending")
        try f.db.execute("UPDATE crm_customers SET rating_class = 'E' WHERE id = \(cid)")   // re-rated since
        // The rep re-checks one order: refused, audited as such.
        #expect(f.act(rep, a, "recheck").status == 303)
        #expect(try f.state(a) == "rejected")
        #expect(try f.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'order.order' AND entity_id = \(String(a)) AND action = 'refuse' AND to_state = 'rejected'") == 1)
        #expect(rep.get("/order/orders/\(a)").body.contains("不予供货，订单拒绝"))
        // The contract is approved: the other waiting order is checked again — refused too.
        rep.get("/order/contracts/new")
        #expect(rep.submit("/order/contracts/new", [("customer_code", "KH-2026-0001"), ("contract_no", "HT-E-01"), ("title", "年度供货合同")]).status == 303)
        let contract = try #require(try f.db.scalar("SELECT id FROM order_contracts WHERE customer_id = \(cid)"))
        f.reviewAll(contract)
        #expect(f.approveContract(contract).status == 303)
        #expect(try f.state(b) == "rejected")
        let inbox = gm.get("/").body
        #expect(!inbox.contains("超警戒线订单待批准") && !inbox.contains("¥0.00"))
        #expect(try f.db.scalar("SELECT COUNT(*) FROM order_approvals") == 0)
    }

    @Test("003 §4.1.2 / RULES §6: an over-line order waiting for the GM whose customer is re-rated E cannot be approved: the approval refuses the order instead")
    func test_003_4_1_2_gmCannotApproveNowEClass() throws {
        let cid = try f.customer(ratingClass: "D")
        try f.contract(cid)
        let id = try f.order(f.client("rep1"), lines: [("阀门", "200", "1000")])
        #expect(try f.state(id) == "credit_blocked")
        try f.db.execute("UPDATE crm_customers SET rating_class = 'E' WHERE id = \(cid)")
        let gm = f.client("gm")
        let r = f.act(gm, id, "approve", reason: "老客户")
        #expect(gm.refusal(after: r)?.contains("不予供货：订单已拒绝，不能批准") == true)
        #expect(try f.state(id) == "rejected")
        #expect(try f.db.scalar("SELECT COUNT(*) FROM order_approvals WHERE order_id = \(id)") == 0)
    }

    @Test("003 §4.1.2 / §4.2: an over-line order can be re-checked by the rep or the sales manager after the customer pays — still over, it stays with the GM; within the line it proceeds (audited)")
    func test_003_4_2_overLineOrderRecheckedAfterPayment() throws {
        let cid = try f.customer(ratingClass: "D")   // 15万
        try f.contract(cid)
        try f.db.execute("""
            INSERT INTO order_ledger (customer_id, kind, amount_fen, entry_date, due_on, created_by, created_at)
            VALUES (\(cid), 'shipment', 5000000, '2026-01-01', '2099-01-01', 0, 0)
            """)   // ¥50,000 outstanding, not yet due
        let rep = f.client("rep1")
        let id = try f.order(rep, lines: [("阀门", "120", "1000")])    // 50,000 + 120,000 = 170,000 > 150,000
        #expect(try f.state(id) == "credit_blocked")
        #expect(rep.get("/order/orders/\(id)").body.contains("重新核查警戒线（客户回款后）"))
        // Before any payment the re-check changes nothing but says so.
        let still = f.act(rep, id, "recheck")
        #expect(rep.refusal(after: still)?.contains("仍超出销售警戒线") == true)
        #expect(try f.state(id) == "credit_blocked")
        // The customer pays ¥30,000: 20,000 + 120,000 = 140,000 ≤ 150,000.
        let fin = f.client("fin")
        fin.get("/order/payments/new")
        #expect(fin.submit("/order/payments/new", [("customer_code", "KH-2026-0001"), ("kind", "payment"), ("amount", "30000"),
                                                   ("paid_on", LocalDate(date: Date(), timeZone: TimeZone(identifier: "Asia/Shanghai")!).description)]).status == 303)
        #expect(f.act(f.client("boss"), id, "recheck").status == 303)
        #expect(try f.state(id) == "accepted")
        #expect(try f.order(id).int("over_fen") == 0)
        let trail = try f.db.query("SELECT username, from_state, to_state FROM audit_log WHERE entity = 'order.order' AND entity_id = \(String(id)) AND action = 'recheck' ORDER BY id")
        #expect(trail.map { $0.string("username") ?? "" } == ["rep1", "boss"])
        #expect(trail.last?.string("from_state") == "credit_blocked" && trail.last?.string("to_state") == "accepted")
        #expect(!f.client("gm").get("/").body.contains("超警戒线订单待批准"))
        // Production and finance roles may not re-check (403).
        #expect(f.act(f.client("prod"), id, "recheck").status == 403)
    }

    @Test("Migration 7 (RULES §6): an order already waiting for the GM without a warning line (E) is refused, with an audit row")
    func test_RULES6_migration7RefusesWaitingEClassOrders() throws {
        let cid = try f.customer(ratingClass: "E")
        try f.db.execute("""
            INSERT INTO order_orders (order_no, customer_id, channel, filled_on, received_on, state, credit_result, line_fen,
                created_by, created_at, updated_at)
            VALUES ('DH-2025-0099', \(cid), 'fax', '2025-12-01', '2025-12-01', 'credit_blocked', '无销售警戒线', NULL, \(f.rep1), 0, 0)
            """)
        try f.db.executeScript(OrderMigrations.v7.script)
        let o = try #require(try f.db.first("SELECT * FROM order_orders WHERE order_no = 'DH-2025-0099'"))
        #expect(o.string("state") == "rejected")
        #expect(try f.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'order.order' AND entity_id = \(String(o.int("id") ?? 0)) AND action = 'refuse'") == 1)
    }
}
