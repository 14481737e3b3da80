import Foundation
import Testing
import SalesHost
import SalesKit
import SalesTesting
@testable import SuggestionsModule

/// A 建议评审 test app with the committee seated and department managers, shared by the
/// implementation, awards and team tests.
final class IdeasFixture {
    let t: TestApp

    init() throws {
        t = try TestApp(modules: [SuggestionsModule()])
        try t.addUser("staff", roles: [.salesRep], displayName: "张三", department: "销售部")
        try t.addUser("chair", roles: [.marketingDirector], displayName: "营销总监", department: "营销部")
        try t.addUser("member", roles: [.committee], displayName: "委员甲")
        try t.addUser("salesmgr", roles: [.salesManager], displayName: "销售经理", department: "销售部")
        try t.addUser("finmgr", roles: [.finance], displayName: "财务经理", department: "财务部")
        try t.addUser("prodmgr", roles: [.production], displayName: "生产经理", department: "生产部")
        try t.addUser("outsider", roles: [.salesRep], displayName: "李四", department: "销售部")
        try t.addUser("admin", roles: [.admin], displayName: "管理员")
        try t.seatCommittee()
    }

    var db: any Database { t.db }

    /// 10:00 in the company time zone on that day.
    func at(_ y: Int, _ m: Int, _ d: Int) {
        let date = LocalDate(year: y, month: m, day: d).start(in: TimeZone(identifier: "Asia/Shanghai")!).addingTimeInterval(10 * 3600)
        t.worker.clock = { date }
    }

    /// A fresh browser, logged in (the clock may have moved past the session lifetime).
    func client(_ user: String) -> TestClient {
        let c = t.client()
        let r = c.login(user)
        #expect(r.status == 303, "login \(user)")
        return c
    }

    func userID(_ name: String) throws -> Int64 {
        try #require(try db.scalar("SELECT id FROM users WHERE username = \(name)"))
    }

    /// Submits the suggestions on the 5th, grades them on the 22nd and the chair publishes the
    /// batch (§19, §22, §24). Returns the suggestion ids.
    @discardableResult
    func publish(year: Int, month: Int, proposer: String = "staff",
                 _ items: [(title: String, outcome: String, departments: String)]) throws -> [Int64] {
        at(year, month, 5)
        let p = client(proposer)
        var ids: [Int64] = []
        for item in items {
            p.get("/ideas/new")
            let r = p.submit("/ideas/new", [("topic", "development"), ("title", item.title), ("content", "建议内容：\(item.title)。"),
                                            ("expected_effect", "提高效率")])
            #expect(r.status == 303)
            let location = try #require(r.location)
            ids.append(try #require(Int64(location.split(separator: "/").last ?? "")))
        }
        at(year, month, 22)
        let m = client("member")
        for (id, item) in zip(ids, items) {
            m.get("/ideas/\(id)")
            var fields = [("outcome", item.outcome)] + (try t.departmentFields(item.departments))
            if item.outcome == "rejected" { fields.append(("reason", "不可行")) }
            #expect(m.submit("/ideas/\(id)/grade", fields).status == 303)
        }
        let c = client("chair")
        let batch = SuggestionCalendar.Batch(year: year, month: month).description
        c.get("/ideas/batches/\(batch)")
        #expect(c.submit("/ideas/batches/\(batch)/finalize", [(String, String)]()).status == 303)
        return ids
    }

    func order(_ suggestion: Int64, _ department: String) throws -> Int64 {
        try #require(try db.scalar("""
            SELECT id FROM ideas_orders WHERE suggestion_id = \(suggestion) AND department = \(try t.departmentCode(department))
            """))
    }

    func auditCount(_ entity: String, _ action: String) throws -> Int64 {
        try db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = \(entity) AND action = \(action)") ?? 0
    }

    /// Fetches the page first (CSRF token), then posts.
    @discardableResult
    func post(_ c: TestClient, _ path: String, _ fields: [(String, String)]) -> TestClient.Response {
        c.get(path)
        return c.submit(path, fields)
    }
}

/// 建议实施 (002 §26, §23.3) through the host.
@Suite(.serialized) struct ImplementationTests {
    let f: IdeasFixture
    init() throws { f = try IdeasFixture() }

    @Test("002 §26.2: the department manager fills in date and method by month end; 422 keeps values; other departments may not")
    func planByManager() throws {
        let sid = try f.publish(year: 2026, month: 11, [("客户档案周报", "grade2", "销售部，财务部")])[0]
        let sales = try f.order(sid, "销售部"), fin = try f.order(sid, "财务部")
        #expect(try f.db.first("SELECT plan_due FROM ideas_orders WHERE id = \(sales)")?.string("plan_due") == "2026-12-31")

        f.at(2026, 12, 3)
        let m = f.client("salesmgr")
        let mine = m.get("/ideas/orders/mine")
        #expect(mine.status == 200)
        #expect(mine.body.contains("/ideas/orders/\(sales)/plan\"") && !mine.body.contains("/ideas/orders/\(fin)/plan\""))
        let home = m.get("/")
        #expect(home.body.contains("建议实施计划待填报") && home.body.contains("/ideas/orders/\(sales)/plan"))
        #expect(m.get("/ideas/orders/\(sales)/plan").body.contains("填报实施日期与要领"))

        let path = "/ideas/orders/\(sales)/plan"
        let empty = f.post(m, path, [("plan_date", "2026-12-20"), ("plan_method", "")])
        #expect(empty.status == 422)
        #expect(empty.body.contains("此项为必填项") && empty.body.contains("value=\"2026-12-20\""))
        let early = f.post(m, path, [("plan_date", "2026-11-01"), ("plan_method", "由销售内勤每周五汇总客户档案变化")])
        #expect(early.status == 422)
        #expect(early.body.contains("不能早于命令下达日") && early.body.contains("由销售内勤每周五汇总客户档案变化"))
        let bad = f.post(m, path, [("plan_date", "2026-13-01"), ("plan_method", "由销售内勤每周五汇总客户档案变化")])
        #expect(bad.status == 422 && bad.body.contains("value=\"2026-13-01\""))
        #expect(try f.db.first("SELECT state FROM ideas_orders WHERE id = \(sales)")?.string("state") == "issued")

        let ok = f.post(m, path, [("plan_date", "2026-12-20"), ("plan_method", "由销售内勤每周五汇总客户档案变化")])
        #expect(ok.status == 303 && ok.location == "/ideas/orders/\(sales)/plan")
        let row = try #require(try f.db.first("SELECT state, plan_date, plan_method FROM ideas_orders WHERE id = \(sales)"))
        #expect(row.string("state") == "planned" && row.string("plan_date") == "2026-12-20")
        #expect(try f.auditCount("ideas.order", "plan") == 1)

        // Another department's manager neither sees nor fills it; a user without ideas.implement is refused.
        let other = f.client("prodmgr")
        #expect(other.get("/ideas/orders/\(sales)/plan").status == 404)
        #expect(other.get("/ideas/orders/\(sales)").status == 403) // the committee's view
        other.get("/ideas/orders/mine")
        #expect(other.submit(path, [("plan_date", "2026-12-20"), ("plan_method", "不是本部门的命令")]).status == 403)
        let outsider = f.client("outsider")
        outsider.get("/")
        #expect(outsider.submit(path, [("plan_date", "2026-12-20"), ("plan_method", "无权限的人员")]).status == 403)
        #expect(outsider.get("/ideas/orders/mine").status == 403)

        // After the due date (31 Dec) the 财务部 order is overdue; a late plan is accepted and marked.
        f.at(2027, 1, 2)
        let committee = f.client("member")
        let overdue = committee.get("/ideas/orders?overdue=1")
        #expect(overdue.body.contains("/ideas/orders/\(fin)\"") && !overdue.body.contains("/ideas/orders/\(sales)\""))
        let fm = f.client("finmgr")
        #expect(fm.get("/").body.contains("/ideas/orders/\(fin)/plan"))
        #expect(f.post(fm, "/ideas/orders/\(fin)/plan", [("plan_date", "2027-01-10"), ("plan_method", "财务部调整报销单据流程")]).status == 303)
        #expect(try f.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'ideas.order' AND action = 'plan' AND reason LIKE '%逾期填报%'") == 1)
        #expect(fm.get("/ideas/orders/\(fin)/plan").body.contains("逾期填报"))
    }

    @Test("002 §26.2–§26.3: a difficulty is reported to the chair; only the chair rules; the ruling is recorded and audited")
    func difficultyAndRuling() throws {
        let sid = try f.publish(year: 2026, month: 11, [("简化报销流程", "grade3", "销售部")])[0]
        let o = try f.order(sid, "销售部")
        f.at(2026, 12, 3)
        let m = f.client("salesmgr")
        #expect(f.post(m, "/ideas/orders/\(o)/plan", [("plan_date", "2026-12-20"), ("plan_method", "销售部先行试点两周")]).status == 303)
        let short = f.post(m, "/ideas/orders/\(o)/issue", [("kind", "disagreement"), ("text", "不同意")])
        #expect(short.status == 422 && short.body.contains("至少 5 个字"))
        #expect(f.post(m, "/ideas/orders/\(o)/issue", [("kind", "disagreement"), ("text", "财务部不同意调整报销审批顺序")]).status == 303)
        #expect(try f.db.scalar("SELECT issue_open FROM ideas_orders WHERE id = \(o)") == 1)

        let chair = f.client("chair")
        #expect(chair.get("/").body.contains("待裁决：销售部报告与有关部门意见不合"))
        // Members and other reviewers do not rule.
        let member = f.client("member")
        #expect(f.post(member, "/ideas/orders/\(o)/decide", [("action", "proceed"), ("decision", "继续")]).status == 403)
        #expect(f.post(m, "/ideas/orders/\(o)/decide", [("action", "proceed"), ("decision", "继续")]).status == 403)

        let missing = f.post(chair, "/ideas/orders/\(o)/decide", [("action", "replan"), ("decision", "")])
        #expect(missing.status == 422 && missing.body.contains("此项为必填项"))
        #expect(missing.body.contains("value=\"replan\" selected"))
        let ruled = f.post(chair, "/ideas/orders/\(o)/decide", [("action", "replan"), ("decision", "由销售部牵头，财务部配合，重新安排")])
        #expect(ruled.status == 303)
        let row = try #require(try f.db.first("SELECT state, issue_open, decision FROM ideas_orders WHERE id = \(o)"))
        #expect(row.string("state") == "issued" && row.int("issue_open") == 0 && row.string("decision") == "由销售部牵头，财务部配合，重新安排")
        let audit = try #require(try f.db.first("SELECT from_state, to_state, reason FROM audit_log WHERE entity = 'ideas.order' AND action = 'decide'"))
        #expect(audit.string("from_state") == "planned" && audit.string("to_state") == "issued" && audit.string("reason") == "由销售部牵头，财务部配合，重新安排")
        #expect(try f.auditCount("ideas.order", "report_disagreement") == 1)
        let page = m.get("/ideas/orders/\(o)/plan")
        #expect(page.body.contains("主任委员裁决") && page.body.contains("由销售部牵头，财务部配合，重新安排"))
        #expect(!chair.get("/").body.contains("待裁决"))
    }

    @Test("002 §26.5 + §26.4: the committee confirms the effect after implementation; a top-up in 分, once per suggestion")
    func confirmAndTopUp() throws {
        let sid = try f.publish(year: 2026, month: 11, [("客户回访制度", "grade2", "销售部，财务部")])[0]
        let sales = try f.order(sid, "销售部"), fin = try f.order(sid, "财务部")
        f.at(2026, 12, 3)
        let sm = f.client("salesmgr")
        #expect(f.post(sm, "/ideas/orders/\(sales)/plan", [("plan_date", "2026-12-15"), ("plan_method", "每月回访重点客户")]).status == 303)
        let fm = f.client("finmgr")
        #expect(f.post(fm, "/ideas/orders/\(fin)/plan", [("plan_date", "2026-12-10"), ("plan_method", "回访费用单列科目")]).status == 303)

        f.at(2026, 12, 5)
        var member = f.client("member")
        let early = f.post(member, "/ideas/orders/\(sales)/confirm", [("effect", "回访率提高到九成")])
        #expect(early.status == 422 && early.body.contains("实施后方可确认效果"))

        f.at(2026, 12, 16)
        member = f.client("member")
        #expect(member.get("/").body.contains("建议实施效果待确认：客户回访制度"))
        let noExceed = f.post(member, "/ideas/orders/\(sales)/confirm", [("effect", "回访率提高到九成"), ("topup", "300.50"), ("topup_reason", "新增订单")])
        #expect(noExceed.status == 422)
        #expect(noExceed.body.contains("只有实施效果超过原先预期时才能追补奖金") && noExceed.body.contains("value=\"300.50\""))
        // A department manager is not the committee.
        let sm2 = f.client("salesmgr")
        #expect(f.post(sm2, "/ideas/orders/\(sales)/confirm", [("effect", "自己确认效果")]).status == 403)

        let ok = f.post(member, "/ideas/orders/\(sales)/confirm", [("effect", "回访率提高到九成，新增订单三笔"), ("exceeded", "1"),
                                                                    ("topup", "300.50"), ("topup_reason", "效果超过预期")])
        #expect(ok.status == 303)
        #expect(try f.db.first("SELECT state FROM ideas_orders WHERE id = \(sales)")?.string("state") == "confirmed")
        let topup = try #require(try f.db.first("SELECT user_id, amount_fen, order_id FROM ideas_ledger WHERE kind = 'topup'"))
        let staffID = try f.userID("staff")
        #expect(topup.int("amount_fen") == 30_050 && topup.int("user_id") == staffID && topup.int("order_id") == sales)
        #expect(try f.auditCount("ideas.order", "confirm") == 1)
        #expect(try f.auditCount("ideas.ledger", "topup") == 1)

        // The second department's confirmation may not top up again; the refusal changes nothing.
        let twice = f.post(member, "/ideas/orders/\(fin)/confirm", [("effect", "费用核算清楚"), ("exceeded", "1"), ("topup", "100"),
                                                                    ("topup_reason", "再追补")])
        #expect(twice.status == 422 && twice.body.contains("该建议已追补过奖金"))
        #expect(try f.db.first("SELECT state FROM ideas_orders WHERE id = \(fin)")?.string("state") == "planned")
        #expect(try f.db.scalar("SELECT COUNT(*) FROM ideas_ledger WHERE kind = 'topup'") == 1)
        #expect(f.post(member, "/ideas/orders/\(fin)/confirm", [("effect", "费用核算清楚")]).status == 303)
        #expect(f.post(member, "/ideas/orders/\(fin)/confirm", [("effect", "再次确认效果")]).status == 409)
        // Confirmed: the plan is closed.
        #expect(f.post(sm2, "/ideas/orders/\(sales)/plan", [("plan_date", "2026-12-30"), ("plan_method", "修改已确认的计划")]).status == 409)
    }

    @Test("002 §23.3: the committee records the implementation-performance award after confirmation, into the ledger")
    func performanceAward() throws {
        let sid = try f.publish(year: 2026, month: 11, [("门店陈列标准", "grade1", "销售部")])[0]
        let o = try f.order(sid, "销售部")
        f.at(2026, 12, 3)
        let sm = f.client("salesmgr")
        #expect(f.post(sm, "/ideas/orders/\(o)/plan", [("plan_date", "2026-12-10"), ("plan_method", "统一陈列标准并培训")]).status == 303)
        f.at(2026, 12, 12)
        let member = f.client("member")
        let mgr = String(try f.userID("salesmgr"))
        #expect(f.post(member, "/ideas/orders/\(o)/performance", [("recipient", mgr), ("amount", "150"), ("reason", "组织得力")]).status == 409)
        #expect(f.post(member, "/ideas/orders/\(o)/confirm", [("effect", "陈列统一，客户反馈良好")]).status == 303)
        let bad = f.post(member, "/ideas/orders/\(o)/performance", [("recipient", mgr), ("amount", "abc"), ("reason", "组织得力")])
        #expect(bad.status == 422 && bad.body.contains("value=\"abc\"") && bad.body.contains("请输入金额"))
        #expect(f.post(member, "/ideas/orders/\(o)/performance", [("recipient", mgr), ("amount", "150"), ("reason", "组织得力")]).status == 303)
        let row = try #require(try f.db.first("SELECT user_id, department, amount_fen, batch FROM ideas_ledger WHERE kind = 'performance'"))
        #expect(row.string("user_id") == mgr && row.string("department") == "销售部" && row.int("amount_fen") == 15_000 && row.string("batch") == "2026-11")
        let again = f.post(member, "/ideas/orders/\(o)/performance", [("recipient", mgr), ("amount", "100"), ("reason", "再次")])
        #expect(again.status == 422 && again.body.contains("已为此人记录过"))
        #expect(f.post(f.client("salesmgr"), "/ideas/orders/\(o)/performance", [("recipient", mgr), ("amount", "100"), ("reason", "自己给自己")]).status == 403)
        #expect(try f.auditCount("ideas.ledger", "performance") == 1)
        #expect(member.get("/ideas/ledger?kind=performance").body.contains("实施绩效奖"))
    }

    @Test("002 §26: the committee's list of all orders filters by department and state and exports CSV")
    func committeeList() throws {
        let sid = try f.publish(year: 2026, month: 11, [("客户分级回访", "grade4", "销售部，财务部")])[0]
        let sales = try f.order(sid, "销售部"), fin = try f.order(sid, "财务部")
        f.at(2026, 12, 3)
        let member = f.client("member")
        let all = member.get("/ideas/orders")
        #expect(all.status == 200 && all.body.contains("/ideas/orders/\(sales)\"") && all.body.contains("/ideas/orders/\(fin)\""))
        let only = member.get("/ideas/orders?department=finance")     // RULES §6: by directory code
        #expect(only.body.contains("/ideas/orders/\(fin)\"") && !only.body.contains("/ideas/orders/\(sales)\""))
        #expect(!member.get("/ideas/orders?state=planned").body.contains("/ideas/orders/\(fin)\""))
        let csv = member.get("/ideas/orders?format=csv")
        #expect(csv.status == 200 && csv.header("Content-Type")?.hasPrefix("text/csv") == true)
        #expect(csv.body.hasPrefix("\u{FEFF}命令单编号,建议,实施部门,批次"))
        #expect(csv.body.contains("客户分级回访,财务部,2026-11,2026-12-15,2026-12-31"))
        #expect(f.client("outsider").get("/ideas/orders").status == 403)
    }

    @Test("002 §26.2: the department's list (a ListPage) shows only its own orders, no department filter, the issue filter and its CSV")
    func departmentList() throws {
        let sid = try f.publish(year: 2026, month: 11, [("客户分级回访", "grade4", "销售部，财务部")])[0]
        let sales = try f.order(sid, "销售部"), fin = try f.order(sid, "财务部")
        f.at(2026, 12, 3)
        let sm = f.client("salesmgr")
        #expect(f.post(sm, "/ideas/orders/\(sales)/issue", [("kind", "difficulty"), ("text", "人手不足，需要协调")]).status == 303)
        let mine = sm.get("/ideas/orders/mine")
        #expect(mine.status == 200 && mine.body.contains("<h1>本部门建议实施命令</h1>") && mine.body.contains("本部门：销售部"))
        #expect(mine.body.contains("href=\"/ideas/orders/\(sales)/plan\"") && !mine.body.contains("/ideas/orders/\(fin)/plan"))
        #expect(!mine.body.contains("name=\"department\""))          // the committee's filter only
        #expect(mine.body.contains("实施中遇到困难（待裁决）"))
        let csv = sm.get("/ideas/orders/mine?format=csv")
        #expect(csv.body.hasPrefix("\u{FEFF}命令单编号,建议,实施部门,批次,下达期限,计划填报期限,实施日期,状态,困难/异议"))
        #expect(csv.body.contains("客户分级回访,销售部,2026-11,2026-12-15,2026-12-31,,待填报实施计划,实施中遇到困难（待裁决）"))
        #expect(!csv.body.contains("财务部"))
        // A manager's department filter cannot be widened through the URL.
        #expect(!sm.get("/ideas/orders/mine?department=finance").body.contains("/ideas/orders/\(fin)/plan"))
        // The committee's list: the issue filter and the department filter.
        let member = f.client("member")
        let issues = member.get("/ideas/orders?issue=1")
        #expect(issues.body.contains("/ideas/orders/\(sales)\"") && !issues.body.contains("/ideas/orders/\(fin)\""))
        #expect(member.get("/ideas/orders").body.contains("name=\"department\""))
        // A manager without a department sees none and is told why.
        // (A new user joins the department of their roles; this one is taken out of it.)
        let nodept = try f.t.addUser("nodept", roles: [.salesManager], displayName: "无部门经理")
        try f.t.db.execute("DELETE FROM department_members WHERE user_id = \(nodept)")
        try f.t.db.execute("UPDATE users SET department = '' WHERE id = \(nodept)")
        let none = f.client("nodept").get("/ideas/orders/mine")
        #expect(none.status == 200 && none.body.contains("您的账号没有登记部门") && none.body.contains("没有实施命令。"))
    }
}
