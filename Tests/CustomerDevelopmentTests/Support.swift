import Foundation
import Testing
import AdminModule
import SalesHost
import SalesKit
import SalesTesting
@testable import CustomerDevelopmentModule

/// A host with the admin and 客户开发 modules, the real templates, and one user per role.
final class CRMFixture {
    let t: TestApp
    let rep1: Int64, rep2: Int64, boss: Int64, gm: Int64, admin: Int64

    static let zone = TimeZone(identifier: "Asia/Shanghai")!

    init() throws {
        t = try TestApp(modules: [AdminModule(), CustomerDevelopmentModule()])
        rep1 = try t.addUser("rep1", roles: [.salesRep], displayName: "张专员")
        rep2 = try t.addUser("rep2", roles: [.salesRep], displayName: "李专员")
        boss = try t.addUser("boss", roles: [.salesSupervisor], displayName: "王主管")
        gm = try t.addUser("gm", roles: [.generalManager], displayName: "赵总")
        admin = try t.addUser("admin", roles: [.admin], displayName: "管理员")
    }

    var db: any Database { t.db }

    /// Today's year in the company time zone (customer codes use it).
    static var year: Int { LocalDate(date: Date(), timeZone: zone).year }

    /// A logged-in client.
    func client(_ username: String) -> TestClient {
        let c = t.client()
        let r = c.login(username)
        #expect(r.status == 303, "login of \(username) failed: \(r.status)")
        return c
    }

    /// The trailing id of a redirect such as `/crm/customers/12`.
    static func id(_ r: TestClient.Response, after prefix: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Int64 {
        #expect(r.status == 303, "expected a redirect, got \(r.status): \(r.body.prefix(400))", sourceLocation: sourceLocation)
        let loc = try #require(r.location, sourceLocation: sourceLocation)
        #expect(loc.hasPrefix(prefix), "unexpected location \(loc)", sourceLocation: sourceLocation)
        let rest = loc.dropFirst(prefix.count).prefix { $0.isNumber }
        return try #require(Int64(rest), sourceLocation: sourceLocation)
    }

    /// 潜在客户名录 entry through the real form (POST /crm/customers/new).
    func createCustomer(_ c: TestClient, _ name: String, inCity: Bool = true,
                        sourceLocation: SourceLocation = #_sourceLocation) throws -> Int64 {
        #expect(c.get("/crm/customers/new").status == 200, sourceLocation: sourceLocation)
        var fields = [("name", name), ("city", "上海"), ("address", "浦东新区张江路 1 号"), ("phone", "021-5555 1234"),
                      ("contact_person", "陈经理"), ("contact_title", "采购部经理")]
        if inCity { fields.append(("in_city", "1")) }
        return try Self.id(c.submit("/crm/customers/new", fields), after: "/crm/customers/", sourceLocation: sourceLocation)
    }

    /// 新客户认定申请表 (POST /crm/customers/:id/apply) — a draft application.
    func apply(_ c: TestClient, _ customerID: Int64, _ name: String = "华东汽车配件有限公司",
               sourceLocation: SourceLocation = #_sourceLocation) throws -> Int64 {
        #expect(c.get("/crm/customers/\(customerID)/apply").status == 200, sourceLocation: sourceLocation)
        let r = c.submit("/crm/customers/\(customerID)/apply", [
            ("company_name", name), ("founded", "2010-03-01"), ("legal_rep", "陈大文"),
            ("shareholders.0.name", "陈大文"), ("shareholders.0.title", "董事长"),
            ("capital", "50000000"), ("postcode", "201203"), ("nature", "中外合资"), ("employees", "800"),
            ("results.0.year", "2025"), ("results.0.sales", "120000000.00"),
            ("pay_cash_pct", "30"), ("pay_check_pct", "70"), ("pay_days", "30"),
            ("principles", "credit"), ("principles", "cooperation"),
        ])
        return try Self.id(r, after: "/crm/applications/", sourceLocation: sourceLocation)
    }

    /// POST /crm/applications/:id/act after fetching the page (for the CSRF token).
    @discardableResult
    func act(_ c: TestClient, _ appID: Int64, _ action: String, reason: String? = nil) -> TestClient.Response {
        c.get("/crm/applications/\(appID)")
        var fields = [("action", action)]
        if let reason { fields.append(("reason", reason)) }
        return c.submit("/crm/applications/\(appID)/act", fields)
    }

    /// The 客户评定报告 through /crm/customers/:id/rate[?application=ID].
    @discardableResult
    func rate(_ c: TestClient, _ customerID: Int64, application: Int64?, _ pairs: [(String, String)]) -> TestClient.Response {
        let path = "/crm/customers/\(customerID)/rate" + (application.map { "?application=\($0)" } ?? "")
        c.get(path)
        return c.submit(path, [("application", application.map(String.init) ?? "")] + pairs)
    }

    /// The 新客户信用调查表 (POST /crm/applications/:id/survey), conclusion 信用良好 (002 §9).
    @discardableResult
    func survey(_ c: TestClient, _ appID: Int64, conclusion: String = "good") -> TestClient.Response {
        c.get("/crm/applications/\(appID)/survey")
        return c.submit("/crm/applications/\(appID)/survey", [("survey_date", "2026-01-05"), ("methods", "实地走访"),
                                                            ("banks", "工商银行"), ("conclusion", conclusion)])
    }

    func state(_ appID: Int64) throws -> String? {
        try db.first("SELECT state FROM crm_applications WHERE id = \(appID)")?.string("state")
    }

    func customer(_ id: Int64) throws -> Row {
        try #require(try db.first("SELECT * FROM crm_customers WHERE id = \(id)"))
    }

    static let allA = [("capacity", "100000"), ("ranking", "1"), ("brand", "0"), ("nature", "0"), ("capital", "8000"),
                       ("assets", "0"), ("years", "5"), ("credit", "0"), ("payment", "90")]
    /// 5 points (payment 90% only, everything else unknown) → E.
    static let classE = [("payment", "90")]

    /// Rep creates, applies, submits, fills the credit survey (002 §9), rates (all A) and evaluates:
    /// the application waits for approval.
    func evaluatedApplication(_ rep: TestClient, _ name: String, rating: [(String, String)] = allA) throws -> (customer: Int64, app: Int64) {
        let cid = try createCustomer(rep, name)
        let aid = try apply(rep, cid, name)
        #expect(act(rep, aid, "submit").status == 303)
        #expect(survey(rep, aid).status == 303)
        #expect(rate(rep, cid, application: aid, rating).status == 303)
        #expect(act(rep, aid, "evaluate").status == 303)
        #expect(try state(aid) == "evaluated")
        return (cid, aid)
    }

    /// Start of the current quarter in the company zone, as epoch seconds (003 §2.3).
    static func quarterStart(_ now: Date = Date()) -> Int64 {
        let today = LocalDate(date: now, timeZone: zone)
        let month = (today.month - 1) / 3 * 3 + 1
        return Int64(LocalDate(year: today.year, month: month, day: 1).start(in: zone).timeIntervalSince1970)
    }
}
