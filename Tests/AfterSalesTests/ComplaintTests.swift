import Foundation
import Testing
import SalesHost
import SalesKit
import SalesTesting
import AdminModule
import CustomerDevelopmentModule
@testable import AfterSalesModule


/// A test world: users of every role involved and two customers of `rep` (in and out of city).
final class ServiceWorld {
    let t: TestApp
    var now: Date
    let inCity: Int64
    let outCity: Int64
    let otherCustomer: Int64

    init() throws {
        let t = try TestApp(modules: [AdminModule(), CustomerDevelopmentModule(), AfterSalesModule()])
        self.t = t
        now = Date(timeIntervalSince1970: 1_780_000_000) // 2026-05-28
        let rep = try t.addUser("rep", roles: [.salesRep])
        let rep2 = try t.addUser("rep2", roles: [.salesRep])
        try t.addUser("manager", roles: [.salesManager])
        try t.addUser("director", roles: [.marketingDirector])
        try t.addUser("quality", roles: [.quality])
        try t.addUser("tech", roles: [.technical])
        try t.addUser("prod", roles: [.production])
        try t.addUser("finance", roles: [.finance])
        try t.addUser("admin", roles: [.admin])
        func customer(_ name: String, _ code: String, owner: Int64, inCity: Bool) throws -> Int64 {
            try CustomerFixtures.customer(t.db, name: name, code: code, owner: owner, inCity: inCity)
        }
        inCity = try customer("本市建材公司", "KH-2026-0001", owner: rep, inCity: true)
        outCity = try customer("外省装饰公司", "KH-2026-0002", owner: rep, inCity: false)
        otherCustomer = try customer("别人的客户", "KH-2026-0003", owner: rep2, inCity: true)
        let box = ClockBox(now)
        clock = box
        t.worker.clock = { box.value }
    }
    let clock: ClockBox
    func advance(hours: Double) { clock.value = clock.value.addingTimeInterval(hours * 3600) }

    func client(_ user: String) -> TestClient {
        let c = t.client()
        _ = c.login(user)
        return c
    }

    static func qualityFields(customer: Int64, purchase: String = "2026-05-01") -> [(String, String)] {
        [("kind", "quality"), ("customer", String(customer)), ("summary", "地板开裂"), ("invoice_no", "FP-001"),
         ("product", "实木地板"), ("spec", "900×90"), ("quantity", "30"), ("grade", "A"), ("color", "C12"),
         ("purchase_date", purchase)]
    }

    func register(_ c: TestClient, _ fields: [(String, String)], photo: (String, String, [UInt8])? = nil) -> TestClient.Response {
        c.get("/service/complaints/new")
        var parts: [(name: String, filename: String?, type: String?, data: [UInt8])] = [("_csrf", nil, nil, Array((c.csrf ?? "").utf8))]
        for (k, v) in fields { parts.append((k, nil, nil, Array(v.utf8))) }
        if let photo { parts.append(("photo", photo.0, photo.1, photo.2)) }
        return c.request("POST", "/service/complaints/new", contentType: "multipart/form-data; boundary=SvcB0undary", body: multipartBody(parts, boundary: "SvcB0undary"))
    }

    func idFrom(_ r: TestClient.Response) throws -> Int64 {
        let loc = try #require(r.location)
        return try #require(Int64(loc.split(separator: "/").last ?? ""))
    }
}

final class ClockBox: @unchecked Sendable {
    var value: Date
    init(_ v: Date) { value = v }
}

@Suite struct ComplaintTests {
    let w: ServiceWorld
    init() throws { w = try ServiceWorld() }

    @Test("001 篇二 §4.2a: a quality complaint records 票据, 品名, 规格, 数量, 等级, 色号 and 购买日期, not in the future")
    func qualityFieldsRequired() throws {
        let rep = w.client("rep")
        let missing = w.register(rep, [("kind", "quality"), ("customer", String(w.inCity)), ("summary", "地板开裂")])
        #expect(missing.status == 422)
        #expect(missing.body.contains("质量投诉须填写票据"))
        #expect(missing.body.contains("质量投诉须填写购买日期"))
        let future = w.register(rep, ServiceWorld.qualityFields(customer: w.inCity, purchase: "2026-06-30"))
        #expect(future.status == 422)
        #expect(future.body.contains("value=\"实木地板\""))  // everything kept
        #expect(try w.t.db.scalar("SELECT COUNT(*) FROM service_complaints") == 0)
        let ok = w.register(rep, ServiceWorld.qualityFields(customer: w.inCity))
        #expect(ok.status == 303)
        let row = try #require(try w.t.db.first("SELECT * FROM service_complaints"))
        #expect(row.string("color") == "C12" && row.int("quantity") == 30 && row.string("purchase_date") == "2026-05-01")
    }

    @Test("001 篇二 §5.2: a service complaint names the person or department concerned")
    func serviceNeedsConcerned() throws {
        let rep = w.client("rep")
        let r = w.register(rep, [("kind", "service"), ("customer", String(w.inCity)), ("summary", "态度差")])
        #expect(r.status == 422)
        #expect(r.body.contains("被投诉的人员或部门"))
        #expect(w.register(rep, [("kind", "service"), ("customer", String(w.inCity)), ("summary", "态度差"), ("concerned", "送货员王五")]).status == 303)
    }

    @Test("004 第四章(1): the customer is picked from CustomerDirectory — only customers the user may see")
    func onlyVisibleCustomers() throws {
        let rep = w.client("rep")
        let page = rep.get("/service/complaints/new")
        #expect(page.body.contains("本市建材公司"))
        #expect(!page.body.contains("别人的客户"))
        let r = w.register(rep, ServiceWorld.qualityFields(customer: w.otherCustomer))
        #expect(r.status == 422)
        #expect(try w.t.db.scalar("SELECT COUNT(*) FROM service_complaints") == 0)
    }

    @Test("001 篇二 §5.1: the 客户服务部 takes a complaint from any customer (service.complaint_register_any); a prospect is not offered")
    func test_001_5_1_serviceDepartmentRegistersForAnyCustomer() throws {
        try w.t.addUser("svc", roles: [.serviceRep])
        let prospect = try CustomerFixtures.customer(w.t.db, name: "意向客户", code: nil, owner: try #require(try w.t.db.scalar("SELECT id FROM users WHERE username = 'rep2'")),
                                                     status: "prospect", ratingClass: nil)
        let svc = w.client("svc")
        let page = svc.get("/service/complaints/new")
        #expect(page.body.contains("本市建材公司") && page.body.contains("别人的客户"))   // every rep's customers
        #expect(!page.body.contains("意向客户"))
        let r = w.register(svc, ServiceWorld.qualityFields(customer: w.otherCustomer))
        #expect(r.status == 303)
        let id = try w.idFrom(r)
        #expect(svc.get("/service/complaints/\(id)").status == 200)                       // the registrant sees it
        #expect(w.register(svc, ServiceWorld.qualityFields(customer: prospect)).status == 422)
        // A sales rep still picks only the customers he may see (004 第四章(1)).
        #expect(w.register(w.client("rep"), ServiceWorld.qualityFields(customer: w.otherCustomer)).status == 422)
    }

    @Test("003 §7.8: an in-city complaint is due 24 hours after registration, an out-of-city one 48 hours")
    func deadlines() throws {
        let rep = w.client("rep")
        let a = try w.idFrom(w.register(rep, ServiceWorld.qualityFields(customer: w.inCity)))
        let b = try w.idFrom(w.register(rep, ServiceWorld.qualityFields(customer: w.outCity)))
        let reg = Int64(w.now.timeIntervalSince1970)
        #expect(try w.t.db.scalar("SELECT due_at FROM service_complaints WHERE id = \(a)") == reg + 24 * 3600)
        #expect(try w.t.db.scalar("SELECT due_at FROM service_complaints WHERE id = \(b)") == reg + 48 * 3600)
        #expect(rep.get("/service/complaints/\(b)").body.contains("剩余 48 小时 0 分"))
    }

    @Test("003 §7.8: a complaint records when it was received (受理时间, default now); the deadline runs from it; not in the future, not before the purchase date")
    func test_003_7_8_deadlineFromReceivedTime() throws {
        let rep = w.client("rep")
        // Now is 2026-05-29 04:26 in the company time zone; the form offers it.
        let form = rep.get("/service/complaints/new").body
        #expect(form.contains("name=\"received_date\" value=\"2026-05-29\"") && form.contains("name=\"received_hour\" value=\"4\"")
                && form.contains("name=\"received_minute\" value=\"26\""))
        let future = w.register(rep, ServiceWorld.qualityFields(customer: w.outCity) + [("received_date", "2026-05-29"), ("received_hour", "5"), ("received_minute", "0")])
        #expect(future.status == 422)
        #expect(future.body.contains("id=\"f-received_hour-error\">受理时间不能晚于现在"))
        #expect(future.body.contains("name=\"received_hour\" value=\"5\"") && future.body.contains("value=\"FP-001\""))
        let beforePurchase = w.register(rep, ServiceWorld.qualityFields(customer: w.outCity) + [("received_date", "2026-04-30"), ("received_hour", "10"), ("received_minute", "0")])
        #expect(beforePurchase.status == 422 && beforePurchase.body.contains("受理日期不能早于购买日期（2026-05-01）"))
        let noTime = w.register(rep, ServiceWorld.qualityFields(customer: w.outCity) + [("received_date", "2026-05-28"), ("received_hour", ""), ("received_minute", "")])
        #expect(noTime.status == 422 && noTime.body.contains("id=\"f-received_hour-error\">请填写受理时间（时）"))
        #expect(try w.t.db.scalar("SELECT COUNT(*) FROM service_complaints") == 0)

        // Received yesterday evening (2026-05-28 20:00 = 12:00 UTC), registered now: 48 hours from receipt.
        let id = try w.idFrom(w.register(rep, ServiceWorld.qualityFields(customer: w.outCity) + [("received_date", "2026-05-28"), ("received_hour", "20"), ("received_minute", "0")]))
        let row = try #require(try w.t.db.first("SELECT * FROM service_complaints WHERE id = \(id)"))
        let received: Int64 = 1_779_969_600   // 2026-05-28T12:00:00Z
        #expect(row.int("received_at") == received && row.int("registered_at") == Int64(w.now.timeIntervalSince1970))
        #expect(row.int("due_at") == received + 48 * 3600)
        let page = rep.get("/service/complaints/\(id)").body
        #expect(page.contains("<th>受理时间</th><td>2026-05-28 20:00</td>") && page.contains("2026-05-30 20:00"))
        #expect(page.contains("剩余 39 小时 33 分"))
        #expect(try w.t.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'service.complaint' AND reason = '受理时间 2026-05-28 20:00'") == 1)
        // Left empty: received when registered.
        let now = try w.idFrom(w.register(rep, [("kind", "service"), ("customer", String(w.inCity)), ("summary", "态度差"), ("concerned", "王五"),
                                                ("received_date", ""), ("received_hour", ""), ("received_minute", "")]))
        #expect(try w.t.db.scalar("SELECT received_at - registered_at FROM service_complaints WHERE id = \(now)") == 0)
    }

    @Test("003 §7.8 + issue 12: a policy or instant written by hand too large for the arithmetic saturates, never traps")
    func deadlineArithmeticSaturates() {
        let huge = DeadlinePolicy(hoursInCity: .max, hoursOutOfCity: .min)
        #expect(ServiceDeadline.due(receivedAt: 100, inCity: true, policy: huge, timeZone: .gmt) == .max)
        #expect(ServiceDeadline.due(receivedAt: 100, inCity: false, policy: huge, timeZone: .gmt) == .min)
        #expect(ServiceDeadline.due(receivedAt: .max, inCity: true, policy: .standard, timeZone: .gmt) == .max)
        #expect(ServiceDeadline.timeLeft(due: .min, now: 1_800_000_000).overdue)
        #expect(!ServiceDeadline.timeLeft(due: .max, now: -1).overdue)
        #expect(ServiceDeadline.timeLeft(due: 3_600 + 20 * 60, now: 0).text == "剩余 1 小时 20 分")
    }

    @Test("003 §7.8: the deadline is one function over an admin-editable policy")
    func policyEditable() throws {
        #expect(ServiceDeadline.due(receivedAt: 100, inCity: false, policy: .standard, timeZone: .gmt) == 100 + 48 * 3600)
        let admin = w.client("admin")
        admin.get("/service/policy")
        #expect(admin.submit("/service/policy", [("hours_in_city", "12"), ("hours_out_city", "0"), ("return_arrival_hours", "48")]).status == 422)
        #expect(admin.submit("/service/policy", [("hours_in_city", "12"), ("hours_out_city", "36"), ("return_arrival_hours", "48")]).status == 303)
        let rep = w.client("rep")
        #expect(rep.get("/service/policy").status == 403)
        let id = try w.idFrom(w.register(rep, ServiceWorld.qualityFields(customer: w.outCity)))
        #expect(try w.t.db.scalar("SELECT due_at - registered_at FROM service_complaints WHERE id = \(id)") == 36 * 3600)
    }

    @Test("003 §7.8: an out-of-city complaint going overdue is flagged in the manager's inbox and the department's")
    func overdueInInbox() throws {
        let rep = w.client("rep")
        let id = try w.idFrom(w.register(rep, ServiceWorld.qualityFields(customer: w.outCity)))
        var manager = w.client("manager")
        #expect(!manager.get("/").body.contains("【超时】"))
        manager.get("/service/complaints/\(id)/route")
        #expect(manager.submit("/service/complaints/\(id)/route", [("departments", "quality"), ("departments", "production")]).status == 303)
        w.advance(hours: 47)
        #expect(!w.client("quality").get("/").body.contains("【超时】"))
        w.advance(hours: 2)
        #expect(w.client("quality").get("/").body.contains("【超时】"))
        manager = w.client("manager")  // a new session: the old one expired while the clock moved
        #expect(manager.get("/").body.contains("【超时】"))
        #expect(manager.get("/service/complaints?overdue=1").body.contains("外省装饰公司"))
        #expect(manager.get("/service/complaints/\(id)").body.contains("已超时 1 小时 0 分"))
    }

    @Test("001 篇二 §5.1: a quality complaint is routed; each department fills in its part; 技术部 decides the remedy, the area rep cannot; closing needs result and feedback; on time within 24 h")
    func qualityFlow() throws {
        let rep = w.client("rep")
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 9, 9]
        let id = try w.idFrom(w.register(rep, ServiceWorld.qualityFields(customer: w.inCity), photo: ("crack.png", "image/png", png)))
        let manager = w.client("manager")
        manager.get("/service/complaints/\(id)/route")
        #expect(manager.submit("/service/complaints/\(id)/route", [("departments", "quality")]).status == 303)
        // 技术部 always takes part.
        #expect(try w.t.db.scalar("SELECT COUNT(*) FROM service_complaint_departments WHERE complaint_id = \(id)") == 2)
        let quality = w.client("quality")
        #expect(quality.get("/service/queue").body.contains("本市建材公司"))
        #expect(quality.get("/service/complaints/\(id)/departments/technical").status == 403)
        #expect(quality.submit("/service/complaints/\(id)/departments/quality", [("finding", "批次含水率超标")]).status == 303)
        // The area rep is informed (sees it) but cannot decide the remedy.
        rep.get("/service/complaints/\(id)")
        #expect(rep.submit("/service/complaints/\(id)/remedy", [("remedy", "退换")]).status == 403)
        let tech = w.client("tech")
        tech.get("/service/complaints/\(id)/remedy")
        #expect(tech.submit("/service/complaints/\(id)/remedy", [("remedy", "更换同批次地板 30 片")]).status == 303)
        #expect(rep.get("/service/complaints/\(id)").body.contains("更换同批次地板 30 片"))
        manager.get("/service/complaints/\(id)/close")
        #expect(manager.submit("/service/complaints/\(id)/close", [("result", "已更换")]).status == 422)
        w.advance(hours: 7)
        #expect(manager.submit("/service/complaints/\(id)/close", [("result", "已更换"), ("feedback", "客户满意")]).status == 303)
        let row = try #require(try w.t.db.first("SELECT * FROM service_complaints WHERE id = \(id)"))
        #expect(row.string("state") == "closed")
        #expect((row.int("handled_at") ?? .max) <= (row.int("due_at") ?? 0))
        let report = manager.get("/service/complaints/report").body
        #expect(report.contains("100.0%"))
        // The photo is served only to who may see the complaint.
        let fid = try #require(try w.t.db.scalar("SELECT id FROM service_complaint_files WHERE complaint_id = \(id)"))
        #expect(rep.get("/service/complaints/\(id)/files/\(fid)").status == 200)
        #expect(w.client("rep2").get("/service/complaints/\(id)/files/\(fid)").status == 403)
        #expect(w.client("director").get("/service/complaints/\(id)/files/\(fid)").header("Content-Type") == "image/png")
        // #16 point 10: the print's signatures are who registered it, 技术部 who decided the remedy
        // and the manager who closed it, each with the date (no empty boxes when they are known).
        let print = manager.get("/service/complaints/\(id)/print").body
        #expect(print.contains("客户投诉质量处理表"))
        #expect(print.contains("<th>编制</th><td class=\"signer\">rep</td><th>审核</th><td class=\"signer\">tech</td><th>批准</th><td class=\"signer\">manager</td>"))
        #expect(!print.contains("<td class=\"nowrap\"></td>") && print.contains("<tr><th>日期</th><td class=\"nowrap\">20"))
    }

    @Test("001 篇一 §1.12: an attachment of a disallowed type is refused with the rest of the form kept")
    func badUpload() throws {
        let rep = w.client("rep")
        let r = w.register(rep, ServiceWorld.qualityFields(customer: w.inCity), photo: ("x.exe", "application/x-msdownload", [1, 2]))
        #expect(r.status == 422)
        #expect(r.body.contains("不支持的文件类型"))
        #expect(r.body.contains("value=\"FP-001\""))
    }

    @Test("004: every complaint is visible to the sales manager and the sales director, not to another rep")
    func visibility() throws {
        let rep = w.client("rep")
        let id = try w.idFrom(w.register(rep, ServiceWorld.qualityFields(customer: w.inCity)))
        #expect(w.client("manager").get("/service/complaints/\(id)").status == 200)
        #expect(w.client("director").get("/service/complaints").body.contains("本市建材公司"))
        #expect(w.client("rep2").get("/service/complaints/\(id)").status == 403)
        #expect(!w.client("rep2").get("/service/complaints").body.contains("本市建材公司"))
    }

    @Test("001 篇二 §5.3a: a verified service complaint may carry a notice and a fine of 20–100 元; outside is 422")
    func penalty() throws {
        let rep = w.client("rep")
        let id = try w.idFrom(w.register(rep, [("kind", "service"), ("customer", String(w.inCity)), ("summary", "态度差"), ("concerned", "王五")]))
        let manager = w.client("manager")
        #expect(manager.get("/service/complaints/\(id)/penalty").status == 409)  // not verified yet
        #expect(manager.get("/service/complaints/\(id)/penalty").body.contains("只有经核实属实的服务投诉才能记录处罚"))
        // The approval panel offers the manager 核实 (its opinion the handling proposal), not 重新处理;
        // 结案 stays a link (its own form). The rep, who can take no step, gets no panel at all.
        let open = manager.get("/service/complaints/\(id)").body
        #expect(open.contains("name=\"action\" value=\"verify\"") && !open.contains("value=\"reopen\""))
        #expect(open.contains("href=\"/service/complaints/\(id)/close\"") && open.contains("（「核实属实（填写处理建议）」须填写）"))
        let repPage = rep.get("/service/complaints/\(id)").body
        #expect(!repPage.contains("approval-panel") && !repPage.contains("<h2>办理</h2>") && !repPage.contains("/close\""))
        let noProposal = manager.submit("/service/complaints/\(id)/act", [("action", "verify"), ("reason", "")])
        #expect(noProposal.status == 422 && noProposal.body.contains("须填写审批意见"))
        #expect(try w.t.db.first("SELECT state FROM service_complaints WHERE id = \(id)")?.string("state") == "open")
        #expect(manager.submit("/service/complaints/\(id)/act", [("action", "verify"), ("reason", "核实属实，建议通报")]).status == 303)
        manager.get("/service/complaints/\(id)/penalty")
        #expect(manager.submit("/service/complaints/\(id)/penalty", [("person", "王五"), ("notice", "通报批评"), ("fine", "101")]).status == 422)
        #expect(manager.submit("/service/complaints/\(id)/penalty", [("person", "王五"), ("notice", "通报批评"), ("fine", "19.99")]).status == 422)
        #expect(try w.t.db.scalar("SELECT COUNT(*) FROM service_penalties") == 0)
        #expect(manager.submit("/service/complaints/\(id)/penalty", [("person", "王五"), ("notice", "通报批评"), ("fine", "50")]).status == 303)
        #expect(try w.t.db.scalar("SELECT fine_fen FROM service_penalties") == 5000)
    }

    @Test("001 篇二 §5.3b: a quality complaint whose cause 技术部 established may carry a penalty for the responsible department and person per the 考核方案 (or a proposal to dismiss); audited, on the record, in the penalty list and report")
    func test_001_5_3b_qualityPenalty() throws {
        let rep = w.client("rep")
        let id = try w.idFrom(w.register(rep, ServiceWorld.qualityFields(customer: w.inCity)))
        let manager = w.client("manager")
        #expect(manager.get("/service/complaints/\(id)/penalty").status == 409)   // cause not established yet
        manager.get("/service/complaints/\(id)/route")
        #expect(manager.submit("/service/complaints/\(id)/route", [("departments", "production")]).status == 303)
        let tech = w.client("tech")
        tech.get("/service/complaints/\(id)/remedy")
        #expect(tech.submit("/service/complaints/\(id)/remedy", [("remedy", "更换；生产部烘干工序失控")]).status == 303)
        #expect(manager.get("/service/complaints/\(id)").body.contains("href=\"/service/complaints/\(id)/penalty\""))
        let form = manager.get("/service/complaints/\(id)/penalty").body
        #expect(form.contains("<option value=\"production\" selected>生产部</option>"))   // the routed department first
        let missing = manager.submit("/service/complaints/\(id)/penalty", [("department", ""), ("notice", "通报批评"), ("basis", "")])
        #expect(missing.status == 422 && missing.body.contains("id=\"f-department-error\"") && missing.body.contains("id=\"f-basis-error\""))
        let dismissNoPerson = manager.submit("/service/complaints/\(id)/penalty", [("department", "production"), ("notice", "通报批评"),
                                                                                    ("basis", "考核方案第 5 条"), ("dismissal", "1")])
        #expect(dismissNoPerson.status == 422 && dismissNoPerson.body.contains("建议辞退须写明相关责任人"))
        #expect(manager.submit("/service/complaints/\(id)/penalty", [("department", "production"), ("notice", "通报批评"), ("fine", "-1"),
                                                                      ("basis", "考核方案第 3 条")]).status == 422)
        #expect(try w.t.db.scalar("SELECT COUNT(*) FROM service_quality_penalties") == 0)
        #expect(rep.submit("/service/complaints/\(id)/penalty", [("department", "production"), ("notice", "通报批评"),
                                                                  ("basis", "考核方案第 3 条")]).status == 403)
        #expect(manager.submit("/service/complaints/\(id)/penalty", [("department", "production"), ("person", "张三"), ("notice", "烘干工序失控，通报批评"),
                                                                      ("fine", "500"), ("basis", "考核方案第 3 条 一般质量事故")]).status == 303)
        let row = try #require(try w.t.db.first("SELECT * FROM service_quality_penalties"))
        #expect(row.string("department") == "production" && row.int("fine_fen") == 50_000 && row.int("dismissal") == 0)
        #expect(try w.t.db.scalar("""
            SELECT COUNT(*) FROM audit_log WHERE entity = 'service.complaint' AND action = 'quality_penalty'
                AND reason LIKE '生产部 张三 通报批评，罚款 ¥500.00；依据 考核方案第 3 条 一般质量事故%'
            """) == 1)
        #expect(rep.get("/service/complaints/\(id)").body.contains("责任部门 生产部 张三：烘干工序失控，通报批评，罚款 ¥500.00，依据《考核方案》考核方案第 3 条 一般质量事故"))
        #expect(manager.get("/service/complaints/\(id)/print").body.contains("生产部 张三 通报批评，罚款 ¥500.00（大写：伍佰元整）"))  // #16: 人民币大写 on the print

        // A service penalty too: the list shows both, filters by kind, exports CSV; the report sums them.
        let svc = try w.idFrom(w.register(rep, [("kind", "service"), ("customer", String(w.outCity)), ("summary", "态度差"), ("concerned", "王五")]))
        manager.get("/service/complaints/\(svc)")
        #expect(manager.submit("/service/complaints/\(svc)/act", [("action", "verify"), ("reason", "属实")]).status == 303)
        manager.get("/service/complaints/\(svc)/penalty")
        #expect(manager.submit("/service/complaints/\(svc)/penalty", [("person", "王五"), ("notice", "通报批评"), ("fine", "50")]).status == 303)
        let list = manager.get("/service/penalties").body
        #expect(list.contains("href=\"/service/complaints/\(id)\"") && list.contains("href=\"/service/complaints/\(svc)\""))
        #expect(list.contains("<td>生产部</td>") && list.contains("¥500.00") && list.contains("¥50.00"))
        let quality = manager.get("/service/penalties?kind=quality").body
        #expect(quality.contains("¥500.00") && !quality.contains("¥50.00"))
        let csv = manager.get("/service/penalties?format=csv").body
        #expect(csv.contains("投诉编号,类别,客户,责任部门,受处罚人员,批评通报,罚款,建议辞退,《考核方案》依据,记录时间") && csv.contains("王五"))
        let report = manager.get("/service/complaints/report").body
        #expect(report.contains("<td>质量投诉 · 生产部</td><td>1</td><td>¥500.00</td>") && report.contains("<td>服务投诉</td><td>1</td><td>¥50.00</td>"))
        #expect(rep.get("/service/penalties").status == 403)
    }

    @Test("RULES §3.1: closing requires result and feedback; reopening is possible and audited with its reason")
    func reopen() throws {
        let rep = w.client("rep")
        let id = try w.idFrom(w.register(rep, [("kind", "service"), ("customer", String(w.outCity)), ("summary", "未回电"), ("concerned", "客服部")]))
        let manager = w.client("manager")
        manager.get("/service/complaints/\(id)/close")
        #expect(manager.submit("/service/complaints/\(id)/close", [("result", "已道歉"), ("feedback", "接受")]).status == 303)
        let closed = manager.get("/service/complaints/\(id)").body
        // One approval panel: 审批意见 and only 重新处理 (the one step open to a closed complaint).
        #expect(closed.contains("id=\"approval-opinion\"") && closed.contains("name=\"action\" value=\"reopen\""))
        #expect(!closed.contains("value=\"verify\"") && !closed.contains("/close\""))
        // Without the opinion it requires: 422 beside the box, what was typed kept, nothing changed.
        let noReason = manager.submit("/service/complaints/\(id)/act", [("action", "reopen"), ("reason", "  ")])
        #expect(noReason.status == 422)
        #expect(noReason.body.contains("<p class=\"error\" id=\"approval-error\">「重新处理」须填写审批意见。</p>"))
        let tooLong = String(repeating: "长", count: 2001)
        let long = manager.submit("/service/complaints/\(id)/act", [("action", "reopen"), ("reason", tooLong)])
        #expect(long.status == 422 && long.body.contains(">" + tooLong + "</textarea>"))
        #expect(try w.t.db.scalar("SELECT COUNT(*) FROM service_complaints WHERE state = 'closed'") == 1)
        #expect(manager.submit("/service/complaints/\(id)/act", [("action", "reopen"), ("reason", "客户再次来电")]).status == 303)
        #expect(try w.t.db.first("SELECT state FROM service_complaints")?.string("state") == "open")
        #expect(try w.t.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'service.complaint' AND action = 'reopen' AND reason = '客户再次来电'") == 1)
    }

    @Test("001 篇一 §1.12, RULES §3.1: when a complaint closes, the customer's rep is told the outcome in the inbox until opening it; again after a reopen and close")
    func test_001_1_12_outcomeToCustomersRep() throws {
        try w.t.addUser("sup", roles: [.salesSupervisor])
        // Registered by the supervisor for the rep's customer: the notice goes to the customer's rep.
        let sup = w.client("sup")
        let id = try w.idFrom(w.register(sup, [("kind", "service"), ("customer", String(w.outCity)), ("summary", "未按约送货"), ("concerned", "储运")]))
        let manager = w.client("manager")
        #expect(!w.client("rep").get("/").body.contains("投诉已结案"))
        manager.get("/service/complaints/\(id)/close")
        #expect(manager.submit("/service/complaints/\(id)/close", [("result", "已补送并致歉"), ("feedback", "接受")]).status == 303)
        #expect(try w.t.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'service.complaint' AND action = 'notify_owner' AND reason = '处理结果已通知客户负责销售 rep'") == 1)
        let rep = w.client("rep")
        let home = rep.get("/").body
        #expect(home.contains("投诉已结案，请知悉处理结果：外省装饰公司 \(DocNo.complaint(id))") && home.contains("已补送并致歉"))
        #expect(!sup.get("/").body.contains("投诉已结案") && !w.client("rep2").get("/").body.contains("投诉已结案"))
        #expect(manager.get("/service/complaints/\(id)").body.contains("通知客户负责销售：</strong>rep，未阅"))
        // Someone else opening it changes nothing; the rep opening it reads it.
        #expect(w.client("director").get("/service/complaints/\(id)").status == 200)
        #expect(w.client("rep").get("/").body.contains("投诉已结案"))
        #expect(rep.get("/service/complaints/\(id)").body.contains("通知客户负责销售：</strong>rep，已阅"))
        #expect(!rep.get("/").body.contains("投诉已结案"))
        #expect(try w.t.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'service.complaint' AND action = 'outcome_read'") == 1)
        // Reopened and closed again: told again.
        manager.get("/service/complaints/\(id)")
        #expect(manager.submit("/service/complaints/\(id)/act", [("action", "reopen"), ("reason", "客户再次来电")]).status == 303)
        #expect(!rep.get("/").body.contains("投诉已结案"))
        manager.get("/service/complaints/\(id)/close")
        #expect(manager.submit("/service/complaints/\(id)/close", [("result", "再次补送"), ("feedback", "满意")]).status == 303)
        #expect(rep.get("/").body.contains("投诉已结案，请知悉处理结果：外省装饰公司 \(DocNo.complaint(id))"))
    }

    @Test("RULES §3.1 lists: filters by kind and CSV export")
    func listAndCSV() throws {
        let rep = w.client("rep")
        _ = w.register(rep, ServiceWorld.qualityFields(customer: w.inCity))
        _ = w.register(rep, [("kind", "service"), ("customer", String(w.outCity)), ("summary", "态度差"), ("concerned", "王五")])
        let m = w.client("manager")
        let svc = m.get("/service/complaints?kind=service").body
        #expect(svc.contains("态度差") && !svc.contains("地板开裂"))
        let csv = m.get("/service/complaints?format=csv")
        #expect(csv.status == 200 && csv.body.contains("本市建材公司") && csv.body.contains("外省装饰公司"))
    }
}
