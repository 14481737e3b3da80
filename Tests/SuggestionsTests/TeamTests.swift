import Foundation
import Testing
import SalesHost
import SalesKit
import SalesTesting
@testable import SuggestionsModule

/// 团体奖 (002 §23.4), departments and statistics through the host.
@Suite(.serialized) struct TeamTests {
    let f: IdeasFixture
    init() throws { f = try IdeasFixture() }

    /// A suggestion row written directly (ranking and statistics only read these columns).
    func suggestion(_ department: String, batch: String, firstBatch: String? = nil, outcome: String?, published: Bool = true) throws {
        try f.db.execute("""
            INSERT INTO ideas_suggestions (proposer_id, department, topic, title, content, batch, first_batch, outcome, published,
                                           created_at, updated_at)
            VALUES (1, \(department), 'other', \("\(department) \(batch)"), '内容内容内容', \(batch), \(firstBatch ?? batch), \(outcome),
                    \(published), 0, 0)
            """)
    }

    func finalized(_ batches: [String]) throws {
        for b in batches { try f.db.execute("INSERT INTO ideas_batches (batch, finalized_by, finalized_at) VALUES (\(b), 1, 1)") }
    }

    func headcount(_ name: String, _ n: Int) throws {
        try f.db.execute("INSERT INTO ideas_departments (name, headcount, updated_at) VALUES (\(name), \(n), 0)")
    }

    typealias Entry = TeamRanking.Entry

    @Test("002 §23.4: ties — an equal ratio ranks the department with more adopted first, then by name; headcount 0 is not ranked")
    func tieBreaks() {
        let ranked = TeamRanking.rank([
            Entry(department: "乙部", headcount: 10, adopted: 2),   // 0.2
            Entry(department: "甲部", headcount: 5, adopted: 1),    // 0.2, fewer adopted
            Entry(department: "丙部", headcount: 20, adopted: 4),   // 0.2, most adopted
            Entry(department: "丁部", headcount: 0, adopted: 9),    // excluded
            Entry(department: "B", headcount: 5, adopted: 1),       // same as 甲部: by name
            Entry(department: "戊部", headcount: 3, adopted: 0),
        ])
        #expect(ranked.map(\.department) == ["丙部", "乙部", "B", "甲部", "戊部"])
        #expect(TeamRanking.winners(ranked).map(\.department) == ["丙部", "乙部", "B"])
        // A department without adopted suggestions never wins, even among fewer than three.
        #expect(TeamRanking.winners(TeamRanking.rank([Entry(department: "甲", headcount: 1, adopted: 0)])).isEmpty)
    }

    @Test("002 §23.4: team award ranks adopted ÷ headcount for the quarter; headcount 0 and other quarters excluded; chair records once")
    func quarterRanking() throws {
        try headcount("市场部", 10)   // 3 / 10 = 0.3
        try headcount("销售部", 4)    // 2 / 4 = 0.5
        try headcount("技术部", 20)   // 4 / 20 = 0.2
        try headcount("财务部", 5)    // 1 / 5 = 0.2 (fewer adopted than 技术部)
        try headcount("生产部", 0)    // 5 adopted, headcount 0: not ranked
        try headcount("品质部", 2)    // its adopted suggestion is in Q3: 0 in Q4
        for (d, n, months) in [("市场部", 3, ["2026-10", "2026-11", "2026-12"]), ("销售部", 2, ["2026-10", "2026-12"]),
                               ("技术部", 4, ["2026-11", "2026-11", "2026-11", "2026-12"]), ("财务部", 1, ["2026-10"]),
                               ("生产部", 5, ["2026-10", "2026-10", "2026-11", "2026-11", "2026-12"])] as [(String, Int, [String])] {
            #expect(months.count == n)
            for (i, m) in months.enumerated() { try suggestion(d, batch: m, outcome: ["grade1", "grade2", "grade3", "grade4"][i % 4]) }
        }
        try suggestion("品质部", batch: "2026-09", outcome: "grade1")          // other quarter (would be 0.5)
        try suggestion("品质部", batch: "2027-01", firstBatch: "2026-12", outcome: "grade1") // reserved into Q1 of 2027
        try suggestion("财务部", batch: "2026-11", outcome: "encourage")       // not adopted
        try suggestion("财务部", batch: "2026-11", outcome: "grade1", published: false) // not published
        try suggestion("财务部", batch: "2026-12", outcome: "rejected")
        try finalized(["2026-09", "2026-10", "2026-11", "2026-12"])

        let q = try #require(TeamRanking.Quarter(year: 2026, quarter: 4))
        let s = try TeamRanking.standings(q, f.db)
        #expect(s.ranked.map(\.department) == ["销售部", "市场部", "技术部", "财务部", "品质部"])
        #expect(s.ranked.map(\.adopted) == [2, 3, 4, 1, 0])
        #expect(s.winners.map(\.department) == ["销售部", "市场部", "技术部"])
        #expect(s.zeroHeadcount.map(\.department) == ["生产部"])

        // Before the quarter ends the chair may look but not award.
        f.at(2026, 12, 28)
        var chair = f.client("chair")
        let page = chair.get("/ideas/team?year=2026&quarter=4")
        #expect(page.status == 200)
        let order = ["销售部", "市场部", "技术部", "财务部"].map { page.body.range(of: "<td>\($0)</td>")?.lowerBound }
        #expect(order.allSatisfy { $0 != nil } && order == order.sorted { $0! < $1! })
        #expect(page.body.contains("0.500") && page.body.contains("人数为 0"))
        let early = f.post(chair, "/ideas/team?year=2026&quarter=4", [("year", "2026"), ("quarter", "4")])
        #expect(early.status == 409 && early.body.contains("尚未结束"))

        f.at(2027, 1, 5)
        chair = f.client("chair")
        #expect(chair.get("/").body.contains("团体奖待颁发：2026 年第 4 季度"))
        let member = f.client("member")
        #expect(f.post(member, "/ideas/team", [("year", "2026"), ("quarter", "4")]).status == 403)
        #expect(f.post(chair, "/ideas/team", [("year", "2026"), ("quarter", "4")]).status == 303)
        let rows = try f.db.query("SELECT user_id, department, batch, title FROM ideas_ledger WHERE kind = 'team' ORDER BY id")
        #expect(rows.map { $0.string("department") ?? "" } == ["销售部", "市场部", "技术部"])
        #expect(rows.allSatisfy { $0.int("user_id") == 0 && $0.string("batch") == "2026-12" })
        #expect(rows.first?.string("title")?.contains("团体奖第一名（2026 年第 4 季度）") == true)
        let twice = f.post(chair, "/ideas/team", [("year", "2026"), ("quarter", "4")])
        #expect(twice.status == 409 && twice.body.contains("已经颁发"))
        #expect(try f.db.scalar("SELECT COUNT(*) FROM ideas_ledger WHERE kind = 'team'") == 3)
        #expect(try f.auditCount("ideas.team", "award") == 1)
        #expect(!chair.get("/").body.contains("团体奖待颁发"))
        #expect(chair.get("/ideas/team?year=2026&quarter=5").status == 400)
    }

    @Test("002 §23.4: the team award waits until every batch of the quarter with suggestions is published")
    func unpublishedBatchBlocksAward() throws {
        try headcount("销售部", 4)
        try suggestion("销售部", batch: "2026-10", outcome: "grade1")
        try suggestion("销售部", batch: "2026-11", outcome: nil, published: false)
        try finalized(["2026-10"])
        f.at(2027, 1, 5)
        let chair = f.client("chair")
        let r = f.post(chair, "/ideas/team", [("year", "2026"), ("quarter", "4")])
        #expect(r.status == 409 && r.body.contains("2026-11"))
        #expect(try f.db.scalar("SELECT COUNT(*) FROM ideas_ledger WHERE kind = 'team'") == 0)
    }

    @Test("002 §23.4 admin data: departments and headcounts are edited by ideas.manage; bad input 422 with values kept; audited")
    func departmentHeadcounts() throws {
        f.at(2026, 11, 1)
        let admin = f.client("admin")
        #expect(admin.get("/ideas/departments").body.contains("销售部")) // seen on users, not yet registered
        let bad = f.post(admin, "/ideas/departments", [("name", "销售部"), ("headcount", "-3")])
        #expect(bad.status == 422 && bad.body.contains("value=\"-3\"") && bad.body.contains("value=\"销售部\""))
        let notNumber = f.post(admin, "/ideas/departments", [("name", "销售部"), ("headcount", "十二")])
        #expect(notNumber.status == 422 && notNumber.body.contains("请输入整数"))
        // RULES §6: the department is picked from the directory, never typed.
        let typed = f.post(admin, "/ideas/departments", [("name", "临时工作组"), ("headcount", "5")])
        #expect(typed.status == 422 && typed.body.contains("id=\"f-name-error\""))
        #expect(try f.db.scalar("SELECT COUNT(*) FROM ideas_departments WHERE name = '临时工作组'") == 0)
        #expect(f.post(admin, "/ideas/departments", [("name", "销售部"), ("headcount", "12")]).status == 303)
        #expect(f.post(admin, "/ideas/departments", [("name", "销售部"), ("headcount", "15")]).status == 303)
        #expect(try f.db.scalar("SELECT headcount FROM ideas_departments WHERE name = '销售部'") == 15)
        let audit = try #require(try f.db.first("SELECT from_state, to_state FROM audit_log WHERE entity = 'ideas.department' AND action = 'headcount'"))
        #expect(audit.string("from_state") == "12" && audit.string("to_state") == "15")
        #expect(try f.auditCount("ideas.department", "create") == 1)
        #expect(f.client("chair").get("/ideas/departments").status == 403)
    }

    @Test("Statistics (002 §19, §23, §24): per month by first batch, adoption rate, department ranking, server-side SVG without inline styles")
    func statistics() throws {
        try headcount("市场部", 4)
        try suggestion("市场部", batch: "2026-03", outcome: "grade1")
        try suggestion("市场部", batch: "2026-03", outcome: "grade3")
        try suggestion("<b>研发</b>", batch: "2026-03", outcome: "rejected")
        try suggestion("<b>研发</b>", batch: "2026-04", firstBatch: "2026-03", outcome: nil, published: false) // reserved, pending
        try suggestion("销售部", batch: "2026-05", outcome: "grade2")
        try suggestion("销售部", batch: "2025-12", outcome: "grade2") // other year
        f.at(2026, 11, 1)
        let c = f.client("member")
        let page = c.get("/ideas/stats?year=2026")
        #expect(page.status == 200)
        #expect(page.body.contains("<svg") && page.body.contains("<rect") && page.body.contains("fill=\"\(BarChart.palette[1])\""))
        #expect(!page.body.contains("style="))
        // The shared chart (issue #16 point 10): a viewBox that scales, the y axis in 件, each
        // bar's value printed, a legend for the two series, the values as a table for screen readers.
        #expect(page.body.contains("viewBox=\"0 0 640.0 260.0\" width=\"100%\"") && page.body.contains(">单位：件</text>"))
        #expect(page.body.contains("font-size=\"11\" fill=\"#33415c\">4</text>"))       // 3月 提交 4
        #expect(page.body.contains(">提交</text>") && page.body.contains(">采用</text>"))
        #expect(page.body.contains("<tr><th scope=\"row\">3月</th><td class=\"num\">4 件</td><td class=\"num\">2 件</td></tr>"))
        #expect(page.body.contains("&lt;b&gt;研发&lt;/b&gt;") && !page.body.contains("<b>研发"))
        #expect(page.body.contains("3月：提交 4 件") && page.body.contains("3月：采用 2 件"))
        // Department ranking: 市场部 (2 adopted) before 销售部 (1) before 研发 (0).
        let order = ["市场部", "销售部", "&lt;b&gt;研发&lt;/b&gt;"].map { page.body.range(of: "<td>\($0)</td>")?.lowerBound }
        #expect(order.allSatisfy { $0 != nil } && order == order.sorted { $0! < $1! })
        #expect(page.body.contains("0.500")) // 市场部 2 ÷ 4
        let csv = c.get("/ideas/stats?year=2026&format=csv")
        #expect(csv.body.hasPrefix("\u{FEFF}月份（首次提交批次）,提交,已公布,采用,待定,采用率"))
        #expect(csv.body.contains("2026-03,4,3,2,1,50.0%\r\n") && csv.body.contains("2026-05,1,1,1,0,100.0%\r\n"))
        #expect(csv.body.contains("2026-01,0,0,0,0,—\r\n"))
        #expect(c.get("/ideas/stats?year=abc").status == 400)
        #expect(f.client("outsider").get("/ideas/stats").status == 403)
    }
}
