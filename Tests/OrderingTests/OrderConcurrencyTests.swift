import Foundation
import Testing
import SalesHost
import SalesKit
import SalesTesting
@testable import OrderingModule

/// Issue #4 "Concurrent orders": the credit check and the insert are one transaction.
@Suite struct OrderConcurrencyTests {
    let f: OrderFixture
    init() throws { f = try OrderFixture() }

    @Test("003 §4.1.2: two orders for the same customer submitted at the same moment (two workers, two threads) cannot both pass a line only one fits")
    func concurrentOrders() throws {
        let cid = try f.customer(ratingClass: "C")   // 30万
        try f.contract(cid)
        let rep = f.client("rep1")
        rep.get("/order/orders/new")
        _ = try #require(rep.csrf)
        let fields = OrderFixture.orderFields(lines: [("阀门", "200", "1000")])   // ¥200,000 each
        let responses = try f.t.simultaneously([rep.rawPost("/order/orders/new", fields), rep.rawPost("/order/orders/new", fields)])
        #expect(responses.map(\.status) == [303, 303])
        let states = try f.db.query("SELECT state FROM order_orders ORDER BY id").compactMap { $0.string("state") }
        #expect(states.sorted() == ["accepted", "credit_blocked"])
        let blocked = try #require(try f.db.first("SELECT * FROM order_orders WHERE state = 'credit_blocked'"))
        #expect(blocked.int("over_fen") == 10_000_000)   // 400,000 − 300,000
        #expect(try f.db.scalar("SELECT COUNT(DISTINCT order_no) FROM order_orders") == 2)
    }
}
