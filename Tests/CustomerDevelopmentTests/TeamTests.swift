import Foundation
import Testing
import SalesKit
import SalesTesting
@testable import CustomerDevelopmentModule

/// Teams (004 第四章, RULES §6): a 销售主管 sees the customers of the people who report to them
/// (directly or through others) besides their own; a 销售经理 and above see all; a supervisor
/// nobody reports to yet keeps the old all-customers view. A rep deactivated on the user page
/// hands their customers over first (audited as 调整负责人).
@Suite struct TeamTests {
    @Test func test_004_4_supervisorSeesTheTeamsCustomersOnly() throws {
        let f = try CRMFixture()
        let rep3 = try f.t.addUser("rep3", roles: [.salesRep], displayName: "周专员")
        let mgr = try f.t.addUser("mgr", roles: [.salesManager], displayName: "孙经理")
        let a = try f.createCustomer(f.client("rep1"), "甲组客户")
        let b = try f.createCustomer(f.client("rep3"), "外组客户")
        // Before any team is recorded the supervisor sees every customer (as before teams).
        #expect(f.client("boss").get("/crm/customers").body.contains("外组客户"))
        // rep1 and, through rep1, rep2 report to the supervisor; rep3 does not.
        try f.t.db.execute("UPDATE users SET supervisor_id = \(f.boss) WHERE id = \(f.rep1)")
        try f.t.db.execute("UPDATE users SET supervisor_id = \(f.rep1) WHERE id = \(f.rep2)")
        let c = try f.createCustomer(f.client("rep2"), "乙组客户")
        let boss = f.client("boss")
        let list = boss.get("/crm/customers").body
        #expect(list.contains("甲组客户") && list.contains("乙组客户") && !list.contains("外组客户"))
        #expect(boss.get("/crm/customers/\(a)").status == 200)
        #expect(boss.get("/crm/customers/\(c)").status == 200)
        #expect(boss.get("/crm/customers/\(b)").status == 403)
        // The manager sees all.
        let m = f.client("mgr")
        #expect(m.get("/crm/customers/\(b)").status == 200 && m.get("/crm/customers").body.contains("外组客户"))
        _ = rep3; _ = mgr
    }

    @Test func test_RULES6_deactivatingARepHandsTheirCustomersOverFirst() throws {
        let f = try CRMFixture()
        let a = try f.createCustomer(f.client("rep1"), "交接客户一")
        let b = try f.createCustomer(f.client("rep1"), "交接客户二")
        let admin = f.client("admin")
        let page = admin.get("/admin/users/\(f.rep1)")
        #expect(page.body.contains("客户开发：负责的客户 2 项"))
        let refused = admin.submit("/admin/users/\(f.rep1)", [("display_name", "张专员"), ("departments", "sales"), ("roles", "sales_rep"),
                                                               ("reason", "离职")])
        #expect(refused.status == 422)
        #expect(admin.submit("/admin/users/\(f.rep1)", [("display_name", "张专员"), ("departments", "sales"), ("roles", "sales_rep"),
                                                         ("successor", String(f.rep2)), ("reason", "离职")]).status == 303)
        #expect(try f.t.db.scalar("SELECT COUNT(*) FROM crm_customers WHERE owner_id = \(f.rep2)") == 2)
        let audits = try f.t.db.query("SELECT entity_id, from_state, to_state FROM audit_log WHERE entity = 'crm.customer' AND action = 'reassign' ORDER BY id")
        #expect(audits.map { $0.string("entity_id") ?? "" } == [String(a), String(b)])
        #expect(audits.allSatisfy { $0.string("from_state") == String(f.rep1) && $0.string("to_state") == String(f.rep2) })
        #expect(f.client("rep2").get("/crm/customers/\(a)").status == 200)
    }
}
