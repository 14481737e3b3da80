import Foundation
import Testing
import SalesKit
import SalesTesting
@testable import OrderingModule

/// Contract changes (003 §3.9–§3.12) and the other order paths (001 篇二 §6.1–§6.2).
@Suite struct OrderChangeTests {
    let f: OrderFixture
    init() throws { f = try OrderFixture() }

    var today: String { LocalDate(date: Date(), timeZone: TimeZone(identifier: "Asia/Shanghai")!).description }

    /// A released order of 甲公司 (within the line).
    func releasedOrder() throws -> Int64 {
        let cid = try f.customer()
        try f.contract(cid)
        let id = try f.order(f.client("rep1"), lines: [("阀门", "10", "100"), ("法兰", "5", "20")])
        #expect(f.act(f.client("boss"), id, "release").status == 303)
        #expect(try f.state(id) == "released")
        return id
    }

    func changeFields(_ extra: [(String, String)] = []) -> [(String, String)] {
        [("requested_on", today), ("request_ref", "传真 FX-0312"), ("kind", "quantity"), ("content", "阀门改为 12 件，交期推后"),
         ("reason", "客户产线调整"), ("new_planned_delivery", "2030-03-31")] + extra
    }

    func submitChange(_ c: TestClient, _ order: Int64, _ extra: [(String, String)] = []) -> TestClient.Response {
        c.get("/order/orders/\(order)/changes/new")
        return c.submit("/order/orders/\(order)/changes/new", changeFields(extra))
    }

    func changeAct(_ c: TestClient, _ id: Int64, _ action: String, reason: String? = nil) -> TestClient.Response {
        c.get("/order/changes/\(id)")
        return c.submit("/order/changes/\(id)/act", [("action", action)] + (reason.map { [("reason", $0)] } ?? []))
    }

    func changeState(_ id: Int64) throws -> String { try f.db.first("SELECT state FROM order_changes WHERE id = \(id)")?.string("state") ?? "" }

    @Test("003 §3.9: before production the customer's written change is re-reviewed by the sales head and needs the GM (403 for anyone else); approved, it is audited and changes the order")
    func beforeProductionNeedsReviewAndGM() throws {
        let id = try releasedOrder()
        let rep = f.client("rep1")
        #expect(rep.get("/order/orders/\(id)").body.contains("登记客户书面变更申请"))
        let r = submitChange(rep, id)
        let cid = try BranchFixture.id(r, after: "/order/changes/")
        let c = try #require(try f.db.first("SELECT * FROM order_changes WHERE id = \(cid)"))
        #expect(c.string("state") == "reviewing")
        #expect(c.bool("production_started") == false)
        // Not yet reviewed or decided: the page shows no empty review or decision lines.
        let fresh = rep.get("/order/changes/\(cid)").body
        #expect(fresh.contains("2030-03-31") && !fresh.contains("<dt>重新评审</dt>") && !fresh.contains("<dt>总经理决定</dt>"))
        // Only one open change per order.
        #expect(rep.get("/order/orders/\(id)/changes/new").status == 409)
        // Re-review: the sales head, with an opinion; the rep may not (403).
        #expect(changeAct(rep, cid, "review", reason: "可行").status == 403)
        let boss = f.client("boss")
        #expect(boss.get("/").body.contains("合同变更待重新评审"))
        let noOpinion = changeAct(boss, cid, "review")
        #expect(boss.refusal(after: noOpinion) != nil)
        #expect(try changeState(cid) == "reviewing")
        #expect(changeAct(boss, cid, "review", reason: "技术、品质、生产均可满足，价格不变").status == 303)
        #expect(try changeState(cid) == "pending_gm")
        // Approval is the GM's: the sales head and finance get 403.
        #expect(changeAct(boss, cid, "approve").status == 403)
        #expect(changeAct(f.client("fin"), cid, "approve").status == 403)
        #expect(try changeState(cid) == "pending_gm")
        let gm = f.client("gm")
        #expect(gm.get("/").body.contains("合同变更待总经理批准"))
        #expect(changeAct(gm, cid, "approve").status == 303)
        #expect(try changeState(cid) == "approved")
        #expect(try f.order(id).string("planned_delivery") == "2030-03-31")
        let trail = try f.db.query("SELECT username, action, from_state, to_state FROM audit_log WHERE entity = 'order.change' AND entity_id = \(String(cid)) ORDER BY id")
        #expect(trail.map { $0.string("action") ?? "" } == ["create", "review", "approve"])
        #expect(trail.last?.string("username") == "gm")
        #expect(trail.last?.string("from_state") == "pending_gm")
        #expect(try f.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'order.order' AND entity_id = \(String(id)) AND action = 'change'") == 1)
        let page = rep.get("/order/changes/\(cid)").body
        #expect(page.contains("王经理") && page.contains("赵总") && page.contains("已批准，已传递各部门"))
        #expect(page.contains("<dt>重新评审</dt>") && page.contains("<dt>总经理决定</dt>"))
        // The change list (a ListPage): linked, filtered by state, CSV; another rep does not see it.
        #expect(rep.get("/order/changes").body.contains("<a href=\"/order/changes/\(cid)\">\(OrderDocNo.change(cid))</a>"))  // #16: a number, not 「#\(cid)」
        #expect(rep.get("/order/changes?state=approved").body.contains("阀门改为 12 件"))
        #expect(!rep.get("/order/changes?state=rejected").body.contains("阀门改为 12 件"))
        #expect(rep.get("/order/changes?format=csv").body.contains("编号,订单号码,客户名称,申请日期,类别,变更内容,已投入生产,状态"))
        #expect(!f.client("rep2").get("/order/changes").body.contains("阀门改为 12 件"))
    }

    @Test("003 §3.12: an approved change is re-sent to 营销部, 财务部 and 生产部 — a change notice in each queue until that department confirms receipt")
    func approvedChangeGoesToEveryQueue() throws {
        let id = try releasedOrder()
        let cid = try BranchFixture.id(submitChange(f.client("rep1"), id), after: "/order/changes/")
        #expect(changeAct(f.client("boss"), cid, "review", reason: "可行").status == 303)
        // Not yet approved: no notice anywhere.
        #expect(!f.client("fin").get("/order/queues/finance").body.contains("变更通知 \(OrderDocNo.change(cid))"))
        #expect(changeAct(f.client("gm"), cid, "approve").status == 303)
        let boss = f.client("boss"), fin = f.client("fin"), prod = f.client("prod")
        #expect(boss.get("/order/queues/sales").body.contains("变更通知 \(OrderDocNo.change(cid))"))
        #expect(fin.get("/order/queues/finance").body.contains("变更通知 \(OrderDocNo.change(cid))"))
        #expect(prod.get("/order/queues/production").body.contains("变更通知 \(OrderDocNo.change(cid))"))
        #expect(fin.get("/").body.contains("财务部：1 项合同变更通知待确认"))
        // The notice's 确认收到 posts this department's code from the queue (a ListPage's notes).
        let queue = fin.get("/order/queues/finance").body
        #expect(queue.contains("<form method=\"post\" action=\"/order/changes/\(cid)/ack\""))
        #expect(queue.contains("<input type=\"hidden\" name=\"dept\" value=\"finance\"><button type=\"submit\">确认收到</button>"))
        // Finance confirms; production may not confirm for finance (403).
        prod.get("/order/queues/production")
        #expect(prod.submit("/order/changes/\(cid)/ack", [("dept", "finance")]).status == 403)
        fin.get("/order/queues/finance")
        #expect(fin.submit("/order/changes/\(cid)/ack", [("dept", "finance")]).status == 303)
        #expect(!fin.get("/order/queues/finance").body.contains("变更通知 \(OrderDocNo.change(cid))"))
        #expect(prod.get("/order/queues/production").body.contains("变更通知 \(OrderDocNo.change(cid))"))
        #expect(try f.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'order.change' AND action = 'ack'") == 1)
        #expect(boss.get("/order/changes/\(cid)").body.contains("钱会计"))
        // #16 point 10: the printed change names who registered, re-reviewed and approved it, with dates.
        let c = try #require(try f.db.first("SELECT created_name, reviewed_name, decided_name FROM order_changes WHERE id = \(cid)"))
        let names = ["created_name", "reviewed_name", "decided_name"].map { c.string($0) ?? "" }
        #expect(names.allSatisfy { !$0.isEmpty })
        let page = boss.get("/order/changes/\(cid)").body
        #expect(page.contains("<th>编制</th><td class=\"signer\">\(names[0])</td><th>审核</th><td class=\"signer\">\(names[1])</td><th>批准</th><td class=\"signer\">\(names[2])</td>"))
        #expect(!page.contains("<td class=\"nowrap\"></td>"))
    }

    @Test("003 §3.10: once production has started (scheduled start ≤ today) a change needs the customer's recorded agreement — 422 with every value kept otherwise")
    func afterProductionNeedsAgreement() throws {
        let id = try releasedOrder()
        let prod = f.client("prod")
        prod.get("/order/orders/\(id)/schedule")
        #expect(prod.submit("/order/orders/\(id)/schedule", [("sched_start", today), ("sched_end", "2030-12-31")]).status == 303)
        let rep = f.client("rep1")
        let none = submitChange(rep, id)
        #expect(none.status == 422)
        #expect(none.body.contains("003 §3.10"))
        #expect(none.body.contains("传真 FX-0312") && none.body.contains("阀门改为 12 件，交期推后"))
        let noTerms = rep.submit("/order/orders/\(id)/changes/new", changeFields([("agreement", "compensate")]))
        #expect(noTerms.status == 422)
        #expect(noTerms.body.contains("补偿条件"))
        #expect(try f.db.scalar("SELECT COUNT(*) FROM order_changes") == 0)
        let ok = rep.submit("/order/orders/\(id)/changes/new", changeFields([("agreement", "finish"), ("agreement_note", "来函同意已投产 10 件按原合同执行")]))
        let cid = try BranchFixture.id(ok, after: "/order/changes/")
        let c = try #require(try f.db.first("SELECT * FROM order_changes WHERE id = \(cid)"))
        #expect(c.bool("production_started"))
        #expect(c.string("agreement") == "finish")
        #expect(rep.get("/order/changes/\(cid)").body.contains("客户同意按原合同执行完已投入生产的产品"))
        // Then handled per §3.9: re-review and the GM.
        #expect(changeAct(f.client("boss"), cid, "review", reason: "可行").status == 303)
        #expect(changeAct(f.client("gm"), cid, "reject", reason: "补偿不足").status == 303)
        #expect(try changeState(cid) == "rejected")
    }

    @Test("003 §3.9: a scheduled order whose start is still in the future has not started production — no agreement needed")
    func scheduledInFutureIsNotStarted() throws {
        let id = try releasedOrder()
        let prod = f.client("prod")
        prod.get("/order/orders/\(id)/schedule")
        #expect(prod.submit("/order/orders/\(id)/schedule", [("sched_start", "2099-01-01"), ("sched_end", "2099-02-01")]).status == 303)
        _ = try BranchFixture.id(submitChange(f.client("rep1"), id), after: "/order/changes/")
        #expect(try f.db.scalar("SELECT production_started FROM order_changes") == 0)
    }

    @Test("001 篇二 §6.1–§6.2: a line short of stock goes to production scheduling (生产部 queue); a never-made variant goes to 技术部, which records the trial result (audited; others 403)")
    func stockAndTrialPaths() throws {
        let tech = f.tech
        let cid = try f.customer()
        try f.contract(cid)
        let rep = f.client("rep1")
        let id = try f.order(rep, lines: [("阀门", "1000", "100"), ("法兰", "5", "20")])
        #expect(rep.get("/order/orders/\(id)/paths").status == 200)
        let lines = try f.db.query("SELECT id FROM order_lines WHERE order_id = \(id) ORDER BY line_no").compactMap { $0.int("id") }
        let bad = rep.submit("/order/orders/\(id)/paths", [("lines.0.line_id", String(lines[0])), ("lines.0.on_hand", "-1"),
                                                           ("lines.1.line_id", String(lines[1])), ("lines.1.on_hand", "7")])
        #expect(bad.status == 422)
        #expect(bad.body.contains("value=\"-1\"") && bad.body.contains("value=\"7\""))
        #expect(rep.submit("/order/orders/\(id)/paths", [("lines.0.line_id", String(lines[0])), ("lines.0.on_hand", "200"),
                                                         ("lines.1.line_id", String(lines[1])), ("lines.1.on_hand", "7"),
                                                         ("lines.1.new_variant", "1")]).status == 303)
        #expect(try f.db.scalar("SELECT to_production FROM order_lines WHERE id = \(lines[0])") == 1)
        #expect(try f.db.scalar("SELECT to_production FROM order_lines WHERE id = \(lines[1])") == 0)
        let prodQueue = f.client("prod").get("/order/queues/production").body
        #expect(prodQueue.contains("转生产部排产") && prodQueue.contains("阀门 φ20 缺 800"))
        #expect(rep.get("/order/orders/\(id)").body.contains("无库存，转生产部排产"))
        // 技术部's queue and the trial result.
        let tid = try #require(try f.db.scalar("SELECT id FROM order_trials WHERE line_id = \(lines[1])"))
        #expect(rep.get("/order/queues/technical").status == 403)
        #expect(rep.get("/order/trials/\(tid)").status == 403)
        let t = f.client("tech")
        #expect(t.get("/").body.contains("待试制样品：法兰"))
        #expect(t.get("/order/queues/technical").body.contains("待技术部试制"))
        t.get("/order/trials/\(tid)")
        let noNote = t.submit("/order/trials/\(tid)", [("result", "passed"), ("sample_on", today)])
        #expect(noNote.status == 422)
        #expect(t.submit("/order/trials/\(tid)", [("result", "passed"), ("sample_on", today), ("note", "样板试制合格，已交销售部")]).status == 303)
        let row = try #require(try f.db.first("SELECT * FROM order_trials WHERE id = \(tid)"))
        #expect(row.string("state") == "passed")
        #expect(row.int("decided_by") == tech)
        let audit = try f.db.query("SELECT action, to_state FROM audit_log WHERE entity = 'order.trial' AND entity_id = \(String(tid)) ORDER BY id")
        #expect(audit.map { $0.string("action") ?? "" } == ["create", "passed"])
        #expect(rep.get("/order/orders/\(id)").body.contains("试制合格"))
        // Once recorded, a second result is refused.
        #expect(t.submit("/order/trials/\(tid)", [("result", "failed"), ("sample_on", today), ("note", "x")]).status == 409)
    }

    // MARK: Changes are applied (RULES §6, 003 §3.9–§3.12)

    /// A change with line rows (行号, 数量, 单价, 规格) through the pages, re-reviewed; returns its id.
    func reviewedChange(_ order: Int64, lines: [(String, String, String, String)]) throws -> Int64 {
        var extra: [(String, String)] = []
        for (i, l) in lines.enumerated() {
            extra += [("lines.\(i).line_no", l.0), ("lines.\(i).qty", l.1), ("lines.\(i).price", l.2), ("lines.\(i).spec", l.3)]
        }
        let cid = try BranchFixture.id(submitChange(f.client("rep1"), order, extra), after: "/order/changes/")
        #expect(changeAct(f.client("boss"), cid, "review", reason: "技术、品质、生产均可满足").status == 303)
        return cid
    }

    @Test("003 §3.9 / RULES §6: an approved change is applied in one transaction to the open order line, the order's totals and the contract's line")
    func test_003_3_9_approvedChangeAppliedToOrderAndContract() throws {
        let id = try releasedOrder()
        let contract = try #require(try f.order(id).int("contract_id"))
        try f.db.execute("""
            INSERT INTO order_contract_lines (contract_id, line_no, product, spec, qty, unit_price_fen) VALUES (\(contract), 1, '阀门', 'φ20', 1000, 10000)
            """)
        let cid = try reviewedChange(id, lines: [("1", "12", "95", "φ25")])
        // Not applied before the GM's approval.
        #expect(try f.db.scalar("SELECT qty FROM order_lines WHERE order_id = \(id) AND line_no = 1") == 10)
        #expect(changeAct(f.client("gm"), cid, "approve").status == 303)
        let l = try #require(try f.db.first("SELECT * FROM order_lines WHERE order_id = \(id) AND line_no = 1"))
        #expect(l.int("qty") == 12 && l.int("unit_price_fen") == 9_500 && l.string("spec") == "φ25" && l.int("amount_fen") == 114_000)
        let o = try f.order(id)
        #expect(o.int("total_fen") == 124_000 && o.int("total_qty") == 17 && o.string("planned_delivery") == "2030-03-31")
        let k = try #require(try f.db.first("SELECT * FROM order_contract_lines WHERE contract_id = \(contract)"))
        #expect(k.int("unit_price_fen") == 9_500 && k.string("spec") == "φ25" && k.int("qty") == 1_002)
        #expect(try f.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'order.contract' AND entity_id = \(String(contract)) AND action = 'change'") == 1)
        let page = f.client("rep1").get("/order/changes/\(cid)").body
        #expect(page.contains("数量 10 → 12") && page.contains("订单金额 ¥1,100.00 → ¥1,240.00"))
    }

    @Test("RULES §6 (decision): a new price applies to what is not delivered; a quantity below what was delivered is refused (422 on the line, values kept)")
    func test_003_3_9_deliveredPartKeepsItsPrice() throws {
        let id = try releasedOrder()
        // 4 of the 10 valves delivered (setup of the module's own table).
        try f.db.execute("UPDATE order_lines SET delivered_qty = 4 WHERE order_id = \(id) AND line_no = 1")
        let rep = f.client("rep1")
        let bad = submitChange(rep, id, [("lines.0.line_no", "1"), ("lines.0.qty", "3")])
        #expect(bad.status == 422 && bad.body.contains("不能少于已交货数量") && bad.body.contains("传真 FX-0312"))
        let none = rep.submit("/order/orders/\(id)/changes/new", changeFields([("lines.0.line_no", "9"), ("lines.0.qty", "3")]))
        #expect(none.status == 422 && none.body.contains("订单没有第 9 行"))
        let cid = try reviewedChange(id, lines: [("1", "", "90", "")])
        #expect(changeAct(f.client("gm"), cid, "approve").status == 303)
        // 4 × ¥100 + 6 × ¥90 = ¥940
        #expect(try f.db.scalar("SELECT amount_fen FROM order_lines WHERE order_id = \(id) AND line_no = 1") == 94_000)
        #expect(try f.order(id).int("total_fen") == 104_000)
    }

    @Test("003 §4.1.2 / §4.2 (decision): a change that would push the customer over the warning line is refused on approval with 409 and a Chinese reason; nothing is applied")
    func test_003_4_1_2_changeOverTheLineRefused() throws {
        let id = try releasedOrder()   // class C: line ¥300,000
        let cid = try reviewedChange(id, lines: [("1", "10", "40000", "")])
        let gm = f.client("gm")
        let r = changeAct(gm, cid, "approve")
        #expect(r.status == 409 && r.body.contains("警戒线") && r.body.contains("超出"))
        #expect(try changeState(cid) == "pending_gm")
        #expect(try f.db.scalar("SELECT unit_price_fen FROM order_lines WHERE order_id = \(id) AND line_no = 1") == 10_000)
        #expect(try f.order(id).int("total_fen") == 110_000)
        // A change that lowers the value is never refused for the line.
        #expect(changeAct(gm, cid, "reject", reason: "超警戒线").status == 303)
        let lower = try reviewedChange(id, lines: [("1", "8", "", "")])
        #expect(changeAct(gm, lower, "approve").status == 303)
        #expect(try f.order(id).int("total_fen") == 90_000)
    }

    @Test("003 §3.11: the company initiates a change for a department of the directory; it goes straight to the GM, then sales contacts the customer")
    func test_003_3_11_companyInitiatedChange() throws {
        let id = try releasedOrder()
        #expect(f.client("rep1").get("/order/orders/\(id)/changes/company").status == 403)
        let boss = f.client("boss")
        let form = boss.get("/order/orders/\(id)/changes/company").body
        #expect(form.contains("<option value=\"technical\"") && form.contains("品质部"))
        let fields: [(String, String)] = [("kind", "material"), ("content", "法兰材料改为不锈钢"), ("reason", "原材料停产"),
                                           ("lines.0.line_no", "2"), ("lines.0.spec", "不锈钢")]
        let unknown = boss.submit("/order/orders/\(id)/changes/company", [("initiator_dept", "nowhere")] + fields)
        #expect(unknown.status == 422 && unknown.body.contains("法兰材料改为不锈钢"))
        let r = boss.submit("/order/orders/\(id)/changes/company", [("initiator_dept", "technical")] + fields)
        let cid = try BranchFixture.id(r, after: "/order/changes/")
        let c = try #require(try f.db.first("SELECT * FROM order_changes WHERE id = \(cid)"))
        #expect(c.string("state") == "pending_gm" && c.string("initiator") == "company" && c.string("initiator_dept") == "technical")
        #expect(boss.get("/order/changes/\(cid)").body.contains("技术部"))
        #expect(changeAct(f.client("gm"), cid, "approve").status == 303)
        #expect(try f.db.scalar("SELECT COUNT(*) FROM order_lines WHERE order_id = \(id) AND line_no = 2 AND spec = '不锈钢'") == 1)
        #expect(boss.get("/order/queues/sales").body.contains("请与客户联系处理"))
    }

    @Test("003 §3.12: every department — 技术部 and 品质部 too — gets the notice by its directory code, in its members' inboxes, until it confirms receipt")
    func test_003_3_12_everyDepartmentGetsTheNotice() throws {
        let id = try releasedOrder()
        let cid = try reviewedChange(id, lines: [("1", "11", "", "")])
        #expect(changeAct(f.client("gm"), cid, "approve").status == 303)
        let qual = f.client("qual"), tech = f.client("tech")
        #expect(qual.get("/").body.contains("品质部：1 项合同变更通知待确认"))
        let techPage = tech.get("/order/notices/technical").body
        #expect(techPage.contains("变更通知 \(OrderDocNo.change(cid))"))
        // The confirm button posts under the notices' own path (技术部 has no order queue).
        #expect(techPage.contains("action=\"/order/notices/technical/\(cid)/ack\""))
        #expect(f.client("rep1").get("/order/notices/quality").status == 403)
        // A member acts only for own department.
        #expect(tech.submit("/order/notices/quality/\(cid)/ack", []).status == 403)
        #expect(tech.submit("/order/changes/\(cid)/ack", [("dept", "quality")]).status == 403)
        qual.get("/order/notices/quality")
        #expect(qual.submit("/order/notices/quality/\(cid)/ack", []).status == 303)
        let after = qual.get("/order/notices/quality").body
        #expect(!after.contains("变更通知 \(OrderDocNo.change(cid))") && after.contains("没有待确认的变更通知"))
        #expect(try f.db.query("SELECT dept FROM order_change_receipts WHERE change_id = \(cid)").map { $0.text("dept") } == ["quality"])
        let page = f.client("boss").get("/order/changes/\(cid)").body
        #expect(page.contains("data-dept=\"quality\"") && page.contains("吴质检"))
    }
}
