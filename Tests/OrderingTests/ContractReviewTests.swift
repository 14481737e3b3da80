import Foundation
import Testing
import SalesKit
import SalesTesting
import AdminModule
import CustomerDevelopmentModule
@testable import OrderingModule

/// Contract review (003 §3.2–§3.8, RULES §6 "Contracts carry their terms").
@Suite struct ContractReviewTests {
    let f: OrderFixture
    init() throws { f = try OrderFixture() }

    /// Registers a contract through the page; returns its id.
    func register(_ no: String = "HT-R-01", rep: String = "rep1") throws -> Int64 {
        let c = f.client(rep)
        c.get("/order/contracts/new")
        let r = c.submit("/order/contracts/new", [("customer_code", "KH-2026-0001"), ("contract_no", no), ("title", "年度供货合同"),
                                              ("delivery_terms", "每月 5 日前分批交货，送货到厂"), ("attachments", "技术协议 JS-01"),
                                              ("lines.0.product", "阀门"), ("lines.0.spec", "φ20"), ("lines.0.qty", "1000"),
                                              ("lines.0.price", "90")])
        #expect(r.status == 303, "contract refused: \(r.status) \(r.body.prefix(400))")
        return try #require(try f.db.scalar("SELECT id FROM order_contracts WHERE contract_no = \(no)"))
    }

    func contractState(_ id: Int64) throws -> String {
        try f.db.first("SELECT state FROM order_contracts WHERE id = \(id)")?.string("state") ?? ""
    }

    @Test("003 §3.2: a registered contract carries its lines, delivery terms and attachments and lands in the inboxes of 技术部、品质部、生产部's members")
    func test_003_3_2_reviewTasksReachTheDepartments() throws {
        try f.customer()
        let id = try register()
        #expect(try contractState(id) == "review")
        let c = try #require(try f.db.first("SELECT * FROM order_contracts WHERE id = \(id)"))
        #expect(c.string("delivery_terms") == "每月 5 日前分批交货，送货到厂" && c.string("attachments") == "技术协议 JS-01")
        #expect(!c.bool("approved"))
        #expect(f.client("tech").get("/").body.contains("技术部评审合同：HT-R-01"))
        #expect(f.client("qual").get("/").body.contains("品质部评审合同：HT-R-01"))
        #expect(f.client("prod").get("/").body.contains("生产部评审合同：HT-R-01"))
        // Not a task of the rep or of finance.
        #expect(!f.client("fin").get("/").body.contains("评审合同：HT-R-01"))
        // Reviewers see the contract (detail and their list) though they see no orders.
        #expect(f.client("tech").get("/order/contract-reviews/\(id)").status == 200)
        #expect(f.client("tech").get("/order/contracts/\(id)").status == 403)
        #expect(f.client("qual").get("/order/contract-reviews").body.contains("HT-R-01"))
    }

    @Test("003 §3.3–§3.5: each department records 同意 with its opinion and agreement — who, when, audited; only members of that department may")
    func test_003_3_3_reviewRecordedByDepartmentMembers() throws {
        try f.customer()
        let id = try register()
        // The rep is no reviewer; a technical user of 品质部 may not review for 技术部.
        #expect(f.review(id, "technical", as: "rep1").status == 403)
        _ = try f.t.addUser("tech2", roles: [.technical], displayName: "郑工", department: "quality")
        #expect(f.review(id, "technical", as: "tech2").status == 403)
        #expect(f.review(id, "technical", as: "tech").status == 303)
        let r = try #require(try f.db.first("SELECT * FROM order_contract_reviews WHERE contract_id = \(id) AND dept = 'technical'"))
        #expect(r.string("decision") == "agree" && r.string("user_name") == "周工" && r.string("opinion") == "评审意见：technical")
        #expect(r.string("document") == "协议-technical" && (r.int("at") ?? 0) > 0)
        #expect(try f.db.scalar("""
            SELECT COUNT(*) FROM audit_log WHERE entity = 'order.contract' AND entity_id = \(String(id)) AND action = 'review_agree'
            AND user_id = \(f.tech) AND reason LIKE '%技术部%'
            """) == 1)
        // Once per round: a second review of the same department is refused.
        #expect(f.review(id, "technical", as: "tech").status == 409)
        #expect(try contractState(id) == "review")
        // The history reads in Chinese.
        #expect(f.client("rep1").get("/order/contracts/\(id)").body.contains("部门评审：同意"))
    }

    @Test("003 §3.7: the GM's price review and approval only after all three agreed; then the waiting orders are checked against the approved contract (002 §3.3)")
    func test_003_3_7_gmApprovesOnlyAfterAllThreeAgreed() throws {
        let cid = try f.customer()
        let rep = f.client("rep1")
        let waiting = try f.order(rep, lines: [("阀门", "10", "90")])
        #expect(try f.state(waiting) == "contract_pending")
        let id = try register()
        #expect(f.approveContract(id).status == 409)
        #expect(f.review(id, "technical", as: "tech").status == 303)
        #expect(f.review(id, "quality", as: "qual").status == 303)
        #expect(f.approveContract(id).status == 409)
        #expect(!f.client("gm").get("/").body.contains("销售合同待总经理价格评审及批准"))
        // 002 §3.3: orders are checked against approved contracts only.
        #expect(try f.state(try f.order(rep, lines: [("阀门", "10", "90")])) == "contract_pending")
        #expect(f.review(id, "production", as: "prod").status == 303)
        #expect(try contractState(id) == "pending_gm")
        #expect(f.client("gm").get("/").body.contains("销售合同待总经理价格评审及批准：HT-R-01"))
        #expect(f.approveContract(id, as: "boss").status == 403)
        #expect(f.approveContract(id, opinion: "价格合理").status == 303)
        let c = try #require(try f.db.first("SELECT * FROM order_contracts WHERE id = \(id)"))
        #expect(c.string("state") == "approved" && c.bool("approved") && c.string("approved_name") == "赵总" && c.string("price_opinion") == "价格合理")
        #expect(try f.state(waiting) == "accepted")
        #expect(try f.db.scalar("SELECT COUNT(*) FROM order_contracts WHERE customer_id = \(cid) AND approved = 1") == 1)
    }

    @Test("003 §3.2–§3.5: a department's 不同意 needs a reason (422, values kept) and returns the contract to sales; the revision starts a new round with all three")
    func test_003_3_4_refusalReturnsToSalesForRevision() throws {
        try f.customer()
        let id = try register()
        #expect(f.review(id, "technical", as: "tech").status == 303)
        let noReason = f.review(id, "quality", as: "qual", agree: false)
        #expect(noReason.status == 422 && noReason.body.contains("不同意时须写明理由") && noReason.body.contains("评审意见：quality"))
        #expect(f.review(id, "quality", as: "qual", agree: false, reason: "检验标准未定").status == 303)
        #expect(try contractState(id) == "returned")
        #expect(try f.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'order.contract' AND action = 'review_refuse' AND to_state = 'returned'") == 1)
        // No more reviews, no GM decision while returned.
        #expect(f.review(id, "production", as: "prod").status == 409)
        #expect(f.approveContract(id).status == 409)
        let rep = f.client("rep1")
        let page = rep.get("/order/contracts/\(id)").body
        #expect(page.contains("品质部不同意：检验标准未定") && page.contains("修改并重新提交评审"))
        #expect(rep.get("/").body.contains("销售合同已退回，请修改后重新提交评审：HT-R-01"))
        rep.get("/order/contracts/\(id)/revise")
        let bad = rep.submit("/order/contracts/\(id)/revise", [("title", "年度供货合同"), ("lines.0.product", "阀门"), ("lines.0.price", "88")])
        #expect(bad.status == 422 && bad.body.contains("value=\"88\""))
        #expect(rep.submit("/order/contracts/\(id)/revise", [("title", "年度供货合同（修订）"), ("delivery_terms", "每月 10 日前交货"),
                                                            ("lines.0.product", "阀门"), ("lines.0.spec", "φ20"), ("lines.0.qty", "1000"),
                                                            ("lines.0.price", "92"), ("revision_note", "补充出厂检验标准")]).status == 303)
        let c = try #require(try f.db.first("SELECT * FROM order_contracts WHERE id = \(id)"))
        #expect(c.string("state") == "review" && c.int("review_round") == 2 && c.string("delivery_terms") == "每月 10 日前交货")
        #expect(try f.db.scalar("SELECT unit_price_fen FROM order_contract_lines WHERE contract_id = \(id)") == 9_200)
        // The first round's reviews are kept; the new round needs all three again.
        #expect(try f.db.scalar("SELECT COUNT(*) FROM order_contract_reviews WHERE contract_id = \(id) AND round = 1") == 2)
        #expect(f.client("tech").get("/").body.contains("技术部评审合同：HT-R-01"))
        f.reviewAll(id)
        #expect(try contractState(id) == "pending_gm")
    }

    @Test("003 §3.7: the GM may return a reviewed contract to sales, with a reason")
    func test_003_3_7_gmReturnsWithReason() throws {
        try f.customer()
        let id = try register()
        f.reviewAll(id)
        let gm = f.client("gm")
        gm.get("/order/contracts/\(id)")
        let noReason = gm.submit("/order/contracts/\(id)/approve", [("action", "return"), ("reason", " ")])
        #expect(noReason.status == 303 && gm.refusal(after: noReason) != nil)
        #expect(try contractState(id) == "pending_gm")
        #expect(gm.submit("/order/contracts/\(id)/approve", [("action", "return"), ("reason", "单价偏低")]).status == 303)
        #expect(try contractState(id) == "returned")
        #expect(try f.db.first("SELECT returned_reason FROM order_contracts WHERE id = \(id)")?.string("returned_reason") == "总经理退回：单价偏低")
    }

    @Test("003 §3.8: an approved contract is seen by sales and finance; a rep of another customer does not see it; the print shows the total in 人民币大写")
    func test_003_3_8_approvedContractSeenBySalesAndFinance() throws {
        try f.customer()
        let id = try register()
        f.reviewAll(id)
        #expect(f.approveContract(id).status == 303)
        let fin = f.client("fin").get("/order/contracts/\(id)")
        #expect(fin.status == 200 && fin.body.contains("财务部留存一份负责财务监督"))
        #expect(f.client("fin").get("/order/contracts").body.contains("HT-R-01"))
        let rep = f.client("rep1").get("/order/contracts/\(id)").body
        // 1000 × ¥90.00 = ¥90,000.00
        #expect(rep.contains(Money.uppercase(9_000_000)) && rep.contains("已批准生效"))
        #expect(f.client("rep2").get("/order/contracts/\(id)").status == 403)
        #expect(try f.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'order.contract' AND entity_id = \(String(id)) AND action = 'copies'") == 1)
    }

    @Test("003 §3.3–§3.5 (review deadline, our decision: 3 days): a review past its deadline is overdue, the department's head or first member responsible")
    func test_003_3_5_reviewOverdue() throws {
        try f.customer()
        let id = try register()
        #expect(f.review(id, "technical", as: "tech").status == 303)
        let module = OrderingModule()
        #expect(try module.overdue(f.t.context(module: "order")).isEmpty)
        let later = f.t.context(module: "order", now: Date().addingTimeInterval(4 * 86_400))
        let items = try module.overdue(later).filter { $0.item.url == "/order/contract-reviews/\(id)" }
        #expect(items.count == 2)
        #expect(Set(items.map(\.responsibleUserID)) == [f.qual, f.prod])
        #expect(items.allSatisfy { $0.item.title.contains("HT-R-01") })
    }
}

/// The 订货 module as it shipped before migration 10 (contracts approved by the GM alone).
struct OrderingBeforeReview: DepartmentModule {
    let manifest = ModuleManifest(id: "order", title: "订货", version: "0.0.9", dependencies: ["crm"], folder: "Ordering")
    var migrations: [Migration] { OrderMigrations.all.filter { $0.version < 10 } }
}

@Suite struct ContractReviewMigrationTests {
    @Test("Migration 10 (003 §3.2–§3.7): an approved contract stays approved and one not yet approved goes to the departments' review, each with an audit note; stored department names become codes")
    func test_migration10_existingContracts() throws {
        let old = try TestApp(modules: [AdminModule(), CustomerDevelopmentModule(), OrderingBeforeReview()])
        try old.db.execute("""
            INSERT INTO order_contracts (id, customer_id, contract_no, title, approved, approved_name, approved_at, created_by, created_at)
            VALUES (1, 1, 'HT-OLD-1', '老合同', 1, '赵总', 500, 1, 100), (2, 1, 'HT-OLD-2', '待批合同', 0, NULL, NULL, 1, 200)
            """)
        try old.db.execute("""
            INSERT INTO order_orders (id, order_no, customer_id, channel, filled_on, received_on, state, created_by, created_at, updated_at)
            VALUES (1, 'DH-2026-0001', 1, 'fax', '2026-01-01', '2026-01-01', 'released', 1, 0, 0)
            """)
        try old.db.execute("""
            INSERT INTO order_changes (id, order_id, requested_on, request_ref, kind, content, reason, state, created_by, created_at, updated_at)
            VALUES (1, 1, '2026-01-02', 'FX', 'price', '调价', '原因', 'approved', 1, 0, 0)
            """)
        try old.db.execute("INSERT INTO order_change_receipts (change_id, dept, user_id, user_name, at) VALUES (1, '财务部', 1, '钱会计', 0), (1, '营销部', 1, '王经理', 0)")
        let t = try TestApp(modules: [AdminModule(), CustomerDevelopmentModule(), OrderingModule()]) { $0.dataDir = old.directory }
        #expect(try t.db.query("SELECT state FROM order_contracts ORDER BY id").map { $0.string("state") } == ["approved", "review"])
        #expect(try t.db.scalar("SELECT approved FROM order_contracts WHERE id = 1") == 1)
        let notes = try t.db.query("SELECT entity_id, to_state, reason FROM audit_log WHERE entity = 'order.contract' AND action = 'migrate' ORDER BY entity_id")
        #expect(notes.map { $0.string("to_state") } == ["approved", "review"])
        #expect(notes.first?.string("reason")?.contains("迁移 10") == true)
        #expect(try t.db.query("SELECT dept FROM order_change_receipts ORDER BY dept").map { $0.text("dept") } == ["finance", "sales"])
    }
}
