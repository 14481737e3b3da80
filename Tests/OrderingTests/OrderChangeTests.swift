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
        #expect(rep.get("/order/changes").body.contains("<a href=\"/order/changes/\(cid)\">#\(cid)</a>"))
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
        #expect(!f.client("fin").get("/order/queues/finance").body.contains("变更通知 #\(cid)"))
        #expect(changeAct(f.client("gm"), cid, "approve").status == 303)
        let boss = f.client("boss"), fin = f.client("fin"), prod = f.client("prod")
        #expect(boss.get("/order/queues/sales").body.contains("变更通知 #\(cid)"))
        #expect(fin.get("/order/queues/finance").body.contains("变更通知 #\(cid)"))
        #expect(prod.get("/order/queues/production").body.contains("变更通知 #\(cid)"))
        #expect(fin.get("/").body.contains("财务部：1 项合同变更通知待确认"))
        // Finance confirms; production may not confirm for finance (403).
        prod.get("/order/queues/production")
        #expect(prod.submit("/order/changes/\(cid)/ack", [("dept", "finance")]).status == 403)
        fin.get("/order/queues/finance")
        #expect(fin.submit("/order/changes/\(cid)/ack", [("dept", "finance")]).status == 303)
        #expect(!fin.get("/order/queues/finance").body.contains("变更通知 #\(cid)"))
        #expect(prod.get("/order/queues/production").body.contains("变更通知 #\(cid)"))
        #expect(try f.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'order.change' AND action = 'ack'") == 1)
        #expect(boss.get("/order/changes/\(cid)").body.contains("钱会计"))
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
}
