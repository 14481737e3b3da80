import Foundation
import Testing
import OrderingAPI
import SalesHost
import SalesKit
import SalesTesting
@testable import OrderingModule

/// The `ReceivablesService` 订货 offers other modules (RULES §3.2: a settled return reduces the
/// customer's receivables; 002 §4: the receivables ledger).
@Suite struct OrderReceivablesServiceTests {
    let f: OrderFixture
    let cid: Int64
    init() throws {
        f = try OrderFixture()
        cid = try f.customer()
        // A shipment of 1,000 元 and a payment of 300 元: 700 元 outstanding.
        try f.db.execute("""
            INSERT INTO order_ledger (customer_id, kind, amount_fen, entry_date, due_on, note, created_by, created_at)
            VALUES (\(cid), 'shipment', 100000, '2026-01-10', '2026-02-10', '发货', \(f.fin), 0),
                   (\(cid), 'payment', 30000, '2026-01-20', NULL, '收款', \(f.fin), 0)
            """)
    }

    func context(module: String = "order") -> Context {
        Context(request: Request(method: "POST", path: "/"), user: User(id: f.fin, username: "fin", displayName: "钱会计", roles: [], permissions: []),
                db: f.db, now: Date(), timeZone: TimeZone(identifier: "Asia/Shanghai")!, module: module, csrfToken: "",
                resumedForm: nil, host: f.t.worker)
    }

    func service() throws -> any ReceivablesService {
        try #require(context().optionalService(ReceivablesService.self))
    }

    @Test("002 §4: the service is registered by 订货, and outstanding is the figure the receivables page shows")
    func outstandingMatchesLedgerPage() throws {
        let s = try service()
        #expect(try s.outstanding(customerID: cid, context()) == 70_000)
        let page = f.client("fin").get("/order/receivables/\(cid)")
        #expect(page.status == 200)
        #expect(page.body.contains(Money.format(70_000)))
        #expect(try s.outstanding(customerID: cid + 99, context()) == 0)
    }

    @Test("RULES §3.2: a credit is booked into the ledger with its reference and an audit row, and reduces the outstanding exactly")
    func creditReducesOutstanding() throws {
        let s = try service()
        let ctx = context()
        let entry = try f.db.transaction { try s.credit(customerID: cid, amountFen: 25_000, reference: "售后退货 #7", ctx) }
        #expect(try s.outstanding(customerID: cid, ctx) == 45_000)
        let row = try #require(try f.db.first("SELECT * FROM order_ledger WHERE id = \(entry)"))
        #expect(row.int("customer_id") == cid)
        #expect(row.int("amount_fen") == 25_000)
        #expect(row.string("note")?.contains("售后退货 #7") == true)
        #expect(try f.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'order.credit' AND entity_id = \(String(entry)) AND reason LIKE '%售后退货 #7%'") == 1)
        // The ledger page shows the entry and the new balance.
        let page = f.client("fin").get("/order/receivables/\(cid)").body
        #expect(page.contains("售后退货 #7"))
        #expect(page.contains(Money.format(45_000)))
    }

    @Test("RULES §3.2: the credit is part of the caller's transaction — rolled back with it")
    func creditRollsBackWithCaller() throws {
        let s = try service()
        let ctx = context()
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try f.db.transaction {
                _ = try s.credit(customerID: cid, amountFen: 10_000, reference: "售后退货 #8", ctx)
                throw Boom()
            }
        }
        #expect(try s.outstanding(customerID: cid, ctx) == 70_000)
        #expect(try f.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'order.credit'") == 0)
    }

    @Test("A credit of zero or less is refused and writes nothing")
    func nonPositiveRefused() throws {
        let s = try service()
        let ctx = context()
        #expect(throws: HTTPError.self) { try s.credit(customerID: cid, amountFen: 0, reference: "x", ctx) }
        #expect(throws: HTTPError.self) { try s.credit(customerID: cid, amountFen: -5, reference: "x", ctx) }
        #expect(try f.db.scalar("SELECT COUNT(*) FROM order_ledger") == 2)
    }
}
