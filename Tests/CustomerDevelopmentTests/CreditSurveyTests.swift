import Foundation
import Testing
import SalesHost
import SalesKit
import SalesTesting
@testable import CustomerDevelopmentModule

/// 新客户信用调查表 (002 §9–§13) as the content of the application's credit-investigation step.
@Suite struct CreditSurveyTests {
    let f: CRMFixture
    init() throws { f = try CRMFixture() }

    /// A prospect's application in credit investigation.
    func investigating(_ rep: TestClient, _ name: String) throws -> (customer: Int64, app: Int64) {
        let cid = try f.createCustomer(rep, name)
        let aid = try f.apply(rep, cid, name)
        #expect(f.act(rep, aid, "submit").status == 303)
        return (cid, aid)
    }

    func survey(_ c: TestClient, _ aid: Int64, _ pairs: [(String, String)]) -> TestClient.Response {
        c.get("/crm/applications/\(aid)/survey")
        return c.submit("/crm/applications/\(aid)/survey", pairs)
    }

    static let good = [("survey_date", "2026-01-05"), ("methods", "实地走访"), ("methods", "银行查询"), ("informants", "财务部 王经理"),
                       ("past_credit", "良好"), ("payment_attitude", "按期"), ("business_policy", "坚实"), ("business_status", "渐盛"),
                       ("industry_position", "一流"), ("banks", "工商银行浦东支行"), ("financial_mgmt", "佳"),
                       ("agency_info", "无不良记录"), ("conclusion", "good"), ("credit_limit", "500,000")]

    @Test("002 §9/§13: the rep fills the 新客户信用调查表 during investigation — stored, audited, shown and printed with the application; revisable until evaluation")
    func surveyIsTheInvestigation() throws {
        let rep = f.client("rep1")
        let (_, aid) = try investigating(rep, "调查公司")
        #expect(rep.get("/crm/applications/\(aid)").body.contains("尚未填写新客户信用调查表"))
        #expect(survey(rep, aid, Self.good).status == 303)
        let row = try #require(try f.db.first("SELECT * FROM crm_credit_surveys WHERE application_id = \(aid)"))
        #expect(row.string("conclusion") == "good")
        #expect(row.int("credit_limit_fen") == 50_000_000)
        #expect(row.int("surveyed_by") == f.rep1)
        let page = rep.get("/crm/applications/\(aid)").body
        #expect(page.contains("信用良好，可以开发"))
        #expect(page.contains("工商银行浦东支行"))
        #expect(page.contains("实地走访；银行查询"))
        #expect(f.client("boss").get("/crm/applications/\(aid)/print").body.contains("工商银行浦东支行"))
        // Revised: the form shows the saved values, and the revision is audited from → to.
        #expect(rep.get("/crm/applications/\(aid)/survey").body.contains("value=\"工商银行浦东支行\""))
        #expect(survey(rep, aid, Self.good.filter { $0.0 != "conclusion" } + [("conclusion", "fair")]).status == 303)
        let audit = try f.db.query("""
            SELECT action, from_state, to_state FROM audit_log WHERE entity = 'crm.credit_survey' AND entity_id = \(String(aid)) ORDER BY id
            """)
        #expect(audit.map { $0.string("action") ?? "" } == ["create", "edit"])
        #expect(audit.last?.string("from_state") == "good")
        #expect(audit.last?.string("to_state") == "fair")
        // After evaluation the survey is closed.
        #expect(f.rate(rep, try #require(try f.db.scalar("SELECT customer_id FROM crm_applications WHERE id = \(aid)")), application: aid,
                       CRMFixture.allA).status == 303)
        #expect(f.act(rep, aid, "evaluate").status == 303)
        #expect(try f.state(aid) == "evaluated")
        #expect(rep.get("/crm/applications/\(aid)/survey").status == 409)
    }

    @Test("002 §5 step 3 + §9: the survey may be written on the draft already; a suspended application's cannot (409); another rep cannot open or write one (403)")
    func openStatesAndOwn() throws {
        let rep = f.client("rep1")
        let cid = try f.createCustomer(rep, "草稿调查公司")
        let aid = try f.apply(rep, cid)
        #expect(survey(rep, aid, Self.good).status == 303)
        #expect(f.act(rep, aid, "submit").status == 303)
        #expect(f.act(rep, aid, "suspend", reason: "资料不实").status == 303)
        #expect(rep.get("/crm/applications/\(aid)/survey").status == 409)
        let other = f.client("rep2")
        #expect(other.get("/crm/applications/\(aid)/survey").status == 403)
        #expect(other.submit("/crm/applications/\(aid)/survey", Self.good).status == 403)
        #expect(try f.db.scalar("SELECT COUNT(*) FROM crm_credit_surveys WHERE surveyed_by <> \(f.rep1)") == 0)
    }

    @Test("002 §10: unclear points need another special investigation — they must be written down, and evaluation waits until the survey is updated")
    func unclearBlocksEvaluation() throws {
        let rep = f.client("rep1")
        let (cid, aid) = try investigating(rep, "不详公司")
        let noPoints = survey(rep, aid, [("survey_date", "2026-01-05"), ("conclusion", "unclear"), ("banks", "建设银行")])
        #expect(noPoints.status == 422)
        #expect(noPoints.body.contains("请写明需再次专项调查的不详之处"))
        #expect(noPoints.body.contains("id=\"f-unclear_points-error\""))
        #expect(noPoints.body.contains("value=\"建设银行\""))
        #expect(survey(rep, aid, [("survey_date", "2026-01-05"), ("conclusion", "unclear"), ("unclear_points", "实际控制人不明")]).status == 303)
        #expect(f.rate(rep, cid, application: aid, CRMFixture.allA).status == 303)
        let r = f.act(rep, aid, "evaluate")
        #expect(rep.get(try #require(r.location)).body.contains("须再次进行专项调查"))
        #expect(try f.state(aid) == "investigating")
        #expect(survey(rep, aid, Self.good).status == 303)
        #expect(f.act(rep, aid, "evaluate").status == 303)
        #expect(try f.state(aid) == "evaluated")
    }

    @Test("002 §12: a credit problem must be described; evaluation is refused and the application is suspended with the reason")
    func problemSuspends() throws {
        let rep = f.client("rep1")
        let (cid, aid) = try investigating(rep, "问题公司")
        let bare = survey(rep, aid, [("survey_date", "2026-01-05"), ("conclusion", "problem")])
        #expect(bare.status == 422)
        #expect(bare.body.contains("请说明发现的信用问题"))
        #expect(survey(rep, aid, [("survey_date", "2026-01-05"), ("conclusion", "problem"), ("arrears", "拖欠供应商货款 200 万元")]).status == 303)
        #expect(f.rate(rep, cid, application: aid, CRMFixture.allA).status == 303)
        let r = f.act(rep, aid, "evaluate")
        #expect(rep.get(try #require(r.location)).body.contains("应因信用问题中止调查"))
        #expect(try f.state(aid) == "investigating")
        #expect(f.act(rep, aid, "suspend", reason: "拖欠供应商货款").status == 303)
        #expect(try f.state(aid) == "suspended")
    }

    @Test("002 §9 (#15): a new customer's 评定报告 cannot be submitted without a completed credit survey — refused with the reason, the application page and the rating form link to the survey; once filled, it goes through")
    func test_002_9_missingSurveyBlocksEvaluation() throws {
        let rep = f.client("rep1")
        let (cid, aid) = try investigating(rep, "未调查公司")
        // The rating form of the application says the survey comes first, with a link to it.
        let form = rep.get("/crm/customers/\(cid)/rate?application=\(aid)").body
        #expect(form.contains("id=\"survey-required\""))
        #expect(form.contains("href=\"/crm/applications/\(aid)/survey\""))
        #expect(f.rate(rep, cid, application: aid, CRMFixture.allA).status == 303)
        let r = f.act(rep, aid, "evaluate")
        #expect(r.status == 303)
        #expect(r.location == "/crm/applications/\(aid)")
        #expect(rep.refusal(after: r)?.contains("须先完成新客户信用调查表") == true)
        #expect(try f.state(aid) == "investigating")
        #expect(try f.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'crm.application' AND action = 'evaluate'") == 0)
        let page = rep.get("/crm/applications/\(aid)").body
        #expect(page.contains("id=\"survey-required\""))
        #expect(page.contains("<a href=\"/crm/applications/\(aid)/survey\">现在填写新客户信用调查表</a>"))
        // Filled in: the notice is gone and the evaluation is submitted.
        #expect(f.survey(rep, aid).status == 303)
        #expect(!rep.get("/crm/applications/\(aid)").body.contains("id=\"survey-required\""))
        #expect(!rep.get("/crm/customers/\(cid)/rate?application=\(aid)").body.contains("id=\"survey-required\""))
        #expect(f.act(rep, aid, "evaluate").status == 303)
        #expect(try f.state(aid) == "evaluated")
    }

    @Test("002 §9 (#15) decision: a customer that already has a class in force (reviewed by the 销售主管, RULES §6) is not blocked by a missing survey")
    func test_002_9_ratedCustomerNotBlocked() throws {
        let rep = f.client("rep1"), boss = f.client("boss")
        let cid = try f.createCustomer(rep, "已评级公司")
        // Rated outside an application and approved by the 销售主管: a class in force.
        let rid = try CRMFixture.id(f.rate(rep, cid, application: nil, CRMFixture.allA), after: "/crm/customers/\(cid)/ratings/")
        boss.get("/crm/customers/\(cid)/ratings/\(rid)")
        #expect(boss.submit("/crm/customers/\(cid)/ratings/\(rid)/review", [("decision", "approve"), ("opinion", "")]).status == 303)
        #expect(try f.customer(cid).string("rating_class") == "A")
        let aid = try f.apply(rep, cid, "已评级公司")
        #expect(f.act(rep, aid, "submit").status == 303)
        #expect(!rep.get("/crm/applications/\(aid)").body.contains("id=\"survey-required\""))
        #expect(f.rate(rep, cid, application: aid, CRMFixture.allA).status == 303)
        #expect(f.act(rep, aid, "evaluate").status == 303)
        #expect(try f.state(aid) == "evaluated")
    }

    @Test("002 §9: bad input — a date in the future, a bad amount, an unknown conclusion — 422 with every value kept, nothing stored")
    func badInput() throws {
        let rep = f.client("rep1")
        let (_, aid) = try investigating(rep, "坏输入调查公司")
        let r = survey(rep, aid, [("survey_date", "2999-01-01"), ("credit_limit", "12.345"), ("conclusion", "maybe"), ("informants", "李会计")])
        #expect(r.status == 422)
        #expect(r.body.contains("日期不能晚于今天"))
        #expect(r.body.contains("请输入金额"))
        #expect(r.body.contains("请从列表中选择"))
        #expect(r.body.contains("value=\"12.345\""))
        #expect(r.body.contains("value=\"李会计\""))
        #expect(try f.db.scalar("SELECT COUNT(*) FROM crm_credit_surveys") == 0)
    }
}
