import Foundation
import Testing
import SalesKit
import SalesTesting
@testable import AfterSalesModule

/// 003 §6.2 (RULES §6 "Returns"): after the customer's return notice the rep reaches the customer
/// within a policy time; the rep records the arrival; an overdue return is flagged in the rep's
/// inbox and the supervisor's.
@Suite struct ReturnArrivalTests {
    let w: ServiceWorld
    init() throws { w = try ServiceWorld() }

    func register(_ customer: Int64) throws -> Int64 {
        let rep = w.client("rep")
        rep.get("/service/returns/new")
        return try w.idFrom(rep.submit("/service/returns/new", [("customer", String(customer)), ("reason_code", "6.1.3"),
                                                                ("reason_form", "written"), ("reason_text", "清仓退货")]))
    }

    @Test("003 §6.2: the arrival limit is an admin policy value counted from registration; overdue, the return is flagged in the rep's and the supervisor's inbox until the arrival is recorded")
    func test_003_6_2_arrivalDeadlineOverdueInInbox() throws {
        try w.t.addUser("sup", roles: [.salesSupervisor])
        let admin = w.client("admin")
        admin.get("/service/policy")
        let bad = admin.submit("/service/policy", [("hours_in_city", "24"), ("hours_out_city", "48"), ("return_arrival_hours", "0")])
        #expect(bad.status == 422 && bad.body.contains("id=\"f-return_arrival_hours-error\""))
        #expect(admin.submit("/service/policy", [("hours_in_city", "24"), ("hours_out_city", "48"), ("return_arrival_hours", "12")]).status == 303)
        #expect(try w.t.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'service.policy' AND from_state = '24/48/48' AND to_state = '24/48/12'") == 1)

        let id = try register(w.outCity)
        let row = try #require(try w.t.db.first("SELECT * FROM service_returns WHERE id = \(id)"))
        #expect(row.int("arrival_due_at") == (row.int("created_at") ?? 0) + 12 * 3600)
        let home = w.client("rep").get("/").body
        #expect(home.contains("退货待到达客户处：外省装饰公司 \(DocNo.returnOrder(id))") && !home.contains("【超时】退货未按时到达客户处"))
        #expect(!w.client("sup").get("/").body.contains(DocNo.returnOrder(id)))

        w.advance(hours: 13)
        let rep = w.client("rep")
        #expect(rep.get("/").body.contains("【超时】退货未按时到达客户处：外省装饰公司 \(DocNo.returnOrder(id))"))
        #expect(w.client("sup").get("/").body.contains("【超时】退货未按时到达客户处：外省装饰公司 \(DocNo.returnOrder(id))"))
        #expect(w.client("manager").get("/").body.contains("【超时】退货未按时到达客户处：外省装饰公司 \(DocNo.returnOrder(id))"))
        #expect(!w.client("rep2").get("/").body.contains(DocNo.returnOrder(id)))
        #expect(!w.client("quality").get("/").body.contains("退货未按时到达"))
        #expect(rep.get("/service/returns/\(id)").body.contains("已超时 1 小时 0 分"))
        #expect(rep.get("/service/returns?arrival_overdue=1").body.contains("href=\"/service/returns/\(id)\""))

        // Registered 2026-05-29 04:26 (company time), now 17:26: not in the future, not before registration.
        rep.get("/service/returns/\(id)/arrival")
        let future = rep.submit("/service/returns/\(id)/arrival", [("arrived_date", "2026-05-29"), ("arrived_hour", "18"), ("arrived_minute", "0"), ("note", "见采购部")])
        #expect(future.status == 422 && future.body.contains("到达时间不能晚于现在") && future.body.contains("见采购部"))
        let early = rep.submit("/service/returns/\(id)/arrival", [("arrived_date", "2026-05-29"), ("arrived_hour", "4"), ("arrived_minute", "0")])
        #expect(early.status == 422 && early.body.contains("到达时间不能早于退货登记时间"))
        #expect(rep.submit("/service/returns/\(id)/arrival", [("arrived_date", "2026-05-29"), ("arrived_hour", "17"), ("arrived_minute", "0"), ("note", "见采购部")]).status == 303)
        #expect(try w.t.db.scalar("""
            SELECT COUNT(*) FROM audit_log WHERE entity = 'service.return' AND entity_id = \(String(id)) AND action = 'arrive'
                AND reason LIKE '%逾期到达%见采购部%'
            """) == 1)
        #expect(!rep.get("/").body.contains(DocNo.returnOrder(id)))
        #expect(!w.client("sup").get("/").body.contains(DocNo.returnOrder(id)))
        #expect(rep.get("/service/returns/\(id)").body.contains("逾期到达（超过时限 33 分）"))
        #expect(rep.get("/service/returns/\(id)/arrival").status == 409)
    }

    @Test("003 §6.2: an arrival in time shows 按时到达; only the rep side records it (not 品质部, not another rep)")
    func test_003_6_2_arrivalOnTimeAndWhoRecords() throws {
        let id = try register(w.inCity)
        #expect(w.client("quality").get("/service/returns/\(id)/arrival").status == 403)
        #expect(w.client("rep2").get("/service/returns/\(id)/arrival").status == 403)
        #expect(!w.client("quality").get("/service/returns/\(id)").body.contains("/arrival\""))
        w.advance(hours: 2)
        let rep = w.client("rep")
        #expect(rep.get("/service/returns/\(id)").body.contains("href=\"/service/returns/\(id)/arrival\""))
        #expect(rep.submit("/service/returns/\(id)/arrival", [("arrived_date", "2026-05-29"), ("arrived_hour", "6"), ("arrived_minute", "0")]).status == 303)
        #expect(rep.get("/service/returns/\(id)").body.contains("按时到达"))
        #expect(!rep.get("/service/returns/\(id)").body.contains("href=\"/service/returns/\(id)/arrival\""))
    }

    @Test("003 §6.2: a return registered before the rule (no deadline) is never flagged; a refused one leaves the inbox")
    func test_003_6_2_noDeadlineBeforeRuleAndEndedReturns() throws {
        let old = try register(w.inCity)
        try w.t.db.execute("UPDATE service_returns SET arrival_due_at = NULL, owner_id = NULL WHERE id = \(old)")
        let refused = try register(w.outCity)
        try w.t.db.execute("UPDATE service_returns SET state = 'refused' WHERE id = \(refused)")
        w.advance(hours: 100)
        let home = w.client("rep").get("/").body
        #expect(!home.contains("#\(old)") && !home.contains("#\(refused)"))
        #expect(w.client("rep").get("/service/returns?arrival_overdue=1").body.contains("没有退货。"))
    }
}
