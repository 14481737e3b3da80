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

    // MARK: creditReturn (RULES §6: at the order's price, never more than shipped)

    func day(_ offset: Int) -> String { LocalDate(date: Date(), timeZone: TimeZone(identifier: "Asia/Shanghai")!).adding(days: offset).description }

    /// Registers, releases and fully delivers an order of `qty` 阀门 φ20 at `price` 元 on `day`.
    func shipped(qty: String, price: String, on day: String, product: String = "阀门") throws -> Int64 {
        // The suite's shipment of 2026-01-10 is not yet due here (the order is not held as overdue, 002 §3.4).
        try f.db.execute("UPDATE order_ledger SET due_on = '2099-01-01' WHERE due_on IS NOT NULL AND order_id IS NULL")
        let rep = f.client("rep1")
        let id = try f.order(rep, lines: [(product, qty, price)])
        #expect(f.act(f.client("boss"), id, "release").status == 303)
        let line = try #require(try f.db.scalar("SELECT id FROM order_lines WHERE order_id = \(id)"))
        rep.get("/order/orders/\(id)/deliveries/new")
        let r = rep.submit("/order/orders/\(id)/deliveries/new", [("delivered_on", day), ("lines.0.line_id", String(line)), ("lines.0.qty", qty)])
        #expect(r.status == 303, "\(r.body.prefix(400))")
        return id
    }

    @Test("RULES §6 / 003 §6.3.3: a return is credited at the order's price — latest shipment first, then older ones — as one return-credit entry, audited")
    func test_RULES6_creditReturnAtOrderPriceLatestFirst() throws {
        try f.contract(cid)
        _ = try shipped(qty: "10", price: "100", on: day(-20))
        let later = try shipped(qty: "5", price: "120", on: day(-10))
        let laterNo = try f.order(later).string("order_no") ?? "?"
        let s = try service()
        let ctx = context()
        let before = try s.outstanding(customerID: cid, ctx)
        let first = try f.db.transaction {
            try s.creditReturn(customerID: cid, lines: [ReturnCreditLine(product: "阀门", spec: "φ20", quantity: 3)], reference: "售后退货 #11", ctx)
        }
        #expect(first.amountFen == 36_000)
        #expect(first.parts == [ReturnCredit.Part(product: "阀门", spec: "φ20", quantity: 3, unitPriceFen: 12_000, amountFen: 36_000, orderNo: laterNo)])
        // 2 left of the later shipment at ¥120, then the earlier one at ¥100.
        let second = try f.db.transaction {
            try s.creditReturn(customerID: cid, lines: [ReturnCreditLine(product: "阀门", spec: "φ20", quantity: 4)], reference: "售后退货 #12", ctx)
        }
        #expect(second.amountFen == 2 * 12_000 + 2 * 10_000)
        #expect(second.parts.map(\.unitPriceFen) == [12_000, 10_000])
        #expect(try s.outstanding(customerID: cid, ctx) == before - 36_000 - 44_000)
        let entry = try #require(try f.db.first("SELECT * FROM order_ledger WHERE id = \(second.entryID)"))
        #expect(entry.string("kind") == "return_credit" && entry.int("amount_fen") == 44_000)
        #expect(entry.string("note")?.contains("售后退货 #12") == true)
        #expect(try f.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'order.credit' AND entity_id = \(String(second.entryID))") == 1)
        #expect(try f.db.scalar("SELECT COUNT(*) FROM order_return_credits WHERE entry_id = \(second.entryID)") == 2)
        // A return credit is not a collection.
        #expect(try OrderChecks.balance(customer: cid, today: ctx.today, ctx).collectedFen == 30_000)
    }

    @Test("RULES §6: a return credit never exceeds what was shipped to that customer minus what was already credited — a typed error with the Chinese reason, nothing booked")
    func test_RULES6_creditReturnNeverMoreThanShipped() throws {
        try f.contract(cid)
        _ = try shipped(qty: "10", price: "100", on: day(-20))
        let s = try service()
        let ctx = context()
        _ = try f.db.transaction {
            try s.creditReturn(customerID: cid, lines: [ReturnCreditLine(product: "阀门", spec: "φ20", quantity: 8)], reference: "售后退货 #21", ctx)
        }
        let entries = try f.db.scalar("SELECT COUNT(*) FROM order_ledger")
        #expect(throws: ReturnCreditError.exceedsShipped(product: "阀门", spec: "φ20", requested: 3, shipped: 10, credited: 8)) {
            try f.db.transaction {
                try s.creditReturn(customerID: cid, lines: [ReturnCreditLine(product: "阀门", spec: "φ20", quantity: 3)], reference: "售后退货 #22", ctx)
            }
        }
        #expect(ReturnCreditError.exceedsShipped(product: "阀门", spec: "φ20", requested: 3, shipped: 10, credited: 8).message
                    .contains("超过已发给该客户的数量 10 减已冲减的 8（最多还可冲减 2"))
        // A product never shipped to this customer, and a whole request with one bad line: nothing booked.
        #expect(throws: ReturnCreditError.notShipped(product: "法兰", spec: "φ20")) {
            try f.db.transaction {
                try s.creditReturn(customerID: cid, lines: [ReturnCreditLine(product: "阀门", spec: "φ20", quantity: 1),
                                                            ReturnCreditLine(product: "法兰", spec: "φ20", quantity: 1)], reference: "售后退货 #23", ctx)
            }
        }
        #expect(try f.db.scalar("SELECT COUNT(*) FROM order_ledger") == entries)
        #expect(throws: ReturnCreditError.self) {
            try s.creditReturn(customerID: cid, lines: [ReturnCreditLine(product: "阀门", spec: "φ20", quantity: 0)], reference: "x", ctx)
        }
        // Another customer's shipments do not count.
        let other = try f.customer("乙公司", code: "KH-2026-0002")
        #expect(throws: ReturnCreditError.notShipped(product: "阀门", spec: "φ20")) {
            try s.creditReturn(customerID: other, lines: [ReturnCreditLine(product: "阀门", spec: "φ20", quantity: 1)], reference: "x", ctx)
        }
        // The remaining 2 can still be credited, split over two lines of the same product.
        let last = try f.db.transaction {
            try s.creditReturn(customerID: cid, lines: [ReturnCreditLine(product: "阀门", spec: "φ20", quantity: 1),
                                                        ReturnCreditLine(product: "阀门", spec: "φ20", quantity: 1)], reference: "售后退货 #24", ctx)
        }
        #expect(last.amountFen == 20_000)
    }
}
