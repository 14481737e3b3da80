import Foundation
import Testing
import SalesHost
import SalesKit
import SalesTesting
import CustomerDevelopmentAPI
@testable import CustomerDevelopmentModule

/// 004 第四章(1), 第六章 5(7): customer data is confidential — a rep sees own customers only.
@Suite struct ConfidentialityTests {
    let f: CRMFixture
    init() throws { f = try CRMFixture() }

    @Test("004 第四章(1): another rep gets 403 (nothing revealed) on every page of rep1's customer and its application, and does not see it in lists or CSV")
    func otherRepSeesNothing() throws {
        let rep1 = f.client("rep1")
        let cid = try f.createCustomer(rep1, "机密客户甲")
        let aid = try f.apply(rep1, cid)
        #expect(f.act(rep1, aid, "submit").status == 303)

        let rep2 = f.client("rep2")
        _ = try f.createCustomer(rep2, "李的客户")
        for path in ["/crm/customers/\(cid)", "/crm/customers/\(cid)/edit", "/crm/customers/\(cid)/rate",
                     "/crm/customers/\(cid)/rate?application=\(aid)", "/crm/customers/\(cid)/apply",
                     "/crm/customers/\(cid)/stage", "/crm/applications/\(aid)", "/crm/applications/\(aid)/edit",
                     "/crm/applications/\(aid)/print"] {
            #expect(rep2.get(path).status == 403, "GET \(path)")
        }
        // Writes are refused the same way, and change nothing.
        rep2.get("/crm/customers")
        #expect(rep2.submit("/crm/customers/\(cid)/edit", [("name", "改名")]).status == 403)
        #expect(rep2.submit("/crm/customers/\(cid)/stage", [("stage", "A"), ("reason", "试图修改")]).status == 403)
        #expect(rep2.submit("/crm/customers/\(cid)/contacts", [("kind", "call"), ("contact_date", "2020-01-01"), ("summary", "偷看")]).status == 403)
        #expect(rep2.submit("/crm/customers/\(cid)/rate", [("payment", "90")]).status == 403)
        #expect(rep2.submit("/crm/applications/\(aid)/act", [("action", "suspend"), ("reason", "捣乱")]).status == 403)
        #expect(try f.customer(cid).string("name") == "机密客户甲")
        #expect(try f.state(aid) == "investigating")
        #expect(try f.db.scalar("SELECT COUNT(*) FROM crm_contacts") == 0)

        let list = rep2.get("/crm/customers")
        #expect(list.status == 200)
        #expect(list.body.contains("李的客户"))
        #expect(!list.body.contains("机密客户甲"))
        let csv = rep2.get("/crm/customers?format=csv")
        #expect(csv.status == 200)
        #expect(csv.header("Content-Type")?.hasPrefix("text/csv") == true)
        #expect(csv.body.contains("李的客户"))
        #expect(!csv.body.contains("机密客户甲"))
        #expect(!rep2.get("/crm/applications").body.contains("机密客户甲"))
        #expect(!rep2.get("/crm/customers?q=" + URLEncoding.percentEncode("机密")).body.contains("机密客户甲"))
        // Reassigning needs crm.reassign.
        #expect(rep2.get("/crm/customers/\(cid)/owner").status == 403)
        #expect(rep1.get("/crm/customers/\(cid)/owner").status == 403)

        // The owner and a supervisor see it.
        #expect(rep1.get("/crm/customers").body.contains("机密客户甲"))
        let boss = f.client("boss")
        #expect(boss.get("/crm/customers/\(cid)").status == 200)
        #expect(boss.get("/crm/customers").body.contains("机密客户甲"))
        #expect(boss.get("/crm/customers?format=csv").body.contains("机密客户甲"))
        let apps = boss.get("/crm/applications")
        #expect(apps.body.contains("机密客户甲"))
        let no = "XKSQ-\(CRMFixture.year)-" + String(repeating: "0", count: max(0, 4 - String(aid).count)) + String(aid)
        #expect(apps.body.contains("<a href=\"/crm/applications/\(aid)\">\(no)</a>"), "the 申请编号 links to the application")
    }

    @Test("003 §5.5.1 + 004 第四章(1): the supervisor reassigns the owner (reason required, audited); then rep2 sees it and rep1 no longer does")
    func reassignOwner() throws {
        let rep1 = f.client("rep1")
        let cid = try f.createCustomer(rep1, "转交客户")
        let boss = f.client("boss")
        let form = boss.get("/crm/customers/\(cid)/owner")
        #expect(form.status == 200)
        #expect(form.body.contains("李专员"))

        let noReason = boss.submit("/crm/customers/\(cid)/owner", [("owner_id", String(f.rep2)), ("reason", "")])
        #expect(noReason.status == 422)
        #expect(noReason.body.contains("此项为必填项"))
        let notARep = boss.submit("/crm/customers/\(cid)/owner", [("owner_id", String(f.admin)), ("reason", "试试管理员")])
        #expect(notARep.status == 422)
        #expect(notARep.body.contains("请选择有客户开发权限的在职人员"))
        #expect(try f.customer(cid).int("owner_id") == f.rep1)

        let r = boss.submit("/crm/customers/\(cid)/owner", [("owner_id", String(f.rep2)), ("reason", "区域调整")])
        #expect(r.status == 303)
        #expect(try f.customer(cid).int("owner_id") == f.rep2)
        let audit = try #require(try f.db.first("""
            SELECT username, from_state, to_state, reason FROM audit_log WHERE entity = 'crm.customer' AND action = 'reassign'
            AND entity_id = \(String(cid))
            """))
        #expect(audit.string("username") == "boss")
        #expect(audit.string("from_state") == String(f.rep1))
        #expect(audit.string("to_state") == String(f.rep2))
        #expect(audit.string("reason") == "区域调整")

        let rep2 = f.client("rep2")
        #expect(rep2.get("/crm/customers/\(cid)").status == 200)
        #expect(rep2.get("/crm/customers").body.contains("转交客户"))
        #expect(rep1.get("/crm/customers/\(cid)").status == 403)
    }
}

extension ConfidentialityTests {
    /// After a reassignment the application of the customer follows the customer: the former owner's
    /// to-do list must not keep naming a customer they may no longer open, and the new owner must get it.
    @Test("004 第四章(1) + 003 §5.5.1: after reassignment the open application's to-do item moves to the new owner (the former owner no longer sees the name)")
    func inboxFollowsOwner() throws {
        let rep1 = f.client("rep1")
        let cid = try f.createCustomer(rep1, "转交中申请客户")
        let aid = try f.apply(rep1, cid)
        #expect(f.act(rep1, aid, "submit").status == 303)
        #expect(rep1.get("/").body.contains("信用调查中：转交中申请客户"))
        let boss = f.client("boss")
        boss.get("/crm/customers/\(cid)/owner")
        #expect(boss.submit("/crm/customers/\(cid)/owner", [("owner_id", String(f.rep2)), ("reason", "离职交接")]).status == 303)
        #expect(rep1.get("/crm/applications/\(aid)").status == 403)
        #expect(!rep1.get("/").body.contains("转交中申请客户"),
                "rep1's inbox still names a customer rep1 may no longer see (Inbox.swift selects by applicant_id, without Visibility)")
        #expect(f.client("rep2").get("/").body.contains("信用调查中：转交中申请客户"),
                "the new owner is not told about the application in investigation")
    }


    /// README ("everything you typed still there") applied to the reassignment form.
    @Test("003 §5.5.1: the owner form pre-selects the current owner, and a refused submission (422) keeps the chosen new owner")
    func ownerFormKeepsSelection() throws {
        let rep1 = f.client("rep1")
        let cid = try f.createCustomer(rep1, "选择客户")
        let boss = f.client("boss")
        let form = boss.get("/crm/customers/\(cid)/owner")
        #expect(form.status == 200)
        #expect(form.body.range(of: "<option value=\"\(f.rep1)\"[^>]*selected", options: .regularExpression) != nil,
                "the current owner (张专员) is not pre-selected: a supervisor who only types a reason reassigns to whoever is listed first")
        let refused = boss.submit("/crm/customers/\(cid)/owner", [("owner_id", String(f.rep2)), ("reason", "")])
        #expect(refused.status == 422)
        #expect(refused.body.range(of: "<option value=\"\(f.rep2)\"[^>]*selected", options: .regularExpression) != nil,
                "the chosen owner (李专员) is lost on a 422")
    }
}

/// The 客户名录 list (README: every list has sorting, filters, paging and CSV export).
@Suite struct CustomerListTests {
    let f: CRMFixture
    init() throws { f = try CRMFixture() }

    @Test("RULES §1.1 潜在客户名录: filters by class, status and 市内/市外, sorting, paging of 50, CSV of every visible row")
    func listFiltersSortingPaging() throws {
        let now = Int64(Date().timeIntervalSince1970)
        for i in 1...55 {
            let name = String(format: "批量客户%02d", i)
            let cls: String? = i % 5 == 0 ? "E" : (i % 2 == 0 ? "A" : nil)
            try f.db.execute("""
                INSERT INTO crm_customers (name, owner_id, in_city, rating_class, created_by, created_at, updated_at)
                VALUES (\(name), \(f.rep1), \(i % 3 == 0 ? 0 : 1), \(cls), \(f.rep1), \(now), \(now))
                """)
        }
        let rep = f.client("rep1")
        let first = rep.get("/crm/customers")
        #expect(first.status == 200)
        #expect(first.body.contains("批量客户01"))
        #expect(first.body.contains("批量客户50"))
        #expect(!first.body.contains("批量客户51"))
        let second = rep.get("/crm/customers?page=2")
        #expect(second.body.contains("批量客户51"))
        #expect(second.body.contains("批量客户55"))
        #expect(!second.body.contains("批量客户50"))
        let desc = rep.get("/crm/customers?sort=name&dir=desc")
        #expect(desc.body.contains("批量客户55"))
        #expect(!desc.body.contains("批量客户05"))
        #expect(rep.get("/crm/customers?sort=owner&dir=desc").status == 200)
        #expect(rep.get("/crm/customers?sort=1;DROP%20TABLE%20crm_customers").status == 200)   // unknown sort key: default order
        let classE = rep.get("/crm/customers?class=E")
        #expect(classE.body.contains("批量客户05"))
        #expect(!classE.body.contains("批量客户02"))
        let unrated = rep.get("/crm/customers?class=none")
        #expect(unrated.body.contains("批量客户01"))
        #expect(!unrated.body.contains("批量客户02"))
        let outOfCity = rep.get("/crm/customers?city=out")
        #expect(outOfCity.body.contains("批量客户03"))
        #expect(!outOfCity.body.contains("批量客户01"))
        #expect(!rep.get("/crm/customers?status=customer").body.contains("批量客户"))
        let csv = rep.get("/crm/customers?format=csv&class=A")
        #expect(csv.status == 200)
        let lines = csv.body.split(whereSeparator: \.isNewline).filter { $0.contains("批量客户") }
        #expect(lines.count == 22)   // even numbers not divisible by 5: 27 even − 5 multiples of 10
        #expect(rep.get("/crm/applications?sort=applicant&dir=desc").status == 200)
    }
}

/// 004 第六章 2(2) stage changes, 第六章 5(2) contact log.
@Suite struct StageAndContactTests {
    let f: CRMFixture
    init() throws { f = try CRMFixture() }

    @Test("004 第六章 2(2): a stage change requires a reason and is recorded with who/when/why (crm_stage_changes + audit)")
    func stageChange() throws {
        let rep = f.client("rep1")
        let cid = try f.createCustomer(rep, "阶段客户")
        #expect(rep.get("/crm/customers/\(cid)/stage").status == 200)
        let noReason = rep.submit("/crm/customers/\(cid)/stage", [("stage", "B"), ("reason", "")])
        #expect(noReason.status == 422)
        #expect(noReason.body.contains("此项为必填项"))
        #expect(noReason.body.contains("<option value=\"B\" selected>"))   // the choice is kept
        #expect(try f.db.scalar("SELECT COUNT(*) FROM crm_stage_changes") == 0)

        let nothing = rep.submit("/crm/customers/\(cid)/stage", [("stage", ""), ("process_stage", ""), ("reason", "无变化")])
        #expect(nothing.status == 422)

        #expect(rep.submit("/crm/customers/\(cid)/stage", [("stage", "B"), ("reason", "客户确认需求，预计两个月内招标")]).status == 303)
        var c = try f.customer(cid)
        #expect(c.string("stage") == "B")
        let row = try #require(try f.db.first("SELECT * FROM crm_stage_changes WHERE customer_id = \(cid)"))
        #expect(row.string("kind") == "stage")
        #expect(row.string("from_value") == nil)
        #expect(row.string("to_value") == "B")
        #expect(row.string("reason") == "客户确认需求，预计两个月内招标")
        #expect(row.int("changed_by") == f.rep1)
        #expect(row.int("changed_at") != nil)
        let audit = try #require(try f.db.first("SELECT from_state, to_state, reason FROM audit_log WHERE entity = 'crm.customer' AND action = 'stage'"))
        #expect(audit.string("to_state") == "B")
        #expect(audit.string("reason") == "客户确认需求，预计两个月内招标")

        // B → A and a sales-process step in one go: two records.
        rep.get("/crm/customers/\(cid)/stage")
        #expect(rep.submit("/crm/customers/\(cid)/stage", [("stage", "A"), ("process_stage", "tender"), ("reason", "已发标书")]).status == 303)
        c = try f.customer(cid)
        #expect(c.string("stage") == "A")
        #expect(c.string("process_stage") == "tender")
        let rows = try f.db.query("SELECT kind, from_value, to_value FROM crm_stage_changes WHERE customer_id = \(cid) ORDER BY id")
        #expect(rows.map { "\($0.string("kind") ?? ""):\($0.string("from_value") ?? "-")→\($0.string("to_value") ?? "")" }
                == ["stage:-→B", "stage:B→A", "process:-→tender"])
        // Same values again: refused, nothing recorded.
        let same = rep.submit("/crm/customers/\(cid)/stage", [("stage", "A"), ("process_stage", "tender"), ("reason", "重复")])
        #expect(same.status == 422)
        #expect(same.body.contains("阶段没有变化"))
        #expect(try f.db.scalar("SELECT COUNT(*) FROM crm_stage_changes") == 3)
        // The history shows on the customer page (the rep's report, 004 第六章 2(2)).
        let page = rep.get("/crm/customers/\(cid)")
        #expect(page.body.contains("已发标书"))
        #expect(page.body.contains("招投标"))
    }

    @Test("004 第六章 5(2): a contact dated in the future is refused (422) with the typed values kept; a valid one is stored")
    func contactLog() throws {
        let rep = f.client("rep1")
        let cid = try f.createCustomer(rep, "联系客户")
        let today = LocalDate(date: Date(), timeZone: CRMFixture.zone)
        let tomorrow = LocalDate(date: today.start(in: CRMFixture.zone).addingTimeInterval(36 * 3600), timeZone: CRMFixture.zone)
        rep.get("/crm/customers/\(cid)")
        let future = rep.submit("/crm/customers/\(cid)/contacts", [("kind", "visit"), ("contact_date", tomorrow.description),
                                                                   ("person", "陈经理"), ("summary", "介绍新产品线")])
        #expect(future.status == 422)
        #expect(future.body.contains("日期不能晚于今天"))
        #expect(future.body.contains("value=\"\(tomorrow.description)\""))
        #expect(future.body.contains("介绍新产品线"))
        #expect(future.body.contains("value=\"陈经理\""))
        #expect(future.body.contains("<option value=\"visit\" selected>"))
        #expect(try f.db.scalar("SELECT COUNT(*) FROM crm_contacts") == 0)

        let noSummary = rep.submit("/crm/customers/\(cid)/contacts", [("kind", "call"), ("contact_date", today.description), ("summary", "")])
        #expect(noSummary.status == 422)
        #expect(noSummary.body.contains("此项为必填项"))

        let ok = rep.submit("/crm/customers/\(cid)/contacts", [("kind", "visit"), ("contact_date", today.description),
                                                               ("person", "陈经理"), ("summary", "介绍新产品线，对方有意向")])
        #expect(ok.status == 303)
        #expect(ok.location == "/crm/customers/\(cid)#contacts")
        let row = try #require(try f.db.first("SELECT * FROM crm_contacts WHERE customer_id = \(cid)"))
        #expect(row.string("kind") == "visit")
        #expect(row.string("contact_date") == today.description)
        #expect(row.string("summary") == "介绍新产品线，对方有意向")
        #expect(row.int("created_by") == f.rep1)
        #expect(try f.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'crm.contact'") == 1)
        #expect(rep.get("/crm/customers/\(cid)").body.contains("介绍新产品线，对方有意向"))
    }
}

/// Bad input comes back 422 with the message beside the field and the values kept; unknown ids are 404.
@Suite struct BadInputTests {
    let f: CRMFixture
    init() throws { f = try CRMFixture() }

    @Test("003 §2.5 表一: rating with payment=150 and ranking=abc → 422, messages beside the fields, typed values kept, nothing stored")
    func badRating() throws {
        let rep = f.client("rep1")
        let cid = try f.createCustomer(rep, "评分客户")
        let r = f.rate(rep, cid, application: nil, [("capacity", "12,000"), ("ranking", "abc"), ("payment", "150"), ("years", "3.5.1"),
                                                    ("brand", "1")])
        #expect(r.status == 422)
        #expect(r.body.contains("应在 0 至 100 之间"))
        #expect(r.body.contains("请输入整数"))
        #expect(r.body.contains("请输入年数，如 3 或 4.5"))
        #expect(r.body.contains("name=\"ranking\" value=\"abc\""))
        #expect(r.body.contains("name=\"payment\" value=\"150\""))
        #expect(r.body.contains("name=\"capacity\" value=\"12,000\""))
        #expect(r.body.contains("<option value=\"1\" selected>"))
        #expect(try f.db.scalar("SELECT COUNT(*) FROM crm_ratings") == 0)
        #expect(try f.customer(cid).string("rating_class") == nil)
    }

    @Test("002 §5: customer and application forms: missing name, bad phone, bad date, bad money, cash+cheque ≠ 100 → 422 with values kept")
    func badForms() throws {
        let rep = f.client("rep1")
        rep.get("/crm/customers/new")
        let c = rep.submit("/crm/customers/new", [("name", ""), ("phone", "电话号码"), ("city", "苏州")])
        #expect(c.status == 422)
        #expect(c.body.contains("此项为必填项"))
        #expect(c.body.contains("请输入有效电话号码"))
        #expect(c.body.contains("value=\"苏州\""))
        #expect(try f.db.scalar("SELECT COUNT(*) FROM crm_customers") == 0)

        let cid = try f.createCustomer(rep, "申请客户")
        rep.get("/crm/customers/\(cid)/apply")
        let a = rep.submit("/crm/customers/\(cid)/apply", [
            ("company_name", "申请客户"), ("founded", "2010-13-01"), ("capital", "12.345"), ("postcode", "12345"),
            ("pay_cash_pct", "60"), ("pay_check_pct", "30"), ("shareholders.0.name", "周股东"), ("employees", "很多"),
        ])
        #expect(a.status == 422)
        #expect(a.body.contains("请输入有效日期，格式 YYYY-MM-DD"))
        #expect(a.body.contains("请输入金额"))
        #expect(a.body.contains("邮编为 6 位数字"))
        #expect(a.body.contains("请输入整数"))
        #expect(a.body.contains("value=\"2010-13-01\""))
        #expect(a.body.contains("value=\"12.345\""))
        #expect(a.body.contains("value=\"周股东\""))
        #expect(try f.db.scalar("SELECT COUNT(*) FROM crm_applications") == 0)

        // Only the cross-field rule fails: the message sits beside 支票 (002 第5条 支付条件).
        let split = rep.submit("/crm/customers/\(cid)/apply", [("company_name", "申请客户"), ("pay_cash_pct", "60"), ("pay_check_pct", "30")])
        #expect(split.status == 422)
        #expect(split.body.contains("现金与支票比例合计应为 100%"))
        #expect(split.body.contains("id=\"f-pay_check_pct-error\""))
        #expect(try f.db.scalar("SELECT COUNT(*) FROM crm_applications") == 0)
    }

    @Test("Unknown or malformed customer and application ids are 404")
    func unknownIDs() throws {
        let rep = f.client("rep1")
        for path in ["/crm/customers/99999", "/crm/customers/99999/edit", "/crm/customers/99999/rate", "/crm/customers/99999/apply",
                     "/crm/customers/99999/stage", "/crm/customers/abc", "/crm/customers/0", "/crm/customers/-1",
                     "/crm/applications/99999", "/crm/applications/99999/print"] {
            #expect(rep.get(path).status == 404, "GET \(path)")
        }
        let cid = try f.createCustomer(rep, "存在客户")
        #expect(rep.get("/crm/customers/\(cid)/ratings/99999").status == 404)
        #expect(rep.submit("/crm/applications/99999/act", [("action", "submit")]).status == 404)
    }
}

/// 003 §2.3: existing customers are re-rated every quarter.
@Suite struct QuarterlyReviewTests {
    let f: CRMFixture
    init() throws { f = try CRMFixture() }

    @Test("003 §2.3: a customer last rated before this quarter is due — owner's inbox shows 季度复评 and /crm/customers?due=1 lists it; a fresh one does not")
    func dueForReReview() throws {
        let rep = f.client("rep1")
        let boss = f.client("boss")
        let old = try f.evaluatedApplication(rep, "老评级客户")
        let fresh = try f.evaluatedApplication(rep, "新评级客户")
        #expect(f.act(boss, old.app, "approve").status == 303)
        #expect(f.act(boss, fresh.app, "approve").status == 303)

        // Both just rated: nothing is due.
        #expect(!rep.get("/").body.contains("季度复评"))
        #expect(!rep.get("/crm/customers?due=1").body.contains("评级客户"))

        let quarterStart = CRMFixture.quarterStart()
        try f.db.execute("UPDATE crm_customers SET rated_at = \(quarterStart - 1) WHERE id = \(old.customer)")
        // Exactly at the quarter's start counts as rated this quarter.
        try f.db.execute("UPDATE crm_customers SET rated_at = \(quarterStart) WHERE id = \(fresh.customer)")
        let home = rep.get("/")
        #expect(home.body.contains("季度复评：老评级客户"))
        #expect(!home.body.contains("季度复评：新评级客户"))
        #expect(home.body.contains("/crm/customers/\(old.customer)/rate"))
        let due = rep.get("/crm/customers?due=1")
        #expect(due.status == 200)
        #expect(due.body.contains("老评级客户"))
        #expect(!due.body.contains("新评级客户"))
        #expect(rep.get("/crm/customers").body.contains("新评级客户"))
        // Only the owner is reminded; prospects are not re-rated.
        #expect(!f.client("rep2").get("/").body.contains("季度复评"))
        let prospect = try f.createCustomer(rep, "潜在评级客户")
        #expect(f.rate(rep, prospect, application: nil, CRMFixture.allA).status == 303)
        try f.db.execute("UPDATE crm_customers SET rated_at = \(quarterStart - 86400 * 100) WHERE id = \(prospect)")
        #expect(!rep.get("/crm/customers?due=1").body.contains("潜在评级客户"))

        // Re-rating clears it and keeps the history.
        #expect(f.rate(rep, old.customer, application: nil, CRMFixture.allA).status == 303)
        #expect(!rep.get("/").body.contains("季度复评：老评级客户"))
        #expect(try f.db.scalar("SELECT COUNT(*) FROM crm_ratings WHERE customer_id = \(old.customer)") == 2)
    }
}

/// The `CustomerDirectory` service other modules use (002 §7, 003 §4.1.2).
@Suite struct CustomerDirectoryTests {
    let f: CRMFixture
    init() throws { f = try CRMFixture() }

    func context(_ user: User?, module: String = "crm") -> Context {
        Context(request: Request(method: "GET", path: "/"), user: user, db: f.t.db, now: Date(), timeZone: CRMFixture.zone,
                module: module, csrfToken: "", resumedForm: nil, host: f.t.worker)
    }

    func user(_ id: Int64, _ name: String, _ permissions: Set<String>) -> User {
        User(id: id, username: name, displayName: name, roles: [], permissions: permissions)
    }

    @Test("002 §6–§7 + 003 §4.1.2: customer(code:) finds the approved customer; class A warning line is 70万 = 70,000,000 分; E is no supply (nil)")
    func directory() throws {
        let rep = f.client("rep1")
        let a = try f.evaluatedApplication(rep, "目录客户")
        let prospect = try f.createCustomer(rep, "目录潜在客户")
        #expect(f.act(f.client("boss"), a.app, "approve").status == 303)
        let code = "KH-\(CRMFixture.year)-0001"

        let ctx = context(user(f.rep1, "rep1", ["crm.use"]))
        let dir = try ctx.service(CustomerDirectory.self)
        let info = try #require(try dir.customer(code: code, ctx))
        #expect(info.id == a.customer)
        #expect(info.name == "目录客户")
        #expect(info.status == "customer")
        #expect(info.code == code)
        #expect(info.ratingClass == "A")
        #expect(info.ownerID == f.rep1)
        #expect(info.ownerName == "张专员")
        #expect(info.inCity)
        #expect(info.city == "上海")
        #expect(try dir.customer(code: "KH-1999-0001", ctx) == nil)
        #expect(try dir.customer(id: prospect, ctx)?.status == "prospect")
        #expect(try dir.customer(id: 99_999, ctx) == nil)
        // 003 §7.8: 市外 customers (checkbox left empty) are reported as not in the city.
        let outside = try f.createCustomer(rep, "外地客户", inCity: false)
        #expect(try dir.customer(id: outside, ctx)?.inCity == false)
        // search: customers only, not prospects.
        #expect(try dir.search("目录", limit: 10, ctx).map(\.id) == [a.customer])

        #expect(try dir.classPolicy("A", ctx)?.warningLineFen == 70_000_000)
        #expect(try dir.classPolicy("B", ctx)?.warningLineFen == 50_000_000)
        #expect(try dir.classPolicy("C", ctx)?.warningLineFen == 30_000_000)
        #expect(try dir.classPolicy("D", ctx)?.warningLineFen == 15_000_000)
        let e = try #require(try dir.classPolicy("E", ctx))
        #expect(e.warningLineFen == nil)
        #expect(try dir.classPolicy("A", ctx)?.monthlyVolume == 10_000)
        #expect(try dir.classPolicy("D", ctx)?.monthlyVolume == 2_000)
        #expect(try dir.classPolicy("Z", ctx) == nil)
    }

    @Test("004 第四章(1): maySee and search follow the same rule for dependants — owner and supervisors yes, another rep no")
    func maySee() throws {
        let rep = f.client("rep1")
        let a = try f.evaluatedApplication(rep, "可见性客户")
        #expect(f.act(f.client("boss"), a.app, "approve").status == 303)
        let owner = context(user(f.rep1, "rep1", ["crm.use"]))
        let other = context(user(f.rep2, "rep2", ["crm.use"]))
        let boss = context(user(f.boss, "boss", ["crm.use", "crm.view_all"]))
        let dir = try owner.service(CustomerDirectory.self)
        #expect(try dir.maySee(customerID: a.customer, owner))
        #expect(try !dir.maySee(customerID: a.customer, other))
        #expect(try dir.maySee(customerID: a.customer, boss))
        #expect(try !dir.maySee(customerID: 99_999, boss))
        #expect(try dir.search("可见性", limit: 10, other).isEmpty)
        #expect(try dir.search("可见性", limit: 10, boss).count == 1)
        // A module that does not depend on crm does not get the service.
        #expect(context(nil, module: "admin").optionalService(CustomerDirectory.self) == nil)
    }
}

/// The class policy table (003 §4.1.2 warning lines, 002 访问频次计划表) and the code format.
@Suite struct PolicyPageTests {
    let f: CRMFixture
    init() throws { f = try CRMFixture() }

    /// Every field of the policy form as it stands, with `changes` applied.
    func policyFields(_ changes: [String: String]) throws -> [(String, String)] {
        var out: [(String, String)] = []
        for r in try f.db.query("SELECT * FROM crm_class_policy ORDER BY rating_class") {
            let cls = r.string("rating_class") ?? ""
            let values: [(String, String)] = [
                ("warning", r.int("warning_line_fen").map { Money.format($0, grouping: false) } ?? ""),
                ("volume", String(r.int("monthly_volume") ?? 0)), ("v_handler", String(r.int("visits_handler") ?? 0)),
                ("v_head", String(r.int("visits_department_head") ?? 0)), ("v_manager", String(r.int("visits_department_manager") ?? 0)),
                ("v_gm", String(r.int("visits_general_manager") ?? 0)),
            ]
            for (k, v) in values { out.append(("\(cls).\(k)", changes["\(cls).\(k)"] ?? v)) }
        }
        out.append(("code_format", changes["code_format"] ?? "KH-YYYY-NNNN"))
        return out
    }

    @Test("003 §4.1.2: the GM edits a warning line on /crm/policy — stored in 分, audited from → to, read by the directory")
    func gmEditsWarningLine() throws {
        let gm = f.client("gm")
        let page = gm.get("/crm/policy")
        #expect(page.status == 200)
        #expect(page.body.contains("value=\"700000.00\""))
        let r = gm.submit("/crm/policy", try policyFields(["A.warning": "800000"]))
        #expect(r.status == 303)
        #expect(r.location == "/crm/policy")           // #16: the confirmation is a flash, never in the URL
        let after = gm.get("/crm/policy").body
        #expect(after.contains("flash ok") && after.contains("客户分类政策已保存。"))
        #expect(!gm.get("/crm/policy").body.contains("客户分类政策已保存。"))   // shown once
        #expect(try f.db.scalar("SELECT warning_line_fen FROM crm_class_policy WHERE rating_class = 'A'") == 80_000_000)
        #expect(try f.db.scalar("SELECT warning_line_fen FROM crm_class_policy WHERE rating_class = 'B'") == 50_000_000)
        #expect(try f.db.first("SELECT warning_line_fen FROM crm_class_policy WHERE rating_class = 'E'")?.int("warning_line_fen") == nil)
        let audit = try f.db.query("SELECT entity_id, username, from_state, to_state FROM audit_log WHERE entity = 'crm.class_policy'")
        #expect(audit.count == 1)                     // only the row that changed
        #expect(audit.first?.string("entity_id") == "A")
        #expect(audit.first?.string("username") == "gm")
        #expect(audit.first?.string("from_state")?.contains("700,000.00") == true)
        #expect(audit.first?.string("to_state")?.contains("800,000.00") == true)
        let ctx = Context(request: Request(method: "GET", path: "/"), user: nil, db: f.t.db, now: Date(), timeZone: CRMFixture.zone,
                          module: "crm", csrfToken: "", resumedForm: nil, host: f.t.worker)
        #expect(try ctx.service(CustomerDirectory.self).classPolicy("A", ctx)?.warningLineFen == 80_000_000)
        #expect(gm.get("/crm/policy").body.contains("value=\"800000.00\""))
    }

    @Test("003 §4.1.2: the admin may edit the policy; bad numbers and a code format without YYYY/N come back 422 and nothing changes")
    func adminAndBadInput() throws {
        let admin = f.client("admin")
        #expect(admin.get("/crm/policy").status == 200)
        let bad = admin.submit("/crm/policy", try policyFields(["A.warning": "七十万", "B.volume": "-1", "code_format": "KH-NNNN"]))
        #expect(bad.status == 422)
        #expect(bad.body.contains("请输入金额"))
        #expect(bad.body.contains("不能小于 0") || bad.body.contains("应在 0 至 100000 之间"))
        #expect(bad.body.contains("须包含 YYYY（年份）和 N…（序号）"))
        #expect(bad.body.contains("value=\"七十万\""))
        #expect(try f.db.scalar("SELECT warning_line_fen FROM crm_class_policy WHERE rating_class = 'A'") == 70_000_000)
        #expect(try f.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'crm.class_policy'") == 0)
        #expect(admin.submit("/crm/policy", try policyFields(["code_format": "C-YYYY-NN"])).status == 303)
        #expect(try f.db.first("SELECT value FROM crm_settings WHERE key = 'code_format'")?.string("value") == "C-YYYY-NN")
    }

    @Test("RULES §5: a sales rep and a supervisor get 403 on the class policy page (crm.policy: admin, GM)")
    func repForbidden() throws {
        for name in ["rep1", "boss"] {
            let c = f.client(name)
            #expect(c.get("/crm/policy").status == 403)
            c.get("/crm/customers")
            #expect(c.submit("/crm/policy", try policyFields(["A.warning": "1"])).status == 403)
        }
        #expect(try f.db.scalar("SELECT warning_line_fen FROM crm_class_policy WHERE rating_class = 'A'") == 70_000_000)
    }
}

/// The customer form is stored through `SQL.insert` / `SQL.update` built from its schema (issue #13
/// item 3): every field lands in its column as typed, on create and on edit.
@Suite struct CustomerFormStorageTests {
    let f: CRMFixture
    init() throws { f = try CRMFixture() }

    @Test("新增潜在客户 and 编辑客户资料 store every field in its column, and only the edit's columns change")
    func createAndEditStoreEveryField() throws {
        let rep = f.client("rep1")
        rep.get("/crm/customers/new")
        let cid = try CRMFixture.id(rep.submit("/crm/customers/new", [
            ("name", "华东汽车配件有限公司"), ("city", "上海"), ("in_city", "1"), ("address", "浦东新区张江路 1 号"),
            ("phone", "021-5555 1234"), ("contact_person", "陈经理"), ("contact_title", "采购部经理"), ("department", "采购部"),
            ("source", "展会"), ("notes", "第一次接触"),
        ]), after: "/crm/customers/")
        var c = try f.customer(cid)
        let created: [String: String] = ["name": "华东汽车配件有限公司", "city": "上海", "address": "浦东新区张江路 1 号",
                                         "phone": "021-5555 1234", "contact_person": "陈经理", "contact_title": "采购部经理",
                                         "department": "采购部", "source": "展会", "notes": "第一次接触"]
        for (column, value) in created { #expect(c.string(column) == value, "\(column)") }
        #expect(c.int("in_city") == 1)
        #expect(c.int("owner_id") == f.rep1 && c.int("created_by") == f.rep1)
        let createdAt = c.int("created_at")
        #expect(createdAt != nil && c.int("updated_at") == createdAt)

        rep.get("/crm/customers/\(cid)/edit")
        #expect(rep.submit("/crm/customers/\(cid)/edit", [
            ("name", "华东汽车配件股份有限公司"), ("city", "苏州"), ("address", ""), ("phone", ""), ("contact_person", "林经理"),
            ("contact_title", ""), ("department", "采购部"), ("source", "展会"), ("notes", "改制为股份公司"),
        ]).status == 303)
        c = try f.customer(cid)
        let edited: [String: String] = ["name": "华东汽车配件股份有限公司", "city": "苏州", "address": "", "phone": "",
                                        "contact_person": "林经理", "contact_title": "", "department": "采购部", "source": "展会",
                                        "notes": "改制为股份公司"]
        for (column, value) in edited { #expect(c.string(column) == value, "\(column)") }
        #expect(c.int("in_city") == 0, "an unticked checkbox is stored as 0")
        #expect(c.int("owner_id") == f.rep1 && c.int("created_by") == f.rep1 && c.int("created_at") == createdAt)
        #expect(try f.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'crm.customer' AND action = 'edit'") == 1)
    }
}
