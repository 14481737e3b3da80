import Foundation
import Testing
import SalesHost
import SalesKit
import SalesTesting
@testable import SuggestionsModule

/// RULES §6 "Suggestions" (002 §19, §24, §25): a suggestion never joins a published batch — it
/// goes to the next open one and the proposer is told; a deferral names a valid future batch;
/// a rejected suggestion and the committee's reasons are seen by its proposer and the committee
/// only.
@Suite(.serialized) struct BatchControlTests {
    let t: TestApp
    init() throws {
        t = try TestApp(modules: [SuggestionsModule()])
        try t.addUser("staff", roles: [.finance], displayName: "员工甲", department: "财务部")
        try t.addUser("seller", roles: [.salesRep], displayName: "员工乙", department: "销售部")
        try t.addUser("chair", roles: [.marketingDirector], displayName: "营销总监")
        try t.addUser("member", roles: [.committee], displayName: "委员甲")
        try t.addUser("outsider", roles: [.salesRep], displayName: "旁人")
        try t.seatCommittee()
    }

    func at(_ y: Int, _ m: Int, _ d: Int, hour: Double = 10) throws {
        let zone = try #require(TimeZone(identifier: "Asia/Shanghai"))
        let date = LocalDate(year: y, month: m, day: d).start(in: zone).addingTimeInterval(hour * 3600)
        t.worker.clock = { date }
    }

    func client(_ user: String) -> TestClient {
        let c = t.client()
        _ = c.login(user)
        return c
    }

    @discardableResult
    func submit(_ c: TestClient, _ title: String) throws -> String {
        c.get("/ideas/new")
        let r = c.submit("/ideas/new", [("topic", "management"), ("title", title), ("content", title + "——详细内容。")])
        #expect(r.status == 303)
        return try #require(r.location)
    }

    func batch(of title: String) throws -> String? {
        try t.db.first("SELECT batch FROM ideas_suggestions WHERE title = \(title)")?.string("batch")
    }

    func grade(_ c: TestClient, _ path: String, _ fields: [(String, String)]) -> TestClient.Response {
        c.get(path)
        return c.submit(path + "/grade", fields)
    }

    func finalize(_ c: TestClient, _ batch: String) -> TestClient.Response {
        c.get("/ideas/batches/\(batch)")
        return c.submit("/ideas/batches/\(batch)/finalize", [(String, String)]())
    }

    /// Publishes `batch` directly (a batch the chair published earlier).
    func published(_ batch: String) throws {
        try t.db.execute("INSERT INTO ideas_batches (batch, finalized_by, finalized_at) VALUES (\(batch), 1, 1)")
    }

    // MARK: 1. A suggestion never joins a published batch

    @Test("RULES §6 + 002 §19: on the 20th after the month's batch was published, a suggestion joins the next batch, is told so, and is graded there")
    func test_002_19_late20thJoinsNextOpenBatch() throws {
        try at(2026, 11, 20, hour: 9)
        let staff = client("staff")
        let early = try submit(staff, "二十日上午提交")
        #expect(try batch(of: "二十日上午提交") == "2026-11")
        // The box opens on the 20th: graded and published the same day.
        let chair = client("chair")
        #expect(grade(chair, early, [("outcome", "grade3"), ("departments", "sales")]).status == 303)
        #expect(finalize(chair, "2026-11").status == 303)

        // Later that day: the calendar still says November (the 20th counts), but November is published.
        try at(2026, 11, 20, hour: 16)
        let seller = client("seller")
        let form = seller.get("/ideas/new")
        #expect(form.body.contains("本月评审批次已公布，本建议将转入 2026-12 批次"))
        #expect(form.body.contains("<strong>2026 年 12 月</strong>"))
        let late = try submit(seller, "二十日下午提交")
        #expect(try batch(of: "二十日下午提交") == "2026-12")
        #expect(try t.db.first("SELECT first_batch FROM ideas_suggestions WHERE title = '二十日下午提交'")?.string("first_batch") == "2026-12")
        // The proposer is told on the record page which batch and why; the audit says the same.
        let page = seller.get(late)
        #expect(page.body.contains("本月评审批次已公布，本建议转入 2026-12 批次"))
        #expect(page.body.contains("已提交，12 月 20 日开箱评审"))
        let id = try #require(late.split(separator: "/").last.map(String.init))
        #expect(try t.db.first("SELECT reason FROM audit_log WHERE entity = 'ideas.suggestion' AND entity_id = \(id) AND action = 'submit'")?
            .string("reason") == "批次 2026-12（本月评审批次已公布，本建议转入 2026-12 批次）")
        // Not stuck: graded in December and published there.
        try at(2026, 12, 22)
        _ = chair.login("chair")
        #expect(grade(chair, late, [("outcome", "grade2"), ("departments", "sales")]).status == 303)
        #expect(finalize(chair, "2026-12").status == 303)
        _ = seller.login("seller")
        #expect(seller.get(late).body.contains("已公布：二等奖"))
        // A suggestion in the calendar's own batch gets no note.
        _ = staff.login("staff")
        let earlyPage = staff.get(early)
        #expect(earlyPage.status == 200 && !earlyPage.body.contains("批次说明"))
    }

    @Test("RULES §6: published batches in a row are skipped; after the 20th the message names the batch")
    func test_002_19_skipsEveryPublishedBatch() throws {
        try published("2026-11")
        try published("2026-12")
        try at(2026, 11, 20)
        let staff = client("staff")
        let path = try submit(staff, "连续跳过")
        #expect(try batch(of: "连续跳过") == "2027-01")
        #expect(staff.get(path).body.contains("本月评审批次已公布，本建议转入 2027-01 批次"))
        try at(2026, 11, 25)
        _ = staff.login("staff")
        let after = try submit(staff, "二十五日提交")
        #expect(try batch(of: "二十五日提交") == "2027-01")
        #expect(staff.get(after).body.contains("2026-12 批次已公布，本建议转入 2027-01 批次"))
        // Batches unaffected by a publication keep the calendar's rule and say nothing.
        try at(2027, 1, 3)
        _ = staff.login("staff")
        let plain = try submit(staff, "一月初提交")
        #expect(try batch(of: "一月初提交") == "2027-01")
        let plainPage = staff.get(plain)
        #expect(plainPage.status == 200 && !plainPage.body.contains("批次说明"))
    }

    @Test("RULES §6 migration 3: suggestions stuck in a published batch move to the next open batch, each with an audit row")
    func test_002_19_migrationMovesStuckSuggestions() throws {
        let staff = try #require(try t.db.scalar("SELECT id FROM users WHERE username = 'staff'"))
        func add(_ title: String, _ batch: String, outcome: String? = nil, published: Bool = false) throws -> Int64 {
            try t.db.insert("""
                INSERT INTO ideas_suggestions (proposer_id, department, topic, title, content, batch, first_batch, outcome, published,
                                               created_at, updated_at)
                VALUES (\(staff), '财务部', 'other', \(title), '内容内容内容', \(batch), \(batch), \(outcome), \(published), 1, 1) RETURNING id
                """)
        }
        try published("2026-11")
        try published("2027-02")
        try published("2027-03")
        let stuck = try add("十一月卡住", "2026-11")
        let stuckTwice = try add("二月卡住", "2027-02")
        let done = try add("已公布的", "2026-11", outcome: "grade1", published: true)
        let waiting = try add("未公布批次中", "2026-12")
        let bad = try add("坏批次", "2026-13")
        try t.db.executeScript(t.db.dialect == "postgresql" ? IdeasMigrations.moveStuckPostgreSQL : IdeasMigrations.moveStuck)

        func row(_ id: Int64) throws -> Row { try #require(try t.db.first("SELECT * FROM ideas_suggestions WHERE id = \(id)")) }
        #expect(try row(stuck).string("batch") == "2026-12")
        #expect(try row(stuck).string("batch_note") == "2026-11 批次已公布，本建议转入 2026-12 批次")
        #expect(try row(stuckTwice).string("batch") == "2027-04")      // 2027-03 is published too
        #expect(try row(done).string("batch") == "2026-11" && row(done).string("batch_note") == nil)
        #expect(try row(waiting).string("batch") == "2026-12" && row(waiting).string("batch_note") == nil)
        #expect(try row(bad).string("batch") == "2026-13")
        let audits = try t.db.query("""
            SELECT entity_id, from_state, to_state, username, reason FROM audit_log
            WHERE entity = 'ideas.suggestion' AND action = 'rebatch' ORDER BY CAST(entity_id AS INTEGER)
            """)
        #expect(audits.map { $0.string("entity_id") ?? "" } == [String(stuck), String(stuckTwice)])
        #expect(audits.map { "\($0.string("from_state") ?? "")→\($0.string("to_state") ?? "")" } == ["2026-11→2026-12", "2027-02→2027-04"])
        #expect(audits.allSatisfy { $0.string("username") == "system" && ($0.string("reason") ?? "").contains("已公布而本建议尚未评审") })
        // The proposer sees why; the committee can grade it in December.
        try at(2026, 12, 22)
        let page = client("staff").get("/ideas/\(stuck)")
        #expect(page.body.contains("2026-11 批次已公布，本建议转入 2026-12 批次") && page.body.contains("评审中（2026 年 12 月批次）"))
        let m = client("member")
        #expect(grade(m, "/ideas/\(stuck)", [("outcome", "encourage")]).status == 303)
        // Run again: nothing left to move, no new audit rows.
        try t.db.executeScript(t.db.dialect == "postgresql" ? IdeasMigrations.moveStuckPostgreSQL : IdeasMigrations.moveStuck)
        #expect(try t.db.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'rebatch'") == 2)
    }

    // MARK: 2. A deferral names a valid future batch

    @Test("RULES §6 + 002 §25: 保留 to a past, published, same or too distant batch is 422 on 延期至批次 with the value kept")
    func test_002_25_deferralNamesValidFutureBatch() throws {
        // A November suggestion still ungraded when December is published (review overdue).
        try at(2026, 11, 5)
        let path = try submit(client("staff"), "逾期未评")
        try at(2026, 12, 23)
        try published("2026-12")
        let m = client("member")
        let form = m.get(path)
        #expect(form.body.contains("value=\"2027-01\""))     // the first valid batch is offered
        for (bad, message) in [("2026-10", "须为 2026 年 11 月 之后的批次"), ("2026-11", "须为 2026 年 11 月 之后的批次"),
                               ("2026-12", "2026-12 批次已公布评审结果，不能再延期至该批次；最近可选 2027-01"),
                               ("2027-12", "延期最多 12 个月（至 2027-11 批次）")] {
            let r = grade(m, path, [("outcome", "reserved"), ("reason", "需调研"), ("reserve_to", bad)])
            #expect(r.status == 422, "\(bad)")
            #expect(r.body.contains("<p class=\"error\" id=\"f-reserve_to-error\">\(message)") || r.body.contains(message), "\(bad)")
            #expect(r.body.contains("value=\"\(bad)\""), "\(bad)")
            #expect(try t.db.first("SELECT outcome FROM ideas_suggestions WHERE title = '逾期未评'")?.string("outcome") == nil)
        }
        // Past: a later batch whose month is over (the suggestion's batch is older still).
        try t.db.execute("UPDATE ideas_suggestions SET batch = '2026-10', first_batch = '2026-10' WHERE title = '逾期未评'")
        let past = grade(m, path, [("outcome", "reserved"), ("reason", "需调研"), ("reserve_to", "2026-11")])
        #expect(past.status == 422 && past.body.contains("2026-11 批次已过去，请选择 2026-12 或以后的批次"))
        try t.db.execute("UPDATE ideas_suggestions SET batch = '2026-11', first_batch = '2026-11' WHERE title = '逾期未评'")
        // A future open batch is accepted.
        #expect(grade(m, path, [("outcome", "reserved"), ("reason", "需调研"), ("reserve_to", "2027-02")]).status == 303)
        #expect(try t.db.first("SELECT reserved_to FROM ideas_suggestions WHERE title = '逾期未评'")?.string("reserved_to") == "2027-02")

        // Published after the grading, before November is published: the chair is stopped and told.
        try published("2027-02")
        let chair = client("chair")
        let refused = finalize(chair, "2026-11")
        #expect(refused.status == 409 && refused.body.contains("逾期未评（延期至「2027-02」）"))
        #expect(grade(chair, path, [("outcome", "reserved"), ("reason", "需调研"), ("reserve_to", "2027-03")]).status == 303)
        #expect(finalize(chair, "2026-11").status == 303)
        #expect(try batch(of: "逾期未评") == "2027-03")
        #expect(client("staff").get(path).body.contains("2026-11 批次评审结论为保留（延期评审），本建议转入 2027-03 批次"))
    }

    // MARK: 3. Who sees a published result

    @Test("RULES §6 + 002 §24: adopted for everyone; a rejected suggestion and reasons only for its proposer and the committee")
    func test_002_24_rejectedSeenByProposerAndCommitteeOnly() throws {
        try at(2026, 11, 5)
        let adopted = try submit(client("staff"), "客户档案周报")
        let rejected = try submit(client("seller"), "取消周例会")
        try at(2026, 11, 22)
        let chair = client("chair")
        #expect(grade(chair, adopted, [("outcome", "grade2"), ("departments", "sales"), ("reason", "节约人工明显")]).status == 303)
        #expect(grade(chair, rejected, [("outcome", "rejected"), ("reason", "成本过高无法实施"), ("could_work", "1"),
                                        ("help_department", "market")]).status == 303)
        #expect(finalize(chair, "2026-11").status == 303)

        func sees(_ user: String) -> (bulletin: String, csv: String, adopted: TestClient.Response, rejected: TestClient.Response) {
            let c = client(user)
            return (c.get("/ideas/bulletin/2026-11").body, c.get("/ideas/bulletin/2026-11?format=csv").body, c.get(adopted), c.get(rejected))
        }
        // Everyone else (and the proposer of the adopted one): the adopted suggestion, never the rejected one nor any reason.
        for user in ["outsider", "staff"] {
            let v = sees(user)
            #expect(v.bulletin.contains("客户档案周报") && v.bulletin.contains("¥800.00"), "\(user)")
            #expect(!v.bulletin.contains("取消周例会") && !v.bulletin.contains("成本过高"), "\(user)")
            #expect(v.csv.contains("客户档案周报") && !v.csv.contains("取消周例会") && !v.csv.contains("成本过高"), "\(user)")
            #expect(v.adopted.status == 200 && v.adopted.body.contains("已公布：二等奖"), "\(user)")
            #expect(v.rejected.status == 404, "\(user)")
        }
        #expect(!sees("outsider").adopted.body.contains("节约人工明显"))   // the committee's reason stays inside
        #expect(sees("staff").adopted.body.contains("节约人工明显"))       // …and goes to the proposer
        // The proposer of the rejected suggestion: own result with reason and advice, on the bulletin, CSV and record page.
        let own = sees("seller")
        #expect(own.bulletin.contains("取消周例会") && own.bulletin.contains("成本过高无法实施") && own.bulletin.contains("仅您本人与评定委员会可见"))
        #expect(own.csv.contains("取消周例会") && own.csv.contains("成本过高无法实施") && own.csv.contains("市场部协助"))
        #expect(own.rejected.status == 200 && own.rejected.body.contains("不采用") && own.rejected.body.contains("成本过高无法实施"))
        #expect(own.rejected.body.contains("市场部将协助您完善"))
        // The committee: every rejected one with reasons.
        for user in ["member", "chair"] {
            let v = sees(user)
            #expect(v.bulletin.contains("取消周例会") && v.bulletin.contains("成本过高无法实施") && v.bulletin.contains("评定委员会可见全部"), "\(user)")
            #expect(v.csv.contains("取消周例会,员工乙,销售部,不采用,,成本过高无法实施"), "\(user)")
            #expect(v.rejected.status == 200 && v.rejected.body.contains("成本过高无法实施"), "\(user)")
        }
        // Lists: a user's own list shows only own suggestions.
        #expect(!client("outsider").get("/ideas/mine?format=csv").body.contains("取消周例会"))
        #expect(client("seller").get("/ideas/mine?format=csv").body.contains("取消周例会"))
    }

    @Test("002 §19/§22: 建议评审 (a ListPage) lists every batch for committee members only: counts, phase, published, CSV")
    func test_002_22_reviewOverviewList() throws {
        try at(2026, 11, 5)
        let path = try submit(client("staff"), "十一月建议")
        try at(2026, 11, 25)
        try submit(client("seller"), "十二月建议")
        let chair = client("chair")
        #expect(grade(chair, path, [("outcome", "grade4"), ("departments", "sales")]).status == 303)
        #expect(finalize(chair, "2026-11").status == 303)
        let page = chair.get("/ideas/review")
        #expect(page.status == 200 && page.body.contains("您在评定委员会的职务：主任委员"))
        #expect(page.body.contains("<a href=\"/ideas/batches/2026-12\">2026 年 12 月</a>") && page.body.contains("收集中"))
        #expect(page.body.contains("<a href=\"/ideas/batches/2026-11\">2026 年 11 月</a>") && page.body.contains("已公布"))
        let csv = chair.get("/ideas/review?format=csv").body
        #expect(csv.contains("批次,开箱,评审截止,建议数,未评,状态"))
        #expect(csv.contains("2026 年 12 月,2026-12-20,2026-12-31,1,1,收集中") && csv.contains("2026 年 11 月,2026-11-20,2026-11-30,1,0,已公布"))
        #expect(csv.range(of: "2026 年 12 月")?.lowerBound ?? csv.endIndex < csv.range(of: "2026 年 11 月")?.lowerBound ?? csv.startIndex)
        // The review permission without a seat, or no permission at all: 403.
        try t.addUser("unseated", roles: [.salesManager], displayName: "未任委员的经理")
        #expect(client("unseated").get("/ideas/review").status == 403)
        #expect(client("outsider").get("/ideas/review?format=csv").status == 403)
    }
}
