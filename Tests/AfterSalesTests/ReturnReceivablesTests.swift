import Foundation
import Testing
import AdminModule
import CustomerDevelopmentModule
import OrderingAPI
import OrderingModule
import SalesHost
import SalesKit
import SalesTesting
@testable import AfterSalesModule

/// RULES §3.2 / 003 §6.3.3: when 订货 is installed, finance's settlement of a return reduces the
/// customer's receivables through 订货's `ReceivablesService`; without 订货 it is recorded in
/// 售后服务 only.
final class ReturnReceivablesWorld {
    let t: TestApp
    let customer: Int64
    let withOrdering: Bool

    init(withOrdering: Bool) throws {
        self.withOrdering = withOrdering
        let modules: [any DepartmentModule] = withOrdering
            ? [AdminModule(), CustomerDevelopmentModule(), OrderingModule(), AfterSalesModule()]
            : [AdminModule(), CustomerDevelopmentModule(), AfterSalesModule()]
        t = try TestApp(modules: modules)
        let rep = try t.addUser("rep", roles: [.salesRep])
        try t.addUser("quality", roles: [.quality])
        try t.addUser("prod", roles: [.production])
        try t.addUser("finance", roles: [.finance])
        customer = try CustomerFixtures.customer(t.db, name: "外省装饰公司", code: "KH-2026-0002", owner: rep, inCity: false)
        if withOrdering {
            // A receivable of 5,000 元: a shipment booked in 订货's ledger (setup of its table).
            try t.db.execute("""
                INSERT INTO order_ledger (customer_id, kind, amount_fen, entry_date, due_on, note, created_by, created_at)
                VALUES (\(customer), 'shipment', 500000, '2026-01-10', '2026-02-10', '发货', \(rep), 0)
                """)
            // What 订货 shipped to this customer, at the ORDER's prices (90 元 and 20 元): the
            // return is credited at these, not at the prices typed on the return (RULES §6).
            let order = try t.db.insert("""
                INSERT INTO order_orders (order_no, customer_id, channel, filled_on, received_on, state, created_by, created_at, updated_at)
                VALUES ('DH-2026-0001', \(customer), 'fax', '2026-01-05', '2026-01-05', 'delivered', \(rep), 0, 0) RETURNING id
                """)
            let floor = try t.db.insert("""
                INSERT INTO order_lines (order_id, line_no, product, spec, qty, unit_price_fen, amount_fen, delivered_qty)
                VALUES (\(order), 1, '实木地板', '900×90', 20, 9000, 180000, 20) RETURNING id
                """)
            let skirting = try t.db.insert("""
                INSERT INTO order_lines (order_id, line_no, product, spec, qty, unit_price_fen, amount_fen, delivered_qty)
                VALUES (\(order), 2, '踢脚线', '2400', 10, 2000, 20000, 10) RETURNING id
                """)
            let delivery = try t.db.insert("""
                INSERT INTO order_deliveries (order_id, delivered_on, value_fen, created_by, created_at)
                VALUES (\(order), '2026-01-10', 200000, \(rep), 0) RETURNING id
                """)
            try t.db.execute("INSERT INTO order_delivery_lines (delivery_id, line_id, qty) VALUES (\(delivery), \(floor), 20), (\(delivery), \(skirting), 10)")
        }
    }

    func client(_ user: String) -> TestClient {
        let c = t.client()
        c.login(user)
        return c
    }

    /// The outstanding as 售后服务 sees it through the service (nil without 订货).
    func outstanding() throws -> Int64? {
        let finance = try #require(try t.db.scalar("SELECT id FROM users WHERE username = 'finance'"))
        let ctx = Context(request: Request(method: "GET", path: "/"),
                          user: User(id: finance, username: "finance", displayName: "finance", roles: [], permissions: []),
                          db: t.db, now: Date(), timeZone: TimeZone(identifier: "Asia/Shanghai")!, module: "service",
                          csrfToken: "", resumedForm: nil, host: t.worker)
        return try ctx.optionalService(ReceivablesService.self)?.outstanding(customerID: customer, ctx)
    }

    /// Registers a return, lists 10 × 100 元 + 5 × 20 元, issues the notice and receives 8 + 5
    /// (a short receipt); returns its id, ready for finance.
    func receivedReturn() throws -> Int64 {
        let rep = client("rep")
        rep.get("/service/returns/new")
        let r = rep.submit("/service/returns/new", [("customer", String(customer)), ("reason_code", "6.1.2"),
                                                    ("reason_form", "written"), ("reason_text", "组装时发现开裂")])
        let location = try #require(r.location)
        let id = try #require(Int64(location.split(separator: "/").last ?? ""))
        rep.get("/service/returns/\(id)/list")
        #expect(rep.submit("/service/returns/\(id)/list", [("lines.0.product", "实木地板"), ("lines.0.spec", "900×90"), ("lines.0.quantity", "10"),
                                                           ("lines.0.price", "100"), ("lines.1.product", "踢脚线"), ("lines.1.spec", "2400"),
                                                           ("lines.1.quantity", "5"), ("lines.1.price", "20"), ("checked", "1")]).status == 303)
        let q = client("quality")
        q.get("/service/returns/\(id)/notice")
        #expect(q.submit("/service/returns/\(id)/notice", [("outcome", "approve"), ("opinion", "准予退回")]).status == 303)
        let lineID = try #require(try t.db.scalar("SELECT MIN(id) FROM service_return_lines WHERE return_id = \(id)"))
        let store = client("prod")
        store.get("/service/returns/\(id)/receive")
        #expect(store.submit("/service/returns/\(id)/receive", [("recv_\(lineID)", "8"), ("recv_\(lineID + 1)", "5")]).status == 303)
        return id
    }

    func settle(_ id: Int64) -> TestClient.Response {
        let fin = client("finance")
        fin.get("/service/returns/\(id)/settle")
        return fin.submit("/service/returns/\(id)/settle", [("note", "按入库单结算")])
    }
}

@Suite struct ReturnReceivablesTests {
    @Test("RULES §3.2 / 003 §6.3.3: with 订货 installed, settling reduces the outstanding receivables by exactly the settled (received) amount")
    func settlementCreditsReceivables() throws {
        let w = try ReturnReceivablesWorld(withOrdering: true)
        #expect(try w.outstanding() == 500_000)
        let id = try w.receivedReturn()
        #expect(try w.outstanding() == 500_000, "receipt alone must not touch receivables")
        #expect(w.settle(id).status == 303)
        // RULES §6: the received quantities at the ORDER's price — 8 × 90 元 + 5 × 20 元 = 820 元 —
        // not the 100 元 typed on the return (900 元) and not the 1,100 元 listed.
        #expect(try w.t.db.scalar("SELECT settled_fen FROM service_returns WHERE id = \(id)") == 82_000)
        #expect(try w.outstanding() == 418_000)
        let entry = try #require(try w.t.db.first("SELECT * FROM order_ledger WHERE customer_id = \(w.customer) AND kind = 'return_credit'"))
        #expect(entry.int("amount_fen") == 82_000)
        #expect(entry.string("note")?.contains("售后退货 #\(id)") == true)
        // The return shows the credit with the ledger reference.
        let page = w.client("finance").get("/service/returns/\(id)").body
        #expect(page.contains("已冲减应收"))
        #expect(page.contains("订货应收分录 #\(entry.int("id") ?? 0)"))
        // 订货's ledger page shows the new balance.
        let ledger = w.client("finance").get("/order/receivables/\(w.customer)")
        #expect(ledger.status == 200)
        #expect(ledger.body.contains(Money.format(418_000)))
        #expect(ledger.body.contains("售后退货 #\(id)"))
        // Settling again is refused and credits nothing more.
        #expect(w.client("finance").get("/service/returns/\(id)/settle").status == 409)
        #expect(try w.outstanding() == 418_000)
    }

    @Test("RULES §6: a return is never credited beyond what was shipped to the customer — 422 on the settle form, nothing booked")
    func creditBeyondShippedIsRefused() throws {
        let w = try ReturnReceivablesWorld(withOrdering: true)
        // Only 5 of the 20 floorboards were shipped.
        try w.t.db.execute("UPDATE order_delivery_lines SET qty = 5 WHERE line_id = (SELECT id FROM order_lines WHERE product = '实木地板')")
        let id = try w.receivedReturn()           // 8 floorboards received back
        let r = w.settle(id)
        #expect(r.status == 422)
        #expect(r.body.contains("超过已发给该客户的数量 5"))
        #expect(try w.t.db.first("SELECT state FROM service_returns WHERE id = \(id)")?.string("state") == "received")
        #expect(try w.outstanding() == 500_000)
    }

    @Test("RULES §3.2: the credit and the settlement are one transaction — a failing credit leaves the return unsettled")
    func creditFailureRollsBackSettlement() throws {
        let w = try ReturnReceivablesWorld(withOrdering: true)
        let id = try w.receivedReturn()
        // Make the ledger refuse inserts: the credit fails, so the settlement must not stick.
        if w.t.db.dialect == "postgresql" {
            try w.t.db.executeScript("""
                CREATE FUNCTION refuse_ledger() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'ledger closed'; END $$ LANGUAGE plpgsql;
                CREATE TRIGGER refuse_ledger BEFORE INSERT ON order_ledger FOR EACH ROW EXECUTE FUNCTION refuse_ledger();
                """)
        } else {
            try w.t.db.execute("CREATE TRIGGER refuse_ledger BEFORE INSERT ON order_ledger BEGIN SELECT RAISE(ABORT, 'ledger closed'); END")
        }
        #expect(w.settle(id).status >= 400)
        #expect(try w.t.db.first("SELECT state FROM service_returns WHERE id = \(id)")?.string("state") == "received")
        #expect(try w.t.db.scalar("SELECT COUNT(*) FROM service_returns WHERE settled_fen IS NOT NULL") == 0)
        #expect(try w.outstanding() == 500_000)
    }

    @Test("RULES §3.2: without 订货 the settlement is recorded in 售后服务 only")
    func settlementWithoutOrdering() throws {
        let w = try ReturnReceivablesWorld(withOrdering: false)
        #expect(try w.outstanding() == nil)
        let id = try w.receivedReturn()
        #expect(w.settle(id).status == 303)
        #expect(try w.t.db.first("SELECT state, settled_fen FROM service_returns WHERE id = \(id)")?.int("settled_fen") == 90_000)
        let page = w.client("finance").get("/service/returns/\(id)").body
        #expect(page.contains("已结算"))
        #expect(page.contains("未冲减应收"))
        #expect(!page.contains("订货应收分录"))
        #expect(try w.t.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'service.return' AND action = 'receivables_credit'") == 0)
    }
}
