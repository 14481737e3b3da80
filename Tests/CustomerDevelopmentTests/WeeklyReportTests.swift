import Foundation
import Testing
import SalesHost
import SalesKit
import SalesTesting
@testable import CustomerDevelopmentModule

/// 004 第六章 5(6): every Friday the week's customer-archive changes go to the 总经理 and the sales
/// head, with the week's additions marked.
@Suite struct WeeklyReportTests {
    let f: CRMFixture
    let mgr: Int64

    init() throws {
        f = try CRMFixture()
        mgr = try f.t.addUser("mgr", roles: [.salesManager], displayName: "周经理")
    }

    /// Sets the test clock to 10:00 on `day` (company time zone).
    func at(_ day: String) throws {
        let d = try #require(LocalDate(day)).start(in: CRMFixture.zone).addingTimeInterval(10 * 3600)
        f.t.worker.clock = { d }
    }

    @Test("004 第六章 5(6): from Friday the 总经理's and the 销售经理's inbox carry the week's report with its additions and changes, until marked read; reps get none")
    func deliveredOnFriday() throws {
        func epoch(_ day: String) throws -> Int64 {
            Int64(try #require(LocalDate(day)).start(in: CRMFixture.zone).timeIntervalSince1970) + 36_000
        }
        // Entered on Sunday 03-01 (the week before) and edited on Wednesday 03-11; entered on Tuesday 03-10.
        try f.db.execute("""
            INSERT INTO crm_customers (name, status, owner_id, created_by, created_at, updated_at)
            VALUES ('老档案客户', 'prospect', \(f.rep1), \(f.rep1), \(try epoch("2026-03-01")), \(try epoch("2026-03-11"))),
                   ('本周新客户', 'prospect', \(f.rep1), \(f.rep1), \(try epoch("2026-03-10")), \(try epoch("2026-03-10")))
            """)

        // Thursday: the report of last week (03-02 … 03-08) is the one delivered; this week's is not yet.
        try at("2026-03-12")
        let gm = f.client("gm")
        var home = gm.get("/").body
        #expect(home.contains("每周客户档案变动（2026-03-02 至 2026-03-08）"))
        #expect(!home.contains("2026-03-09 至 2026-03-15"))

        // Friday: this week's, one added and one changed, for the GM and the sales manager.
        try at("2026-03-13")
        let gm2 = f.client("gm")
        let rep = f.client("rep1")
        home = gm2.get("/").body
        #expect(home.contains("每周客户档案变动（2026-03-09 至 2026-03-15）"))
        #expect(home.contains("本周新增 1 家，变更 1 家"))
        #expect(home.contains("/crm/reports/weekly-changes?week=2026-03-09"))
        #expect(f.client("mgr").get("/").body.contains("每周客户档案变动（2026-03-09 至 2026-03-15）"))
        #expect(!rep.get("/").body.contains("每周客户档案变动"))
        #expect(!f.client("boss").get("/").body.contains("每周客户档案变动"))
        let page = gm2.get("/crm/reports/weekly-changes?week=2026-03-09").body
        #expect(page.contains("本周新增") && page.contains("本周新客户") && page.contains("老档案客户"))
        #expect(page.contains("/crm/reports/weekly-changes/2026-03-09/read"))

        // Marked read: gone from the GM's inbox (not from the manager's), audited, shown on the page.
        #expect(gm2.submit("/crm/reports/weekly-changes/2026-03-09/read", [(String, String)]()).status == 303)
        #expect(!gm2.get("/").body.contains("2026-03-09 至 2026-03-15"))
        #expect(f.client("mgr").get("/").body.contains("2026-03-09 至 2026-03-15"))
        #expect(gm2.get("/crm/reports/weekly-changes?week=2026-03-09").body.contains("已于 2026-03-13"))
        #expect(try f.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'crm.weekly_report' AND action = 'read'") == 1)
        // Read twice: no second row.
        #expect(gm2.submit("/crm/reports/weekly-changes/2026-03-09/read", [(String, String)]()).status == 303)
        #expect(try f.db.scalar("SELECT COUNT(*) FROM crm_weekly_report_reads") == 1)
    }

    @Test("004 第六章 5(6): a week not yet delivered cannot be marked read (409); a date that is not a Monday is 404; a rep may not (403)")
    func markReadRules() throws {
        try at("2026-03-12")
        let gm = f.client("gm")
        gm.get("/crm/reports/weekly-changes")
        #expect(gm.submit("/crm/reports/weekly-changes/2026-03-09/read", [(String, String)]()).status == 409)
        #expect(gm.submit("/crm/reports/weekly-changes/2026-03-10/read", [(String, String)]()).status == 404)
        #expect(gm.submit("/crm/reports/weekly-changes/2026-03-02/read", [(String, String)]()).status == 303)
        let rep = f.client("rep1")
        rep.get("/crm/reports/weekly-changes")
        #expect(rep.submit("/crm/reports/weekly-changes/2026-03-02/read", [(String, String)]()).status == 403)
        #expect(!gm.get("/crm/reports/weekly-changes?week=2026-03-09").body.contains("/read"))
    }
}
