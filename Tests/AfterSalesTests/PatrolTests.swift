import Foundation
import Testing
import SalesHost
import SalesKit
import SalesTesting
@testable import AfterSalesModule

/// Patrol visits and reports (RULES §3.3, 002 第九章 客户服务管理办法; 003 §7.9).
@Suite struct PatrolTests {
    let w: ServiceWorld
    let svc: Int64
    let svc2: Int64
    let rep: Int64

    init() throws {
        w = try ServiceWorld()
        svc = try w.t.addUser("svc", roles: [.serviceRep])
        svc2 = try w.t.addUser("svc2", roles: [.serviceRep])
        try w.t.addUser("svcsup", roles: [.serviceSupervisor])
        // Service staff see every customer by default (crm.view_all), so that patrols can be assigned.
        #expect(try w.t.db.scalar("SELECT COUNT(*) FROM role_permissions WHERE role_id = 'service_supervisor' AND permission = 'crm.view_all'") == 1)
        rep = try #require(try w.t.db.scalar("SELECT id FROM users WHERE username = 'rep'"))
    }

    func assign(_ customer: Int64, to patroller: Int64, date: String = "2026-05-28") throws -> Int64 {
        let sup = w.client("svcsup")
        sup.get("/service/patrol/visits/new")
        let r = sup.submit("/service/patrol/visits/new", [("customer", String(customer)), ("patroller", String(patroller)),
                                                          ("planned_date", date), ("purpose", "了解库存")])
        #expect(r.status == 303)
        return try w.idFrom(r)
    }

    static func reportFields(date: String = "2026-05-28", opinions: String = "希望缩短交货期") -> [(String, String)] {
        [("visit_date", date), ("visit_time", "10:30"), ("opinions", opinions), ("market", "对手降价 5%"),
         ("effect", "客户同意增加订量"), ("handling", "交期问题已转生产部"), ("other", "")]
    }

    func report(_ visit: Int64, _ fields: [(String, String)] = reportFields()) throws -> Int64 {
        let c = w.client("svc")
        c.get("/service/patrol/visits/\(visit)/report")
        let r = c.submit("/service/patrol/visits/\(visit)/report", fields)
        #expect(r.status == 303)
        return try w.idFrom(r)
    }

    @Test("002 第九章 §6: the customer's own sales rep cannot be assigned the patrol")
    func ownRepRefused() throws {
        let sup = w.client("svcsup")
        #expect(sup.get("/service/patrol/visits/new").body.contains("本市建材公司"))
        let r = sup.submit("/service/patrol/visits/new", [("customer", String(w.inCity)), ("patroller", String(rep)),
                                                          ("planned_date", "2026-06-02"), ("purpose", "检查陈列")])
        #expect(r.status == 422)
        #expect(r.body.contains("不能由该客户本地区负责销售的人员"))
        #expect(r.body.contains("检查陈列") && r.body.contains("2026-06-02"))  // values kept
        #expect(try w.t.db.scalar("SELECT COUNT(*) FROM service_patrol_visits") == 0)
        let id = try assign(w.inCity, to: svc)
        #expect(try w.t.db.scalar("SELECT patroller_id FROM service_patrol_visits WHERE id = \(id)") == svc)
        #expect(try w.t.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'service.patrol_visit' AND action = 'assign'") == 1)
        // A service rep may not assign patrols.
        #expect(w.client("svc").get("/service/patrol/visits/new").status == 403)
    }

    @Test("002 第九章 §5, §7: the service plan per class A–D (key products, surveys, schedule, after-sales) is supervisor-editable and audited")
    func servicePlan() throws {
        let sup = w.client("svcsup")
        sup.get("/service/patrol/plans?class=B")
        let bad = sup.submit("/service/patrol/plans", [("rating_class", "B"), ("key_products", "实木地板"), ("visits_per_month", "99")])
        #expect(bad.status == 422)
        #expect(bad.body.contains("实木地板"))
        #expect(sup.submit("/service/patrol/plans", [("rating_class", "B"), ("key_products", "实木地板"), ("key_surveys", "库存"),
                                                     ("special_surveys", "对手促销"), ("visits_per_month", "3"),
                                                     ("after_sales", "铺装指导")]).status == 303)
        let row = try #require(try w.t.db.first("SELECT * FROM service_patrol_plans WHERE rating_class = 'B'"))
        #expect(row.int("visits_per_month") == 3 && row.string("special_surveys") == "对手促销")
        #expect(try w.t.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'service.patrol_plan' AND entity_id = 'B'") == 1)
        #expect(w.client("svc").get("/service/patrol/plans").status == 403)
        // The visit page shows the plan of the customer's class.
        let id = try assign(w.inCity, to: svc)
        #expect(w.client("svc").get("/service/patrol/visits/\(id)").body.contains("铺装指导"))
    }

    @Test("002 第九章 §9: the daily report with the customer card goes to the superior's inbox until read")
    func dailyReport() throws {
        let id = try assign(w.inCity, to: svc)
        let c = w.client("svc")
        // #16 point 10: the visit is named by its number (巡访 XF…), never a bare 「#1」.
        #expect(c.get("/").body.contains("巡访待填日报：本市建材公司 \(DocNo.patrolVisit(id))"))
        let visit = c.get("/service/patrol/visits/\(id)").body
        #expect(visit.contains("<h1>巡访 \(DocNo.patrolVisit(id)) · 本市建材公司</h1>") && !visit.contains("#\(id)"))
        let form = c.get("/service/patrol/visits/\(id)/report")
        #expect(form.body.contains("KH-2026-0001"))  // the customer card
        let bad = c.submit("/service/patrol/visits/\(id)/report", [("visit_date", "2026-05-28"), ("visit_time", "25:00"),
                                                                   ("opinions", "希望缩短交货期")])
        #expect(bad.status == 422)
        #expect(bad.body.contains("希望缩短交货期"))
        #expect(try w.t.db.scalar("SELECT COUNT(*) FROM service_patrol_reports") == 0)
        // Only the assigned patroller reports.
        #expect(w.client("svc2").get("/service/patrol/visits/\(id)/report").status == 403)
        let rid = try report(id)
        #expect(!c.get("/").body.contains("巡访待填日报"))
        let sup = w.client("svcsup")
        #expect(sup.get("/").body.contains("巡访日报待阅：本市建材公司 \(DocNo.patrolReport(rid))"))
        let page = sup.get("/service/patrol/reports/\(rid)")
        #expect(page.body.contains("对手降价 5%") && page.body.contains("KH-2026-0001"))
        #expect(page.body.contains("<h1>巡访日报 \(DocNo.patrolReport(rid))</h1>"))
        // Unread: the reporter signs, 审核 waits for the superior.
        #expect(page.body.contains("<th>编制</th><td class=\"signer\">svc</td><th>审核</th><td class=\"signer\"></td>"))
        #expect(w.client("svc2").get("/service/patrol/reports/\(rid)").status == 403)
        #expect(c.submit("/service/patrol/reports/\(rid)/ack", []).status == 403)
        #expect(sup.submit("/service/patrol/reports/\(rid)/ack", []).status == 303)
        #expect(!sup.get("/").body.contains("巡访日报待阅"))
        #expect(try w.t.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'service.patrol_report' AND action = 'read'") == 1)
        // Read: the superior's name and date fill 审核.
        #expect(sup.get("/service/patrol/reports/\(rid)").body.contains("<th>审核</th><td class=\"signer\">svcsup</td>"))
        #expect(sup.get("/service/patrol/reports").body.contains(">\(DocNo.patrolReport(rid))</a>"))
        // Lists: filter and CSV.
        let csv = sup.get("/service/patrol/reports?format=csv&customer=\(w.inCity)")
        #expect(csv.body.contains("希望缩短交货期"))
        #expect(!sup.get("/service/patrol/reports?customer=\(w.outCity)").body.contains("希望缩短交货期"))
        #expect(sup.get("/service/patrol/visits?format=csv").body.contains("本市建材公司"))
    }

    @Test("002 第九章 §10: the monthly patrol summary is compiled from the month's daily reports per unit, then edited and submitted")
    func monthlySummary() throws {
        _ = try report(try assign(w.inCity, to: svc), Self.reportFields(date: "2026-05-20", opinions: "要求提供样板"))
        _ = try report(try assign(w.outCity, to: svc), Self.reportFields(date: "2026-05-27", opinions: "希望增加色号"))
        _ = try report(try assign(w.outCity, to: svc), Self.reportFields(date: "2026-04-30", opinions: "四月的意见"))
        let sup = w.client("svcsup")
        let page = sup.get("/service/patrol/monthly?month=2026-05&unit=客户服务部")
        #expect(page.body.contains("共巡访 2 次"))
        #expect(page.body.contains("要求提供样板") && page.body.contains("希望增加色号"))
        #expect(!page.body.contains("四月的意见"))
        #expect(sup.submit("/service/patrol/monthly", [("month", "2026-13"), ("unit", "客户服务部"), ("summary", "改")]).status == 422)
        #expect(sup.submit("/service/patrol/monthly", [("month", "2026-05"), ("unit", "客户服务部"),
                                                       ("summary", "五月共巡访 2 次，重点：样板与色号")]).status == 303)
        let row = try #require(try w.t.db.first("SELECT * FROM service_patrol_monthly"))
        #expect(row.int("report_count") == 2 && row.string("summary") == "五月共巡访 2 次，重点：样板与色号")
        #expect(try w.t.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'service.patrol_monthly' AND action = 'submit'") == 1)
        #expect(w.client("svc").get("/service/patrol/monthly").status == 403)
        // The submitted reports: a list (month, unit, count) opening each in the form; the CSV has the summary.
        let list = sup.get("/service/patrol/monthly/submitted")
        #expect(list.status == 200 && list.body.contains("客户服务部"))
        #expect(list.body.contains("href=\"/service/patrol/monthly?month=2026-05&amp;unit=%E5%AE%A2%E6%88%B7%E6%9C%8D%E5%8A%A1%E9%83%A8\""))
        let csv = sup.get("/service/patrol/monthly/submitted?format=csv")
        #expect(csv.body.contains("月份,营业单位,日报数,提交人,提交时间,汇总内容") && csv.body.contains("五月共巡访 2 次，重点：样板与色号"))
        #expect(w.client("svc").get("/service/patrol/monthly/submitted").status == 403)
    }

    @Test("002 第九章 §11: an urgent report names one of the five triggers and reaches the superior's inbox at once, marked urgent")
    func urgentReport() throws {
        #expect(PatrolReports.triggers.count == 5)
        _ = try assign(w.inCity, to: svc)
        let c = w.client("svc")
        c.get("/service/patrol/urgent/new")
        let bad = c.submit("/service/patrol/urgent/new", [("trigger", "weather"), ("content", "对手推出新款强化地板")])
        #expect(bad.status == 422)
        #expect(bad.body.contains("对手推出新款强化地板"))
        let sup = w.client("svcsup")
        #expect(!sup.get("/").body.contains("【紧急】"))
        let r = c.submit("/service/patrol/urgent/new", [("trigger", "product"), ("customer", String(w.inCity)), ("content", "对手推出新款强化地板")])
        #expect(r.status == 303)
        let id = try w.idFrom(r)
        let inbox = sup.get("/")
        #expect(inbox.body.contains("【紧急】巡访紧急报告：同行有新产品上市 \(DocNo.patrolUrgent(id))"))
        #expect(sup.get("/service/patrol/urgent/\(id)").body.contains("<h1>巡访紧急报告 \(DocNo.patrolUrgent(id))</h1>"))
        #expect(sup.submit("/service/patrol/urgent/\(id)/ack", []).status == 303)
        #expect(!sup.get("/").body.contains("【紧急】"))
        #expect(try w.t.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'service.patrol_urgent'") == 2)
    }

    @Test("002 第九章 §8: a gift is recorded only on an approved 赠送礼品预算申请表")
    func giftNeedsApproval() throws {
        let c = w.client("svc")
        c.get("/service/patrol/gifts/new")
        let unassigned = c.submit("/service/patrol/gifts/new", [("customer", String(w.inCity)), ("gift", "茶具"), ("budget", "300"), ("reason", "十年老客户")])
        #expect(unassigned.status == 422)  // not a customer the patroller may see or patrols
        _ = try assign(w.inCity, to: svc)
        c.get("/service/patrol/gifts/new")
        let r = c.submit("/service/patrol/gifts/new", [("customer", String(w.inCity)), ("gift", "茶具"), ("budget", "300"), ("reason", "十年老客户")])
        #expect(r.status == 303)
        let id = try w.idFrom(r)
        c.get("/service/patrol/gifts/\(id)/record")
        let early = c.submit("/service/patrol/gifts/\(id)/record", [("given_date", "2026-05-28"), ("actual", "280")])
        #expect(early.status == 422)
        #expect(early.body.contains("尚未批准"))
        #expect(try w.t.db.first("SELECT state FROM service_patrol_gifts WHERE id = \(id)")?.string("state") == "pending")
        #expect(c.submit("/service/patrol/gifts/\(id)/decide", [("decision", "approve")]).status == 403)
        let sup = w.client("svcsup")
        #expect(sup.get("/").body.contains("赠送礼品预算申请待审批"))
        sup.get("/service/patrol/gifts/\(id)/decide")
        #expect(sup.submit("/service/patrol/gifts/\(id)/decide", [("decision", "approve"), ("note", "同意")]).status == 303)
        #expect(c.submit("/service/patrol/gifts/\(id)/record", [("given_date", "2026-05-28"), ("actual", "350")]).status == 422)
        #expect(c.submit("/service/patrol/gifts/\(id)/record", [("given_date", "2026-05-28"), ("actual", "280")]).status == 303)
        let row = try #require(try w.t.db.first("SELECT * FROM service_patrol_gifts WHERE id = \(id)"))
        #expect(row.string("state") == "recorded" && row.int("actual_fen") == 28000)
        #expect(try w.t.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'service.patrol_gift'") == 3)
    }

    @Test("003 §7.9: the weekly 客户质量信息反馈表 lists the week's quality complaints, Monday to Sunday in the company zone, with CSV")
    func weeklyQualityFeedback() throws {
        let zone = try #require(TimeZone(identifier: "Asia/Shanghai"))
        #expect(PatrolGifts.monday(LocalDate("2026-05-31")!) == LocalDate("2026-05-25")!)
        #expect(PatrolGifts.monday(LocalDate("2026-05-25")!) == LocalDate("2026-05-25")!)
        func at(_ day: String, _ minutes: Int) -> Int64 {
            Int64(LocalDate(day)!.start(in: zone).timeIntervalSince1970) + Int64(minutes * 60)
        }
        func complaint(_ kind: String, _ product: String, _ at: Int64) throws {
            try w.t.db.execute("""
                INSERT INTO service_complaints (kind, customer_id, customer_name, in_city, summary, product, state, registered_at, due_at,
                    created_by, updated_at)
                VALUES (\(kind), \(w.inCity), '本市建材公司', 1, '开裂', \(product), 'open', \(at), \(at + 86400), 1, \(at))
                """)
        }
        try complaint("quality", "周一的地板", at("2026-05-25", 1))
        try complaint("quality", "周日的地板", at("2026-05-31", 23 * 60 + 59))
        try complaint("quality", "下周的地板", at("2026-06-01", 0))
        try complaint("quality", "上周的地板", at("2026-05-24", 23 * 60 + 59))
        try complaint("service", "服务投诉", at("2026-05-27", 600))
        let c = w.client("quality")
        let page = c.get("/service/patrol/feedback?week=2026-05-28")
        #expect(page.status == 200)
        #expect(page.body.contains("周一的地板") && page.body.contains("周日的地板"))
        #expect(!page.body.contains("下周的地板") && !page.body.contains("上周的地板") && !page.body.contains("服务投诉"))
        let csv = c.get("/service/patrol/feedback?week=2026-05-25&format=csv")
        #expect(csv.body.contains("周日的地板") && !csv.body.contains("下周的地板"))
        #expect(w.client("finance").get("/service/patrol/feedback").status == 403)
    }

    @Test("RULES §3.3 lists: visits, daily reports, urgent reports and gift applications render with filters and export CSV; a patroller sees only own records")
    func listsAndPages() throws {
        let visit = try assign(w.outCity, to: svc)
        let rid = try report(visit)
        let sup = w.client("svcsup")
        for path in ["/service/patrol/visits", "/service/patrol/visits?state=reported&from=2026-05-01&to=2026-05-31",
                     "/service/patrol/visits/\(visit)", "/service/patrol/reports?unread=1", "/service/patrol/reports/\(rid)",
                     "/service/patrol/urgent", "/service/patrol/gifts", "/service/patrol/monthly", "/service/patrol/plans",
                     "/service/patrol/feedback"] {
            let r = sup.get(path)
            #expect(r.status == 200, "\(path)")
        }
        #expect(sup.get("/service/patrol/visits?state=assigned").body.contains("没有记录"))
        #expect(sup.get("/service/patrol/visits?state=reported").body.contains("外省装饰公司"))
        let csv = sup.get("/service/patrol/visits?format=csv&customer=\(w.outCity)")
        #expect(csv.body.contains("外省装饰公司") && csv.body.contains("已报日报"))
        #expect(sup.get("/service/patrol/urgent?format=csv").status == 200)
        #expect(sup.get("/service/patrol/gifts?format=csv").status == 200)
        // Another patroller sees neither the visit nor the report.
        let other = w.client("svc2")
        #expect(!other.get("/service/patrol/visits").body.contains("外省装饰公司"))
        #expect(other.get("/service/patrol/visits/\(visit)").status == 403)
        #expect(!other.get("/service/patrol/reports?format=csv").body.contains("外省装饰公司"))
    }
}
