import Foundation
import Testing
import SalesHost
import SalesKit
import SalesTesting
@testable import CustomerDevelopmentModule

/// Customer information on the customer file (004 第六章 3 客户信息管理).
@Suite struct CustomerInfoTests {
    let f: CRMFixture
    init() throws { f = try CRMFixture() }

    func save(_ c: TestClient, _ cid: Int64, _ pairs: [(String, String)]) -> TestClient.Response {
        c.get("/crm/customers/\(cid)/info")
        return c.submit("/crm/customers/\(cid)/info", pairs)
    }

    static let filled = [
        ("org_structure", "集团下设三个事业部"), ("purchase_dept", "采购中心"), ("user_dept", "总装车间"),
        ("procurement_plan", "2026 年新车型配套"), ("purchase_on", "2026-06-30"), ("budget", "3,000,000"), ("progress", "技术交流"),
        ("decision_makers.0.name", "刘总"), ("decision_makers.0.title", "副总经理"), ("decision_makers.0.role", "decider"),
        ("decision_makers.1.name", "孙工"), ("decision_makers.1.title", "采购经理"), ("decision_makers.1.role", "targets"),
        ("decision_process", "采购中心提名，副总审批"),
        ("competitors.0.company", "华南配件厂"), ("competitors.0.sales_style", "低价"),
    ]

    @Test("004 第六章 3: organisation, decision makers with their roles, procurement plan, budget, timing and competitors are kept on the customer file, shown and audited")
    func infoOnTheFile() throws {
        let rep = f.client("rep1")
        let cid = try f.createCustomer(rep, "信息客户")
        #expect(rep.get("/crm/customers/\(cid)").body.contains("/crm/customers/\(cid)/info"))
        #expect(save(rep, cid, Self.filled).status == 303)
        let row = try #require(try f.db.first("SELECT * FROM crm_customer_info WHERE customer_id = \(cid)"))
        #expect(row.int("budget_fen") == 300_000_000)
        #expect(row.string("purchase_on") == "2026-06-30")
        #expect(row.int("updated_by") == f.rep1)
        let page = rep.get("/crm/customers/\(cid)").body
        for text in ["集团下设三个事业部", "刘总", "副总经理", "决策人（谁做决定）", "孙工", "确定采购指标", "3,000,000.00", "2026-06-30",
                     "华南配件厂", "低价", "采购中心提名，副总审批"] {
            #expect(page.contains(text), "the customer page lacks \(text)")
        }
        let audit = try #require(try f.db.first("""
            SELECT reason, username FROM audit_log WHERE entity = 'crm.customer' AND entity_id = \(String(cid)) AND action = 'info'
            """))
        #expect(audit.string("reason") == "决策人 2 位，竞争者 1 家")
        // Revised: the form shows what was saved; saving it unchanged writes nothing.
        #expect(rep.get("/crm/customers/\(cid)/info").body.contains("value=\"刘总\""))
        #expect(save(rep, cid, Self.filled).status == 303)
        #expect(try f.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'crm.customer' AND action = 'info'") == 1)
        // 004 第六章 5(6): it is a change of the week's customer archive.
        let weekly = f.client("boss").get("/crm/reports/weekly-changes").body
        #expect(weekly.contains("信息客户") && weekly.contains("更新客户信息"))
    }

    @Test("004 第六章 3: a decision maker without a name, a bad e-mail or budget come back 422 beside the field with every value kept")
    func badInput() throws {
        let rep = f.client("rep1")
        let cid = try f.createCustomer(rep, "坏信息客户")
        let r = save(rep, cid, [("email", "not-an-email"), ("budget", "-5"), ("decision_makers.0.title", "总工"),
                                ("competitors.0.company", "甲厂")])
        #expect(r.status == 422)
        #expect(r.body.contains("请输入有效邮箱地址"))
        #expect(r.body.contains("name=\"decision_makers.0.name\" value=\"\" aria-label=\"姓名\" aria-invalid=\"true\""))
        #expect(r.body.contains("此项为必填项"))
        #expect(r.body.contains("value=\"总工\""))
        #expect(r.body.contains("value=\"甲厂\""))
        #expect(r.body.contains("value=\"-5\""))
        #expect(try f.db.scalar("SELECT COUNT(*) FROM crm_customer_info") == 0)
    }

    @Test("004 第四章(1): another rep can neither read nor write a customer's information (403); a supervisor reads it")
    func confidential() throws {
        let rep = f.client("rep1")
        let cid = try f.createCustomer(rep, "保密信息客户")
        #expect(save(rep, cid, Self.filled).status == 303)
        let other = f.client("rep2")
        #expect(other.get("/crm/customers/\(cid)/info").status == 403)
        #expect(other.submit("/crm/customers/\(cid)/info", [("org_structure", "篡改")]).status == 403)
        #expect(f.client("boss").get("/crm/customers/\(cid)").body.contains("刘总"))
    }
}
