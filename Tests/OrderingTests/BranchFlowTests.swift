import Foundation
import Testing
import AdminModule
import CustomerDevelopmentModule
import SalesHost
import SalesKit
import SalesTesting
@testable import OrderingModule

/// A host with the 订货 module, a branch managed by `mgr`, and a fixed clock.
final class BranchFixture {
    let t: TestApp
    let mgr: Int64
    static let zone = TimeZone(identifier: "Asia/Shanghai")!

    /// `2026-03-10 12:00` in the company time zone (a Tuesday).
    static func at(_ day: String, _ hour: Int = 12, _ minute: Int = 0) -> Date {
        LocalDate(day)!.start(in: zone).addingTimeInterval(Double(hour * 3600 + minute * 60))
    }

    init(now: Date = BranchFixture.at("2026-03-10")) throws {
        t = try TestApp(modules: [AdminModule(), CustomerDevelopmentModule(), OrderingModule()])
        mgr = try t.addUser("mgr", roles: [.salesManager], displayName: "周经理")
        try t.addUser("dir", roles: [.marketingDirector], displayName: "钱总监")
        try t.addUser("sup", roles: [.salesSupervisor], displayName: "孙主管")
        try t.addUser("rep", roles: [.salesRep], displayName: "吴专员")
        try t.addUser("fin", roles: [.finance], displayName: "郑会计")
        try t.addUser("it", roles: [.admin], displayName: "管理员")
        setNow(now)
    }

    /// Moves the clock (sessions idle for more than 8 hours expire: log in again after a jump).
    func setNow(_ date: Date) { t.worker.clock = { date } }
    var db: any Database { t.db }

    func client(_ username: String) -> TestClient {
        let c = t.client()
        #expect(c.login(username).status == 303)
        return c
    }

    static func id(_ r: TestClient.Response, after prefix: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Int64 {
        #expect(r.status == 303, "expected a redirect, got \(r.status): \(r.body.prefix(600))", sourceLocation: sourceLocation)
        let loc = try #require(r.location, sourceLocation: sourceLocation)
        #expect(loc.hasPrefix(prefix), "unexpected location \(loc)", sourceLocation: sourceLocation)
        return try #require(Int64(loc.dropFirst(prefix.count).prefix { $0.isNumber }), sourceLocation: sourceLocation)
    }

    /// 华东分公司, managed by `mgr`, limit in yuan — created by IT through the form.
    func branch(limit: String = "10000") throws -> Int64 {
        let it = client("it")
        #expect(it.get("/order/branches/new").status == 200)
        return try Self.id(it.submit("/order/branches/new", [("name", "华东分公司"), ("manager_id", String(mgr)), ("capital_limit", limit)]),
                           after: "/order/branches/")
    }

    @discardableResult
    func order(_ c: TestClient, _ branch: Int64, date: String = "2026-03-10", _ lines: [(String, String, String)]) -> TestClient.Response {
        c.get("/order/branches/\(branch)/orders/new")
        var fields = [("order_date", date)]
        for (i, l) in lines.enumerated() {
            fields += [("lines.\(i).product", l.0), ("lines.\(i).quantity", l.1), ("lines.\(i).unit_price", l.2)]
        }
        return c.submit("/order/branches/\(branch)/orders/new", fields)
    }

    @discardableResult
    func act(_ c: TestClient, _ order: Int64, _ action: String, reason: String? = nil) -> TestClient.Response {
        c.get("/order/branch-orders/\(order)")
        return c.submit("/order/branch-orders/\(order)/act", [("action", action)] + (reason.map { [("reason", $0)] } ?? []))
    }

    func state(_ order: Int64) throws -> String? {
        try db.first("SELECT state FROM order_branch_orders WHERE id = \(order)")?.string("state")
    }

    func audit(_ entity: String, _ id: Int64) throws -> [Row] {
        try db.query("SELECT username, action, from_state, to_state, reason FROM audit_log WHERE entity = \(entity) AND entity_id = \(String(id)) ORDER BY id")
    }
}

@Suite struct BranchFlowTests {
    @Test("002 订货管理规定 §5–§6: stock at the reorder point (= boundary) prompts the branch manager on the branch page and in the inbox; one more unit does not")
    func promptAtReorderPoint() throws {
        let f = try BranchFixture()
        let bid = try f.branch()
        let mgr = f.client("mgr")
        // February 2026 (28 days): 280 sold → 10/day; March 2025: 279 → 9/day; transit 3 days → 30.
        for (month, qty) in [("2026-02", "280"), ("2025-03", "279")] {
            mgr.get("/order/branches/\(bid)/sales")
            #expect(mgr.submit("/order/branches/\(bid)/sales", [("product", "滤清器 LX-100"), ("month", month), ("quantity", qty)]).status == 303)
        }
        mgr.get("/order/branches/\(bid)/stock")
        #expect(mgr.submit("/order/branches/\(bid)/stock", [("product", "滤清器 LX-100"), ("on_hand", "30"), ("transit_days", "3")]).status == 303)
        var page = mgr.get("/order/branches/\(bid)")
        #expect(page.status == 200)
        #expect(page.body.contains("请及时订货"))
        #expect(page.body.contains("库存 30 ≤ 订货点 30"))
        #expect(mgr.get("/").body.contains("请订货：华东分公司 · 滤清器 LX-100"))
        // Another manager's inbox does not carry it.
        #expect(!f.client("sup").get("/").body.contains("请订货：华东分公司"))

        // 31 on hand is above the point: no prompt.
        mgr.get("/order/branches/\(bid)/stock?product=" + URLEncoding.percentEncode("滤清器 LX-100"))
        #expect(mgr.submit("/order/branches/\(bid)/stock", [("product", "滤清器 LX-100"), ("on_hand", "31"), ("transit_days", "3")]).status == 303)
        page = mgr.get("/order/branches/\(bid)")
        #expect(!page.body.contains("请及时订货"))
        #expect(!mgr.get("/").body.contains("请订货：华东分公司"))
        // Every change is audited (stock: from → to; sales per month).
        let sid = try #require(try f.db.scalar("SELECT id FROM order_branch_stock WHERE branch_id = \(bid)"))
        let rows = try f.audit("order.branch_stock", sid)
        #expect(rows.map { $0.string("action") } == ["create", "update"])
        #expect(rows.last?.string("from_state") == "库存 30，在途 3 天")
        #expect(rows.last?.string("to_state") == "库存 31，在途 3 天")
        #expect(try f.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'order.branch_sales'") == 2)

        // Next month the point is recomputed from March's sales (none recorded → 0): no prompt at 31.
        f.setNow(BranchFixture.at("2026-04-02"))
        #expect(!f.client("mgr").get("/").body.contains("请订货"))
    }

    @Test("002 订货管理规定 §8: within the limit → released; over it → waits → 营销总监 approves → released; reject needs a reason; all audited")
    func overLimitWaitsForDirector() throws {
        let f = try BranchFixture()
        let bid = try f.branch(limit: "10000")
        let mgr = f.client("mgr")
        // 5,000.00 within a 10,000.00 limit: released at once.
        let first = try BranchFixture.id(f.order(mgr, bid, [("滤清器 LX-100", "10", "500")]), after: "/order/branch-orders/")
        #expect(try f.state(first) == "released")
        // 5,000 + 5,000 = the limit exactly: still within.
        let second = try BranchFixture.id(f.order(mgr, bid, [("滤清器 LX-100", "5", "600"), ("机油格 JX-2", "4", "500")]), after: "/order/branch-orders/")
        #expect(try f.state(second) == "released")
        #expect(try f.db.scalar("SELECT amount FROM order_branch_orders WHERE id = \(second)") == 500_000)
        // 0.01 more: waits for the director.
        let third = try BranchFixture.id(f.order(mgr, bid, [("机油格 JX-2", "1", "0.01")]), after: "/order/branch-orders/")
        #expect(try f.state(third) == "pending")
        let waiting = mgr.get("/order/branch-orders/\(third)").body
        #expect(waiting.contains("超出限额 ¥0.01"))
        #expect(!waiting.contains("审批：") && !waiting.contains("备注："))     // not decided, no note: no empty lines
        let created = try f.audit("order.branch_order", third)
        #expect(created.first?.string("to_state") == "pending")
        #expect(created.first?.string("reason")?.contains("> 限额 ¥10,000.00") == true)

        // The director sees it in the inbox; a reject without a reason is refused and nothing changes.
        let dir = f.client("dir")
        #expect(dir.get("/").body.contains("超资金占用限额订单待审批：华东分公司 \(OrderDocNo.branchOrder(third))"))
        // #16 point 10: the order is named by its number, never 「#\(third)」.
        #expect(dir.get("/order/branch-orders/\(third)").body.contains("<h1>分支机构订货单 \(OrderDocNo.branchOrder(third))："))
        let noReason = f.act(dir, third, "reject")
        #expect(noReason.status == 303)
        #expect(dir.refusal(after: noReason) != nil)
        #expect(try f.state(third) == "pending")
        // Approve → released, decided by the director, audited pending → released.
        #expect(f.act(dir, third, "approve").status == 303)
        #expect(try f.state(third) == "released")
        let decided = try #require(try f.db.first("SELECT decided_by FROM order_branch_orders WHERE id = \(third)"))
        #expect(decided.int("decided_by") == (try f.db.scalar("SELECT id FROM users WHERE username = 'dir'")))
        let trail = try f.audit("order.branch_order", third)
        #expect(trail.last?.string("username") == "dir")
        #expect(trail.last?.string("from_state") == "pending")
        #expect(trail.last?.string("to_state") == "released")
        #expect(!dir.get("/").body.contains("超资金占用限额订单待审批"))

        // A fourth over-limit order rejected with a reason.
        let fourth = try BranchFixture.id(f.order(mgr, bid, [("机油格 JX-2", "2", "100")]), after: "/order/branch-orders/")
        #expect(try f.state(fourth) == "pending")
        #expect(f.act(dir, fourth, "reject", reason: "库存偏高，先消化现有库存").status == 303)
        #expect(try f.state(fourth) == "rejected")
        #expect(try f.audit("order.branch_order", fourth).last?.string("reason") == "库存偏高，先消化现有库存")
        #expect(dir.get("/order/branch-orders/\(fourth)").body.contains("审批：钱总监"))
        #expect(dir.get("/order/branch-orders/\(fourth)").body.contains("库存偏高，先消化现有库存"))

        // Finance records the branch's payment for the first order: its 5,000 no longer occupies capital.
        // Its list links the released orders; the 确认回款 button is on the order's page (issue #13).
        let fin = f.client("fin")
        let due = fin.get("/order/branch-settlements")
        #expect(due.status == 200)
        #expect(due.body.contains("href=\"/order/branch-orders/\(first)\"") && !due.body.contains("href=\"/order/branch-orders/\(fourth)\""))
        #expect(fin.get("/order/branch-orders/\(first)").body.contains("action=\"/order/branch-orders/\(first)/settle\""))
        #expect(!fin.get("/order/branch-orders/\(fourth)").body.contains("/settle\""))
        #expect(fin.submit("/order/branch-orders/\(first)/settle", []).status == 303)
        #expect(mgr.submit("/order/branch-orders/\(second)/settle", []).status == 403)
        #expect(try f.state(first) == "settled")
        let fifth = try BranchFixture.id(f.order(mgr, bid, [("滤清器 LX-100", "1", "4999.99")]), after: "/order/branch-orders/")
        #expect(try f.state(fifth) == "released")     // 5,000.01 + 4,999.99 = 10,000.00
        // Occupancy is now the second, third and fifth orders: 5,000.00 + 0.01 + 4,999.99 = the limit.
        #expect(try f.db.scalar("SELECT SUM(amount) FROM order_branch_orders WHERE branch_id = \(bid) AND state = 'released'") == 1_000_000)
        let branches = mgr.get("/order/branches")
        #expect(branches.status == 200)
        #expect(branches.body.contains("华东分公司"))
        let list = mgr.get("/order/branch-orders?state=released&branch=\(bid)")
        #expect(list.status == 200)
        #expect(list.body.contains("/order/branch-orders/\(fifth)") && !list.body.contains("/order/branch-orders/\(fourth)\""))
        // Sorted by 填单人 (a computed column), paging past a cursor row.
        let page = mgr.get("/order/branch-orders?sort=creator&dir=asc&after=t%E5%91%A8%E7%BB%8F%E7%90%86&after_id=\(first)")
        #expect(page.status == 200)
        #expect(page.body.contains("/order/branch-orders/\(fifth)\"") && !page.body.contains("/order/branch-orders/\(first)\""))
        let csv = mgr.get("/order/branch-orders?format=csv")
        #expect(csv.status == 200)
        #expect(csv.body.contains("已回款") && csv.body.contains("已驳回"))
    }

    @Test("002 订货管理规定 §8: approving an over-limit branch order without the 营销总监's permission is 403 and changes nothing")
    func approvalWithoutPermissionIs403() throws {
        let f = try BranchFixture()
        let bid = try f.branch(limit: "100")
        let mgr = f.client("mgr")
        let oid = try BranchFixture.id(f.order(mgr, bid, [("滤清器 LX-100", "1", "100.01")]), after: "/order/branch-orders/")
        #expect(try f.state(oid) == "pending")
        // Branch staff may open the order but not approve it.
        #expect(mgr.get("/order/branch-orders/\(oid)").status == 200)
        #expect(!mgr.get("/order/branch-orders/\(oid)").body.contains("批准供货"))
        #expect(f.act(mgr, oid, "approve").status == 403)
        #expect(f.act(f.client("sup"), oid, "approve").status == 403)
        // Finance may settle, not approve; a sales rep may not even open it.
        let fin = f.client("fin")
        #expect(!fin.get("/order/branch-orders/\(oid)").body.contains("批准供货"))
        #expect(fin.submit("/order/branch-orders/\(oid)/act", [("action", "approve")]).status == 403)
        #expect(fin.submit("/order/branch-orders/\(oid)/settle", []).status == 303)   // refused: pending is not released
        let rep = f.client("rep")
        #expect(rep.get("/order/branch-orders/\(oid)").status == 403)
        rep.get("/")
        #expect(rep.submit("/order/branch-orders/\(oid)/act", [("action", "approve")]).status == 403)
        #expect(try f.state(oid) == "pending")
        #expect(try f.audit("order.branch_order", oid).count == 1)    // only its creation
        // The director's approval goes through.
        #expect(f.act(f.client("dir"), oid, "approve").status == 303)
        #expect(try f.state(oid) == "released")
    }

    @Test("bad input on branch forms → 422 with the message by the field and every value kept")
    func invalidInputIs422WithValuesKept() throws {
        let f = try BranchFixture()
        let bid = try f.branch()
        let mgr = f.client("mgr")
        let r = f.order(mgr, bid, [("滤清器 LX-100", "-3", "500"), ("机油格 JX-2", "abc", "12.345")])
        #expect(r.status == 422)
        #expect(r.body.contains("value=\"-3\""))
        #expect(r.body.contains("value=\"abc\""))
        #expect(r.body.contains("value=\"12.345\""))
        #expect(r.body.contains("value=\"机油格 JX-2\""))
        #expect(r.body.contains("class=\"error\""))
        #expect(try f.db.scalar("SELECT COUNT(*) FROM order_branch_orders") == 0)
        // Stock: a negative quantity; sales: a malformed month.
        mgr.get("/order/branches/\(bid)/stock")
        let s = mgr.submit("/order/branches/\(bid)/stock", [("product", "滤清器 LX-100"), ("on_hand", "-1"), ("transit_days", "3")])
        #expect(s.status == 422)
        #expect(s.body.contains("value=\"-1\"") && s.body.contains("value=\"滤清器 LX-100\""))
        let m = mgr.submit("/order/branches/\(bid)/sales", [("product", "滤清器 LX-100"), ("month", "2026-13"), ("quantity", "5")])
        #expect(m.status == 422)
        #expect(m.body.contains("value=\"2026-13\"") && m.body.contains("YYYY-MM"))
        // Branch master: a duplicate name is refused with the limit kept.
        let it = f.client("it")
        it.get("/order/branches/new")
        let d = it.submit("/order/branches/new", [("name", "华东分公司"), ("manager_id", String(f.mgr)), ("capital_limit", "888.88")])
        #expect(d.status == 422)
        #expect(d.body.contains("已有同名分支机构") && d.body.contains("value=\"888.88\""))
        // Only branch admins may create branches; a manager that cannot work branch orders is refused.
        #expect(mgr.get("/order/branches/new").status == 403)
        let repID = try #require(try f.db.scalar("SELECT id FROM users WHERE username = 'rep'"))
        let bad = it.submit("/order/branches/new", [("name", "华南分公司"), ("manager_id", String(repID)), ("capital_limit", "1")])
        #expect(bad.status == 422)
    }

    @Test("002 订货管理规定 §7: the intent list is due Friday 17:30; after close it is overdue in the manager's inbox and a late list is marked; Saturday looks to next Friday")
    func intentListDueFriday() throws {
        // Friday 2026-03-13, 10:00.
        let f = try BranchFixture(now: BranchFixture.at("2026-03-13", 10))
        let bid = try f.branch()
        var mgr = f.client("mgr")
        var inbox = mgr.get("/").body
        #expect(inbox.contains("要货意向清单：华东分公司"))
        #expect(!inbox.contains("要货意向清单已逾期"))
        // 17:30 sharp is still on time; 17:31 is overdue.
        f.setNow(BranchFixture.at("2026-03-13", 17, 30))
        #expect(!mgr.get("/").body.contains("要货意向清单已逾期"))
        f.setNow(BranchFixture.at("2026-03-13", 17, 31))
        #expect(mgr.get("/").body.contains("要货意向清单已逾期：华东分公司"))
        // Saturday: last Friday's list is still missing (overdue), and next Friday's is due.
        f.setNow(BranchFixture.at("2026-03-14", 9))
        mgr = f.client("mgr")
        inbox = mgr.get("/").body
        #expect(inbox.contains("要货意向清单已逾期：华东分公司"))
        #expect(inbox.contains("/order/branches/\(bid)/intent?due=2026-03-20"))
        #expect(inbox.contains("/order/branches/\(bid)/intent?due=2026-03-13"))
        // The late list for 2026-03-16..22 is accepted and marked late.
        let form = mgr.get("/order/branches/\(bid)/intent?due=2026-03-13")
        #expect(form.status == 200)
        #expect(form.body.contains("2026-03-16 至 2026-03-22"))
        #expect(mgr.submit("/order/branches/\(bid)/intent?due=2026-03-13",
                           [("lines.0.product", "滤清器 LX-100"), ("lines.0.quantity", "10")]).status == 303)
        let intent = try #require(try f.db.first("SELECT * FROM order_branch_intents WHERE branch_id = \(bid)"))
        #expect(intent.string("period_start") == "2026-03-16")
        #expect(intent.bool("late"))
        #expect(try f.audit("order.branch_intent", intent.int("id")!).first?.string("to_state") == "late")
        inbox = mgr.get("/").body
        #expect(!inbox.contains("要货意向清单已逾期"))
        #expect(inbox.contains("intent?due=2026-03-20"))
        // A second list for the same week is refused; a non-Friday due date is not a page.
        #expect(mgr.get("/order/branches/\(bid)/intent?due=2026-03-13").status == 409)
        #expect(mgr.get("/order/branches/\(bid)/intent?due=2026-03-14").status == 404)
        // Before close on Friday the next one is on time.
        f.setNow(BranchFixture.at("2026-03-20", 17))
        mgr = f.client("mgr")
        mgr.get("/order/branches/\(bid)/intent")
        #expect(mgr.submit("/order/branches/\(bid)/intent", [("lines.0.product", "滤清器 LX-100"), ("lines.0.quantity", "8")]).status == 303)
        #expect(try f.db.scalar("SELECT late FROM order_branch_intents WHERE due_date = '2026-03-20'") == 0)
    }

    @Test("002 订货管理规定 §7: the report compares each week's intent list with the orders actually placed, per branch manager")
    func intentVersusActualReport() throws {
        let f = try BranchFixture(now: BranchFixture.at("2026-03-13", 10))
        let bid = try f.branch(limit: "100000")
        var mgr = f.client("mgr")
        mgr.get("/order/branches/\(bid)/intent")
        #expect(mgr.submit("/order/branches/\(bid)/intent", [("lines.0.product", "滤清器 LX-100"), ("lines.0.quantity", "10"),
                                                              ("lines.1.product", "机油格 JX-2"), ("lines.1.quantity", "10")]).status == 303)
        // During 2026-03-16..22 the branch orders 10 of one product only (and one order outside the week).
        f.setNow(BranchFixture.at("2026-03-18"))
        mgr = f.client("mgr")
        #expect(f.order(mgr, bid, date: "2026-03-17", [("滤清器 LX-100", "10", "10")]).status == 303)
        #expect(f.order(mgr, bid, date: "2026-03-12", [("机油格 JX-2", "10", "10")]).status == 303)
        let report = mgr.get("/order/branch-intents")
        #expect(report.status == 200)
        #expect(report.body.contains("周经理"))
        #expect(report.body.contains("50%"))
        let csv = mgr.get("/order/branch-intents?format=csv")
        #expect(csv.body.contains("周经理,华东分公司,2026-03-16–2026-03-22,按时,20,10,50%"))
    }
}
