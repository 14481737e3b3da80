import Foundation
import Testing
import SalesHost
import SalesKit
import SalesTesting
@testable import CustomerDevelopmentModule

/// `overdue(_:)` (#16): 客户开发's items past their deadline, each with the person who should have
/// acted — by the article that sets the deadline.
@Suite struct OverdueTests {
    let f: CRMFixture
    /// The clock the pages and `overdue` read (a box: the worker's clock reads it).
    final class Clock: @unchecked Sendable { var now = Date() }
    let clock = Clock()

    init() throws {
        f = try CRMFixture()
        let clock = self.clock
        f.t.worker.clock = { clock.now }
    }

    /// `day` at 10:00 in the company time zone.
    static func at(_ day: String, hour: Int = 10) throws -> Date {
        try #require(LocalDate(day)).start(in: CRMFixture.zone).addingTimeInterval(Double(hour * 3600))
    }

    func overdue() throws -> [OverdueItem] {
        let ctx = Context(request: Request(method: "GET", path: "/"), user: nil, db: f.t.db, now: clock.now, timeZone: CRMFixture.zone,
                          module: "crm", csrfToken: "", resumedForm: nil, host: f.t.worker)
        return try CustomerDevelopmentModule().overdue(ctx)
    }

    @Test("002 §14: a visit plan still 待实施 after its planned day is overdue — due at the end of that day, the rep's; not on the day, not once done")
    func test_002_14_visitPlanOverdue() throws {
        clock.now = try Self.at("2026-05-18")
        let rep = f.client("rep1")
        let cid = try f.createCustomer(rep, "拜访逾期公司")
        rep.get("/crm/visits/plans/new")
        let r = rep.submit("/crm/visits/plans/new", [("customer_id", String(cid)), ("kind", "visit"), ("planned_date", "2026-05-18"),
                                                     ("purpose", "介绍新产品")])
        let pid = try CRMFixture.id(r, after: "/crm/visits/plans/")
        #expect(try overdue().filter { $0.item.url == "/crm/visits/plans/\(pid)" }.isEmpty)     // its own day: not yet
        clock.now = try Self.at("2026-05-20")
        let item = try #require(try overdue().first { $0.item.url == "/crm/visits/plans/\(pid)" })
        #expect(item.responsibleUserID == f.rep1)
        let due = try Self.at("2026-05-19", hour: 0)
        #expect(item.due == due)
        #expect(item.item.title.contains("拜访逾期公司"))
        // Done (the 实施结果 filled in): no longer overdue. (Two days later: a new session.)
        let later = f.client("rep1")
        later.get("/crm/visits/plans/\(pid)/complete")
        #expect(later.submit("/crm/visits/plans/\(pid)/complete", [("actual_date", "2026-05-19"), ("result", "已拜访，客户有意向"),
                                                                   ("log_as", "visit")]).status == 303)
        #expect(try overdue().filter { $0.item.url == "/crm/visits/plans/\(pid)" }.isEmpty)
    }

    @Test("003 §2.3: a customer not re-rated during the quarter after its class was approved is overdue at the next quarter's start — the owner's; a re-rating under review ends it")
    func test_003_2_3_reRatingOverdue() throws {
        clock.now = try Self.at("2026-01-10")
        let rep = f.client("rep1")
        let (cid, aid) = try f.evaluatedApplication(rep, "复评逾期公司")
        #expect(f.act(f.client("boss"), aid, "approve").status == 303)
        let url = "/crm/customers/\(cid)/rate"
        clock.now = try Self.at("2026-05-20")            // Q2: due this quarter, not yet overdue
        #expect(try overdue().filter { $0.item.url == url }.isEmpty)
        clock.now = try Self.at("2026-07-05")            // Q3: Q2 passed without a re-rating
        let item = try #require(try overdue().first { $0.item.url == url })
        #expect(item.responsibleUserID == f.rep1)
        let due = try Self.at("2026-07-01", hour: 0)
        #expect(item.due == due)
        let rid = try CRMFixture.id(f.rate(f.client("rep1"), cid, application: nil, CRMFixture.allA), after: "/crm/customers/\(cid)/ratings/")
        #expect(try f.db.first("SELECT state FROM crm_ratings WHERE id = \(rid)")?.string("state") == "proposed")
        #expect(try overdue().filter { $0.item.url == url }.isEmpty)
    }

    @Test("003 §5.2: each sales rep's 市场/客户/同行调查报告 of the previous quarter not filed is overdue at this quarter's start — the rep's; a rep who joined later owes none")
    func test_003_5_2_surveyReportsOverdue() throws {
        clock.now = try Self.at("2026-05-20")
        let joined = Int64(try Self.at("2025-12-01").timeIntervalSince1970)
        try f.db.execute("UPDATE users SET created_at = \(joined) WHERE id = \(f.rep1)")
        try f.db.execute("UPDATE users SET created_at = \(Int64(try Self.at("2026-04-15").timeIntervalSince1970)) WHERE id = \(f.rep2)")
        func reports() throws -> [OverdueItem] { try overdue().filter { $0.item.url.hasPrefix("/crm/survey-reports/") } }
        var items = try reports()
        #expect(items.count == 3)
        #expect(items.allSatisfy { $0.responsibleUserID == f.rep1 })
        let due = try Self.at("2026-04-01", hour: 0)
        #expect(items.allSatisfy { $0.due == due })
        #expect(items.contains { $0.item.title.contains("2026年第1季度市场调查报告") })
        // Filed late (补报 for the previous quarter): that one is no longer overdue.
        let rep = f.client("rep1")
        rep.get("/crm/survey-reports/new?kind=market")
        #expect(rep.submit("/crm/survey-reports/new", [("kind", "market"), ("period", "previous"), ("subject", "华东市场"),
                                                       ("findings", "需求增长")]).status == 303)
        items = try reports()
        #expect(items.count == 2)
        #expect(!items.contains { $0.item.title.contains("市场调查报告") })
    }
}
