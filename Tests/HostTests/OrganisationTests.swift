import AdminModule
import Foundation
import Testing
import SalesHost
import SalesKit
import SalesTesting

/// The department directory and reports-to (issue 15, RULES §6 "Departments are records",
/// "Teams" — 004 第四章): departments with a head and members offered to every module as
/// `OrgDirectory`; a user's supervisor; a deactivated user's records handed over first.
@Suite struct OrganisationTests {
    /// A module holding customers in a user's name, to see the handover across modules.
    struct Holder: DepartmentModule {
        let manifest = ModuleManifest(id: "holder", title: "客户开发", version: "1")
        var migrations: [Migration] {
            [Migration(1, "owned", "CREATE TABLE holder_items (id INTEGER PRIMARY KEY, owner_id INTEGER NOT NULL);")]
        }
        func held(by userID: Int64, _ ctx: Context) throws -> [HeldRecords] {
            let n = try ctx.db.scalar("SELECT COUNT(*) FROM holder_items WHERE owner_id = \(userID)") ?? 0
            return [HeldRecords(title: "客户开发：负责的客户", count: Int(n))]
        }
        func handOver(from userID: Int64, to successorID: Int64, reason: String, _ ctx: Context) throws {
            try ctx.db.execute("UPDATE holder_items SET owner_id = \(successorID) WHERE owner_id = \(userID)")
            try ctx.audit(AuditEntry(entity: "holder", entityID: String(userID), action: "handover", to: String(successorID), reason: reason))
        }
    }

    struct Fixture {
        let t: TestApp
        let admin: TestClient
        let boss, sup, rep, rep2, qc: Int64
    }

    static func fixture() throws -> Fixture {
        let t = try TestApp(modules: [AdminModule(), Holder()])
        _ = try t.addUser("root", roles: [.admin], displayName: "管理员")
        let boss = try t.addUser("boss", roles: [.salesManager], displayName: "王经理")
        let sup = try t.addUser("sup", roles: [.salesSupervisor], displayName: "李主管")
        let rep = try t.addUser("rep", roles: [.salesRep], displayName: "张三")
        let rep2 = try t.addUser("rep2", roles: [.salesRep], displayName: "赵六")
        let qc = try t.addUser("qc", roles: [.quality], displayName: "品质员")
        let admin = t.client()
        _ = admin.login("root")
        return Fixture(t: t, admin: admin, boss: boss, sup: sup, rep: rep, rep2: rep2, qc: qc)
    }

    func directory(_ f: Fixture) throws -> (any OrgDirectory, Context) {
        let ctx = f.t.context()
        return (try ctx.service(OrgDirectory.self), ctx)
    }

    @Test func standardDepartmentsExistAndUsersJoinTheDepartmentOfTheirRoles() throws {
        let f = try Self.fixture()
        let (org, ctx) = try directory(f)
        #expect(try org.departments(ctx).map(\.name) == StandardDepartment.allCases.map(\.name))
        #expect(try org.departments(ofUser: f.qc, ctx).map(\.code) == ["quality"])
        #expect(try org.department(code: "sales", ctx)?.memberIDs.sorted() == [f.boss, f.sup, f.rep, f.rep2].sorted())
        // The display text follows the membership.
        #expect(try f.t.db.first("SELECT department FROM users WHERE id = \(f.qc)")?.string("department") == "品质部")
    }

    @Test func aDepartmentIsCreatedWithItsHeadAndADuplicateIsRefusedWithTheValuesKept() throws {
        let f = try Self.fixture()
        let created = f.admin.submit("/admin/departments/new", ["code": "purchase", "name": "采购部", "head": String(f.boss), "position": "9"])
        #expect(created.status == 303)
        let (org, ctx) = try directory(f)
        let d = try #require(try org.department(code: "purchase", ctx))
        #expect(created.location == "/admin/departments/\(d.id)", "the confirmation travels in the session, not the URL")
        #expect(f.admin.get("/admin/departments/\(d.id)").body.contains("<div class=\"flash ok\" role=\"status\">部门「采购部」已建立。</div>"))
        #expect(!f.admin.get("/admin/departments/\(d.id)?saved=1").body.contains("class=\"flash"))
        #expect(d.name == "采购部" && d.headID == f.boss && d.headName == "王经理")
        #expect(d.inboxUserIDs == [f.boss])
        let dup = f.admin.submit("/admin/departments/new", ["code": "purchase", "name": "采购二部", "position": "9"])
        #expect(dup.status == 422)
        #expect(dup.body.contains("该部门代码已存在"))
        #expect(dup.body.contains("采购二部"))
        let badCode = f.admin.submit("/admin/departments/new", ["code": "采购", "name": "采购三部"])
        #expect(badCode.status == 422)
        #expect(badCode.body.contains("部门代码为 2–32 位小写字母"))
        #expect(try f.t.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'department' AND action = 'create'") == 1)
        // Renamed: the members' display text follows.
        #expect(f.admin.submit("/admin/users/\(f.rep)", ["display_name": "张三", "departments": "purchase", "active": "1",
                                                          "roles": "sales_rep"]).status == 303)
        #expect(f.admin.submit("/admin/departments/\(d.id)", ["name": "采购中心", "head": String(f.boss), "position": "9",
                                                               "active": "1", "reason": "改名"]).status == 303)
        #expect(try f.t.db.first("SELECT department FROM users WHERE id = \(f.rep)")?.string("department") == "采购中心")
        // A department with members cannot be switched off.
        let off = f.admin.submit("/admin/departments/\(d.id)", ["name": "采购中心", "position": "9", "reason": "撤销"])
        #expect(off.status == 422)
        #expect(off.body.contains("部门还有 1 位在职成员"))
    }

    @Test func theUserFormSetsDepartmentsAndSupervisorWithAuditRowsAndRefusesALoop() throws {
        let f = try Self.fixture()
        #expect(f.admin.submit("/admin/users/\(f.sup)", ["display_name": "李主管", "departments": "sales", "supervisor": String(f.boss),
                                                          "active": "1", "roles": "sales_supervisor", "reason": "组织调整"]).status == 303)
        for rep in [f.rep, f.rep2] {
            #expect(f.admin.submit("/admin/users/\(rep)", ["display_name": "销售", "departments": "sales", "supervisor": String(f.sup),
                                                            "active": "1", "roles": "sales_rep"]).status == 303)
        }
        let (org, ctx) = try directory(f)
        // 004 第四章: the supervisor's team, and the manager's through the supervisor.
        #expect(try org.team(of: f.sup, ctx).sorted() == [f.rep, f.rep2].sorted())
        #expect(try org.team(of: f.boss, ctx).sorted() == [f.sup, f.rep, f.rep2].sorted())
        #expect(try org.supervisor(of: f.rep, ctx) == f.sup)
        let audit = try f.t.db.first("SELECT username, from_state, to_state, reason FROM audit_log WHERE entity = 'user' AND entity_id = \(String(f.sup)) AND action = 'supervisor'")
        #expect(audit?.string("to_state") == String(f.boss))
        #expect(audit?.string("reason") == "组织调整")
        // The manager cannot report to someone in their own team.
        let loop = f.admin.submit("/admin/users/\(f.boss)", ["display_name": "王经理", "departments": "sales", "supervisor": String(f.rep),
                                                              "active": "1", "roles": "sales_manager"])
        #expect(loop.status == 422)
        #expect(loop.body.contains("不能选择自己的下属作为直属上级"))
        // The list shows department and supervisor, and filters by department.
        let list = f.admin.get("/admin/users?dept=quality")
        #expect(list.body.contains("品质员"))
        #expect(!list.body.contains("张三"))
        #expect(f.admin.get("/admin/users?q=rep2").body.contains("李主管"))
    }

    @Test func deactivatingAUserHandsTheirRecordsAndReportsToASuccessorFirst() throws {
        let f = try Self.fixture()
        try f.t.db.execute("INSERT INTO holder_items (owner_id) VALUES (\(f.rep)), (\(f.rep))")
        try f.t.db.execute("UPDATE users SET supervisor_id = \(f.rep) WHERE id = \(f.qc)")
        let page = f.admin.get("/admin/users/\(f.rep)")
        #expect(page.body.contains("客户开发：负责的客户 2 项"))
        #expect(page.body.contains("系统管理：直接下属 1 项"))
        // Without a successor: refused on the field, nothing changed.
        let refused = f.admin.submit("/admin/users/\(f.rep)", ["display_name": "张三", "departments": "sales", "roles": "sales_rep",
                                                                "reason": "离职"])
        #expect(refused.status == 422)
        #expect(refused.body.contains("请选择移交给哪位在职用户"))
        #expect(try f.t.db.scalar("SELECT active FROM users WHERE id = \(f.rep)") == 1)
        // With one: the records and the report move, the user is off, all in the audit log.
        #expect(f.admin.submit("/admin/users/\(f.rep)", ["display_name": "张三", "departments": "sales", "roles": "sales_rep",
                                                          "successor": String(f.rep2), "reason": "离职"]).status == 303)
        #expect(try f.t.db.scalar("SELECT COUNT(*) FROM holder_items WHERE owner_id = \(f.rep2)") == 2)
        #expect(try f.t.db.scalar("SELECT supervisor_id FROM users WHERE id = \(f.qc)") == f.rep2)
        #expect(try f.t.db.scalar("SELECT active FROM users WHERE id = \(f.rep)") == 0)
        let actions = try f.t.db.query("SELECT entity, action, reason FROM audit_log WHERE reason = '离职' ORDER BY id")
            .map { "\($0.string("entity") ?? "").\($0.string("action") ?? "")" }
        #expect(actions == ["holder.handover", "user.supervisor", "user.disable"])
        // A successor must be another active user.
        let selfPick = f.admin.submit("/admin/users/\(f.rep2)", ["display_name": "赵六", "roles": "sales_rep", "successor": String(f.rep)])
        #expect(selfPick.status == 422)
    }
}
