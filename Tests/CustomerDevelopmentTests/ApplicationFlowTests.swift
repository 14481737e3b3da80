import Foundation
import Testing
import SalesHost
import SalesKit
import SalesTesting
@testable import CustomerDevelopmentModule

/// The qualification flow through the real host (RULES §1.1: 002 §5, §8–§12; 003 §2.3–§2.4; 002 §6).
@Suite struct ApplicationFlowTests {
    let f: CRMFixture
    init() throws { f = try CRMFixture() }

    @Test("RULES §1.1, 002 §5/§8–§12, 003 §2.4, 002 §6: prospect → application → credit investigation → rating → evaluation → supervisor approval → code KH-<year>-0001")
    func wholeFlow() throws {
        let rep = f.client("rep1")
        let cid = try f.createCustomer(rep, "华东汽车配件有限公司")
        var c = try f.customer(cid)
        #expect(c.string("status") == "prospect")
        #expect(c.int("owner_id") == f.rep1)            // 003 §5.5.1: every customer has an owner
        #expect(c.string("code") == nil)
        let page = rep.get("/crm/customers/\(cid)")
        #expect(page.status == 200)
        #expect(page.body.contains("华东汽车配件有限公司"))
        #expect(page.body.contains("潜在客户"))

        // 002 §5 step 4: the 新客户认定申请表, pre-filled from the customer.
        let form = rep.get("/crm/customers/\(cid)/apply")
        #expect(form.status == 200)
        #expect(form.body.contains("value=\"华东汽车配件有限公司\""))
        let aid = try f.apply(rep, cid)
        #expect(try f.state(aid) == "draft")
        let draft = rep.get("/crm/applications/\(aid)")
        #expect(draft.status == 200)
        #expect(draft.body.contains("草稿"))
        #expect(draft.body.contains("董事长"))            // the shareholder row is kept

        // Submit → 信用调查 (002 §9).
        #expect(f.act(rep, aid, "submit").status == 303)
        #expect(try f.state(aid) == "investigating")

        // 客户评定报告 (003 §2.4): all A = 45 → A.
        let rated = f.rate(rep, cid, application: aid, CRMFixture.allA + [("note", "实地考察")])
        let rid = try CRMFixture.id(rated, after: "/crm/customers/\(cid)/ratings/")
        let rating = try #require(try f.db.first("SELECT * FROM crm_ratings WHERE id = \(rid)"))
        #expect(rating.int("application_id") == aid)
        #expect(rating.int("total") == 45)
        #expect(rating.string("rating_class") == "A")
        #expect(rating.string("levels") == "0,0,0,0,0,0,0,0,0")
        // RULES §6: a proposal until reviewed — the prospect has no class in force yet.
        #expect(rating.string("state") == "proposed")
        #expect(try f.customer(cid).string("rating_class") == nil)
        let report = rep.get("/crm/customers/\(cid)/ratings/\(rid)")
        #expect(report.status == 200)
        #expect(report.body.contains("优秀客户"))
        #expect(report.body.contains("45"))

        #expect(f.survey(rep, aid).status == 303)          // 002 §9: the credit survey before evaluation
        #expect(f.act(rep, aid, "evaluate").status == 303)
        #expect(try f.state(aid) == "evaluated")

        // The supervisor sees it waiting in the inbox and approves.
        let boss = f.client("boss")
        #expect(boss.get("/").body.contains("待审核认定申请：华东汽车配件有限公司"))
        let approved = f.act(boss, aid, "approve")
        #expect(approved.status == 303)
        #expect(approved.location == "/crm/applications/\(aid)")
        #expect(try f.state(aid) == "approved")
        let app = try #require(try f.db.first("SELECT decided_by, decided_at FROM crm_applications WHERE id = \(aid)"))
        #expect(app.int("decided_by") == f.boss)
        #expect(app.int("decided_at") != nil)

        // 002 §6: the customer gets its code and becomes a customer.
        c = try f.customer(cid)
        #expect(c.string("status") == "customer")
        #expect(c.string("code") == "KH-\(CRMFixture.year)-0001")
        // The supervisor's approval reviewed the pending 评定报告 (the first class): it is in force.
        #expect(c.string("rating_class") == "A")
        let reviewed = try #require(try f.db.first("SELECT state, supervisor_id FROM crm_ratings WHERE id = \(rid)"))
        #expect(reviewed.string("state") == "approved")
        #expect(reviewed.int("supervisor_id") == f.boss)
        #expect(c.int("approved_at") != nil)
        let shown = boss.get("/crm/applications/\(aid)")
        #expect(shown.body.contains("KH-\(CRMFixture.year)-0001"))
        #expect(shown.body.contains("已批准"))

        // Audit trail: every transition with from → to, by whom.
        let audit = try f.db.query("""
            SELECT username, action, from_state, to_state FROM audit_log
            WHERE entity = 'crm.application' AND entity_id = \(String(aid)) ORDER BY id
            """)
        #expect(audit.map { $0.string("action") ?? "" } == ["create", "submit", "evaluate", "approve"])
        #expect(audit.map { $0.string("from_state") ?? "-" } == ["-", "draft", "investigating", "evaluated"])
        #expect(audit.map { $0.string("to_state") ?? "-" } == ["draft", "investigating", "evaluated", "approved"])
        #expect(audit.map { $0.string("username") ?? "" } == ["rep1", "rep1", "rep1", "boss"])
        let custAudit = try f.db.query("""
            SELECT action, from_state, to_state, reason FROM audit_log WHERE entity = 'crm.customer' AND entity_id = \(String(cid)) ORDER BY id
            """)
        #expect(custAudit.map { $0.string("action") ?? "" } == ["create", "rate", "approve"])
        #expect(custAudit.last?.string("from_state") == "prospect")
        #expect(custAudit.last?.string("to_state") == "customer")
        #expect(custAudit.last?.string("reason")?.contains("KH-\(CRMFixture.year)-0001") == true)

        // The printable form (002 §5) and no second application for a customer.
        let print = rep.get("/crm/applications/\(aid)/print")
        #expect(print.status == 200)
        #expect(print.body.contains("华东汽车配件有限公司"))
        // #16 point 10: approved — the applicant and the approver sign, with the dates.
        let names = try f.db.query("SELECT display_name FROM users WHERE username IN ('rep1', 'boss') ORDER BY username").compactMap { $0.string("display_name") }
        #expect(names.count == 2)
        #expect(print.body.contains("<th>编制</th><td class=\"signer\">\(names[1])</td><th>审核</th><td class=\"signer\"></td><th>批准</th><td class=\"signer\">\(names[0])</td>"))
        #expect(rep.get("/crm/customers/\(cid)/apply").status == 409)
    }

    @Test("003 §2.4: 提交客户评定报告 (evaluate) is refused until a rating is written for this application")
    func evaluateNeedsRating() throws {
        let rep = f.client("rep1")
        let cid = try f.createCustomer(rep, "无评定公司")
        let aid = try f.apply(rep, cid)
        #expect(f.act(rep, aid, "submit").status == 303)
        #expect(f.survey(rep, aid).status == 303)
        // A rating not tied to the application does not count.
        #expect(f.rate(rep, cid, application: nil, CRMFixture.allA).status == 303)
        let r = f.act(rep, aid, "evaluate")
        #expect(r.status == 303)
        #expect(r.location == "/crm/applications/\(aid)")            // never a message in the URL (#16)
        #expect(rep.refusal(after: r)?.contains("请先填写客户评定报告") == true)
        #expect(try f.state(aid) == "investigating")
        #expect(try f.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'crm.application' AND action = 'evaluate'") == 0)
    }

    @Test("003 §2.4: a rating can only be written for an application in credit investigation (409 for a draft)")
    func ratingOnlyDuringInvestigation() throws {
        let rep = f.client("rep1")
        let cid = try f.createCustomer(rep, "草稿公司")
        let aid = try f.apply(rep, cid)
        #expect(rep.get("/crm/customers/\(cid)/rate?application=\(aid)").status == 409)
        #expect(try f.db.scalar("SELECT COUNT(*) FROM crm_ratings") == 0)
    }

    @Test("003 §2.3: an E-class applicant (under 18 points) cannot be approved — state stays evaluated, the page says why")
    func classECannotBeApproved() throws {
        let rep = f.client("rep1")
        let (cid, aid) = try f.evaluatedApplication(rep, "不予发展公司", rating: CRMFixture.classE)
        #expect(try f.customer(cid).string("rating_class") == nil)      // RULES §6: proposed, not in force
        // The 客户评定报告 shows the unknown criteria as 不详 with 0 points, and the E class.
        let rid = try #require(try f.db.scalar("SELECT id FROM crm_ratings WHERE application_id = \(aid)"))
        let report = rep.get("/crm/customers/\(cid)/ratings/\(rid)")
        #expect(report.body.contains("不详"))
        #expect(report.body.contains("E 不予发展客户"))
        let boss = f.client("boss")
        let r = f.act(boss, aid, "approve")
        #expect(r.status == 409)
        #expect(r.body.contains("评定为 E 类（不予发展客户，5 分），不能批准。"))
        #expect(try f.state(aid) == "evaluated")
        // Nothing of the refused approval stays: the E proposal is still waiting, not in force.
        #expect(try f.db.scalar("SELECT COUNT(*) FROM crm_ratings WHERE application_id = \(aid) AND state = 'proposed'") == 1)
        #expect(try f.customer(cid).string("rating_class") == nil)
        let c = try f.customer(cid)
        #expect(c.string("status") == "prospect")
        #expect(c.string("code") == nil)
        #expect(try f.db.scalar("SELECT COUNT(*) FROM crm_code_counters") == 0)   // no number used up
        #expect(try f.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'crm.application' AND action = 'approve'") == 0)
        // It can still be rejected, with a reason.
        #expect(f.act(boss, aid, "reject", reason: "评定为 E 类").status == 303)
        #expect(try f.state(aid) == "rejected")
    }

    @Test("003 §2.3: 18 points exactly is D 谨慎发展客户 and may be approved")
    func classDBoundaryApproved() throws {
        let rep = f.client("rep1")
        let d = [("capacity", "50000"), ("ranking", "40"), ("capital", "1000"), ("years", "5"), ("payment", "60")]
        let (cid, aid) = try f.evaluatedApplication(rep, "谨慎公司", rating: d)
        #expect(try f.customer(cid).string("rating_class") == nil)
        #expect(f.act(f.client("boss"), aid, "approve").status == 303)
        #expect(try f.state(aid) == "approved")
        #expect(try f.customer(cid).string("rating_class") == "D")
        #expect(try f.customer(cid).string("code") == "KH-\(CRMFixture.year)-0001")
    }

    @Test("002 §8–§12: rejection requires a reason; the reason is stored and audited; the prospect may apply again")
    func rejectNeedsReason() throws {
        let rep = f.client("rep1")
        let (cid, aid) = try f.evaluatedApplication(rep, "驳回公司")
        let boss = f.client("boss")
        // One approval panel (#16): 422 with the message beside 审批意见, what was typed kept.
        let noReason = f.act(boss, aid, "reject", reason: "  ")
        #expect(noReason.status == 422)
        #expect(noReason.body.contains("id=\"approval-error\">「驳回」须填写审批意见。"))
        #expect(try f.state(aid) == "evaluated")
        #expect(f.act(boss, aid, "reject", reason: "资信证明不全").status == 303)
        #expect(try f.state(aid) == "rejected")
        let app = try #require(try f.db.first("SELECT decided_by, decision_reason FROM crm_applications WHERE id = \(aid)"))
        #expect(app.int("decided_by") == f.boss)
        #expect(app.string("decision_reason") == "资信证明不全")
        let audit = try #require(try f.db.first("""
            SELECT from_state, to_state, reason, username FROM audit_log WHERE entity = 'crm.application' AND action = 'reject'
            """))
        #expect(audit.string("from_state") == "evaluated")
        #expect(audit.string("to_state") == "rejected")
        #expect(audit.string("reason") == "资信证明不全")
        #expect(audit.string("username") == "boss")
        #expect(try f.customer(cid).string("status") == "prospect")
        #expect(rep.get("/crm/customers/\(cid)/apply").status == 200)
    }

    @Test("002 §12: a credit problem suspends the application with a reason; only the supervisor resumes or closes it")
    func suspendResumeClose() throws {
        let rep = f.client("rep1")
        let cid = try f.createCustomer(rep, "信用问题公司")
        let aid = try f.apply(rep, cid)
        #expect(f.act(rep, aid, "submit").status == 303)

        let noReason = f.act(rep, aid, "suspend")
        #expect(noReason.status == 422 && noReason.body.contains("须填写审批意见"))
        #expect(try f.state(aid) == "investigating")
        #expect(f.act(rep, aid, "suspend", reason: "发现拖欠供应商货款").status == 303)
        #expect(try f.state(aid) == "suspended")
        // No rating while suspended.
        #expect(rep.get("/crm/customers/\(cid)/rate?application=\(aid)").status == 409)
        // A rep may not resume (crm.approve).
        #expect(f.act(rep, aid, "resume", reason: "已付清").status == 403)
        #expect(try f.state(aid) == "suspended")

        let boss = f.client("boss")
        #expect(boss.get("/").body.contains("已中止的认定申请：信用问题公司"))
        #expect(f.act(boss, aid, "resume").status == 422)                  // reason required
        #expect(try f.state(aid) == "suspended")
        #expect(f.act(boss, aid, "resume", reason: "欠款已结清").status == 303)
        #expect(try f.state(aid) == "investigating")

        #expect(f.act(rep, aid, "suspend", reason: "再次发现欠款").status == 303)
        #expect(f.act(boss, aid, "close", reason: "信用不良，终止开发").status == 303)
        #expect(try f.state(aid) == "closed")
        let app = try #require(try f.db.first("SELECT decided_by FROM crm_applications WHERE id = \(aid)"))
        #expect(app.int("decided_by") == f.boss)

        let audit = try f.db.query("""
            SELECT action, from_state, to_state, reason FROM audit_log WHERE entity = 'crm.application' AND entity_id = \(String(aid)) ORDER BY id
            """)
        #expect(audit.map { $0.string("action") ?? "" } == ["create", "submit", "suspend", "resume", "suspend", "close"])
        #expect(audit[2].string("reason") == "发现拖欠供应商货款")
        #expect(audit[3].string("from_state") == "suspended")
        #expect(audit[3].string("to_state") == "investigating")
        #expect(audit[5].string("to_state") == "closed")
        #expect(audit[5].string("reason") == "信用不良，终止开发")
    }

    @Test("002 §8–§12: a sales rep cannot approve (crm.approve) — 403, nothing changes; no approve button is shown")
    func repCannotApprove() throws {
        let rep = f.client("rep1")
        let (cid, aid) = try f.evaluatedApplication(rep, "越权公司")
        let page = rep.get("/crm/applications/\(aid)")
        #expect(!page.body.contains("value=\"approve\""))
        #expect(f.act(rep, aid, "approve").status == 403)
        #expect(try f.state(aid) == "evaluated")
        #expect(try f.customer(cid).string("code") == nil)
        #expect(try f.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'crm.application' AND action = 'approve'") == 0)
        #expect(page.body.contains("value=\"suspend\""))
        #expect(f.client("boss").get("/crm/applications/\(aid)").body.contains("value=\"approve\""))
    }

    @Test("002 §8: actions are checked against the current state: approving a draft is refused")
    func wrongState() throws {
        let rep = f.client("rep1")
        let cid = try f.createCustomer(rep, "状态公司")
        let aid = try f.apply(rep, cid)
        let boss = f.client("boss")
        let r = f.act(boss, aid, "approve")
        #expect(r.status == 303)
        #expect(try f.state(aid) == "draft")
        #expect(boss.refusal(after: f.act(boss, aid, "nonsense")) != nil)
        #expect(try f.state(aid) == "draft")
    }
}

/// 002 §6: the customer code is unique, sequential and never reused.
@Suite struct CustomerCodeHostTests {
    let f: CRMFixture
    init() throws { f = try CRMFixture() }

    @Test("002 §6: two approvals in a row get KH-<year>-0001 and KH-<year>-0002; the code column is UNIQUE")
    func sequential() throws {
        let rep = f.client("rep1")
        let one = try f.evaluatedApplication(rep, "一号公司")
        let two = try f.evaluatedApplication(rep, "二号公司")
        let boss = f.client("boss")
        #expect(f.act(boss, two.app, "approve").status == 303)
        #expect(f.act(boss, one.app, "approve").status == 303)
        #expect(try f.customer(two.customer).string("code") == "KH-\(CRMFixture.year)-0001")
        #expect(try f.customer(one.customer).string("code") == "KH-\(CRMFixture.year)-0002")
        #expect(try f.db.scalar("SELECT last FROM crm_code_counters WHERE year = \(CRMFixture.year)") == 2)
        // The database refuses a duplicate code whatever the code path.
        #expect(throws: (any Error).self) {
            try f.db.execute("UPDATE crm_customers SET code = \("KH-\(CRMFixture.year)-0001") WHERE id = \(one.customer)")
        }
    }

    @Test("002 §6: a number is never reused — refusals use no number, and a code removed from the master does not free it")
    func neverReused() throws {
        let rep = f.client("rep1")
        let boss = f.client("boss")
        let rejected = try f.evaluatedApplication(rep, "驳回公司")
        #expect(f.act(boss, rejected.app, "reject", reason: "不合格").status == 303)
        let a = try f.evaluatedApplication(rep, "甲公司")
        let b = try f.evaluatedApplication(rep, "乙公司")
        #expect(f.act(boss, a.app, "approve").status == 303)
        #expect(try f.customer(a.customer).string("code") == "KH-\(CRMFixture.year)-0001")
        #expect(try f.customer(rejected.customer).string("code") == nil)
        // Even if 0001 disappeared from the customer master, it is not handed out again.
        try f.db.execute("UPDATE crm_customers SET code = NULL WHERE id = \(a.customer)")
        #expect(f.act(boss, b.app, "approve").status == 303)
        #expect(try f.customer(b.customer).string("code") == "KH-\(CRMFixture.year)-0002")
    }

    @Test("002 §6: the code format set on the policy page is used for the next code (C-YYYY-NN)")
    func customFormat() throws {
        try f.db.execute("UPDATE crm_settings SET value = 'C-YYYY-NN' WHERE key = 'code_format'")
        let rep = f.client("rep1")
        let a = try f.evaluatedApplication(rep, "格式公司")
        #expect(f.act(f.client("boss"), a.app, "approve").status == 303)
        #expect(try f.customer(a.customer).string("code") == "C-\(CRMFixture.year)-01")
    }

    /// POSTs `action=approve` for each application at the same moment, one worker per thread.
    func approveConcurrently(_ apps: [Int64], as client: TestClient) throws -> [Response] {
        try f.t.simultaneously(apps.map { client.rawPost("/crm/applications/\($0)/act", [("action", "approve")]) })
    }

    @Test("002 §6: two supervisors approving two customers at the same moment (two workers, two threads) get distinct codes 0001 and 0002")
    func concurrentApprovals() throws {
        let rep = f.client("rep1")
        let a = try f.evaluatedApplication(rep, "并发甲")
        let b = try f.evaluatedApplication(rep, "并发乙")
        let boss = f.client("boss")
        boss.get("/crm/applications/\(a.app)")
        _ = try #require(boss.csrf)
        let responses = try approveConcurrently([a.app, b.app], as: boss)
        #expect(responses.map(\.status) == [303, 303])
        #expect(responses[0].header("Location") == "/crm/applications/\(a.app)")
        #expect(responses[1].header("Location") == "/crm/applications/\(b.app)")
        let codes = Set([try f.customer(a.customer).string("code") ?? "", try f.customer(b.customer).string("code") ?? ""])
        #expect(codes == ["KH-\(CRMFixture.year)-0001", "KH-\(CRMFixture.year)-0002"])
        #expect(try f.db.scalar("SELECT last FROM crm_code_counters WHERE year = \(CRMFixture.year)") == 2)
    }

    @Test("002 §6 + 002 §8: the same application approved twice at the same moment is approved once, with one code")
    func doubleApproval() throws {
        let rep = f.client("rep1")
        let a = try f.evaluatedApplication(rep, "重复审批公司")
        let boss = f.client("boss")
        boss.get("/crm/applications/\(a.app)")
        _ = try #require(boss.csrf)
        let responses = try approveConcurrently([a.app, a.app], as: boss)
        // Both read state 'evaluated'; the second to write finds it changed and is refused (409).
        #expect(responses.map(\.status).sorted() == [303, 409])
        #expect(responses.first { $0.status == 303 }?.header("Location") == "/crm/applications/\(a.app)")
        #expect(try f.state(a.app) == "approved")
        #expect(try f.customer(a.customer).string("code") == "KH-\(CRMFixture.year)-0001")
        #expect(try f.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'crm.application' AND action = 'approve'") == 1)
        #expect(try f.db.scalar("SELECT last FROM crm_code_counters WHERE year = \(CRMFixture.year)") == 1)
    }
}
