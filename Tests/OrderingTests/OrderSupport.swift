import Foundation
import Testing
import AdminModule
import CustomerDevelopmentModule
import SalesHost
import SalesKit
import SalesTesting
@testable import OrderingModule

/// A host with admin, 客户开发 and 订货, one user per order role, and helpers.
final class OrderFixture {
    let t: TestApp
    let rep1: Int64, rep2: Int64, boss: Int64, gm: Int64, fin: Int64, prod: Int64, tech: Int64, qual: Int64

    init() throws {
        t = try TestApp(modules: [AdminModule(), CustomerDevelopmentModule(), OrderingModule()])
        rep1 = try t.addUser("rep1", roles: [.salesRep], displayName: "张专员")
        rep2 = try t.addUser("rep2", roles: [.salesRep], displayName: "李专员")
        boss = try t.addUser("boss", roles: [.salesManager], displayName: "王经理")
        gm = try t.addUser("gm", roles: [.generalManager], displayName: "赵总")
        fin = try t.addUser("fin", roles: [.finance], displayName: "钱会计")
        prod = try t.addUser("prod", roles: [.production], displayName: "孙厂长")
        // Members of 技术部 and 品质部 through their roles (the directory's standard departments).
        tech = try t.addUser("tech", roles: [.technical], displayName: "周工")
        qual = try t.addUser("qual", roles: [.quality], displayName: "吴质检")
    }

    var db: any Database { t.db }

    func client(_ username: String) -> TestClient {
        let c = t.client()
        #expect(c.login(username).status == 303, "login of \(username) failed")
        return c
    }

    /// An approved customer with a class, made by the CRM's own test helper.
    @discardableResult
    func customer(_ name: String = "甲公司", code: String = "KH-2026-0001", owner: Int64? = nil, ratingClass: String = "C",
                  status: String = "customer") throws -> Int64 {
        try CustomerFixtures.customer(db, name: name, code: code, owner: owner ?? rep1, status: status, ratingClass: ratingClass)
    }

    /// An approved contract for the customer (setup of the module's own table).
    func contract(_ customerID: Int64, no: String = "HT-001", approved: Bool = true) throws {
        try db.execute("""
            INSERT INTO order_contracts (customer_id, contract_no, title, approved, state, created_by, created_at)
            VALUES (\(customerID), \(no), '年度供货合同', \(approved), \(approved ? "approved" : "review"), \(rep1), 0)
            """)
    }

    /// A department's review of a contract through its page (003 §3.3–§3.5).
    @discardableResult
    func review(_ contractID: Int64, _ dept: String, as username: String, agree: Bool = true, reason: String = "") -> TestClient.Response {
        let c = client(username)
        c.get("/order/contracts/\(contractID)/review/\(dept)")
        return c.submit("/order/contracts/\(contractID)/review/\(dept)",
                        [("decision", agree ? "agree" : "refuse"), ("opinion", "评审意见：\(dept)"), ("document", agree ? "协议-\(dept)" : ""),
                         ("reason", reason)])
    }

    /// 技术部、品质部、生产部 all agree (003 §3.3–§3.5): the contract then waits for the GM.
    func reviewAll(_ contractID: Int64, sourceLocation: SourceLocation = #_sourceLocation) {
        for (dept, user) in [("technical", "tech"), ("quality", "qual"), ("production", "prod")] {
            #expect(review(contractID, dept, as: user).status == 303, "review of \(dept) refused", sourceLocation: sourceLocation)
        }
    }

    /// The GM's price review and approval (003 §3.7).
    @discardableResult
    func approveContract(_ contractID: Int64, as username: String = "gm", opinion: String = "") -> TestClient.Response {
        let c = client(username)
        c.get("/order/contracts/\(contractID)")
        return c.submit("/order/contracts/\(contractID)/approve", [("action", "approve"), ("reason", opinion)])
    }

    /// A product of the master (setup of the module's own table).
    @discardableResult
    func product(_ name: String, spec: String = "φ20", listFen: Int64, costFen: Int64 = 0, active: Bool = true) throws -> Int64 {
        try db.insert("""
            INSERT INTO order_products (name, spec, unit, list_price_fen, std_cost_fen, active, created_at, updated_at)
            VALUES (\(name), \(spec), '件', \(listFen), \(costFen), \(active), 0, 0) RETURNING id
            """)
    }

    /// The order form's fields: one line per (product, qty, price in yuan).
    static func orderFields(code: String = "KH-2026-0001", channel: String = "fax", lines: [(String, String, String)],
                            extra: [(String, String)] = []) -> [(String, String)] {
        var f = [("customer_code", code), ("channel", channel), ("received_on", LocalDate(date: Date(), timeZone: TimeZone(identifier: "Asia/Shanghai")!).description),
                 ("pay_days", "30"), ("planned_delivery", "2030-01-31")]
        for (i, l) in lines.enumerated() {
            f += [("lines.\(i).product", l.0), ("lines.\(i).spec", "φ20"), ("lines.\(i).qty", l.1), ("lines.\(i).price", l.2)]
        }
        return f + extra
    }

    func submitOrder(_ c: TestClient, code: String = "KH-2026-0001", channel: String = "fax", lines: [(String, String, String)],
                     extra: [(String, String)] = []) -> TestClient.Response {
        c.get("/order/orders/new")
        return c.submit("/order/orders/new", Self.orderFields(code: code, channel: channel, lines: lines, extra: extra))
    }

    /// Registers an order and returns its id.
    func order(_ c: TestClient, code: String = "KH-2026-0001", lines: [(String, String, String)], extra: [(String, String)] = [],
               sourceLocation: SourceLocation = #_sourceLocation) throws -> Int64 {
        let r = submitOrder(c, code: code, lines: lines, extra: extra)
        #expect(r.status == 303, "order refused: \(r.status) \(r.body.prefix(600))", sourceLocation: sourceLocation)
        let loc = try #require(r.location, sourceLocation: sourceLocation)
        return try #require(Int64(loc.replacingOccurrences(of: "/order/orders/", with: "")), sourceLocation: sourceLocation)
    }

    @discardableResult
    func act(_ c: TestClient, _ id: Int64, _ action: String, reason: String? = nil) -> TestClient.Response {
        c.get("/order/orders/\(id)")
        var f = [("action", action)]
        if let reason { f.append(("reason", reason)) }
        return c.submit("/order/orders/\(id)/act", f)
    }

    func order(_ id: Int64) throws -> Row { try #require(try db.first("SELECT * FROM order_orders WHERE id = \(id)")) }
    func state(_ id: Int64) throws -> String { try order(id).string("state") ?? "" }
}
