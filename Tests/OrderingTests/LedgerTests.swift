import Foundation
import Testing
import OrderingAPI
import SalesHost
import SalesKit
import SalesTesting
@testable import OrderingModule

/// RULES §6 "Every money movement is an entry of its kind": shipment, payment, prepayment (booked
/// when finance confirms receipt, settled against the shipment), return credit (not a collection),
/// bad-debt write-off (GM approval), adjustment; balances never silently negative.
@Suite struct LedgerTests {
    let f: OrderFixture
    init() throws { f = try OrderFixture() }

    var today: LocalDate { LocalDate(date: Date(), timeZone: TimeZone(identifier: "Asia/Shanghai")!) }

    func context(_ user: Int64, _ name: String) -> Context {
        Context(request: Request(method: "POST", path: "/"), user: User(id: user, username: name, displayName: name, roles: [], permissions: []),
                db: f.db, now: Date(), timeZone: TimeZone(identifier: "Asia/Shanghai")!, module: "order", csrfToken: "",
                resumedForm: nil, host: f.t.worker)
    }

    func balance(_ cid: Int64) throws -> OrderChecks.Balance {
        try OrderChecks.balance(customer: cid, today: today, context(f.fin, "fin"))
    }

    func ship(_ cid: Int64, _ fen: Int64, on: String = "2026-01-10", due: String = "2099-01-01") throws {
        try f.db.execute("""
            INSERT INTO order_ledger (customer_id, kind, amount_fen, entry_date, due_on, note, created_by, created_at)
            VALUES (\(cid), 'shipment', \(fen), \(on), \(due), '发货', \(f.fin), 0)
            """)
    }

    func pay(_ c: TestClient, _ fields: [(String, String)]) -> TestClient.Response {
        c.get("/order/payments/new")
        return c.submit("/order/payments/new", [("paid_on", today.description)] + fields)
    }

    @Test("RULES §6 / 003 §4.1.3: a 零星客户's prepayment is booked when finance confirms it (the GM cannot approve before), and the delivery settles it: balance 0, nothing overdue 30 days later, the next order passes 002 §3.4")
    func test_RULES6_003_4_1_3_prepaymentBookedAndSettledAgainstShipment() throws {
        let cid = try f.customer()
        try f.product("阀门", spec: "φ20", listFen: 12000)
        let rep = f.client("rep1"), gm = f.client("gm"), fin = f.client("fin")
        let id = try f.order(rep, lines: [("阀门", "2", "120")], extra: [("sporadic", "1"), ("prepaid", "240")])
        #expect(try f.state(id) == "sporadic_pending")
        let no = try f.order(id).string("order_no") ?? "?"
        // Declared is not received: the GM cannot approve until finance has booked it.
        let early = f.act(gm, id, "approve", reason: "零星采购")
        #expect(gm.refusal(after: early)?.contains("财务部尚未确认收到全额预付款") == true)
        #expect(try f.state(id) == "sporadic_pending")
        #expect(fin.get("/").body.contains("零星客户订单待确认预付款"))
        // Finance confirms from the order page: the form comes filled with the order and amount.
        let form = fin.get("/order/payments/new?kind=prepayment&order=\(no)").body
        #expect(form.contains("value=\"\(no)\"") && form.contains("value=\"240.00\""))
        let booked = fin.submit("/order/payments/new", [("customer_code", "KH-2026-0001"), ("kind", "prepayment"), ("order_no", no),
                                                        ("amount", "240"), ("paid_on", today.description)])
        #expect(booked.status == 303 && booked.location == "/order/orders/\(id)")
        #expect(try f.db.scalar("SELECT amount_fen FROM order_ledger WHERE order_id = \(id) AND kind = 'prepayment'") == 24_000)
        #expect(try f.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'order.prepayment'") == 1)
        var b = try balance(cid)
        #expect(b.outstandingFen == 0 && b.advanceFen == 24_000 && b.collectedFen == 24_000)
        #expect(rep.get("/order/orders/\(id)").body.contains("财务部已确认收到预收款 <strong>¥240.00</strong>"))
        #expect(!fin.get("/").body.contains("零星客户订单待确认预付款"))
        #expect(f.act(gm, id, "approve", reason: "零星采购，款已到").status == 303)
        #expect(try f.state(id) == "accepted")
        #expect(f.act(f.client("boss"), id, "release").status == 303)
        // Delivered 60 days ago: without the settlement it would be 30 days overdue.
        let line = try #require(try f.db.scalar("SELECT id FROM order_lines WHERE order_id = \(id)"))
        rep.get("/order/orders/\(id)/deliveries/new")
        #expect(rep.submit("/order/orders/\(id)/deliveries/new", [("delivered_on", today.adding(days: -60).description),
                                                                  ("lines.0.line_id", String(line)), ("lines.0.qty", "2")]).status == 303)
        #expect(try f.db.scalar("SELECT amount_fen FROM order_ledger WHERE order_id = \(id) AND kind = 'prepayment_applied'") == 24_000)
        b = try balance(cid)
        #expect(b.shippedFen == 24_000 && b.outstandingFen == 0 && b.advanceFen == 0 && b.overdueFen == 0)
        let ledger = fin.get("/order/receivables/\(cid)").body
        #expect(ledger.contains("预收款冲抵发货") && ledger.contains("应收余额 <strong>¥0.00</strong>"))
        // The next order is not stopped as overdue (002 §3.4).
        try f.contract(cid)
        let next = try f.order(rep, lines: [("阀门", "1", "120")])
        #expect(try f.state(next) == "accepted")
    }

    @Test("RULES §6: a payment above the receivable is refused with the reason (422, values kept); the same money as a prepayment is held as an advance")
    func test_RULES6_paymentNeverDrivesBalanceNegative() throws {
        let cid = try f.customer()
        try ship(cid, 100_000)
        let fin = f.client("fin")
        let over = pay(fin, [("customer_code", "KH-2026-0001"), ("kind", "payment"), ("amount", "1500"), ("note", "电汇 0917")])
        #expect(over.status == 422)
        #expect(over.body.contains("超过该客户的应收余额 ¥1,000.00") && over.body.contains("预收款"))
        #expect(over.body.contains("value=\"1500\"") && over.body.contains("电汇 0917"))
        #expect(try balance(cid).outstandingFen == 100_000)
        #expect(pay(fin, [("customer_code", "KH-2026-0001"), ("kind", "prepayment"), ("amount", "1500")]).status == 303)
        let b = try balance(cid)
        #expect(b.outstandingFen == 100_000 && b.advanceFen == 150_000)
        // An unknown or foreign order number is a field error.
        let bad = pay(fin, [("customer_code", "KH-2026-0001"), ("kind", "prepayment"), ("order_no", "DH-1999-0001"), ("amount", "10")])
        #expect(bad.status == 422 && bad.body.contains("该客户没有此订单号码"))
        // Only finance records money (403).
        #expect(f.client("rep1").get("/order/payments/new").status == 403)
        #expect(f.client("rep1").get("/order/adjustments/new").status == 403)
    }

    @Test("RULES §6 / 003 §5.4: a return credit lowers the receivable but is not a collection — 回款 and 回款率 count payments and prepayments only; an old credit stored as a payment is migrated to a return credit")
    func test_RULES6_returnCreditIsNotACollection() throws {
        let cid = try f.customer()
        try ship(cid, 100_000, on: "\(today.year)-01-01")
        let fin = f.client("fin")
        #expect(pay(fin, [("customer_code", "KH-2026-0001"), ("kind", "payment"), ("amount", "300")]).status == 303)
        let s = try #require(context(f.fin, "fin").optionalService(ReceivablesService.self))
        let ctx = context(f.fin, "fin")
        _ = try f.db.transaction { try s.credit(customerID: cid, amountFen: 20_000, reference: "售后退货 #3", ctx) }
        let b = try balance(cid)
        #expect(b.outstandingFen == 50_000 && b.collectedFen == 30_000 && b.otherCreditsFen == 20_000)
        #expect(try f.db.scalar("SELECT COUNT(*) FROM order_ledger WHERE kind = 'return_credit'") == 1)
        // 回款率 is measured against the rep's 回款额度 (003 §5.4.1, issue #14): 300 ÷ 600, the credit not counted.
        try f.db.execute("INSERT INTO order_collection_plans (rep_id, year, amount_fen, updated_by, updated_at) VALUES (\(f.rep1), \(today.year), 60000, \(f.fin), 0)")
        let stats = f.client("boss").get("/order/stats").body
        #expect(stats.contains("50.0%（本年回款 ¥300.00 / 回款额度 ¥600.00"))
        #expect(fin.get("/order/receivables/\(cid)").body.contains("退货冲减"))
        // Migration 5: a credit booked before as a payment ("冲减应收：…") becomes a return credit.
        try f.db.execute("""
            INSERT INTO order_ledger (customer_id, kind, amount_fen, entry_date, note, created_by, created_at)
            VALUES (\(cid), 'payment', 5000, '2026-01-20', '冲减应收：售后退货 #1', 0, 0)
            """)
        let update = try #require(OrderMigrations.v5.script.split(separator: "\n").first { $0.contains("UPDATE order_ledger") })
        try f.db.execute(SQL(unsafe: String(update)))
        #expect(try f.db.scalar("SELECT COUNT(*) FROM order_ledger WHERE kind = 'payment' AND note LIKE '冲减应收%'") == 0)
        #expect(try balance(cid).collectedFen == 30_000)
    }

    @Test("RULES §6: a return credit above the receivable goes to the customer's advances (never a negative balance) and the next shipment uses it")
    func test_RULES6_returnCreditBeyondReceivableBecomesAdvance() throws {
        let cid = try f.customer()
        try ship(cid, 10_000)
        let s = try #require(context(f.fin, "fin").optionalService(ReceivablesService.self))
        let ctx = context(f.fin, "fin")
        let entry = try f.db.transaction { try s.credit(customerID: cid, amountFen: 25_000, reference: "售后退货 #4", ctx) }
        #expect(try f.db.scalar("SELECT advance_fen FROM order_ledger WHERE id = \(entry)") == 15_000)
        var b = try balance(cid)
        #expect(b.outstandingFen == 0 && b.advanceFen == 15_000)
        try f.db.transaction {
            try Ledger.ship(customer: cid, orderID: 999, orderNo: "DH-X", deliveryID: 1, amountFen: 40_000, on: today, due: today.adding(days: 30), ctx)
        }
        b = try balance(cid)
        #expect(b.outstandingFen == 25_000 && b.advanceFen == 0)
    }

    @Test("RULES §6: a bad-debt write-off is proposed by finance (at most the receivable, 422 otherwise) and booked only when the GM approves with a reason (403 for others); it is not a collection and shows as 坏账率")
    func test_RULES6_badDebtWriteOffNeedsGM() throws {
        let cid = try f.customer()
        try ship(cid, 100_000, on: "\(today.year)-01-01")
        let fin = f.client("fin"), gm = f.client("gm")
        fin.get("/order/writeoffs/new")
        let tooMuch = fin.submit("/order/writeoffs/new", [("customer_code", "KH-2026-0001"), ("amount", "1200"), ("reason", "客户破产")])
        #expect(tooMuch.status == 422 && tooMuch.body.contains("超过可核销的应收余额 ¥1,000.00") && tooMuch.body.contains("客户破产"))
        #expect(f.client("rep1").get("/order/writeoffs/new").status == 403)
        let r = fin.submit("/order/writeoffs/new", [("customer_code", "KH-2026-0001"), ("amount", "200"), ("reason", "客户破产，清算无余额")])
        #expect(r.status == 303)
        let wid = try #require(r.location.flatMap { Int64($0.replacingOccurrences(of: "/order/writeoffs/", with: "")) })
        #expect(try balance(cid).outstandingFen == 100_000, "a proposal books nothing")
        // A second proposal may not exceed what the pending one leaves.
        #expect(fin.submit("/order/writeoffs/new", [("customer_code", "KH-2026-0001"), ("amount", "900"), ("reason", "再核销")]).status == 422)
        #expect(gm.get("/").body.contains("坏账核销待批准"))
        #expect(gm.get("/order/writeoffs").body.contains("客户破产"))
        // #16 point 10: 坏账核销 HX… in the list and on its page, never 「#\(wid)」.
        #expect(gm.get("/order/writeoffs").body.contains(">\(OrderDocNo.writeoff(wid))</a>"))
        #expect(gm.get("/order/writeoffs/\(wid)").body.contains("<h1>坏账核销 \(OrderDocNo.writeoff(wid))："))
        func decide(_ c: TestClient, _ action: String, _ reason: String?) -> TestClient.Response {
            c.get("/order/writeoffs/\(wid)")
            return c.submit("/order/writeoffs/\(wid)/act", [("action", action)] + (reason.map { [("reason", $0)] } ?? []))
        }
        #expect(decide(fin, "approve", "同意").status == 403)
        #expect(gm.refusal(after: decide(gm, "approve", nil)) != nil)
        #expect(decide(gm, "approve", "经核实无法收回").status == 303)
        let w = try #require(try f.db.first("SELECT * FROM order_writeoffs WHERE id = \(wid)"))
        #expect(w.string("state") == "approved" && w.int("decided_by") == f.gm && w.string("decision_reason") == "经核实无法收回")
        #expect(try f.db.scalar("SELECT amount_fen FROM order_ledger WHERE id = \(w.int("entry_id") ?? 0) AND kind = 'bad_debt'") == 20_000)
        let b = try balance(cid)
        #expect(b.outstandingFen == 80_000 && b.collectedFen == 0)
        #expect(f.client("boss").get("/order/stats").body.contains("200.0‰（本年核销坏账 ¥200.00）"))
        #expect(try f.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'order.writeoff' AND action = 'approve'") == 1)
    }

    @Test("RULES §6: an approved write-off that now exceeds the receivable (paid meanwhile) is refused and stays pending")
    func test_RULES6_writeOffRefusedWhenItWouldGoNegative() throws {
        let cid = try f.customer()
        try ship(cid, 50_000)
        let fin = f.client("fin"), gm = f.client("gm")
        fin.get("/order/writeoffs/new")
        let r = fin.submit("/order/writeoffs/new", [("customer_code", "KH-2026-0001"), ("amount", "500"), ("reason", "长期拖欠")])
        let wid = try #require(r.location.flatMap { Int64($0.replacingOccurrences(of: "/order/writeoffs/", with: "")) })
        #expect(pay(fin, [("customer_code", "KH-2026-0001"), ("kind", "payment"), ("amount", "300")]).status == 303)
        gm.get("/order/writeoffs/\(wid)")
        let refused = gm.submit("/order/writeoffs/\(wid)/act", [("action", "approve"), ("reason", "同意")])
        #expect(gm.refusal(after: refused)?.contains("核销金额 ¥500.00 超过该客户的应收余额 ¥200.00") == true)
        #expect(try f.db.first("SELECT state FROM order_writeoffs WHERE id = \(wid)")?.string("state") == "pending")
        #expect(try balance(cid).outstandingFen == 20_000)
    }

    @Test("RULES §6: an adjustment needs a reason (422) and is the one entry that may make the receivable negative — explicitly, noted on the entry")
    func test_RULES6_adjustmentIsExplicit() throws {
        let cid = try f.customer()
        try ship(cid, 10_000)
        let fin = f.client("fin")
        fin.get("/order/adjustments/new")
        let noReason = fin.submit("/order/adjustments/new", [("customer_code", "KH-2026-0001"), ("direction", "down"), ("amount", "150"),
                                                              ("entry_date", today.description)])
        #expect(noReason.status == 422 && noReason.body.contains("value=\"150\""))
        #expect(fin.submit("/order/adjustments/new", [("customer_code", "KH-2026-0001"), ("direction", "down"), ("amount", "150"),
                                                       ("entry_date", today.description), ("reason", "发票重复开具，冲回")]).status == 303)
        #expect(try balance(cid).outstandingFen == -5_000)
        let note = try f.db.first("SELECT note FROM order_ledger WHERE kind = 'adjustment'")?.string("note") ?? ""
        #expect(note.contains("发票重复开具") && note.contains("调整后应收余额为负 ¥-50.00"))
        #expect(try f.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'order.adjustment'") == 1)
    }

    @Test("003 §5.4: a past year's 应收占比 uses that year's closing receivable, not today's balance")
    func test_003_5_4_pastYearReceivableAtYearEnd() throws {
        let cid = try f.customer()
        let last = today.year - 1
        try ship(cid, 100_000, on: "\(last)-06-01")
        try f.db.execute("""
            INSERT INTO order_ledger (customer_id, kind, amount_fen, entry_date, note, created_by, created_at)
            VALUES (\(cid), 'payment', 100000, \("\(today.year)-01-05"), '收款', 0, 0)
            """)
        let page = f.client("boss").get("/order/stats?year=\(last)").body
        #expect(page.contains("100.0%（\(last)-12-31 的应收余额 ¥1,000.00 / 本年发货 ¥1,000.00）"))
    }
}
