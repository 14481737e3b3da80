import Foundation
import Testing
import SalesHost
import SalesKit
import SalesTesting
@testable import SuggestionsModule

/// 002 §26 with RULES §6 "Departments are records": the implementing departments are picked from
/// the platform's directory, an order lands in the inbox of its department's head and members,
/// and the departments stored as text before are migrated to codes. Issue #16: the overdue
/// items with who answers for them, history in Chinese, flash confirmations.
@Suite(.serialized) struct DepartmentOrderTests {
    let f: IdeasFixture
    init() throws { f = try IdeasFixture() }

    func userID(_ name: String) throws -> Int64 { try f.userID(name) }

    @Test("002 §26.1–§26.2 + RULES §6: the committee picks the implementing departments from the directory; each order lands with its department's head and members, not with a manager of another department")
    func test_002_26_ordersToDirectoryDepartments() throws {
        try f.db.execute("INSERT INTO departments (code, name, position) VALUES ('logistics', '储运部', 50)")
        try f.t.addUser("logimgr", roles: [.production], displayName: "储运经理", department: "储运部")
        // The grading form offers the directory's departments; a value not in it is 422.
        f.at(2026, 11, 5)
        let p = f.client("staff")
        p.get("/ideas/new")
        let r = p.submit("/ideas/new", [("topic", "development"), ("title", "储运提速"), ("content", "建议内容：储运提速。"), ("expected_effect", "快")])
        let sid = try #require(Int64(r.location?.split(separator: "/").last ?? ""))
        f.at(2026, 11, 22)
        let m = f.client("member")
        let form = m.get("/ideas/\(sid)").body
        #expect(form.contains("value=\"logistics\"") && form.contains("储运部") && form.contains("value=\"finance\""))
        let bad = m.submit("/ideas/\(sid)/grade", [("outcome", "grade3"), ("departments", "外协加工厂")])
        #expect(bad.status == 422 && bad.body.contains("id=\"f-departments-error\""))
        #expect(try f.db.first("SELECT outcome FROM ideas_suggestions WHERE id = \(sid)")?.string("outcome") == nil)
        m.get("/ideas/\(sid)")
        let graded = m.submit("/ideas/\(sid)/grade", [("outcome", "grade3"), ("departments", "logistics"), ("departments", "sales")])
        #expect(graded.status == 303 && m.get(graded.location ?? "").body.contains("已评定：储运提速（三等奖）"))
        // #16: the committee reads the suggestion's 办理记录 in Chinese.
        let record = m.get("/ideas/\(sid)").body
        #expect(record.contains("<h2>办理记录</h2>") && record.contains("提交建议") && record.contains("评定") && record.contains("三等奖"))
        #expect(!f.client("staff").get("/ideas/\(sid)").body.contains("<h2>办理记录</h2>"))
        let chair = f.client("chair")
        chair.get("/ideas/batches/2026-11")
        #expect(chair.submit("/ideas/batches/2026-11/finalize", [(String, String)]()).status == 303)
        let orders = try f.db.query("SELECT id, department FROM ideas_orders WHERE suggestion_id = \(sid) ORDER BY id")
        #expect(orders.map { $0.string("department") ?? "" } == ["logistics", "sales"])
        let logistics = try #require(orders.first?.int("id"))

        f.at(2026, 12, 3)
        let logimgr = f.client("logimgr")
        #expect(logimgr.get("/").body.contains("建议实施计划待填报：储运提速"))
        #expect(logimgr.get("/ideas/orders/mine").body.contains("本部门：储运部"))
        #expect(!f.client("prodmgr").get("/").body.contains("储运提速"))
        #expect(!f.client("finmgr").get("/").body.contains("储运提速"))
        // The department's head (the department manager of §26.2) reaches it too, whatever the roles.
        try f.db.execute("UPDATE departments SET head_id = \(try userID("outsider")) WHERE code = 'logistics'")
        let head = f.client("outsider")
        #expect(head.get("/").body.contains("建议实施计划待填报：储运提速"))
        #expect(head.get("/ideas/orders/\(logistics)/plan").body.contains("填报实施日期与要领"))
        // A sales rep who is neither head nor a manager-member: nothing.
        #expect(!f.client("staff").get("/").body.contains("建议实施计划待填报：储运提速"))
        // Another department's manager may not fill it in.
        let prod = f.client("prodmgr")
        prod.get("/ideas/orders/mine")     // the session's CSRF token
        #expect(prod.submit("/ideas/orders/\(logistics)/plan", [("plan_date", "2026-12-20"), ("plan_method", "分拣线改造两周完成")]).status == 403)
        let planned = f.post(logimgr, "/ideas/orders/\(logistics)/plan", [("plan_date", "2026-12-20"), ("plan_method", "分拣线改造两周完成")])
        #expect(planned.status == 303)
        #expect(logimgr.get(planned.location ?? "").body.contains("class=\"flash ok\" role=\"status\">实施计划已填报。"))

        // The order reads the department's name and its number; the committee's list by name.
        let committee = f.client("chair")   // a new session: the clock moved past the old one
        let page = committee.get("/ideas/orders/\(logistics)").body
        #expect(page.contains("建议实施命令单 \(ImplPages.number(logistics))") && page.contains("<td>储运部</td>"))
        #expect(committee.get("/ideas/orders?department=logistics").body.contains("储运部"))
        // #16: the audit rows of the order read in Chinese.
        let history = try f.t.context(module: "ideas").history(entity: "ideas.order", id: logistics)
        #expect(history.entries.map(\.action) == ["填报实施计划"] && history.entries.first?.to == "实施中（计划已填报）")
        // #16: every entity, action and state written has a Chinese title in the module's vocabulary.
        let titles = f.t.context(module: "ideas").auditTitles
        for r in try f.db.query("SELECT DISTINCT entity, action, to_state FROM audit_log WHERE module = 'ideas'") {
            let entity = r.string("entity") ?? "", action = r.string("action") ?? ""
            #expect(titles.entityTitle(module: "ideas", entity: entity) != entity, "\(entity)")
            #expect(titles.actionTitle(module: "ideas", entity: entity, action: action) != action, "\(entity) \(action)")
            if let to = r.string("to_state"), entity != "ideas.suggestion" || action != "reserve" {
                #expect(titles.stateTitle(module: "ideas", entity: entity, state: to) != to, "\(entity) \(action) \(to)")
            }
        }
    }

    @Test("#17: migration 3 keeps its shipped SQLite text and gains a PostgreSQL script without SQLite-only functions; migration 4 is portable")
    func test_017_migrationsPerDialect() {
        let v3 = IdeasMigrations.v3
        #expect(v3.script(for: "sqlite") == """
            -- why the suggestion is in this batch (shown to the proposer)
            ALTER TABLE ideas_suggestions ADD COLUMN batch_note TEXT;

            """ + IdeasMigrations.moveStuck)
        #expect(v3.script.contains("strftime('%Y-%m', s.batch || '-01', '+1 month')"))
        let pg = v3.script(for: "postgresql")
        #expect(!pg.contains("strftime") && pg.contains("to_char(to_date(") && pg.contains("EXTRACT(EPOCH FROM now())"))
        for m in IdeasMigrations.all where m.version >= 4 {
            for word in ["strftime", "julianday", "GROUP_CONCAT", "IFNULL", "OR IGNORE", "OR REPLACE", "date("] {
                #expect(!m.script.contains(word), "v\(m.version) \(word)")
            }
        }
    }

    @Test("RULES §6 (migration 4): departments stored as text on orders and suggestions become directory codes, the old value kept; unknown text stays, flagged, never lost")
    func test_006_departmentsMigratedToCodes() throws {
        try f.db.execute("""
            INSERT INTO ideas_suggestions (proposer_id, department, topic, title, content, batch, first_batch, outcome, departments,
                                           help_department, published, created_at, updated_at)
            VALUES (1, '销售部', 'other', '旧建议', '内容内容内容', '2026-10', '2026-10', 'grade2', '销售部,质量部,外协厂', '市场部', 1, 0, 0)
            """)
        let sid = try #require(try f.db.scalar("SELECT id FROM ideas_suggestions WHERE title = '旧建议'"))
        for d in ["销售部", "财务部", "外协厂"] {
            try f.db.execute("""
                INSERT INTO ideas_orders (suggestion_id, department, due, plan_due, created_at, updated_at)
                VALUES (\(sid), \(d), '2026-11-15', '2026-11-30', 0, 0)
                """)
        }
        try f.db.execute("""
            INSERT INTO ideas_notes (suggestion_id, kind, department, text, author_id, created_at) VALUES (\(sid), 'opinion', '财务部', '同意', 1, 0)
            """)
        try f.db.executeScript(IdeasMigrations.mapDepartments)
        let note = try #require(try f.db.first("SELECT department, legacy_department FROM ideas_notes"))
        #expect(note.string("department") == "finance" && note.string("legacy_department") == "财务部")
        func orders() throws -> [String] {
            try f.db.query("SELECT department, legacy_department FROM ideas_orders ORDER BY id")
                .map { "\($0.string("department") ?? "")|\($0.string("legacy_department") ?? "")" }
        }
        #expect(try orders() == ["sales|销售部", "finance|财务部", "外协厂|"])
        let s = try #require(try f.db.first("SELECT departments, legacy_departments, help_department FROM ideas_suggestions WHERE id = \(sid)"))
        #expect(s.string("departments") == "sales,quality,外协厂" && s.string("legacy_departments") == "销售部,质量部,外协厂")
        #expect(s.string("help_department") == "market")
        try f.db.executeScript(IdeasMigrations.mapDepartments)     // again: nothing changes
        #expect(try orders() == ["sales|销售部", "finance|财务部", "外协厂|"])

        let unknown = try #require(try f.db.scalar("SELECT id FROM ideas_orders WHERE department = '外协厂'"))
        let page = f.client("chair").get("/ideas/orders/\(unknown)").body
        #expect(page.contains("「外协厂」（未对应部门）") && page.contains("部门目录中没有此部门"))
        // The migrated sales order reaches the sales department's manager.
        #expect(f.client("salesmgr").get("/").body.contains("建议实施计划待填报：旧建议"))
    }

    @Test("002 §26.2 + §19 (#16): a plan not back by month end names the department's head (the chair where there is none); a batch not reviewed by month end names the chair")
    func test_002_26_2_overdueNamesHead() throws {
        try f.db.execute("UPDATE departments SET head_id = \(try userID("salesmgr")) WHERE code = 'sales'")
        try f.db.execute("UPDATE departments SET head_id = NULL WHERE code = 'finance'")
        let sid = try f.publish(year: 2026, month: 11, [("客户回访制度", "grade2", "销售部，财务部")])[0]
        let sales = try f.order(sid, "销售部"), fin = try f.order(sid, "财务部")
        // A December suggestion the committee has not reviewed.
        f.at(2026, 12, 5)
        let p = f.client("staff")
        p.get("/ideas/new")
        #expect(p.submit("/ideas/new", [("topic", "other"), ("title", "十二月建议"), ("content", "建议内容：十二月。"), ("expected_effect", "好")]).status == 303)
        func overdue() throws -> [OverdueItem] {
            try SuggestionsModule().overdue(f.t.context(module: "ideas", now: f.t.worker.clock?() ?? Date()))
        }
        f.at(2026, 12, 31)
        #expect(try overdue().isEmpty)    // due on the 31st: not yet
        f.at(2027, 1, 1)
        let items = try overdue()
        let salesmgr = try userID("salesmgr"), chair = try userID("chair")
        #expect(items.map(\.item.url) == [ImplPages.managerPath(sales), ImplPages.managerPath(fin), "/ideas/batches/2026-12"])
        #expect(items.map(\.responsibleUserID) == [salesmgr, chair, chair])
        #expect(items.allSatisfy { $0.item.urgent && $0.due == LocalDate(year: 2027, month: 1, day: 1).start(in: TimeZone(identifier: "Asia/Shanghai")!) })
        // The sales plan comes back: only the finance order and the batch remain.
        #expect(f.post(f.client("salesmgr"), "/ideas/orders/\(sales)/plan", [("plan_date", "2027-01-20"), ("plan_method", "每月回访一次重点客户")]).status == 303)
        #expect(try overdue().map(\.responsibleUserID) == [chair, chair])
    }
}
