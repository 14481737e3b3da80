import Foundation
import Testing
import AdminModule
import SalesHost
import SalesKit
import SalesTesting
@testable import CustomerDevelopmentModule

/// A host with the admin and 客户开发 modules, two reps and a supervisor, and a clock fixed at
/// Wednesday 2026-03-11 10:00 in the company time zone (week: Monday 03-09 – Sunday 03-15).
private final class VisitFixture {
    let t: TestApp
    let rep1: Int64, rep2: Int64, boss: Int64
    static let zone = TimeZone(identifier: "Asia/Shanghai")!

    init(now: (String, Int) = ("2026-03-11", 10)) throws {
        t = try TestApp(modules: [AdminModule(), CustomerDevelopmentModule()])
        let fixed = Date(timeIntervalSince1970: Double(Self.at(now.0, hour: now.1)))
        t.worker.clock = { fixed }
        rep1 = try t.addUser("rep1", roles: [.salesRep], displayName: "张专员")
        rep2 = try t.addUser("rep2", roles: [.salesRep], displayName: "李专员")
        boss = try t.addUser("boss", roles: [.salesSupervisor], displayName: "王主管")
    }

    /// Epoch seconds of a wall-clock time in the company time zone.
    static func at(_ date: String, hour: Int = 0, minute: Int = 0, second: Int = 0) -> Int64 {
        Int64(LocalDate(date)!.start(in: zone).timeIntervalSince1970) + Int64(hour * 3600 + minute * 60 + second)
    }

    func client(_ username: String) -> TestClient {
        let c = t.client()
        let r = c.login(username)
        #expect(r.status == 303, "login of \(username) failed: \(r.status)")
        return c
    }

    @discardableResult
    func customer(_ name: String, owner: Int64, status: String = "customer", ratingClass: String? = "C",
                  created: Int64 = VisitFixture.at("2025-06-02"), updated: Int64? = nil, approved: Int64? = nil) throws -> Int64 {
        try t.db.insert("""
            INSERT INTO crm_customers (name, status, owner_id, rating_class, phone, department, contact_person, approved_at,
                                       created_by, created_at, updated_at)
            VALUES (\(name), \(status), \(owner), \(ratingClass), '021-5555 0000', '采购部', '陈经理', \(approved),
                    \(owner), \(created), \(updated ?? created))
            RETURNING id
            """)
    }

    func contact(_ customer: Int64, _ date: String, by: Int64, kind: String = "visit", summary: String? = nil) throws {
        try t.db.execute("""
            INSERT INTO crm_contacts (customer_id, kind, contact_date, person, summary, created_by, created_at)
            VALUES (\(customer), \(kind), \(date), '陈经理', \(summary ?? "\(kind) \(date)"), \(by), 0)
            """)
    }

    func count(_ sql: SQL) throws -> Int64 { try t.db.scalar(sql) ?? -1 }
}

/// The rows of a CSV export, without the BOM; cells split on commas (test data has none).
private func csvRows(_ r: TestClient.Response) -> [[String]] {
    var text = r.body
    if text.unicodeScalars.first == "\u{FEFF}" { text.unicodeScalars.removeFirst() }
    return text.components(separatedBy: "\r\n").filter { !$0.isEmpty }.map { $0.components(separatedBy: ",") }
}

private func location(_ r: TestClient.Response) -> String { r.location ?? "" }

@Suite struct VisitTests {
    // MARK: 访问计划完成表

    @Test("002 第三节 二.2 访问计划完成表: planned per month from the class policy, actual counted from visits of that month")
    func plannedVersusActual() throws {
        let f = try VisitFixture()
        let c = try f.customer("华东配件", owner: f.rep1, ratingClass: "C") // class C: 4 handler visits a month
        let unrated = try f.customer("未评级厂", owner: f.rep1, ratingClass: nil)
        let entered = try f.customer("三月建档厂", owner: f.rep1, ratingClass: "A", created: VisitFixture.at("2026-03-05")) // A: 8
        for d in ["2026-01-05", "2026-01-31", "2026-02-10"] { try f.contact(c, d, by: f.rep1) }
        try f.contact(c, "2026-01-20", by: f.rep1, kind: "call")  // a call is not a visit
        try f.contact(c, "2025-12-31", by: f.rep1)                 // last year
        try f.contact(c, "2027-01-01", by: f.rep1)                 // next year
        try f.contact(unrated, "2026-03-02", by: f.rep1)
        try f.contact(entered, "2026-03-06", by: f.rep1)

        let rep = f.client("rep1")
        let page = rep.get("/crm/reports/visit-completion?year=2026")
        #expect(page.status == 200)
        #expect(page.body.contains("华东配件"))
        let rows = csvRows(rep.get("/crm/reports/visit-completion?year=2026&format=csv"))
        let header = try #require(rows.first)
        let row = try #require(rows.first { $0.first == "华东配件" })
        func cell(_ title: String) -> String? { header.firstIndex(of: title).map { row[$0] } }
        #expect(cell("1月计划") == "4")
        #expect(cell("1月实际") == "2")
        #expect(cell("2月实际") == "1")
        #expect(cell("3月实际") == "0")
        #expect(cell("12月计划") == "4")
        #expect(cell("12月实际") == "0")
        #expect(cell("全年计划") == "48")
        #expect(cell("全年实际") == "3")
        let other = try #require(rows.first { $0.first == "未评级厂" })
        #expect(other[header.firstIndex(of: "3月计划") ?? 0] == "0")
        #expect(other[header.firstIndex(of: "3月实际") ?? 0] == "1")
        // No plan for the months before the customer was entered.
        let new = try #require(rows.first { $0.first == "三月建档厂" })
        #expect(new[header.firstIndex(of: "2月计划") ?? 0] == "0")
        #expect(new[header.firstIndex(of: "3月计划") ?? 0] == "8")
        #expect(new[header.firstIndex(of: "全年计划") ?? 0] == "80")
        // The page's totals: 48 + 0 + 80 planned; 3 + 1 + 1 visits.
        #expect(page.body.contains("计划 <strong>128</strong> 次，实际 <strong>5</strong> 次"))

        let last = csvRows(rep.get("/crm/reports/visit-completion?year=2025&format=csv"))
        let lastRow = try #require(last.first { $0.first == "华东配件" })
        #expect(lastRow[header.firstIndex(of: "12月实际") ?? 0] == "1")
        #expect(lastRow[header.firstIndex(of: "全年实际") ?? 0] == "1")
    }

    // MARK: Shortfall (003 §7.10)

    @Test("003 §7.10: a customer visited once this week (Mon–Sun) is listed, twice is not; calls, prospects and other weeks do not count")
    func shortfallBoundary() throws {
        let f = try VisitFixture() // Wednesday 2026-03-11; the week is 03-09 … 03-15
        let once = try f.customer("一次客户", owner: f.rep1)
        let twice = try f.customer("两次客户", owner: f.rep1)
        let lastWeek = try f.customer("上周客户", owner: f.rep1)
        let calls = try f.customer("电话客户", owner: f.rep1)
        try f.customer("潜在厂家", owner: f.rep1, status: "prospect")
        try f.contact(once, "2026-03-09", by: f.rep1)
        try f.contact(twice, "2026-03-09", by: f.rep1)   // Monday
        try f.contact(twice, "2026-03-15", by: f.rep1)   // Sunday: still this week
        try f.contact(lastWeek, "2026-03-02", by: f.rep1)
        try f.contact(lastWeek, "2026-03-08", by: f.rep1) // Sunday of last week
        try f.contact(lastWeek, "2026-03-16", by: f.rep1) // Monday of next week
        try f.contact(calls, "2026-03-10", by: f.rep1, kind: "call")
        try f.contact(calls, "2026-03-11", by: f.rep1, kind: "call")
        try f.contact(calls, "2026-03-11", by: f.rep1)

        let rep = f.client("rep1")
        var page = rep.get("/crm/reports/shortfall")
        #expect(page.status == 200)
        #expect(page.body.contains("一次客户"))
        #expect(!page.body.contains("两次客户"))
        #expect(page.body.contains("上周客户"))
        #expect(page.body.contains("电话客户"))
        #expect(!page.body.contains("潜在厂家"))
        #expect(page.body.contains("2026-03-09 至 2026-03-15"))
        #expect(rep.get("/").body.contains("本周拜访不足 2 次的客户：3 家"))

        // The second visit of the week, logged through the customer page, takes it off the list.
        rep.get("/crm/customers/\(once)")
        let logged = rep.submit("/crm/customers/\(once)/contacts", [("kind", "visit"), ("contact_date", "2026-03-10"),
                                                                    ("summary", "第二次拜访，洽谈样品")])
        #expect(logged.status == 303)
        page = rep.get("/crm/reports/shortfall")
        #expect(!page.body.contains("一次客户"))
        #expect(rep.get("/").body.contains("本周拜访不足 2 次的客户：2 家"))

        // The week's line links to the weeks before and after; the CSV is named by the week and
        // holds the count alone.
        #expect(page.body.contains("href=\"/crm/reports/shortfall?week=2026-03-02\"") && page.body.contains("‹ 上一周"))
        #expect(page.body.contains("href=\"/crm/reports/shortfall?week=2026-03-16\""))
        let csv = rep.get("/crm/reports/shortfall?format=csv")
        #expect(csv.header("Content-Disposition")?.contains("2026-03-09") == true)
        #expect(csv.body.hasPrefix("\u{FEFF}客户名称,客户级别,联系人,电话,负责人,本周拜访次数,最近拜访") || csv.body.hasPrefix("客户名称,客户级别,联系人,电话,负责人,本周拜访次数,最近拜访"))
        #expect(csv.body.contains("上周客户") && !csv.body.contains("还差"))
        #expect(page.body.contains("上周客户") && page.body.contains("0（还差 2 次）"))
        // A day that is not a date: this week, and the page says so.
        let bad = rep.get("/crm/reports/shortfall?week=2026-02-30")
        #expect(bad.status == 200 && bad.body.contains("日期无效") && bad.body.contains("2026-03-09 至 2026-03-15"))

        // Last week: two visits, Monday and Sunday, are enough.
        page = rep.get("/crm/reports/shortfall?week=2026-03-05")
        #expect(page.body.contains("2026-03-02 至 2026-03-08"))
        #expect(!page.body.contains("上周客户"))
        #expect(page.body.contains("两次客户"))

        // Nothing missing: no inbox item.
        try f.t.db.execute("UPDATE crm_customers SET status = 'closed' WHERE owner_id = \(f.rep1) AND id <> \(twice)")
        #expect(!rep.get("/").body.contains("本周拜访不足"))
    }

    @Test("003 §7.10: the week runs Monday–Sunday in the company time zone, also when today is a Sunday")
    func weekOnSunday() throws {
        let f = try VisitFixture(now: ("2026-03-15", 23))
        let c = try f.customer("周日客户", owner: f.rep1)
        try f.contact(c, "2026-03-09", by: f.rep1)
        try f.contact(c, "2026-03-15", by: f.rep1)
        let rep = f.client("rep1")
        let page = rep.get("/crm/reports/shortfall")
        #expect(page.body.contains("2026-03-09 至 2026-03-15"))
        #expect(!page.body.contains("周日客户"))
        #expect(VisitCalendar.weekday(LocalDate(year: 2026, month: 3, day: 15)) == 7)
        #expect(VisitCalendar.monday(of: LocalDate(year: 2026, month: 1, day: 1)) == LocalDate(year: 2025, month: 12, day: 29))
        #expect(VisitCalendar.adding(LocalDate(year: 2024, month: 2, day: 28), 1) == LocalDate(year: 2024, month: 2, day: 29))
    }

    // MARK: 新客户开发日报表 (002 §16)

    @Test("002 §16: one daily report per rep per day — a second one for the same date is refused with 422, values kept")
    func duplicateDailyReport() throws {
        let f = try VisitFixture()
        let rep = f.client("rep1")
        #expect(rep.get("/crm/reports/daily/new").status == 200)
        let first = rep.submit("/crm/reports/daily/new", [("report_date", "2026-03-11"), ("progress", "拜访华东配件，介绍新产品"),
                                                         ("results", "对方同意试样"), ("problems", "报价需主管确认")])
        #expect(first.status == 303)
        #expect(location(first).hasPrefix("/crm/reports/daily/"))
        rep.get("/crm/reports/daily/new")
        let again = rep.submit("/crm/reports/daily/new", [("report_date", "2026-03-11"), ("progress", "补充：第二份日报内容")])
        #expect(again.status == 422)
        #expect(again.body.contains("日报已经提交过"))
        #expect(again.body.contains("补充：第二份日报内容"))
        #expect(try f.count("SELECT COUNT(*) FROM crm_daily_reports WHERE rep_id = \(f.rep1)") == 1)
        // Another day, or another rep the same day, is fine.
        rep.get("/crm/reports/daily/new")
        #expect(rep.submit("/crm/reports/daily/new", [("report_date", "2026-03-10"), ("progress", "前一天的工作")]).status == 303)
        let rep2 = f.client("rep2")
        rep2.get("/crm/reports/daily/new")
        #expect(rep2.submit("/crm/reports/daily/new", [("report_date", "2026-03-11"), ("progress", "李专员的日报")]).status == 303)
        // A future date is refused.
        rep.get("/crm/reports/daily/new")
        #expect(rep.submit("/crm/reports/daily/new", [("report_date", "2026-03-12"), ("progress", "明天的工作")]).status == 422)
    }

    @Test("002 §16: the daily report waits in the supervisor's inbox until reviewed; the review is audited and only a supervisor may do it")
    func supervisorReview() throws {
        let f = try VisitFixture()
        let rep = f.client("rep1")
        rep.get("/crm/reports/daily/new")
        let r = rep.submit("/crm/reports/daily/new", [("report_date", "2026-03-11"), ("progress", "拜访三家潜在客户")])
        let path = location(r)
        let id = try #require(Int64(path.split(separator: "/").last ?? ""))

        let boss = f.client("boss")
        #expect(boss.get("/").body.contains("待审阅开发日报：张专员 2026-03-11"))
        #expect(!rep.get("/").body.contains("待审阅开发日报"))

        // A rep holds no crm.approve: the review POST is forbidden and changes nothing.
        rep.get(path)
        #expect(rep.submit(path, [("review_note", "自己审阅")]).status == 403)
        #expect(try f.count("SELECT COUNT(*) FROM crm_daily_reports WHERE id = \(id) AND state = 'submitted'") == 1)

        let page = boss.get(path)
        #expect(page.status == 200 && page.body.contains("标记为已审阅"))
        #expect(boss.submit(path, [("review_note", "明天跟进报价")]).status == 303)
        #expect(!boss.get("/").body.contains("待审阅开发日报"))
        #expect(try f.count("SELECT COUNT(*) FROM crm_daily_reports WHERE id = \(id) AND state = 'reviewed' AND reviewed_by = \(f.boss)") == 1)
        #expect(try f.count("""
            SELECT COUNT(*) FROM audit_log WHERE entity = 'crm.daily_report' AND entity_id = \(String(id)) AND action = 'review'
              AND from_state = 'submitted' AND to_state = 'reviewed' AND username = 'boss' AND reason = '明天跟进报价'
            """) == 1)
        #expect(rep.get(path).body.contains("明天跟进报价"))
        // Reviewing twice is refused, and the first review stays.
        boss.get(path)
        #expect(boss.submit(path, [("review_note", "再审一次")]).status == 409)
        #expect(try f.count("SELECT COUNT(*) FROM crm_daily_reports WHERE id = \(id) AND review_note = '明天跟进报价'") == 1)
        // A supervisor's own report is reviewed by someone else.
        boss.get("/crm/reports/daily/new")
        let own = location(boss.submit("/crm/reports/daily/new", [("report_date", "2026-03-11"), ("progress", "主管自己的日报")]))
        #expect(!boss.get("/").body.contains("待审阅开发日报：王主管"))
        #expect(boss.submit(own, [("review_note", "自审")]).status == 403)
    }

    @Test("002 §16: the daily report list (a ListPage) — 工作进展 shortened on the page, whole in the CSV with 成绩, 问题 and 审阅意见; state and rep filters; pending rows marked")
    func dailyReportList() throws {
        let f = try VisitFixture()
        let rep = f.client("rep1")
        let long = String(repeating: "拜访华东配件介绍新产品", count: 8)      // 88 characters
        rep.get("/crm/reports/daily/new")
        let first = location(rep.submit("/crm/reports/daily/new", [("report_date", "2026-03-10"), ("progress", long),
                                                                  ("results", "对方同意试样"), ("problems", "报价需主管确认")]))
        rep.get("/crm/reports/daily/new")
        #expect(rep.submit("/crm/reports/daily/new", [("report_date", "2026-03-11"), ("progress", "短的进展")]).status == 303)
        let boss = f.client("boss")
        boss.get(first)
        #expect(boss.submit(first, [("review_note", "明天跟进报价")]).status == 303)

        let page = rep.get("/crm/reports/daily")
        #expect(page.status == 200)
        #expect(page.body.contains("<a href=\"\(first)\">2026-03-10</a>"), "the date links to the report")
        #expect(page.body.contains(String(long.prefix(60)) + "…") && !page.body.contains(long), "the page shows 60 characters")
        #expect(!page.body.contains("对方同意试样"), "成绩 is in the CSV only")
        #expect(page.body.contains("<tr class=\"urgent\">"), "the report waiting for review is marked")
        #expect(!page.body.contains("全部人员"), "a rep sees only own reports: no rep filter")
        #expect(boss.get("/crm/reports/daily").body.contains("全部人员"))

        let csv = csvRows(rep.get("/crm/reports/daily?format=csv"))
        #expect(csv.first == ["日期", "销售专员", "工作进展", "取得的成绩", "存在的问题", "状态", "审阅人", "审阅意见"])
        #expect(csv.dropFirst().first == ["2026-03-11", "张专员", "短的进展", "", "", "待审阅", "", ""])
        #expect(csv.dropFirst(2).first == ["2026-03-10", "张专员", long, "对方同意试样", "报价需主管确认", "已审阅", "王主管", "明天跟进报价"])

        let reviewed = rep.get("/crm/reports/daily?state=reviewed").body
        #expect(reviewed.contains("2026-03-10") && !reviewed.contains("短的进展"))
        #expect(boss.get("/crm/reports/daily?rep=\(f.rep1)&sort=rep&dir=asc").body.contains("短的进展"))
        #expect(!boss.get("/crm/reports/daily?rep=\(f.boss)").body.contains("短的进展"))
    }

    // MARK: 本周客户档案变动 (004 第六章 5(6))

    @Test("004 第六章 5(6): the week's changes list customers created, edited or re-staged in the week, with additions marked")
    func weeklyChanges() throws {
        let f = try VisitFixture()
        let monday = VisitFixture.at("2026-03-09")
        try f.customer("本周新增厂", owner: f.rep1, status: "prospect", created: monday)                 // Monday 00:00
        try f.customer("上周末新增厂", owner: f.rep1, created: monday - 1)                                // Sunday 23:59:59
        try f.customer("改资料厂", owner: f.rep1, created: VisitFixture.at("2026-01-05"), updated: VisitFixture.at("2026-03-12", hour: 9))
        let staged = try f.customer("改阶段厂", owner: f.rep1, created: VisitFixture.at("2026-01-05"))
        try f.t.db.execute("""
            INSERT INTO crm_stage_changes (customer_id, kind, from_value, to_value, reason, changed_by, changed_at)
            VALUES (\(staged), 'stage', 'C', 'B', '明确需求，两个月内签约', \(f.rep1), \(VisitFixture.at("2026-03-15", hour: 23, minute: 59)))
            """)
        try f.customer("下周新增厂", owner: f.rep1, created: VisitFixture.at("2026-03-16"))
        try f.customer("别人的新厂", owner: f.rep2, created: monday + 3600)

        let rep = f.client("rep1")
        let page = rep.get("/crm/reports/weekly-changes")
        #expect(page.status == 200)
        #expect(page.body.contains("2026-03-09 至 2026-03-15"))
        #expect(page.body.contains("本周新增 <strong>1</strong> 家"))
        let rows = csvRows(rep.get("/crm/reports/weekly-changes?format=csv"))
        let marks = Dictionary(uniqueKeysWithValues: rows.dropFirst().map { ($0[1], $0[0]) })
        #expect(marks == ["本周新增厂": "本周新增", "改资料厂": "变更", "改阶段厂": "变更"])
        #expect(rows.dropFirst().first?[1] == "本周新增厂") // additions first
        let stagedRow = try #require(rows.first { $0[1] == "改阶段厂" })
        #expect(stagedRow.last?.contains("客户阶段：C → B") == true)

        // ?week= picks the week containing that date.
        let last = csvRows(rep.get("/crm/reports/weekly-changes?week=2026-03-08&format=csv"))
        #expect(last.contains { $0[1] == "上周末新增厂" && $0[0] == "本周新增" })
        #expect(!last.contains { $0[1] == "本周新增厂" })

        // The supervisor sees every rep's changes.
        let boss = f.client("boss")
        #expect(boss.get("/crm/reports/weekly-changes").body.contains("别人的新厂"))
        #expect(!page.body.contains("别人的新厂"))
    }

    // MARK: 年度新客户 (003 §5.5.3)

    @Test("003 §5.5.3: each rep's customers won in the year (approved_at, company time zone) against the 1–2 per year target")
    func yearlyNewCustomers() throws {
        let f = try VisitFixture()
        try f.customer("元旦客户", owner: f.rep1, approved: VisitFixture.at("2026-01-01"))
        try f.customer("二月客户", owner: f.rep1, approved: VisitFixture.at("2026-02-15", hour: 14))
        try f.customer("跨年客户", owner: f.rep1, approved: VisitFixture.at("2026-01-01") - 1)
        try f.customer("尚未认定", owner: f.rep1, status: "prospect", ratingClass: nil, created: VisitFixture.at("2026-03-02"))

        let rep = f.client("rep1")
        var rows = csvRows(rep.get("/crm/reports/new-customers?year=2026&format=csv"))
        #expect(rows.count == 2) // header + own row only
        let own = try #require(rows.first { $0.first == "张专员" })
        #expect(own[2] == "2" && own[3] == "1" && own[5] == "已完成")
        let page = rep.get("/crm/reports/new-customers?year=2026&rep=\(f.rep2)")
        #expect(page.body.contains("元旦客户") && page.body.contains("二月客户") && !page.body.contains("跨年客户"))

        rows = csvRows(rep.get("/crm/reports/new-customers?year=2025&format=csv"))
        #expect(rows.first { $0.first == "张专员" }?[2] == "1")

        let boss = f.client("boss")
        rows = csvRows(boss.get("/crm/reports/new-customers?year=2026&format=csv"))
        #expect(rows.first { $0.first == "张专员" }?[2] == "2")
        let other = try #require(rows.first { $0.first == "李专员" })
        #expect(other[2] == "0" && other[5] == "尚未完成")
        #expect(boss.get("/crm/reports/new-customers?year=2026&rep=\(f.rep1)").body.contains("二月客户"))
        rows = csvRows(boss.get("/crm/reports/new-customers?year=2025&format=csv"))
        #expect(rows.first { $0.first == "李专员" }?[5] == "未完成")
    }

    // MARK: Confidentiality (004 第四章(1), 第六章 5(7))

    @Test("004 第六章 5(7): another rep sees none of rep1's customers, plans or reports on any of these pages")
    func confidentiality() throws {
        let f = try VisitFixture()
        let secret = try f.customer("机密客户甲", owner: f.rep1, created: VisitFixture.at("2026-03-10"))
        try f.contact(secret, "2026-03-10", by: f.rep1, summary: "机密洽谈内容")
        let rep = f.client("rep1")
        rep.get("/crm/visits/plans/new")
        let plan = location(rep.submit("/crm/visits/plans/new", [("customer_id", String(secret)), ("kind", "visit"),
                                                                  ("planned_date", "2026-03-12"), ("purpose", "机密拜访目的")]))
        rep.get("/crm/reports/daily/new")
        let daily = location(rep.submit("/crm/reports/daily/new", [("report_date", "2026-03-11"), ("progress", "机密日报进展")]))
        rep.get("/crm/reports/development/new")
        let dev = location(rep.submit("/crm/reports/development/new", [("customer_id", String(secret)), ("handler", "张专员"),
                                                                        ("process", "机密开拓经过")]))
        rep.get("/crm/reports/monthly-plan/edit?month=2026-03")
        #expect(rep.submit("/crm/reports/monthly-plan/edit", [("month", "2026-03"), ("lines.0.company", "机密月计划公司")]).status == 303)
        for p in [plan, daily, dev] { #expect(p.count > "/crm/".count, "a fixture was not created") }

        let pages = ["/crm/visits/plans", "/crm/reports/daily", "/crm/reports/development", "/crm/reports/statistics",
                     "/crm/reports/visit-completion?year=2026", "/crm/reports/shortfall", "/crm/reports/weekly-changes",
                     "/crm/reports/new-customers?year=2026&rep=\(f.rep1)", "/crm/reports/monthly-plan?month=2026-03&rep=\(f.rep1)",
                     "/crm/visits/plans?format=csv", "/crm/reports/daily?format=csv", "/crm/reports/statistics?format=csv",
                     "/crm/reports/weekly-changes?format=csv", "/crm/reports/visit-completion?format=csv&year=2026"]
        let other = f.client("rep2")
        let boss = f.client("boss")
        for p in pages {
            let r = other.get(p)
            #expect(r.status == 200, "\(p): \(r.status)")
            #expect(!r.body.contains("机密"), "rep2 sees rep1's data on \(p)")
        }
        // The supervisor does see them (so the pages above really would show them).
        for p in ["/crm/visits/plans", "/crm/reports/daily", "/crm/reports/development", "/crm/reports/statistics",
                  "/crm/reports/weekly-changes", "/crm/reports/monthly-plan?month=2026-03&rep=\(f.rep1)"] {
            #expect(boss.get(p).body.contains("机密"), "the supervisor does not see rep1's data on \(p)")
        }
        #expect(boss.get("/crm/reports/development").body.contains("<a href=\"\(dev)\">"), "the 报告日期 links to the report")
        for p in [plan, daily, dev, dev + "/print", plan + "/complete", plan + "/edit"] {
            #expect([403, 404].contains(other.get(p).status), "rep2 reaches \(p)")
        }
        // Nor can rep2 file a plan or report against rep1's customer.
        other.get("/crm/visits/plans/new")
        #expect(other.submit("/crm/visits/plans/new", [("customer_id", String(secret)), ("kind", "visit"),
                                                       ("planned_date", "2026-03-12"), ("purpose", "刺探")]).status == 422)
        other.get("/crm/reports/development/new")
        #expect(other.submit("/crm/reports/development/new", [("customer_id", String(secret)), ("handler", "李专员"),
                                                              ("process", "刺探")]).status == 422)
        #expect(try f.count("SELECT COUNT(*) FROM crm_visit_plans WHERE purpose = '刺探'") == 0)
    }

    // MARK: CSV

    @Test("README: every CSV export of these reports is UTF-8 with a BOM")
    func csvHasBOM() throws {
        let f = try VisitFixture()
        let c = try f.customer("导出客户", owner: f.rep1)
        try f.contact(c, "2026-03-10", by: f.rep1)
        let rep = f.client("rep1")
        for p in ["/crm/visits/plans?format=csv", "/crm/reports/daily?format=csv", "/crm/reports/development?format=csv",
                  "/crm/reports/monthly-plan?format=csv", "/crm/reports/statistics?format=csv",
                  "/crm/reports/visit-completion?format=csv", "/crm/reports/shortfall?format=csv",
                  "/crm/reports/new-customers?format=csv", "/crm/reports/weekly-changes?format=csv"] {
            let r = rep.get(p)
            #expect(r.status == 200, "\(p): \(r.status)")
            #expect(r.header("Content-Type")?.hasPrefix("text/csv") == true, "\(p) is not CSV")
            #expect(r.body.unicodeScalars.first == "\u{FEFF}", "\(p) has no BOM")
        }
        let stats = csvRows(rep.get("/crm/reports/statistics?format=csv"))
        #expect(stats.first?.prefix(7) == ["序号", "客户名称", "拜访者", "所属部门", "电话", "拜访结果说明", "客户级别"])
        #expect(stats.dropFirst().first?.prefix(7) == ["1", "导出客户", "张专员", "采购部", "021-5555 0000", "2026-03-10：visit 2026-03-10", "C 一般客户"])
    }

    // MARK: 新客户开发计划及实施表 (002 §14)

    @Test("002 §14: the plan list (ListPage) — columns, state and name filters, ?customer= from the customer page, an open plan links to 填写结果, CSV with the same columns")
    func visitPlanList() throws {
        let f = try VisitFixture()
        let a = try f.customer("甲计划客户", owner: f.rep1)
        let b = try f.customer("乙计划客户", owner: f.rep1)
        let rep = f.client("rep1")
        var plans: [String] = []
        for (c, purpose) in [(a, "介绍新产品"), (b, "商谈价格")] {
            rep.get("/crm/visits/plans/new")
            plans.append(location(rep.submit("/crm/visits/plans/new", [("customer_id", String(c)), ("kind", "visit"),
                                                                        ("planned_date", "2026-03-10"), ("purpose", purpose)])))
        }
        rep.get(plans[1] + "/cancel")
        #expect(rep.submit(plans[1] + "/cancel", [("reason", "客户出差")]).status == 303)
        let page = rep.get("/crm/visits/plans")
        #expect(page.status == 200)
        for title in ["计划日期", "客户", "类型", "目的", "状态", "实际日期", "填写人"] { #expect(page.body.contains(title)) }
        #expect(page.body.contains("<a href=\"\(plans[0])/complete\">待实施</a>"))
        #expect(!page.body.contains("\(plans[1])/complete"))
        #expect(page.body.contains("<a href=\"/crm/customers/\(a)\">甲计划客户</a>"))
        let open = rep.get("/crm/visits/plans?state=planned").body
        #expect(open.contains("甲计划客户") && !open.contains("乙计划客户"))
        let named = rep.get("/crm/visits/plans?q=乙").body
        #expect(named.contains("乙计划客户") && !named.contains("甲计划客户"))
        // From the customer page: one customer's plans, the filter shown with that customer.
        #expect(rep.get("/crm/customers/\(b)").body.contains("/crm/visits/plans?customer=\(b)"))
        let one = rep.get("/crm/visits/plans?customer=\(b)").body
        #expect(one.contains("乙计划客户") && !one.contains("甲计划客户"))
        #expect(one.contains("<option value=\"\(b)\" selected>乙计划客户</option>"))
        #expect(!rep.get("/crm/visits/plans").body.contains("name=\"customer\""))
        // Another rep's customer id shows nothing of it.
        let other = f.client("rep2").get("/crm/visits/plans?customer=\(b)").body
        #expect(!other.contains("乙计划客户"))
        let csv = csvRows(rep.get("/crm/visits/plans?format=csv&state=cancelled"))
        #expect(csv.first == ["计划日期", "客户", "类型", "目的", "状态", "实际日期", "填写人"])
        #expect(csv.dropFirst().map { $0 } == [["2026-03-10", "乙计划客户", "拜访", "商谈价格", "已取消", "", "张专员"]])
    }

    @Test("002 §14: a plan is written before the visit and completed after it; completing logs the visit and is audited")
    func visitPlanFlow() throws {
        let f = try VisitFixture()
        let c = try f.customer("计划客户", owner: f.rep1)
        let rep = f.client("rep1")
        let form = rep.get("/crm/visits/plans/new?customer=\(c)")
        #expect(form.status == 200 && form.body.contains("计划客户"))
        let bad = rep.submit("/crm/visits/plans/new", [("customer_id", String(c)), ("kind", "visit"), ("planned_date", "2026-03-13"),
                                                       ("person", "陈经理")])
        #expect(bad.status == 422)
        #expect(bad.body.contains("value=\"陈经理\""))
        let plan = location(rep.submit("/crm/visits/plans/new", [("customer_id", String(c)), ("kind", "visit"), ("planned_date", "2026-03-10"),
                                                                 ("person", "陈经理"), ("purpose", "介绍新产品"), ("plan", "带样品")]))
        #expect(plan.hasPrefix("/crm/visits/plans/"))
        // Its date has passed: the rep is asked for the result.
        #expect(rep.get("/").body.contains("请填写拜访实施结果：计划客户"))

        rep.get(plan + "/complete")
        let missing = rep.submit(plan + "/complete", [("actual_date", "2026-03-10"), ("log_as", "visit")])
        #expect(missing.status == 422 && missing.body.contains("value=\"2026-03-10\""))
        #expect(rep.submit(plan + "/complete", [("actual_date", "2026-03-10"), ("result", "对方同意试样"), ("next_step", "下周送样"),
                                                ("log_as", "visit")]).status == 303)
        let page = rep.get(plan)
        #expect(page.body.contains("对方同意试样") && page.body.contains("已实施") && page.body.contains("编制"))
        #expect(!rep.get("/").body.contains("请填写拜访实施结果"))
        #expect(try f.count("SELECT COUNT(*) FROM crm_contacts WHERE customer_id = \(c) AND kind = 'visit' AND contact_date = '2026-03-10'") == 1)
        let id = String(plan.split(separator: "/").last ?? "")
        #expect(try f.count("SELECT COUNT(*) FROM audit_log WHERE entity = 'crm.visit_plan' AND entity_id = \(id) AND action IN ('create', 'complete')") == 2)
        // Done is done.
        #expect(rep.get(plan + "/complete").status == 409)
    }

    // MARK: 客户开发报告表 (002 第三节 一.2)

    @Test("002 第三节 一.2: the 客户开发报告表 stores the first deal in 分, prints with signatures, and takes one audited 批示 per role")
    func developmentReport() throws {
        let f = try VisitFixture()
        let c = try f.customer("报告客户", owner: f.rep1)
        let rep = f.client("rep1")
        rep.get("/crm/reports/development/new?customer=\(c)")
        let bad = rep.submit("/crm/reports/development/new", [("customer_id", String(c)), ("handler", "张专员"), ("first_amount", "12.345"),
                                                              ("process", "经朋友介绍")])
        #expect(bad.status == 422 && bad.body.contains("经朋友介绍"))
        let path = location(rep.submit("/crm/reports/development/new", [
            ("customer_id", String(c)), ("handler", "张专员"), ("products", "制动盘"), ("first_amount", "12,345.60"),
            ("first_product", "制动盘 A 型"), ("process", "经朋友介绍，三次拜访后试样成功"), ("remarks", "月供 800 套"),
        ]))
        #expect(path.hasPrefix("/crm/reports/development/"))
        let id = String(path.split(separator: "/").last ?? "")
        #expect(try f.count("SELECT first_amount_fen FROM crm_development_reports WHERE id = \(id)") == 1_234_560)
        #expect(try f.t.db.first("SELECT phone FROM crm_development_reports WHERE id = \(id)")?.string("phone") == "021-5555 0000")
        let print = rep.get(path + "/print")
        #expect(print.body.contains("¥12,345.60") && print.body.contains("编制") && print.body.contains("报告者：张专员"))

        rep.get(path)
        #expect(rep.submit(path, [("note", "同意")]).status == 403)
        let boss = f.client("boss")
        #expect(boss.get("/").status == 200)
        #expect(boss.get(path).body.contains("批示（销售主管）"))
        #expect(boss.submit(path, [("note", "同意，继续跟进")]).status == 303)
        #expect(try f.count("""
            SELECT COUNT(*) FROM audit_log WHERE entity = 'crm.development_report' AND entity_id = \(id) AND action = 'comment'
              AND to_state = '销售主管' AND username = 'boss'
            """) == 1)
        #expect(rep.get(path + "/print").body.contains("销售主管：同意，继续跟进"))
        boss.get(path)
        #expect(boss.submit(path, [("note", "再批一次")]).status == 409)
        #expect(try f.count("SELECT COUNT(*) FROM crm_development_reports WHERE id = \(id) AND supervisor_note = '同意，继续跟进'") == 1)
        // An empty 批示 is refused with 422 (another report, still open).
        rep.get("/crm/reports/development/new")
        let second = location(rep.submit("/crm/reports/development/new", [("customer_id", String(c)), ("handler", "张专员"),
                                                                          ("process", "第二份报告")]))
        boss.get(second)
        #expect(boss.submit(second, [("note", "")]).status == 422)
    }

    // MARK: 客户开发计划表 (002 第三节 一.1)

    @Test("002 第三节 一.1: the monthly 客户开发计划表 keeps repeated rows; a visit date outside the month is refused with the rows kept")
    func monthlyPlan() throws {
        let f = try VisitFixture()
        let rep = f.client("rep1")
        #expect(rep.get("/crm/reports/monthly-plan/edit?month=2026-03").status == 200)
        let bad = rep.submit("/crm/reports/monthly-plan/edit", [
            ("month", "2026-03"),
            ("lines.0.customer_class", "A"), ("lines.0.company", "华东配件"), ("lines.0.visit_date", "2026-03-12"),
            ("lines.0.person", "陈经理"), ("lines.0.title", "采购经理"), ("lines.0.department", "采购部"),
            ("lines.0.phone", "021-5555 0000"), ("lines.0.agreement", "周四送样"),
            ("lines.1.company", "江南制造"), ("lines.1.visit_date", "2026-04-02"),
        ])
        #expect(bad.status == 422)
        #expect(bad.body.contains("访问时间应在 2026-03 内"))
        #expect(bad.body.contains("value=\"江南制造\"") && bad.body.contains("value=\"周四送样\""))
        let ok = rep.submit("/crm/reports/monthly-plan/edit", [
            ("month", "2026-03"),
            ("lines.0.customer_class", "A"), ("lines.0.company", "华东配件"), ("lines.0.visit_date", "2026-03-12"),
            ("lines.0.agreement", "周四送样"), ("lines.2.company", "江南制造"), ("lines.2.visit_date", "2026-03-20"),
            ("lines.2.result", "需求明确，待报价"),
        ])
        #expect(ok.status == 303)
        let page = rep.get(location(ok))
        #expect(page.body.contains("华东配件") && page.body.contains("需求明确，待报价") && page.body.contains("A 优秀客户"))
        #expect(try f.count("SELECT COUNT(*) FROM crm_monthly_plan_rows r JOIN crm_monthly_plans p ON p.id = r.plan_id WHERE p.rep_id = \(f.rep1)") == 2)
        // Saving again replaces the month's rows.
        let form = rep.get("/crm/reports/monthly-plan/edit?month=2026-03")
        #expect(form.body.contains("value=\"江南制造\""))
        #expect(rep.submit("/crm/reports/monthly-plan/edit", [("month", "2026-03"), ("lines.0.company", "江南制造")]).status == 303)
        #expect(try f.count("SELECT COUNT(*) FROM crm_monthly_plan_rows") == 1)
        #expect(try f.count("SELECT COUNT(*) FROM audit_log WHERE entity = 'crm.monthly_plan' AND action IN ('create', 'edit')") == 2)
    }

    @Test("RULES §1.4: the reports index and menu entries are reachable by a rep; every page answers 200")
    func pagesRender() throws {
        let f = try VisitFixture()
        try f.customer("页面客户", owner: f.rep1)
        let rep = f.client("rep1")
        let home = rep.get("/")
        #expect(home.body.contains("/crm/reports") && home.body.contains("/crm/visits/plans"))
        for p in ["/crm/reports", "/crm/visits/plans", "/crm/visits/plans/new", "/crm/reports/daily", "/crm/reports/daily/new",
                  "/crm/reports/monthly-plan", "/crm/reports/monthly-plan/edit", "/crm/reports/development",
                  "/crm/reports/development/new", "/crm/reports/statistics", "/crm/reports/visit-completion",
                  "/crm/reports/shortfall", "/crm/reports/new-customers", "/crm/reports/weekly-changes",
                  "/crm/reports/shortfall?week=bad", "/crm/reports/weekly-changes?week=2026-02-30", "/crm/reports/visit-completion?year=abc"] {
            let r = rep.get(p)
            #expect(r.status == 200, "\(p): \(r.status)")
        }
    }
}
