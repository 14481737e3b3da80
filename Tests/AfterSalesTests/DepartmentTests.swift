import Foundation
import Testing
import SalesHost
import SalesKit
import SalesTesting
@testable import AfterSalesModule

/// RULES §6 "Departments are records" with 001 篇二 §5.1 (a quality complaint is routed to the
/// departments concerned, each fills in its part): the departments come from the platform's
/// directory, the part lands in the inbox of the department's head and members; the values
/// stored as text before are migrated to codes. Issue #16: history in Chinese, the overdue
/// items with who answers for them, the numbers people cite.
@Suite struct DepartmentTests {
    let w: ServiceWorld
    init() throws { w = try ServiceWorld() }

    func userID(_ name: String) throws -> Int64 {
        try #require(try w.t.db.scalar("SELECT id FROM users WHERE username = \(name)"))
    }

    func setHead(_ code: String, _ user: String) throws {
        try w.t.db.execute("UPDATE departments SET head_id = \(try userID(user)) WHERE code = \(code)")
    }

    func route(_ c: TestClient, _ id: Int64, _ departments: [String]) -> TestClient.Response {
        c.get("/service/complaints/\(id)/route")
        return c.submit("/service/complaints/\(id)/route", departments.map { ("departments", $0) })
    }

    @Test("001 篇二 §5.1 + RULES §6: the departments are picked from the directory; each part lands in the inbox of its department's head and members, not of a role-holder outside it")
    func test_001_5_1_routedToDirectoryDepartments() throws {
        // A department added to the directory, with a member; a 品质部 role-holder who works there.
        try w.t.db.execute("INSERT INTO departments (code, name, position) VALUES ('logistics', '储运部', 50)")
        try w.t.addUser("logi", roles: [.finance], department: "储运部")   // no 售后服务 permission at all
        try w.t.addUser("qc2", roles: [.quality], department: "储运部")
        try w.t.addUser("boss", roles: [.quality], department: "总经理办公室")
        try setHead("quality", "boss")   // the head, not a member

        let id = try w.idFrom(w.register(w.client("rep"), ServiceWorld.qualityFields(customer: w.inCity)))
        let manager = w.client("manager")
        let form = manager.get("/service/complaints/\(id)/route").body
        #expect(form.contains("value=\"logistics\"") && form.contains("储运部"))
        // Not a department of the directory: 422 on the field, nothing routed.
        let bad = manager.submit("/service/complaints/\(id)/route", [("departments", "外协加工厂")])
        #expect(bad.status == 422 && bad.body.contains("id=\"f-departments-error\""))
        #expect(try w.t.db.scalar("SELECT COUNT(*) FROM service_complaint_departments") == 0)
        let routed = route(manager, id, ["quality", "logistics"])
        #expect(routed.status == 303)
        let codes = try w.t.db.query("SELECT department FROM service_complaint_departments WHERE complaint_id = \(id) ORDER BY id")
            .compactMap { $0.string("department") }
        #expect(codes == ["quality", "logistics", "technical"])   // 技术部 always takes part

        // The parts reach the departments' members and heads.
        let logiHome = w.client("logi").get("/").body
        #expect(logiHome.contains("储运部待填写投诉处理意见") && logiHome.contains("/service/complaints/\(id)/departments/logistics"))
        #expect(w.client("quality").get("/").body.contains("品质部待填写投诉处理意见"))
        #expect(w.client("boss").get("/").body.contains("品质部待填写投诉处理意见"))
        #expect(w.client("tech").get("/").body.contains("技术部待填写投诉处理意见"))
        // A 品质部 role outside the department: no task, no form, not in its queue.
        let qc2 = w.client("qc2")
        #expect(!qc2.get("/").body.contains("品质部待填写"))
        #expect(qc2.get("/service/complaints/\(id)/departments/quality").status == 403)
        let queue = qc2.get("/service/queue").body    // qc2 is in 储运部: that part only
        #expect(queue.contains("/departments/logistics\"") && !queue.contains("/departments/quality\""))
        // logi holds no 售后服务 role: no 部门投诉待办 list, the inbox links straight to the form.
        #expect(w.client("logi").get("/service/queue").status == 403)

        let boss = w.client("boss")
        boss.get("/service/complaints/\(id)/departments/quality")
        #expect(boss.submit("/service/complaints/\(id)/departments/quality", [("finding", "含水率超标")]).status == 303)
        let logi = w.client("logi")
        logi.get("/service/complaints/\(id)/departments/logistics")
        let filled = logi.submit("/service/complaints/\(id)/departments/logistics", [("finding", "运输途中受潮")])
        #expect(filled.status == 303 && filled.location == "/service/complaints/\(id)/departments/logistics")
        #expect(logi.get(filled.location ?? "").body.contains("储运部处理意见已保存。"))
        #expect(!w.client("quality").get("/").body.contains("品质部待填写投诉处理意见"))

        // #16: the history reads in Chinese, departments by name; the number people cite.
        let page = manager.get("/service/complaints/\(id)").body
        #expect(page.contains("办理记录") && page.contains("分送部门") && page.contains("品质部、储运部、技术部"))
        #expect(page.contains("部门填写处理意见") && page.contains("登记投诉") && !page.contains("route_departments"))
        #expect(page.contains("客户投诉 \(DocNo.complaint(id))") && DocNo.complaint(1) == "TS000001")
        #expect(manager.get("/service/complaints").body.contains(">\(DocNo.complaint(id))</a>"))
        // #16: every action and state written has a Chinese title in the module's vocabulary.
        let titles = w.t.context(module: "service").auditTitles
        for r in try w.t.db.query("SELECT DISTINCT entity, action, to_state FROM audit_log WHERE module = 'service'") {
            let entity = r.string("entity") ?? "", action = r.string("action") ?? ""
            #expect(titles.entityTitle(module: "service", entity: entity) != entity, "\(entity)")
            #expect(titles.actionTitle(module: "service", entity: entity, action: action) != action, "\(entity) \(action)")
            if let to = r.string("to_state"), action != "route_departments", action != "finding" {
                #expect(titles.stateTitle(module: "service", entity: entity, state: to) != to, "\(entity) \(action) \(to)")
            }
        }
    }

    @Test("RULES §6 (migration 10): departments stored as text become directory codes, the old value kept beside; unknown text stays, flagged on the complaint, never lost")
    func test_006_departmentsMigratedToCodes() throws {
        try w.t.db.execute("INSERT INTO departments (code, name, position) VALUES ('logistics', '储运部', 50)")
        let id = try w.idFrom(w.register(w.client("rep"), ServiceWorld.qualityFields(customer: w.inCity)))
        let manager = try userID("manager")
        try w.t.db.execute("UPDATE service_complaints SET state = 'routed' WHERE id = \(id)")
        for text in ["品质部", "技术部", "质量部", "储运部", "外协加工厂"] {
            try w.t.db.execute("""
                INSERT INTO service_complaint_departments (complaint_id, department, routed_by, routed_at) VALUES (\(id), \(text), \(manager), 0)
                """)
        }
        try w.t.db.execute("""
            INSERT INTO service_quality_penalties (complaint_id, department, person, notice, fine_fen, basis, created_by, created_at)
            VALUES (\(id), '生产部', '', '通报', 0, '第3条', \(manager), 0)
            """)
        try w.t.db.executeScript(ServiceMigrations.mapDepartments)

        func rows() throws -> [String] {
            try w.t.db.query("SELECT department, legacy_department FROM service_complaint_departments WHERE complaint_id = \(id) ORDER BY id")
                .map { "\($0.string("department") ?? "")|\($0.string("legacy_department") ?? "")" }
        }
        // 质量部 would duplicate 品质部's code on this complaint: kept as it was.
        #expect(try rows() == ["quality|品质部", "technical|技术部", "质量部|", "logistics|储运部", "外协加工厂|"])
        let penalty = try #require(try w.t.db.first("SELECT department, legacy_department FROM service_quality_penalties"))
        #expect(penalty.string("department") == "production" && penalty.string("legacy_department") == "生产部")
        // A second run changes nothing.
        try w.t.db.executeScript(ServiceMigrations.mapDepartments)
        #expect(try rows() == ["quality|品质部", "technical|技术部", "质量部|", "logistics|储运部", "外协加工厂|"])

        let page = w.client("manager").get("/service/complaints/\(id)").body
        #expect(page.contains("「外协加工厂」（未对应部门）") && page.contains("部门目录中没有此部门，请重新分送"))
        #expect(page.contains("<td>品质部</td>") || page.contains("<td>品质部"))
        // The migrated part reaches the department's members.
        #expect(w.client("quality").get("/").body.contains("品质部待填写投诉处理意见"))
    }

    @Test("003 §7.8, 003 §6.2, 002 第九章 §9 (#16): overdue complaints name the department head or the handler; a late return names the rep; a visit without its daily report names the patroller")
    func test_003_7_8_overdueWithResponsible() throws {
        try w.t.addUser("boss", roles: [.quality], department: "品质部")
        try w.t.addUser("svc", roles: [.serviceRep])
        try w.t.addUser("svcsup", roles: [.serviceSupervisor])
        try setHead("quality", "boss")
        try setHead("sales", "director")
        func overdue() throws -> [OverdueItem] {
            try AfterSalesModule().overdue(w.t.context(module: "service", now: w.clock.value))
        }
        let rep = w.client("rep")
        let quality = try w.idFrom(w.register(rep, ServiceWorld.qualityFields(customer: w.outCity)))      // 48 h
        let service = try w.idFrom(w.register(rep, [("kind", "service"), ("customer", String(w.inCity)), ("summary", "态度差"),
                                                    ("concerned", "王五")]))                                 // 24 h
        #expect(route(w.client("manager"), quality, ["quality"]).status == 303)
        let bossID = try userID("boss"), managerID = try userID("manager"), directorID = try userID("director")
        let repID = try userID("rep"), svcID = try userID("svc")
        rep.get("/service/returns/new")
        let ret = try w.idFrom(rep.submit("/service/returns/new", [("customer", String(w.outCity)), ("reason_code", "6.1.3"),
                                                                   ("reason_form", "written"), ("reason_text", "清仓退货")]))   // 48 h
        let sup = w.client("svcsup")
        sup.get("/service/patrol/visits/new")
        let visit = try w.idFrom(sup.submit("/service/patrol/visits/new", [("customer", String(w.otherCustomer)), ("patroller", String(svcID)),
                                                                           ("planned_date", "2026-05-30"), ("purpose", "了解库存")]))
        #expect(try overdue().isEmpty)

        w.advance(hours: 25)
        // The service complaint: nobody routed it, so the head of 销售部 answers (001 篇二 §4.2a).
        var items = try overdue()
        #expect(items.map(\.item.url) == ["/service/complaints/\(service)"])
        #expect(items.first?.responsibleUserID == directorID)
        let serviceDue = try #require(try w.t.db.scalar("SELECT due_at FROM service_complaints WHERE id = \(service)"))
        #expect(items.first?.due == Date(timeIntervalSince1970: Double(serviceDue)))

        w.advance(hours: 24)
        items = try overdue()
        // 品质部's part: its head; 技术部's part (no head): the handler who routed it; the return: the rep;
        // the visit planned for 05-30 without its report: the patroller.
        let byURL = Dictionary(grouping: items, by: \.item.url)
        let parts = try #require(byURL["/service/complaints/\(quality)"])
        #expect(Set(parts.map(\.responsibleUserID)) == [bossID, managerID])
        #expect(parts.allSatisfy { $0.item.urgent && $0.item.title.contains(DocNo.complaint(quality)) })
        #expect(byURL["/service/returns/\(ret)"]?.map(\.responsibleUserID) == [repID])
        #expect(byURL["/service/patrol/visits/\(visit)"]?.map(\.responsibleUserID) == [svcID])
        // Done in time or closed: off the list.
        let boss = w.client("boss")
        boss.get("/service/complaints/\(quality)/departments/quality")
        #expect(boss.submit("/service/complaints/\(quality)/departments/quality", [("finding", "含水率超标")]).status == 303)
        let left = try overdue().filter { $0.item.url == "/service/complaints/\(quality)" }
        #expect(left.map(\.responsibleUserID) == [managerID])
    }

    @Test("003 §6.3.3 + #16: the return's print shows the settlement and the received total in 人民币大写")
    func test_003_6_3_3_uppercaseOnPrint() throws {
        #expect(Money.uppercase(30_000) == "叁佰元整")
        let rep = w.client("rep")
        rep.get("/service/returns/new")
        let ret = try w.idFrom(rep.submit("/service/returns/new", [("customer", String(w.outCity)), ("reason_code", "6.1.3"),
                                                                   ("reason_form", "written"), ("reason_text", "清仓退货")]))
        let print = rep.get("/service/returns/\(ret)/print").body
        #expect(print.contains("退货编号</th><td>\(DocNo.returnOrder(ret))") && print.contains("（大写：零元整）"))
    }
}
