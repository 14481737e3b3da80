import Foundation
import Testing
import SalesHost
import SalesKit
import SalesTesting
@testable import SuggestionsModule

/// 建议评审 through the host (002 第4章 §17–§26).
@Suite(.serialized) struct SuggestionFlowTests {
    let t: TestApp
    init() throws {
        t = try TestApp(modules: [SuggestionsModule()])
        try t.addUser("staff", roles: [.finance], department: "财务部")
        try t.addUser("chair", roles: [.marketingDirector], displayName: "营销总监")
        try t.addUser("member", roles: [.committee], displayName: "委员甲")
        try t.addUser("outsider", roles: [.salesRep])
        try t.seatCommittee()
    }

    func at(_ y: Int, _ m: Int, _ d: Int) {
        let date = LocalDate(year: y, month: m, day: d).start(in: TimeZone(identifier: "Asia/Shanghai")!).addingTimeInterval(10 * 3600)
        t.worker.clock = { date }
    }

    func submit(_ c: TestClient, _ title: String) throws -> String {
        c.get("/ideas/new")
        let r = c.submit("/ideas/new", [("topic", "development"), ("title", title), ("content", "每周五汇总客户档案变化并通报。"),
                                        ("expected_effect", "减少遗漏")])
        #expect(r.status == 303)
        return try #require(r.location)
    }

    @Test("§20: anyone submits without approval; §19: batch by the 20th; empty content is 422 with values kept")
    func submitAndBatch() throws {
        at(2026, 11, 20)
        let c = t.client()
        c.login("staff")
        c.get("/ideas/new")
        let bad = c.submit("/ideas/new", [("topic", "other"), ("title", "我的标题"), ("content", "")])
        #expect(bad.status == 422)
        #expect(bad.body.contains("此项为必填项"))
        #expect(bad.body.contains("value=\"我的标题\""))
        let loc = try submit(c, "二十日提交")
        at(2026, 11, 21)
        c.login("staff") // a day later: the session has expired
        let loc2 = try submit(c, "二十一日提交")
        #expect(try t.db.first("SELECT batch FROM ideas_suggestions WHERE title = '二十日提交'")?.string("batch") == "2026-11")
        #expect(try t.db.first("SELECT batch FROM ideas_suggestions WHERE title = '二十一日提交'")?.string("batch") == "2026-12")
        // The proposer may edit until the batch opens: the November one is open now, the December one is not.
        #expect(c.get(loc + "/edit").status == 409)
        #expect(c.get(loc2 + "/edit").status == 200)
        // Others do not see a suggestion before publication.
        let o = t.client()
        o.login("outsider")
        #expect(o.get(loc).status == 404)
    }

    @Test("§22: grading outside the committee is 403; before the batch opens it is refused with the reason")
    func gradingRules() throws {
        at(2026, 11, 10)
        let c = t.client()
        c.login("staff")
        let loc = try submit(c, "早提交")
        let o = t.client()
        o.login("outsider")
        o.get("/")
        #expect(o.submit(loc + "/grade", [("outcome", "grade2")]).status == 403)
        let m = t.client()
        m.login("member")
        m.get(loc)
        let early = m.submit(loc + "/grade", [("outcome", "grade2"), ("departments", "sales")])
        #expect(early.status == 409)
        #expect(early.body.contains("开箱前不能评审"))
    }

    @Test("§23–§26: graded 二等 → published → ledger 800 元 → implementation order due the 15th; reserved moves on; finalize refuses ungraded")
    func fullCycle() throws {
        at(2026, 11, 5)
        let staff = t.client()
        staff.login("staff")
        let a = try submit(staff, "客户档案周报")
        let b = try submit(staff, "需要再研究的建议")
        at(2026, 11, 22) // the box is open
        let member = t.client()
        member.login("member")
        #expect(member.get("/").body.contains("建议箱已开箱"))
        member.get(a)
        #expect(member.submit(a + "/grade", [("outcome", "grade2")]).status == 422) // adopted needs departments
        member.get(a)
        #expect(member.submit(a + "/grade", [("outcome", "grade2"), ("departments", "sales"), ("departments", "finance")]).status == 303)
        member.get(a)
        // RULES §6: the department of a note is picked from the directory (a typed name is 422).
        #expect(member.submit(a + "/notes", [("kind", "opinion"), ("department", "财务部"), ("text", "同意实施")]).status == 422)
        member.get(a)
        #expect(member.submit(a + "/notes", [("kind", "opinion"), ("department", "finance"), ("text", "同意实施")]).status == 303)
        let noteDepartment = try t.db.first("SELECT department FROM ideas_notes")?.string("department")
        #expect(noteDepartment == "finance")
        // Finalizing with an ungraded suggestion is refused and lists it; members may not finalize at all.
        member.get("/ideas/batches/2026-11")
        #expect(member.submit("/ideas/batches/2026-11/finalize", [(String, String)]()).status == 403)
        let chair = t.client()
        chair.login("chair")
        chair.get("/ideas/batches/2026-11")
        let refused = chair.submit("/ideas/batches/2026-11/finalize", [(String, String)]())
        #expect(refused.status == 409)
        #expect(refused.body.contains("需要再研究的建议"))
        chair.get(b)
        #expect(chair.submit(b + "/grade", [("outcome", "reserved"), ("reason", "需各部门进一步调研"), ("reserve_to", "2027-01")]).status == 303)
        chair.get("/ideas/batches/2026-11")
        let done = chair.submit("/ideas/batches/2026-11/finalize", [(String, String)]())
        #expect(done.status == 303)
        #expect(done.location == "/ideas/bulletin/2026-11")

        // Published to every user, with proposer and award.
        let bulletin = t.client()
        bulletin.login("outsider")
        let page = bulletin.get("/ideas/bulletin/2026-11")
        #expect(page.status == 200)
        #expect(page.body.contains("客户档案周报") && page.body.contains("二等奖") && page.body.contains("¥800.00"))
        #expect(page.body.contains("2026-12-10")) // praise meeting, §23.2
        // #16: the printed bulletin gives the cash in 人民币大写 beside the amounts and the total.
        #expect(page.body.contains("<small>捌佰元整</small>") && page.body.contains("奖金合计：¥800.00（大写：捌佰元整）"))
        #expect(!page.body.contains("需要再研究的建议"))
        // The proposer sees the result; not the committee's notes.
        staff.login("staff")
        let mine = staff.get(a)
        #expect(mine.body.contains("已公布：二等奖"))
        #expect(!mine.body.contains("同意实施"))
        #expect(staff.get("/").body.contains("建议评审结果：客户档案周报"))
        // Ledger and implementation orders (§26.1: by the 15th of the next month).
        #expect(try t.db.scalar("SELECT amount_fen FROM ideas_ledger WHERE kind = 'award'") == 80_000)
        let orders = try t.db.query("SELECT department, due, plan_due FROM ideas_orders ORDER BY department")
        #expect(orders.map { $0.string("department") ?? "" } == ["finance", "sales"]) // RULES §6: directory codes
        #expect(orders.allSatisfy { $0.string("due") == "2026-12-15" && $0.string("plan_due") == "2026-12-31" })
        // Reserved: carried to the later batch, ungraded again (§25).
        let moved = try #require(try t.db.first("SELECT batch, outcome FROM ideas_suggestions WHERE title = '需要再研究的建议'"))
        #expect(moved.string("batch") == "2027-01")
        #expect(moved.string("outcome") == nil)
        #expect(try t.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'ideas.batch' AND action = 'finalize'") == 1)
    }

    @Test("§20 + platform idempotency: a double submit of the same form creates one suggestion")
    func doubleSubmit() throws {
        at(2026, 11, 3)
        let c = t.client()
        c.login("staff")
        let page = c.get("/ideas/new")
        let idem = String(page.body[page.body.range(of: "name=\"_idem\" value=\"")!.upperBound...].prefix { $0 != "\"" })
        let fields = [("_idem", idem), ("topic", "other"), ("title", "只一次"), ("content", "双击提交只应保存一条。")]
        let r1 = c.submit("/ideas/new", fields)
        let r2 = c.submit("/ideas/new", fields)
        #expect(r1.status == 303 && r2.status == 303 && r1.location == r2.location)
        #expect(try t.db.scalar("SELECT COUNT(*) FROM ideas_suggestions WHERE title = '只一次'") == 1)
    }

    @Test("我的建议 (a ListPage: own suggestions only, status, CSV), the calendar, the empty bulletin and the committee page")
    func readingPages() throws {
        at(2026, 11, 3)
        let c = t.client()
        c.login("staff")
        let loc = try submit(c, "我的第一条")
        let o = t.client()
        o.login("outsider")
        #expect(o.get("/ideas/mine").body.contains("您还没有提交建议。"))
        let mine = c.get("/ideas/mine")
        #expect(mine.status == 200)
        #expect(mine.body.contains("<a href=\"\(loc)\">我的第一条</a>") && mine.body.contains("已提交，11 月 20 日开箱评审"))
        #expect(mine.body.contains("href=\"/ideas/new\">提交建议</a>"))
        let csv = c.get("/ideas/mine?format=csv")
        #expect(csv.body.contains("标题,类别,批次,状态") && csv.body.contains("我的第一条,客户开发与产品销售策略的制定,2026-11,"))

        let calendar = o.get("/ideas/calendar")
        #expect(calendar.status == 200 && calendar.body.contains("今天 2026-11-03") && calendar.body.contains("2026-10-21 至 2026-11-20"))
        let bulletin = o.get("/ideas/bulletin")
        #expect(bulletin.status == 200 && bulletin.body.contains("尚未公布任何批次。"))

        try t.addUser("admin", roles: [.admin])
        let admin = t.client()
        admin.login("admin")
        let page = admin.get("/ideas/committee")
        #expect(page.status == 200 && page.body.contains("<option value=\"chair\" selected>主任委员（营销总监）</option>"))
        let staffID = try #require(try t.db.scalar("SELECT id FROM users WHERE username = 'staff'"))
        // #16: the confirmation is a flash in the session, never `?saved=1` in the URL.
        let saved = admin.submit("/ideas/committee", [("p:\(staffID)", "member")])
        #expect(saved.status == 303 && saved.location == "/ideas/committee")
        #expect(admin.get("/ideas/committee").body.contains("评定委员会已保存。"))
        #expect(!admin.get("/ideas/committee?saved=1").body.contains("已保存"))
        #expect(try t.db.first("SELECT position FROM ideas_committee WHERE user_id = \(staffID)")?.string("position") == "member")
    }
}
