import Foundation
import Testing
import OrderingAPI
import SalesHost
import SalesKit
import SalesTesting
@testable import OrderingModule

/// 对账单 (003 §5.5.2.4, RULES §6 "Statements of account") and the sales reports (issue #14:
/// 销售日报表 / 销售月报表, 001 §2.5; 客户区域分析表, 002 客户手册 二).
@Suite struct StatementTests {
    let f: OrderFixture
    init() throws { f = try OrderFixture() }

    static let zone = TimeZone(identifier: "Asia/Shanghai") ?? .current
    var today: LocalDate { LocalDate(date: Date(), timeZone: Self.zone) }
    /// Last month (the one normally reconciled): year, month and `YYYY-MM`.
    var last: (year: Int, month: Int, text: String) {
        let y = today.month == 1 ? today.year - 1 : today.year, m = today.month == 1 ? 12 : today.month - 1
        return (y, m, String(format: "%04d-%02d", y, m))
    }
    func day(_ d: Int) -> String { "\(last.text)-" + String(format: "%02d", d) }

    func entry(_ cid: Int64, _ kind: String, _ fen: Int64, on: String) throws {
        try f.db.execute("""
            INSERT INTO order_ledger (customer_id, kind, amount_fen, entry_date, due_on, note, created_by, created_at)
            VALUES (\(cid), \(kind), \(fen), \(on), '2099-01-01', \(LedgerKind.title(kind)), \(f.fin), 0)
            """)
    }

    func confirm(_ c: TestClient, _ cid: Int64, month: String, _ fields: [(String, String)]) -> TestClient.Response {
        c.get("/order/statements/\(cid)/confirm?month=\(month)")
        return c.submit("/order/statements/\(cid)/confirm?month=\(month)", fields)
    }

    @Test("003 §5.5.2.4: the monthly 对账单 — opening balance, every movement of the month from the ledger, closing balance; a return credit and payments bring it to 0 (零元整); printable; a rep of another customer gets 403")
    func test_003_5_5_2_4_statementBalancesToZero() throws {
        let cid = try f.customer()
        try f.customer("乙公司", code: "KH-2026-0002", owner: f.rep2)
        try entry(cid, "shipment", 100_000, on: "2020-01-05")          // before the month: the opening balance
        try entry(cid, "shipment", 50_000, on: day(5))
        try entry(cid, "payment", 80_000, on: day(10))
        try entry(cid, "prepayment", 10_000, on: day(12))
        try entry(cid, "prepayment_applied", 10_000, on: day(12))      // settling the advance: not a movement between the parties
        // A return credit booked by the after-sales module (its service), in that month.
        let noon = day(20) + " 12:00"
        let when = try #require(OrderUtil.parseLocalTime(noon, f.t.context(module: "order")))
        let ctx = f.t.context(module: "order", user: User(id: f.fin, username: "fin", displayName: "钱会计", roles: [], permissions: []),
                              now: Date(timeIntervalSince1970: Double(when)))
        _ = try OrderReceivablesService().credit(customerID: cid, amountFen: 60_000, reference: "退货 TH-001", ctx)

        let s = try Statements.statement(customer: cid, year: last.year, month: last.month, ctx)
        #expect(s.opening == 100_000 && s.closing == 0)
        #expect(s.debits == 50_000 && s.credits == 150_000)
        #expect(s.movements.map(\.kind) == ["发货", "收款", "预收款", "退货冲减"])
        let page = f.client("rep1").get("/order/statements/\(cid)?month=\(last.text)")
        #expect(page.status == 200)
        #expect(page.body.contains("class=\"paper\"") && page.body.contains("对账单") && page.body.contains("期初余额"))
        #expect(page.body.contains("1,000.00") && page.body.contains("退货冲减") && page.body.contains("零元整") && page.body.contains("双方账款已结清"))
        #expect(!page.body.contains("预收款冲抵发货"))
        #expect(f.client("rep2").get("/order/statements/\(cid)?month=\(last.text)").status == 403)
        let csv = f.client("rep1").get("/order/statements/\(cid)?month=\(last.text)&format=csv").body
        #expect(csv.contains("期初余额") && csv.contains("期末余额") && csv.contains("零元整"))
        // A balance left shows its 人民币大写.
        try entry(cid, "shipment", 100_500, on: day(25))
        #expect(f.client("rep1").get("/order/statements/\(cid)?month=\(last.text)").body.contains("壹仟零伍元整"))
    }

    @Test("003 §5.5.2.4: the customer's confirmation is recorded by the rep or finance (who, when, confirmed / disputed with a note), audited; a dispute needs a note (422, values kept); a month not yet ended 409; a later change of the month shows beside it")
    func test_003_5_5_2_4_confirmationRecorded() throws {
        let cid = try f.customer()
        try entry(cid, "shipment", 100_000, on: day(3))
        let rep = f.client("rep1")
        let thisMonth = String(format: "%04d-%02d", today.year, today.month)
        // The rep's to-do: last month's statement of a customer they answer for, not yet answered.
        #expect(rep.get("/").body.contains("\(last.text) 对账单待客户确认：1 户"))
        #expect(!f.client("rep2").get("/").body.contains("对账单待客户确认"))
        let month = rep.get("/order/statements/month").body
        #expect(month.contains("甲公司") && month.contains("未确认") && month.contains("待确认 1 户"))
        #expect(!f.client("rep2").get("/order/statements/month").body.contains("甲公司"))
        #expect(rep.get("/order/statements/\(cid)/confirm?month=\(thisMonth)").status == 409)
        #expect(f.client("prod").get("/order/statements/\(cid)/confirm?month=\(last.text)").status == 403)
        #expect(f.client("rep2").get("/order/statements/\(cid)/confirm?month=\(last.text)").status == 403)
        var r = confirm(rep, cid, month: last.text, [("result", "disputed"), ("confirmed_on", today.description), ("signer", "王会计"), ("note", "")])
        #expect(r.status == 422 && r.body.contains("须写明异议内容") && r.body.contains("王会计"))
        r = confirm(rep, cid, month: last.text, [("result", "confirmed"), ("confirmed_on", day(28)), ("signer", "王会计"), ("note", "")])
        #expect(r.status == 422 && r.body.contains("确认日期须在对账月份结束"))
        r = confirm(rep, cid, month: last.text, [("result", "confirmed"), ("confirmed_on", today.description), ("signer", "王会计"), ("note", "")])
        #expect(r.status == 303 && r.location == "/order/statements/\(cid)?month=\(last.text)")
        let row = try #require(try f.db.first("SELECT * FROM order_statements WHERE customer_id = \(cid)"))
        #expect(row.string("result") == "confirmed" && row.int("closing_fen") == 100_000 && row.int("recorded_by") == f.rep1)
        #expect(row.string("signer") == "王会计" && row.string("month") == last.text)
        let audit = try #require(try f.db.first("SELECT * FROM audit_log WHERE entity = 'order.statement'"))
        #expect(audit.string("to_state") == "confirmed" && audit.string("username") == "rep1")
        #expect(!rep.get("/").body.contains("对账单待客户确认"))
        #expect(rep.get("/order/statements/month?month=\(last.text)").body.contains("待确认 0 户"))
        var page = rep.get("/order/statements/\(cid)?month=\(last.text)").body
        #expect(page.contains("确认无误") && page.contains("张专员") && !page.contains("账目有变动"))
        // A back-dated entry after the confirmation: flagged.
        try entry(cid, "payment", 40_000, on: day(15))
        page = rep.get("/order/statements/\(cid)?month=\(last.text)").body
        #expect(page.contains("账目有变动") && page.contains("1,000.00"))
        // Finance records the customer's dispute: the record is replaced, the change audited from → to.
        r = confirm(f.client("fin"), cid, month: last.text, [("result", "disputed"), ("confirmed_on", today.description), ("signer", "王会计"),
                                                             ("note", "5 日发货金额有差异")])
        #expect(r.status == 303)
        #expect(try f.db.scalar("SELECT COUNT(*) FROM order_statements") == 1)
        // The dispute is finance's to-do until the customer's confirmation replaces it.
        #expect(f.client("fin").get("/").body.contains("客户对账有异议：1 份对账单"))
        let change = try #require(try f.db.first("SELECT * FROM audit_log WHERE entity = 'order.statement' AND action = 'update'"))
        #expect(change.string("from_state") == "confirmed" && change.string("to_state") == "disputed")
        // Both answers in the statement's 办理记录, titled by the module's audit vocabulary.
        let shown = rep.get("/order/statements/\(cid)?month=\(last.text)").body
        #expect(shown.contains("办理记录") && shown.contains("更新客户对账结果") && shown.contains("确认无误 → 有异议"))
        // The list of answers (ListPage): finance sees it, another rep does not.
        let list = f.client("fin").get("/order/statements").body
        #expect(list.contains("甲公司") && list.contains("有异议"))
        #expect(!f.client("rep2").get("/order/statements").body.contains("甲公司"))
        #expect(confirm(rep, cid, month: last.text, [("result", "confirmed"), ("confirmed_on", today.description), ("signer", "王会计"),
                                                     ("note", "差异已更正")]).status == 303)
        #expect(!f.client("fin").get("/").body.contains("客户对账有异议"))
    }

    @Test("issue #14 reports: 销售日报表 / 销售月报表 (orders received, shipped, collected, return credits apart) and the 客户区域分析表 (region × customer × product quantities), each with CSV, limited to the customers one may see")
    func test_issue14_salesReports() throws {
        let cid = try f.customer()
        try f.db.execute("UPDATE crm_customers SET city = '杭州' WHERE id = \(cid)")
        try f.contract(cid)
        let rep = f.client("rep1")
        let id = try f.order(rep, lines: [("阀门", "10", "100")])
        #expect(f.act(f.client("boss"), id, "release").status == 303)
        let line = try #require(try f.db.scalar("SELECT id FROM order_lines WHERE order_id = \(id)"))
        rep.get("/order/orders/\(id)/deliveries/new")
        #expect(rep.submit("/order/orders/\(id)/deliveries/new", [("delivered_on", today.description), ("lines.0.line_id", String(line)),
                                                                  ("lines.0.qty", "4")]).status == 303)
        try entry(cid, "payment", 30_000, on: today.description)
        let no = try f.order(id).string("order_no") ?? "?"
        let boss = f.client("boss")
        let daily = boss.get("/order/reports/daily").body
        #expect(daily.contains(no) && daily.contains("接单") && daily.contains("收款") && daily.contains("1,000.00"))
        #expect(daily.contains("400.00") && daily.contains("300.00"))
        #expect(boss.get("/order/reports/daily?format=csv").body.contains(no))
        #expect(!f.client("rep2").get("/order/reports/daily").body.contains(no))
        let month = String(format: "%04d-%02d", today.year, today.month)
        let monthly = boss.get("/order/reports/monthly?month=\(month)").body
        #expect(monthly.contains(today.description) && monthly.contains("KH-2026-0001 甲公司") && monthly.contains("本月合计"))
        #expect(boss.get("/order/reports/monthly?month=\(month)&format=csv").body.contains("本月合计"))
        let regions = boss.get("/order/reports/regions?year=\(today.year)").body
        #expect(regions.contains("杭州") && regions.contains("阀门 φ20") && regions.contains("区域小计"))
        let csv = boss.get("/order/reports/regions?year=\(today.year)&format=csv").body
        #expect(csv.contains("区域") && csv.contains("经营性质") && csv.contains("杭州") && csv.contains(",4,") )
        #expect(!f.client("rep2").get("/order/reports/regions?year=\(today.year)").body.contains("杭州"))
    }
}
