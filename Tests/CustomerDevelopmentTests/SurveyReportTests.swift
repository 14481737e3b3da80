import Foundation
import Testing
import SalesHost
import SalesKit
import SalesTesting
@testable import CustomerDevelopmentModule

/// Quarterly 市场 / 客户 / 同行调查报告 (003 §5.2).
@Suite struct SurveyReportTests {
    let f: CRMFixture
    static let now = LocalDate(year: 2026, month: 3, day: 20).start(in: CRMFixture.zone).addingTimeInterval(10 * 3600)

    /// 2026-03-20 10:00 in the company zone: the first quarter, 11 days before its end.
    init() throws {
        f = try CRMFixture()
        f.t.worker.clock = { Self.now }
    }

    func file(_ c: TestClient, _ kind: String, period: String = "current", subject: String = "华东地区汽车配件市场") -> TestClient.Response {
        c.get("/crm/survey-reports/new?kind=\(kind)")
        return c.submit("/crm/survey-reports/new", [("kind", kind), ("period", period), ("subject", subject),
                                                     ("findings", "需求增长，价格稳定"), ("risks", "原材料涨价")])
    }

    @Test("003 §5.2: each quarter's 市场, 客户 and 同行调查报告 — a rep is reminded (urgent near quarter end) of each one missing until it is filed")
    func reminders() throws {
        let rep = f.client("rep1")
        var home = rep.get("/").body
        for title in ["2026年第1季度市场调查报告未提交", "2026年第1季度客户调查报告未提交", "2026年第1季度同行调查报告未提交"] {
            #expect(home.contains(title), "missing reminder \(title)")
        }
        #expect(home.contains("/crm/survey-reports/new?kind=market"))
        #expect(rep.get("/crm/survey-reports/new?kind=peer").body.contains("<option value=\"peer\" selected>"))
        let r = file(rep, "market")
        #expect(r.status == 303)
        home = rep.get("/").body
        #expect(!home.contains("市场调查报告未提交"))
        #expect(home.contains("客户调查报告未提交"))
        // Reminders are the 销售专员's: a supervisor or the GM gets none.
        #expect(!f.client("boss").get("/").body.contains("调查报告未提交"))
        #expect(!f.client("gm").get("/").body.contains("调查报告未提交"))
        // The items are urgent: 11 days are left in the quarter.
        let user = try #require(try userOf("rep1"))
        let items = try CustomerDevelopmentModule().inbox(for: user, context(user))
        let reminders = items.filter { $0.title.contains("调查报告未提交") }
        #expect(reminders.count == 2)
        #expect(reminders.allSatisfy { $0.urgent })
        // A report of the previous quarter does not answer this quarter's.
        #expect(file(rep, "customer", period: "previous").status == 303)
        #expect(try f.db.first("SELECT quarter FROM crm_survey_reports WHERE kind = 'customer'")?.string("quarter") == "2025-Q4")
        #expect(rep.get("/").body.contains("客户调查报告未提交"))
    }

    func userOf(_ name: String) throws -> User? {
        guard let id = try f.db.scalar("SELECT id FROM users WHERE username = \(name)") else { return nil }
        return User(id: id, username: name, displayName: name, roles: ["sales_rep"], permissions: ["crm.use"])
    }

    func context(_ user: User) -> Context {
        Context(request: Request(method: "GET", path: "/"), user: user, db: f.t.db, now: Self.now, timeZone: CRMFixture.zone,
                module: "crm", csrfToken: "", resumedForm: nil, host: f.t.worker)
    }

    @Test("003 §5.2: one report of a kind per person and quarter (422 beside 类别); the author revises it (audited), others cannot")
    func oneOfEachKind() throws {
        let rep = f.client("rep1")
        let id = try CRMFixture.id(file(rep, "peer", subject: "同行甲厂"), after: "/crm/survey-reports/")
        let again = file(rep, "peer", subject: "同行乙厂")
        #expect(again.status == 422)
        #expect(again.body.contains("2026年第1季度的同行调查报告已经提交过，请修改原报告"))
        #expect(again.body.contains("value=\"同行乙厂\""))
        #expect(try f.db.scalar("SELECT COUNT(*) FROM crm_survey_reports") == 1)
        // Only this quarter or the one before.
        #expect(file(rep, "market", period: "2024-Q1").status == 422)
        #expect(rep.get("/crm/survey-reports/new").body.contains("本季度为2026年第1季度，上季度为2025年第4季度"))
        let form = rep.get("/crm/survey-reports/\(id)/edit")
        #expect(form.body.contains("2026年第1季度同行调查报告"))
        #expect(rep.submit("/crm/survey-reports/\(id)/edit", [("subject", "同行甲厂"), ("findings", "甲厂降价 5%"),
                                                               ("measures", "加强服务")]).status == 303)
        rep.get("/crm/survey-reports/\(id)/edit")
        #expect(rep.submit("/crm/survey-reports/\(id)/edit", [("subject", "同"), ("findings", "")]).status == 422)
        #expect(rep.get("/crm/survey-reports/\(id)").body.contains("甲厂降价 5%"))
        let actions = try f.db.query("SELECT action FROM audit_log WHERE entity = 'crm.survey_report' ORDER BY id").map { $0.string("action") ?? "" }
        #expect(actions == ["create", "edit"])
        let other = f.client("rep2")
        #expect(other.get("/crm/survey-reports/\(id)").status == 403)
        #expect(other.get("/crm/survey-reports/\(id)/edit").status == 403)
        #expect(!other.get("/crm/survey-reports").body.contains("同行甲厂"))
        // The supervisor reads every report, but only the author revises.
        let boss = f.client("boss")
        #expect(boss.get("/crm/survey-reports/\(id)").body.contains("甲厂降价 5%"))
        #expect(boss.get("/crm/survey-reports/\(id)/edit").status == 409)
    }

    @Test("003 §5.2: the list (ListPage) filters by kind, quarter and person and exports CSV")
    func list() throws {
        #expect(file(f.client("rep1"), "market", subject: "张的市场").status == 303)
        #expect(file(f.client("rep2"), "peer", subject: "李的同行").status == 303)
        let boss = f.client("boss")
        let all = boss.get("/crm/survey-reports").body
        #expect(all.contains("张的市场") && all.contains("李的同行"))
        let peer = boss.get("/crm/survey-reports?kind=peer").body
        #expect(peer.contains("李的同行") && !peer.contains("张的市场"))
        #expect(boss.get("/crm/survey-reports?rep=\(f.rep1)").body.contains("张的市场"))
        #expect(!boss.get("/crm/survey-reports?quarter=2025-Q4").body.contains("张的市场"))
        let csv = boss.get("/crm/survey-reports?format=csv")
        #expect(csv.status == 200)
        #expect(csv.body.contains("季度,类别,调查范围与对象,填报人,提交时间"))
        #expect(csv.body.contains("2026年第1季度,市场调查报告,张的市场,张专员"))
    }
}
