import Foundation
import Testing
import CustomerDevelopmentAPI
import SalesHost
import SalesKit
import SalesTesting
@testable import CustomerDevelopmentModule

/// RULES §6 "A rating counts once reviewed" (003 §2.4; 003 §2.3 quarterly re-review): a rating is
/// a proposal until the 销售主管 approves it, and the 销售经理 too when it raises the warning line;
/// only then does the class change what others see — `CustomerDirectory`, which 订货 checks the
/// warning line against.
@Suite struct RatingReviewTests {
    let f: CRMFixture
    let mgr: Int64
    let boss2: Int64

    init() throws {
        f = try CRMFixture()
        mgr = try f.t.addUser("mgr", roles: [.salesManager], displayName: "周经理")
        boss2 = try f.t.addUser("boss2", roles: [.salesSupervisor], displayName: "钱主管")
    }

    static let classD = [("capacity", "50000"), ("ranking", "40"), ("capital", "1000"), ("years", "5"), ("payment", "60")]   // 18 → D
    static let classB = [("capacity", "60000"), ("ranking", "15"), ("brand", "1"), ("nature", "0"), ("capital", "3000"),
                         ("assets", "2"), ("years", "4.9"), ("credit", "0"), ("payment", "80")]                             // 38 → B

    /// An approved customer of rep1 whose class in force is `rating` (through the application flow).
    func customer(_ name: String, rating: [(String, String)]) throws -> Int64 {
        let (cid, aid) = try f.evaluatedApplication(f.client("rep1"), name, rating: rating)
        #expect(f.act(f.client("boss"), aid, "approve").status == 303)
        return cid
    }

    /// The directory as 订货 reads it (the service other modules are given).
    func directoryClass(_ cid: Int64) throws -> String? {
        let ctx = Context(request: Request(method: "GET", path: "/"), user: User(id: f.gm, username: "gm", displayName: "gm", roles: [],
                                                                                 permissions: ["crm.use", "crm.view_all"]),
                          db: f.t.db, now: Date(), timeZone: CRMFixture.zone, module: "crm", csrfToken: "", resumedForm: nil,
                          host: f.t.worker)
        return try ctx.service(CustomerDirectory.self).customer(id: cid, ctx)?.ratingClass
    }

    /// Rates through the form; returns the new rating's id.
    func propose(_ c: TestClient, _ cid: Int64, _ pairs: [(String, String)], sourceLocation: SourceLocation = #_sourceLocation) throws -> Int64 {
        try CRMFixture.id(f.rate(c, cid, application: nil, pairs), after: "/crm/customers/\(cid)/ratings/", sourceLocation: sourceLocation)
    }

    /// The 审批 form on the rating page.
    @discardableResult
    func review(_ c: TestClient, _ cid: Int64, _ rid: Int64, _ decision: String, _ opinion: String = "") -> TestClient.Response {
        c.get("/crm/customers/\(cid)/ratings/\(rid)")
        return c.submit("/crm/customers/\(cid)/ratings/\(rid)/review", [("decision", decision), ("opinion", opinion)])
    }

    func rating(_ rid: Int64) throws -> Row { try #require(try f.db.first("SELECT * FROM crm_ratings WHERE id = \(rid)")) }

    @Test("RULES §6 + 003 §2.4: D → A raises the warning line — the class in force (and the directory 订货 reads) stays D until the 销售主管 and then the 销售经理 approve; every step audited")
    func upgradeNeedsSupervisorAndManager() throws {
        let cid = try customer("升级客户", rating: Self.classD)
        #expect(try f.customer(cid).string("rating_class") == "D")
        let rep = f.client("rep1")
        let rid = try propose(rep, cid, CRMFixture.allA + [("note", "产能扩大")])
        #expect(try rating(rid).string("state") == "proposed")
        #expect(try rating(rid).string("previous_class") == "D")
        #expect(try f.customer(cid).string("rating_class") == "D")
        #expect(try directoryClass(cid) == "D")
        let page = rep.get("/crm/customers/\(cid)")
        #expect(page.body.contains("A 类（待销售主管审核）"))
        // The proposer sees the state and may not decide.
        let own = rep.get("/crm/customers/\(cid)/ratings/\(rid)")
        #expect(own.body.contains("待销售主管审核"))
        #expect(own.body.contains("提高销售警戒线，须销售经理批准"))
        #expect(!own.body.contains("name=\"decision\""))
        #expect(review(rep, cid, rid, "approve").status == 403)

        // 销售主管: in the inbox; approves with an opinion → waits for the manager, still D.
        let boss = f.client("boss")
        #expect(boss.get("/").body.contains("待审核评级：升级客户"))
        #expect(boss.get("/crm/customers/\(cid)/ratings/\(rid)").body.contains("name=\"decision\""))
        #expect(review(boss, cid, rid, "approve", "同意，产能属实").status == 303)
        var r = try rating(rid)
        #expect(r.string("state") == "reviewed")
        #expect(r.int("supervisor_id") == f.boss)
        #expect(r.string("supervisor_note") == "同意，产能属实")
        #expect(r.bool("needs_manager"))
        #expect(try f.customer(cid).string("rating_class") == "D")
        #expect(try directoryClass(cid) == "D")
        #expect(!boss.get("/").body.contains("待审核评级：升级客户"))
        // The supervisor may not take the manager's step.
        #expect(review(boss, cid, rid, "approve").status == 403)

        // 销售经理: in the inbox; approves → A is in force.
        let mgr = f.client("mgr")
        #expect(mgr.get("/").body.contains("待批准评级升级：升级客户"))
        #expect(review(mgr, cid, rid, "approve", "同意提高警戒线").status == 303)
        r = try rating(rid)
        #expect(r.string("state") == "approved")
        #expect(r.int("manager_id") == self.mgr)
        #expect(r.string("manager_note") == "同意提高警戒线")
        #expect(try f.customer(cid).string("rating_class") == "A")
        #expect(try directoryClass(cid) == "A")
        #expect(!mgr.get("/").body.contains("待批准评级升级"))
        let shown = rep.get("/crm/customers/\(cid)/ratings/\(rid)")
        #expect(shown.body.contains("已批准（生效）"))
        #expect(shown.body.contains("同意，产能属实"))
        #expect(shown.body.contains("同意提高警戒线"))
        // Decided: no second decision.
        #expect(review(mgr, cid, rid, "reject", "再议").status == 409)

        let trail = try f.db.query("""
            SELECT action, from_state, to_state, reason, username FROM audit_log WHERE entity = 'crm.rating' AND entity_id = \(String(rid)) ORDER BY id
            """)
        #expect(trail.map { $0.string("action") ?? "" } == ["propose", "forward", "confirm"])
        #expect(trail.map { $0.string("username") ?? "" } == ["rep1", "boss", "mgr"])
        #expect(trail.map { $0.string("to_state") ?? "" } == ["proposed", "reviewed", "approved"])
        #expect(trail[1].string("reason") == "同意，产能属实")
        let change = try #require(try f.db.first("""
            SELECT from_state, to_state, username FROM audit_log WHERE entity = 'crm.customer' AND entity_id = \(String(cid)) AND action = 'rate'
            ORDER BY id DESC LIMIT 1
            """))
        #expect(change.string("from_state") == "D")
        #expect(change.string("to_state") == "A")
        #expect(change.string("username") == "mgr")
    }

    @Test("RULES §6: a rating that does not raise the warning line (A → B) takes effect on the 销售主管's approval alone")
    func downgradeNeedsSupervisorOnly() throws {
        let cid = try customer("降级客户", rating: CRMFixture.allA)
        let rid = try propose(f.client("rep1"), cid, Self.classB)
        #expect(try f.customer(cid).string("rating_class") == "A")
        #expect(!f.client("rep1").get("/crm/customers/\(cid)/ratings/\(rid)").body.contains("须销售经理批准"))
        #expect(review(f.client("boss"), cid, rid, "approve").status == 303)
        let r = try rating(rid)
        #expect(r.string("state") == "approved")
        #expect(!r.bool("needs_manager"))
        #expect(try f.customer(cid).string("rating_class") == "B")
        #expect(try directoryClass(cid) == "B")
        #expect(!f.client("mgr").get("/").body.contains("降级客户"))
    }

    @Test("RULES §6: the warning line decides, not the letter — with B's line set above A's on the policy page, A → B needs the manager")
    func raiseIsByPolicyLine() throws {
        let cid = try customer("政策客户", rating: CRMFixture.allA)
        try f.db.execute("UPDATE crm_class_policy SET warning_line_fen = 80000000 WHERE rating_class = 'B'")
        let rid = try propose(f.client("rep1"), cid, Self.classB)
        #expect(review(f.client("boss"), cid, rid, "approve").status == 303)
        #expect(try rating(rid).string("state") == "reviewed")
        #expect(try f.customer(cid).string("rating_class") == "A")
    }

    @Test("RULES §6: rejecting needs an 审批意见 (422 beside the field, values kept); a rejected rating never applies and the proposer is told")
    func rejectWithOpinion() throws {
        let cid = try customer("驳回评级客户", rating: Self.classD)
        let rid = try propose(f.client("rep1"), cid, CRMFixture.allA)
        let boss = f.client("boss")
        let bad = review(boss, cid, rid, "reject", "  ")
        #expect(bad.status == 422)
        #expect(bad.body.contains("驳回须填写审批意见"))
        #expect(bad.body.contains("id=\"f-opinion-error\""))
        #expect(bad.body.contains("<option value=\"reject\" selected>"))
        #expect(try rating(rid).string("state") == "proposed")
        let long = review(boss, cid, rid, "reject", String(repeating: "长", count: 501))
        #expect(long.status == 422)
        #expect(try rating(rid).string("state") == "proposed")

        #expect(review(boss, cid, rid, "reject", "资信材料不实").status == 303)
        #expect(try rating(rid).string("state") == "rejected")
        #expect(try f.customer(cid).string("rating_class") == "D")
        let rep = f.client("rep1")
        let home = rep.get("/")
        #expect(home.body.contains("评级被驳回：驳回评级客户"))
        #expect(home.body.contains("资信材料不实"))
        #expect(rep.get("/crm/customers/\(cid)/ratings/\(rid)").body.contains("已驳回"))
        let audit = try #require(try f.db.first("""
            SELECT from_state, to_state, reason FROM audit_log WHERE entity = 'crm.rating' AND entity_id = \(String(rid)) AND action = 'reject'
            """))
        #expect(audit.string("from_state") == "proposed")
        #expect(audit.string("reason") == "资信材料不实")
        // A new rating answers it: the reminder goes.
        _ = try propose(rep, cid, Self.classB)
        #expect(!rep.get("/").body.contains("评级被驳回：驳回评级客户"))
    }

    @Test("RULES §6: the 销售经理 may reject an upgrade the supervisor approved; the class stays")
    func managerRejects() throws {
        let cid = try customer("经理驳回客户", rating: Self.classD)
        let rid = try propose(f.client("rep1"), cid, CRMFixture.allA)
        #expect(review(f.client("boss"), cid, rid, "approve").status == 303)
        let mgr = f.client("mgr")
        #expect(review(mgr, cid, rid, "reject").status == 422)
        #expect(review(mgr, cid, rid, "reject", "回款记录不足以支持 A 类").status == 303)
        let r = try rating(rid)
        #expect(r.string("state") == "rejected")
        #expect(r.string("manager_note") == "回款记录不足以支持 A 类")
        #expect(try f.customer(cid).string("rating_class") == "D")
        #expect(try f.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'crm.rating' AND action = 'reject_upgrade'") == 1)
    }

    @Test("RULES §6 (four eyes): nobody approves their own rating — a supervisor's own proposal goes to another supervisor (409 for the proposer)")
    func noSelfReview() throws {
        let cid = try customer("自评客户", rating: Self.classD)
        let boss = f.client("boss")
        let rid = try propose(boss, cid, Self.classB)
        #expect(!boss.get("/crm/customers/\(cid)/ratings/\(rid)").body.contains("name=\"decision\""))
        #expect(!boss.get("/").body.contains("待审核评级：自评客户"))
        let r = review(boss, cid, rid, "approve")
        #expect(r.status == 409)
        #expect(r.body.contains("不能审核本人提出的评级"))
        #expect(try rating(rid).string("state") == "proposed")
        let other = f.client("boss2")
        #expect(other.get("/").body.contains("待审核评级：自评客户"))
        #expect(review(other, cid, rid, "approve").status == 303)
        #expect(try rating(rid).string("state") == "reviewed")                 // D → B raises the line
        #expect(try f.customer(cid).string("rating_class") == "D")
    }

    @Test("RULES §6 decision: a new rating replaces the pending proposal (superseded, audited); a replaced one can no longer be approved")
    func newProposalReplacesPending() throws {
        let cid = try customer("替代客户", rating: Self.classD)
        let rep = f.client("rep1")
        let first = try propose(rep, cid, CRMFixture.allA)
        #expect(review(f.client("boss"), cid, first, "approve").status == 303)     // reviewed, waiting for the manager
        let form = rep.get("/crm/customers/\(cid)/rate")
        #expect(form.body.contains("已有待审核的评级提议：A 类（待销售经理批准）"))
        let second = try propose(rep, cid, Self.classB)
        #expect(try rating(first).string("state") == "superseded")
        #expect(try rating(second).string("state") == "proposed")
        #expect(try f.db.scalar("SELECT COUNT(*) FROM crm_ratings WHERE customer_id = \(cid) AND state IN ('proposed', 'reviewed')") == 1)
        let audit = try #require(try f.db.first("""
            SELECT from_state, to_state, reason FROM audit_log WHERE entity = 'crm.rating' AND entity_id = \(String(first)) AND action = 'supersede'
            """))
        #expect(audit.string("from_state") == "reviewed")
        #expect(audit.string("reason") == "被评定 #\(second) 替代")
        let mgr = f.client("mgr")
        #expect(!mgr.get("/").body.contains("替代客户"))
        #expect(review(mgr, cid, first, "approve").status == 409)
        #expect(try f.customer(cid).string("rating_class") == "D")
    }

    @Test("003 §2.3 + RULES §6: the quarterly re-review is a proposal too — not due while under review, due again when rejected, done when approved")
    func quarterlyReReviewIsAProposal() throws {
        let cid = try customer("季度客户", rating: Self.classB)
        try f.db.execute("UPDATE crm_customers SET rated_at = \(CRMFixture.quarterStart() - 1) WHERE id = \(cid)")
        let rep = f.client("rep1")
        #expect(rep.get("/").body.contains("季度复评：季度客户"))
        let rid = try propose(rep, cid, Self.classB)
        #expect(!rep.get("/").body.contains("季度复评：季度客户"))
        #expect(!rep.get("/crm/customers?due=1").body.contains("季度客户"))
        #expect(review(f.client("boss"), cid, rid, "reject", "请核实付款条件").status == 303)
        #expect(rep.get("/").body.contains("季度复评：季度客户"))
        #expect(rep.get("/crm/customers?due=1").body.contains("季度客户"))
        let again = try propose(rep, cid, Self.classB)
        #expect(review(f.client("boss"), cid, again, "approve").status == 303)        // B → B: no raise
        #expect(try rating(again).string("state") == "approved")
        #expect(try f.customer(cid).int("rated_at") ?? 0 >= CRMFixture.quarterStart())
        #expect(!rep.get("/").body.contains("季度复评：季度客户"))
    }

    @Test("RULES §6: approving a 认定申请 uses the class in force — a prospect whose approved class is E is refused (409, reason), though its application carries an A rating")
    func applicationUsesClassInForce() throws {
        let rep = f.client("rep1")
        let (cid, aid) = try f.evaluatedApplication(rep, "现行类别公司")
        // Afterwards the prospect is re-rated E and the supervisor approves that rating.
        let e = try propose(rep, cid, CRMFixture.classE)
        let boss = f.client("boss")
        #expect(review(boss, cid, e, "approve", "经营恶化").status == 303)
        #expect(try f.customer(cid).string("rating_class") == "E")
        let r = f.act(boss, aid, "approve")
        #expect(r.status == 409)
        #expect(r.body.contains("客户现行评级为 E 类（不予发展客户），不能批准。"))
        #expect(try f.state(aid) == "evaluated")
        #expect(try f.customer(cid).string("code") == nil)
        #expect(boss.get("/crm/applications/\(aid)").body.contains("E 类 不予发展客户"))
    }

    @Test("RULES §6: re-rated E while the application waits (the A proposal replaced) — approval reviews the pending E and is refused")
    func applicationWithPendingE() throws {
        let rep = f.client("rep1")
        let (cid, aid) = try f.evaluatedApplication(rep, "待审E公司")
        _ = try propose(rep, cid, CRMFixture.classE)
        let r = f.act(f.client("boss"), aid, "approve")
        #expect(r.status == 409)
        #expect(r.body.contains("评定为 E 类"))
        #expect(try f.state(aid) == "evaluated")
        #expect(try f.customer(cid).string("rating_class") == nil)
    }

    @Test("RULES §6: a customer with a class in force keeps it when its application is approved; a pending upgrade stays pending")
    func applicationKeepsClassInForce() throws {
        let rep = f.client("rep1")
        let cid = try f.createCustomer(rep, "先评后申请公司")
        let d = try propose(rep, cid, Self.classD)
        let boss = f.client("boss")
        #expect(review(boss, cid, d, "approve").status == 303)                     // first class: the supervisor alone
        #expect(try f.customer(cid).string("rating_class") == "D")
        let aid = try f.apply(rep, cid)
        #expect(f.act(rep, aid, "submit").status == 303)
        #expect(f.rate(rep, cid, application: aid, CRMFixture.allA).status == 303)
        #expect(f.act(rep, aid, "evaluate").status == 303)
        #expect(f.act(boss, aid, "approve").status == 303)
        #expect(try f.state(aid) == "approved")
        let c = try f.customer(cid)
        #expect(c.string("rating_class") == "D")
        #expect(try f.db.scalar("SELECT COUNT(*) FROM crm_ratings WHERE application_id = \(aid) AND state = 'proposed'") == 1)
        let audit = try #require(try f.db.first("SELECT reason FROM audit_log WHERE entity = 'crm.customer' AND action = 'approve'"))
        #expect(audit.string("reason")?.contains("评级 D") == true)
    }

    @Test("RULES §6: a supervisor cannot approve an application whose only rating is their own proposal; another supervisor can")
    func applicationApproverNotProposer() throws {
        let rep = f.client("rep1")
        let cid = try f.createCustomer(rep, "主管自评公司")
        let aid = try f.apply(rep, cid)
        #expect(f.act(rep, aid, "submit").status == 303)
        #expect(f.survey(rep, aid).status == 303)
        let boss = f.client("boss")
        #expect(f.rate(boss, cid, application: aid, CRMFixture.allA).status == 303)
        #expect(f.act(rep, aid, "evaluate").status == 303)
        let r = f.act(boss, aid, "approve")
        #expect(r.status == 409)
        #expect(r.body.contains("不能审核本人提出的评级"))
        #expect(f.act(f.client("boss2"), aid, "approve").status == 303)
        #expect(try f.customer(cid).string("rating_class") == "A")
    }

    @Test("RULES §6: 评级审核 lists the ratings of visible customers with their state; the state filter and CSV work; another rep sees none")
    func ratingsList() throws {
        let cid = try customer("列表客户", rating: Self.classD)
        _ = try propose(f.client("rep1"), cid, CRMFixture.allA)
        let boss = f.client("boss")
        let list = boss.get("/crm/ratings?state=proposed")
        #expect(list.status == 200)
        #expect(list.body.contains("列表客户"))
        #expect(list.body.contains("D → A"))
        #expect(!boss.get("/crm/ratings?state=rejected").body.contains("列表客户"))
        let csv = boss.get("/crm/ratings?format=csv")
        #expect(csv.status == 200)
        #expect(csv.body.contains("待销售主管审核"))
        #expect(!f.client("rep2").get("/crm/ratings").body.contains("列表客户"))
        #expect(f.client("rep2").get("/crm/customers/\(cid)/ratings/1").status == 403)
    }

    /// The 客户开发 module as it shipped before version 5 (no rating review).
    struct ModuleBeforeReview: DepartmentModule {
        let manifest = ModuleManifest(id: "crm", title: "客户开发", version: "0.4")
        var migrations: [Migration] { CRMMigrations.all.filter { $0.version < 5 } }
    }

    @Test("RULES §6 migration: ratings made before the review existed count as approved (the class in force is kept); new rows default to proposed")
    func migrationCountsOldRatingsApproved() throws {
        let old = try TestApp(modules: [ModuleBeforeReview()])
        try old.db.execute("""
            INSERT INTO crm_customers (id, name, status, owner_id, rating_class, rated_at, created_by, created_at, updated_at)
            VALUES (1, '老客户', 'customer', 1, 'B', 100, 1, 0, 0)
            """)
        for (id, cls) in [(1, "C"), (2, "B")] {
            try old.db.execute("""
                INSERT INTO crm_ratings (customer_id, data, levels, total, rating_class, rated_by, rated_at)
                VALUES (1, '', '', 30, \(cls), 1, \(id * 50))
                """)
        }
        let migrated = try TestApp(modules: [CustomerDevelopmentModule()]) { $0.dataDir = old.directory }
        #expect(try migrated.db.query("SELECT state FROM crm_ratings ORDER BY id").map { $0.string("state") } == ["approved", "approved"])
        #expect(try migrated.db.first("SELECT rating_class FROM crm_customers WHERE id = 1")?.string("rating_class") == "B")
        let third = try migrated.db.insert("""
            INSERT INTO crm_ratings (customer_id, data, levels, total, rating_class, rated_by, rated_at) VALUES (1, '', '', 45, 'A', 1, 200)
            RETURNING id
            """)
        #expect(try migrated.db.first("SELECT state FROM crm_ratings WHERE id = \(third)")?.string("state") == "proposed")
    }
}
