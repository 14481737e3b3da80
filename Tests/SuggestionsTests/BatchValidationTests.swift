import Foundation
import Testing
import SalesHost
import SalesKit
import SalesTesting
@testable import SuggestionsModule

/// Issue 12 ("no traps in request code") for the batch name: `YYYY-MM` with a month 01–12 is a
/// validated type. 保留 to `2026-13` used to be stored, and from then on opening the suggestion
/// trapped on a force unwrap and ended the whole process.
@Suite struct BatchNameTests {
    @Test("002 §19 + issue 12: a batch name is exactly YYYY-MM, month 01–12, year 2000–2100")
    func parsing() {
        #expect(Batch("2026-11") == Batch(year: 2026, month: 11))
        #expect(Batch("2026-01")?.description == "2026-01")
        #expect(Batch("2100-12") != nil && Batch("2000-01") != nil)
        for bad in ["2026-13", "0000-00", "2026-00", "0000-01", "1999-12", "2101-01", "2026-3", "26-03", "+202-03", "2026-+3",
                    "2026/03", "2026-03 ", " 2026-03", "２０２６-03", "2026-1a", "", "-", "2026--1", "9223372036854775807-01"] {
            #expect(Batch(bad) == nil, "\(bad)")
        }
    }

    @Test("002 §19 + issue 12: computed batches roll months over like a calendar and never hold month 13")
    func arithmetic() {
        #expect(Batch(year: 2026, month: 13) == Batch(year: 2027, month: 1))
        #expect(Batch(year: 2026, month: 0) == Batch(year: 2025, month: 12))
        #expect(Batch(year: 2026, month: -11) == Batch(year: 2025, month: 1))
        #expect(Batch(year: 2026, month: 25).description == "2028-01")
        // Extremes do not trap; the name stays four digits, two digits.
        for b in [Batch(year: .max, month: .max), Batch(year: .min, month: .min), Batch(year: 0, month: 0)] {
            #expect((1...12).contains(b.month) && (1...9999).contains(b.year))
            #expect(b.description.count == 7)
            _ = (b.next, b.previous, b.reviewDue, b.praiseMeeting, b.implementationPlanDue, b.quarter)
        }
        #expect(Batch(containing: LocalDate(year: 2026, month: 12, day: 31)) == Batch(year: 2026, month: 12))
    }
}

/// 保留 (002 §25) through the host: the later batch is validated on the form, and a bad value
/// already in the database (an old version, a hand edit) gives a page, never a crash.
@Suite(.serialized) struct BatchValidationFlowTests {
    let t: TestApp
    init() throws {
        t = try TestApp(modules: [SuggestionsModule()])
        try t.addUser("staff", roles: [.finance], department: "财务部")
        try t.addUser("chair", roles: [.marketingDirector], displayName: "营销总监")
        try t.addUser("member", roles: [.committee], displayName: "委员甲")
        try t.seatCommittee()
    }

    func at(_ y: Int, _ m: Int, _ d: Int) throws {
        let zone = try #require(TimeZone(identifier: "Asia/Shanghai"))
        let date = LocalDate(year: y, month: m, day: d).start(in: zone).addingTimeInterval(10 * 3600)
        t.worker.clock = { date }
    }

    /// A suggestion of the 2026-11 batch, opened for review; returns its path and id.
    func openSuggestion(_ title: String) throws -> (path: String, id: Int64) {
        try at(2026, 11, 5)
        let c = t.client()
        c.login("staff")
        c.get("/ideas/new")
        let r = c.submit("/ideas/new", [("topic", "development"), ("title", title), ("content", "每周五汇总客户档案变化并通报。")])
        #expect(r.status == 303)
        let path = try #require(r.location)
        let id = try #require(Int64(path.split(separator: "/").last ?? ""))
        try at(2026, 11, 22)
        return (path, id)
    }

    @Test("002 §25 + issue 12: 保留 to 2026-13, 0000-00 or 2026-00 is refused with 422 on 延期至批次, input kept, nothing stored")
    func reserveToMustBeAMonth() throws {
        let (path, id) = try openSuggestion("保留批次校验")
        let m = t.client()
        m.login("member")
        for bad in ["2026-13", "0000-00", "2026-00", "2026-1", "２０２６-12"] {
            m.get(path)
            let r = m.submit(path + "/grade", [("outcome", "reserved"), ("reason", "需各部门调研"), ("reserve_to", bad)])
            #expect(r.status == 422, "\(bad)")
            #expect(r.body.contains("格式为 YYYY-MM，月份为 01–12"), "\(bad)")
            #expect(r.body.contains("value=\"\(bad)\""), "typed value kept: \(bad)")
            let row = try #require(try t.db.first("SELECT outcome, reserved_to, batch FROM ideas_suggestions WHERE id = \(id)"))
            #expect(row.string("outcome") == nil && row.string("reserved_to") == nil && row.string("batch") == "2026-11")
        }
        // Not after this batch: refused too (§25: review extended to a *later* batch).
        m.get(path)
        let same = m.submit(path + "/grade", [("outcome", "reserved"), ("reason", "需各部门调研"), ("reserve_to", "2026-11")])
        #expect(same.status == 422)
        #expect(same.body.contains("须为 2026 年 11 月 之后的批次"))
        // A real later month is stored, in its canonical name.
        m.get(path)
        #expect(m.submit(path + "/grade", [("outcome", "reserved"), ("reason", "需各部门调研"), ("reserve_to", "2027-02")]).status == 303)
        #expect(try t.db.first("SELECT reserved_to FROM ideas_suggestions WHERE id = \(id)")?.string("reserved_to") == "2027-02")
        // The page still opens (the crash of issue 12 came on the next GET).
        #expect(m.get(path).status == 200)
    }

    @Test("issue 12: a batch 2026-13 already in the database shows a marked placeholder or an error page, never a crash")
    func storedBadBatch() throws {
        let (path, id) = try openSuggestion("旧版本写入的批次")
        try t.db.execute("UPDATE ideas_suggestions SET batch = '2026-13' WHERE id = \(id)")
        // Committee member: the page, marked; no grading form.
        let m = t.client()
        m.login("member")
        let page = m.get(path)
        #expect(page.status == 200)
        #expect(page.body.contains("无效批次「2026-13」"))
        #expect(page.body.contains("请联系管理员更正"))
        #expect(!page.body.contains("保存评审结果"))
        // Grading it is refused with the reason (409), and the process is still answering.
        let graded = m.submit(path + "/grade", [("outcome", "grade2"), ("departments", "sales")])
        #expect(graded.status == 409)
        #expect(graded.body.contains("2026-13"))
        #expect(m.get("/ideas/review").status == 200)
        #expect(m.get("/ideas/review").body.contains("无效批次「2026-13」"))
        // The proposer: own page and list open; editing is refused, not a crash.
        let s = t.client()
        s.login("staff")
        #expect(s.get(path).status == 200)
        #expect(s.get(path).body.contains("批次记录无效"))
        #expect(s.get(path + "/edit").status == 409)
        #expect(s.get("/ideas/mine").status == 200)
        // Other shapes of a bad stored value behave the same.
        for bad in ["0000-00", "2026-00", "", "垃圾"] {
            try t.db.execute("UPDATE ideas_suggestions SET batch = \(bad) WHERE id = \(id)")
            #expect(m.get(path).status == 200, "\(bad)")
        }
        try t.db.execute("UPDATE ideas_suggestions SET batch = 202613 WHERE id = \(id)")
        #expect(m.get(path).status == 200)
    }

    @Test("002 §25 + issue 12: a stored 延期批次 2026-13 stops the chair's publication with the list; nothing moves into a bad batch")
    func storedBadReserveTo() throws {
        let (path, id) = try openSuggestion("延期批次被改坏")
        let chair = t.client()
        chair.login("chair")
        chair.get(path)
        #expect(chair.submit(path + "/grade", [("outcome", "reserved"), ("reason", "需各部门调研"), ("reserve_to", "2026-12")]).status == 303)
        try t.db.execute("UPDATE ideas_suggestions SET reserved_to = '2026-13' WHERE id = \(id)")
        chair.get("/ideas/batches/2026-11")
        let refused = chair.submit("/ideas/batches/2026-11/finalize", [(String, String)]())
        #expect(refused.status == 409)
        #expect(refused.body.contains("延期批次无效") && refused.body.contains("延期批次被改坏"))
        #expect(try t.db.first("SELECT batch FROM ideas_suggestions WHERE id = \(id)")?.string("batch") == "2026-11")
        #expect(try t.db.first("SELECT 1 FROM ideas_batches WHERE batch = '2026-11' AND finalized_at IS NOT NULL") == nil)
        // Graded again to a valid month, publication goes through and the suggestion moves on.
        chair.get(path)
        #expect(chair.submit(path + "/grade", [("outcome", "reserved"), ("reason", "需各部门调研"), ("reserve_to", "2026-12")]).status == 303)
        chair.get("/ideas/batches/2026-11")
        #expect(chair.submit("/ideas/batches/2026-11/finalize", [(String, String)]()).status == 303)
        #expect(try t.db.first("SELECT batch FROM ideas_suggestions WHERE id = \(id)")?.string("batch") == "2026-12")
    }
}
