import Foundation
import Testing
import OrderingAPI
import SalesHost
import SalesKit
import SalesTesting
@testable import OrderingModule

/// Collections (issue #14, RULES §6 "Collections"; 003 §5.4, §5.5.1, §8.1.4–§8.1.5): the yearly
/// 回款额度 per rep, the per-rep report against plan, the 003 §5.4 KPIs for a year as of its end,
/// and the monthly 3‰ bonus.
@Suite struct CollectionsTests {
    let f: OrderFixture
    init() throws { f = try OrderFixture() }

    static let zone = TimeZone(identifier: "Asia/Shanghai") ?? .current
    var today: LocalDate { LocalDate(date: Date(), timeZone: Self.zone) }
    var year: Int { today.year }

    /// A context of an all-seeing user (finance, the sales manager: `order.view_all`).
    func context(_ user: Int64, _ name: String, roles: [Role] = [.finance]) -> Context {
        Context(request: Request(method: "POST", path: "/"),
                user: User(id: user, username: name, displayName: name, roles: Set(roles.map(\.id)),
                           permissions: [OrderPages.view.id, OrderPages.viewAll.id]),
                db: f.db, now: Date(), timeZone: Self.zone, module: "order", csrfToken: "", resumedForm: nil, host: f.t.worker)
    }

    /// A ledger entry written directly (test setup of the module's own table).
    func entry(_ cid: Int64, _ kind: String, _ fen: Int64, on: String, due: String? = nil, advance: Int64 = 0) throws {
        try f.db.execute("""
            INSERT INTO order_ledger (customer_id, kind, amount_fen, advance_fen, entry_date, due_on, note, created_by, created_at)
            VALUES (\(cid), \(kind), \(fen), \(advance), \(on), \(due), \(kind), \(f.fin), 0)
            """)
    }

    func plan(_ c: TestClient, rep: Int64, year: Int, amount: String, note: String = "华东片区") -> TestClient.Response {
        c.get("/order/collections/plans?year=\(year)")
        return c.submit("/order/collections/plans?year=\(year)", [("rep_id", String(rep)), ("year", String(year)), ("amount", amount), ("note", note)])
    }

    @Test("003 §5.5.1: finance or the sales manager set each rep's yearly 回款额度 (others 403); a non-rep, a past year or a bad amount is 422 next to its field with the values kept; every change audited with the old and new amount")
    func test_003_5_5_1_planForm() throws {
        let fin = f.client("fin")
        #expect(f.client("rep1").get("/order/collections/plans").status == 403)
        #expect(f.client("gm").get("/order/collections/plans").status == 403)
        let form = fin.get("/order/collections/plans").body
        #expect(form.contains("张专员") && form.contains("李专员") && !form.contains("value=\"\(f.fin)\""))
        // Finance is not a rep: refused on the rep field.
        var r = plan(fin, rep: f.fin, year: year, amount: "1000")
        #expect(r.status == 422)
        #expect(r.body.contains("请选择") && r.body.contains("华东片区"))
        r = plan(fin, rep: f.rep1, year: year - 1, amount: "1000")
        #expect(r.status == 422 && r.body.contains("已结算，不能再修改其回款额度"))
        r = plan(fin, rep: f.rep1, year: year, amount: "-5")
        #expect(r.status == 422 && r.body.contains("-5"))
        #expect(try f.db.scalar("SELECT COUNT(*) FROM order_collection_plans") == 0)
        r = plan(fin, rep: f.rep1, year: year, amount: "1,000,000")
        #expect(r.status == 303 && r.location == "/order/collections?year=\(year)")
        #expect(try f.db.scalar("SELECT amount_fen FROM order_collection_plans WHERE rep_id = \(f.rep1) AND year = \(year)") == 100_000_000)
        // The sales manager changes it: one row, the change audited from → to.
        #expect(plan(f.client("boss"), rep: f.rep1, year: year, amount: "1200000").status == 303)
        #expect(try f.db.scalar("SELECT COUNT(*) FROM order_collection_plans") == 1)
        let audit = try #require(try f.db.first("SELECT * FROM audit_log WHERE entity = 'order.collection_plan' AND action = 'update'"))
        #expect(audit.string("from_state") == "1,000,000.00" && audit.string("to_state") == "1,200,000.00")
        #expect(audit.string("username") == "boss")
        #expect(try f.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'order.collection_plan'") == 2)
    }

    @Test("003 §5.4.1 / RULES §6: 回款率 = collected ÷ the rep's plan — payments and prepayments count, a return credit, a write-off or an advance settled against a shipment do not; a rep sees only their own line; /order/stats measures against the plan")
    func test_003_5_4_1_collectionRateAgainstPlan() throws {
        let a = try f.customer("甲公司", code: "KH-2026-0001", owner: f.rep1)
        let b = try f.customer("乙公司", code: "KH-2026-0002", owner: f.rep2)
        let d = "\(year)-01-15"
        try entry(a, "shipment", 1_000_000, on: d, due: "2099-01-01")
        try entry(a, "payment", 300_000, on: d)
        try entry(a, "prepayment", 100_000, on: d)
        try entry(a, "prepayment_applied", 100_000, on: d)
        try entry(a, "return_credit", 200_000, on: d)
        try entry(a, "bad_debt", 1_000, on: d)
        try entry(b, "shipment", 500_000, on: d, due: "2099-01-01")
        try entry(b, "payment", 500_000, on: d)
        #expect(plan(f.client("fin"), rep: f.rep1, year: year, amount: "8000").status == 303)
        #expect(plan(f.client("fin"), rep: f.rep2, year: year, amount: "5000").status == 303)

        let reps = try Collections.repYears(year: year, context(f.fin, "fin"))
        let one = try #require(reps.first { $0.repID == f.rep1 })
        #expect(one.totals.collected == 400_000)            // 3,000 + 1,000; not the credit, the write-off or the settlement
        #expect(one.plan == 800_000 && one.customers == ["甲公司"])
        let page = f.client("boss").get("/order/collections?year=\(year)").body
        #expect(page.contains("50.0%"))                      // 4,000 ÷ 8,000
        #expect(page.contains("张专员") && page.contains("李专员"))
        // A rep sees only their own line (record-level rule).
        let mine = f.client("rep2").get("/order/collections?year=\(year)").body
        #expect(mine.contains("李专员") && mine.contains("50.0%") == false && mine.contains("100.0%"))
        #expect(!mine.contains("张专员"))
        // /order/stats: collected ÷ every rep's plan (9,000 ÷ 13,000), not ÷ shipments (9,000 ÷ 15,000).
        let stats = f.client("boss").get("/order/stats?year=\(year)").body
        #expect(stats.contains("69.2%（本年回款 ¥9,000.00 / 回款额度 ¥13,000.00"))
        // A rep's /order/stats measures their own customers against their own plan.
        #expect(f.client("rep1").get("/order/stats?year=\(year)").body.contains("50.0%（本年回款 ¥4,000.00 / 回款额度 ¥8,000.00，本人的年度回款额度"))
        #expect(!page.contains("负责人不是在职业务员"))
        // 003 §5.5.1 "所有债权有人追": a customer whose owner is not an active rep is flagged.
        let c = try f.customer("丙公司", code: "KH-2026-0003", owner: f.prod)
        try entry(c, "shipment", 10_000, on: d, due: "2099-01-01")
        #expect(f.client("boss").get("/order/collections?year=\(year)").body.contains("负责人不是在职业务员，须重新分配这些客户"))
        let csv = f.client("fin").get("/order/collections?year=\(year)&format=csv")
        #expect(csv.body.contains("回款率") && csv.body.contains("张专员"))
    }

    @Test("003 §5.4.2–§5.4.5: for a chosen year as of its end — the receivable at 31 December ÷ the year's shipments, losses (the year's write-offs) and doubtful accounts (overdue over a year) each in ‰ against 5‰, customers over their line at the year's end; later entries do not count")
    func test_003_5_4_yearEndKPIs() throws {
        let a = try f.customer("甲公司", code: "KH-2026-0001", owner: f.rep1, ratingClass: "D")   // line 15万
        let last = year - 1
        // Two years ago: a shipment due long ago, never paid (doubtful at last year's end).
        try entry(a, "shipment", 200_000, on: "\(last - 1)-03-01", due: "\(last - 1)-04-01")
        // Last year: shipped 200,000.00, collected 20,000.00, wrote off 1,200.00.
        try entry(a, "shipment", 20_000_000, on: "\(last)-06-01", due: "\(last)-07-01")
        try entry(a, "payment", 2_000_000, on: "\(last)-08-01")
        try entry(a, "bad_debt", 120_000, on: "\(last)-12-30")
        // This year: paid more (after last year's end: not in last year's figures).
        try entry(a, "payment", 5_000_000, on: "\(year)-01-02")
        let k = try OrderStatsPages.kpis(year: last, context(f.boss, "boss", roles: [.salesManager]))
        #expect(k.shipped == "200,000.00" && k.paid == "20,000.00")
        // 2,000 + 200,000 − 20,000 − 1,200 at 31 December.
        #expect(k.outstanding == "180,800.00" && k.asOf == "\(last)-12-31")
        #expect(k.receivablesPct == "90.4%")
        #expect(k.losses == "1,200.00" && k.lossPermille == "6.0‰" && k.lossOver)
        // The 2,000.00 due more than a year before the year's end is settled first by the payment (FIFO): nothing doubtful.
        #expect(k.doubtful == "0.00" && !k.doubtfulOver)
        #expect(k.overCount == 1 && k.overNames == "甲公司")   // 180,800 > 150,000
        #expect(k.collection == "—" && k.plan == "未下达")

        // A customer never paid for two years: doubtful 0.5‰ over the target? 3,000 of 200,000 = 15‰.
        let b = try f.customer("乙公司", code: "KH-2026-0002", owner: f.rep1, ratingClass: "A")
        try entry(b, "shipment", 300_000, on: "\(last - 1)-01-10", due: "\(last - 1)-02-10")
        let k2 = try OrderStatsPages.kpis(year: last, context(f.boss, "boss", roles: [.salesManager]))
        #expect(k2.doubtful == "3,000.00" && k2.doubtfulPermille == "15.0‰" && k2.doubtfulOver)
        let page = f.client("boss").get("/order/stats?year=\(last)").body
        #expect(page.contains("货款损失率") && page.contains("呆坏账率") && page.contains("\(last)-12-31") && page.contains("超过 5‰"))
    }

    @Test("003 §8.1.4–§8.1.5: 3‰ of a mature customer's monthly collections (first shipped before the year; a return credit is not a collection) and 3‰ of the month's new-product sales for any customer; a monthly report finance exports as CSV; a rep sees only their own line")
    func test_003_8_1_4_8_1_5_monthlyBonus() throws {
        let mature = try f.customer("甲公司", code: "KH-2026-0001", owner: f.rep1)
        let fresh = try f.customer("乙公司", code: "KH-2026-0002", owner: f.rep2)
        let thisMonth = String(format: "%04d-%02d", today.year, today.month)
        let day = today.description
        try entry(mature, "shipment", 50_000_000, on: "\(year - 1)-05-01", due: "2099-01-01")
        try entry(mature, "payment", 10_000_050, on: day)          // 100,000.50 → 300.00 (rounded)
        try entry(mature, "return_credit", 1_000_000, on: day)     // not a collection
        try entry(fresh, "shipment", 2_000_000, on: day, due: "2099-01-01")
        try entry(fresh, "payment", 1_000_000, on: day)            // a customer developed this year: no §8.1.4 bonus
        // A new product of the year sold to the new customer (§8.1.5: new or old customer alike).
        let pid = try f.product("新型阀门", spec: "φ20", listFen: 10_000)
        let fin = f.client("fin")
        fin.get("/order/collections/new-products")
        #expect(fin.submit("/order/collections/new-products", [("product_id", "999999"), ("year", String(year))]).status == 422)
        #expect(fin.submit("/order/collections/new-products", [("product_id", String(pid)), ("year", String(year))]).status == 303)
        #expect(try f.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'order.new_product'") == 1)
        try f.contract(fresh, no: "HT-002")
        let rep2 = f.client("rep2")
        let id = try f.order(rep2, code: "KH-2026-0002", lines: [("新型阀门", "30", "100")])
        #expect(f.act(f.client("boss"), id, "release").status == 303)
        let line = try #require(try f.db.scalar("SELECT id FROM order_lines WHERE order_id = \(id)"))
        #expect(try f.db.scalar("SELECT product_id FROM order_lines WHERE id = \(line)") == pid)
        rep2.get("/order/orders/\(id)/deliveries/new")
        #expect(rep2.submit("/order/orders/\(id)/deliveries/new", [("delivered_on", day), ("lines.0.line_id", String(line)),
                                                                   ("lines.0.qty", "30")]).status == 303)

        let rows = try Collections.bonus(year: today.year, month: today.month, context(f.fin, "fin"))
        let one = try #require(rows.first { $0.repID == f.rep1 })
        #expect(one.matureCollected == 10_000_050 && one.collectionBonus == 30_000 && one.newProductBonus == 0)
        let two = try #require(rows.first { $0.repID == f.rep2 })
        #expect(two.matureCollected == 0 && two.otherCollected == 1_000_000 && two.collectionBonus == 0)
        #expect(two.newProductSales == 300_000 && two.newProductBonus == 900)   // 3,000.00 × 3‰ = 9.00
        let csv = fin.get("/order/collections/bonus?month=\(thisMonth)&format=csv")
        #expect(csv.status == 200 && csv.body.contains("回款提成") && csv.body.contains("300.00") && csv.body.contains("9.00"))
        let own = f.client("rep1").get("/order/collections/bonus?month=\(thisMonth)").body
        #expect(own.contains("张专员") && !own.contains("李专员"))
    }

    @Test("Collections helpers: per-mille rounding half up to the 分, overflow refused; month parsing")
    func test_003_8_1_4_permilleRounding() throws {
        #expect(try Collections.permille(166, 3) == 0)      // 0.498 分
        #expect(try Collections.permille(167, 3) == 1)      // 0.501 分
        #expect(try Collections.permille(100_000_000, 3) == 300_000)
        #expect(throws: (any Error).self) { try Collections.permille(Int64.max, 3) }
        #expect(Collections.parseMonth("2026-13") == nil && Collections.parseMonth("2026-02")?.month == 2)
    }
}
