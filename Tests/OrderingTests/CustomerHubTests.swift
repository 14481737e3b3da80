import Foundation
import Testing
import SalesKit
import SalesTesting
@testable import OrderingModule

/// Issue #16 point 3: customers are picked, not typed from a cheat-sheet, and the customer page
/// is the hub — its orders and receivables with 登记订单 from there.
@Suite struct CustomerHubTests {
    let f: OrderFixture
    init() throws { f = try OrderFixture() }

    @Test("the order, contract and payment forms offer exactly the customers the user may act on, by code and name")
    func customerPicker() throws {
        try f.customer("甲公司", code: "KH-2026-0001")
        try f.customer("乙公司", code: "KH-2026-0002", owner: f.rep2)
        try f.customer("丙意向", code: "KH-2026-0003", status: "prospect")
        let rep = f.client("rep1")
        for path in ["/order/orders/new", "/order/contracts/new"] {
            #expect(rep.get(path).body.contains("list=\"f-customer_code-list\""), "\(path)")
        }
        #expect(f.client("fin").get("/order/payments/new").body.contains("<option value=\"KH-2026-0001\">甲公司"))
        let order = rep.get("/order/orders/new").body
        #expect(order.contains("<datalist id=\"f-customer_code-list\"><option value=\"KH-2026-0001\">甲公司（C 类）</option>"))
        #expect(!order.contains("乙公司"), "another rep's customer is not offered")
        #expect(!order.contains("您可订货的客户"), "no cheat-sheet below the form any more")
        // A rep with no approved customer is told why, beside the field (not only 「此项为必填项」).
        _ = try f.t.addUser("rep3", roles: [.salesRep], displayName: "新专员")
        let empty = f.client("rep3").get("/order/orders/new").body
        #expect(empty.contains("您名下暂无已认定（有客户代码）的客户"))
        #expect(!empty.contains("<datalist id=\"f-customer_code-list\""))
        // A 422 keeps the typed code (the picker is only a help, the code is still checked).
        let bad = f.submitOrder(rep, code: "KH-2026-0002", lines: [("阀门", "1", "10")])
        #expect(bad.status == 422)
        #expect(bad.body.contains("value=\"KH-2026-0002\""))
    }

    @Test("the customer page shows 订单与应收 — latest orders, receivable, overdue — and 登记订单 prefilled with the customer")
    func customerHub() throws {
        let cid = try f.customer()
        try f.contract(cid)
        let rep = f.client("rep1")
        let id = try f.order(rep, lines: [("阀门", "10", "100")])
        let no = try f.order(id).string("order_no") ?? ""
        let page = rep.get("/crm/customers/\(cid)").body
        #expect(page.contains("<h2>订单与应收</h2>"))
        #expect(page.contains("href=\"/order/orders/\(id)\">\(no)</a>"))
        #expect(page.contains("应收余额") && page.contains("已批准合同</span> <b>1 份"))
        #expect(page.contains("href=\"/order/orders/new?customer=KH-2026-0001\">登记订单</a>"))
        #expect(rep.get("/order/orders/new?customer=KH-2026-0001").body.contains("value=\"KH-2026-0001\""))
        // Finance sees the card (it may view orders) but not 登记订单; another rep sees no card.
        let fin = f.client("fin").get("/crm/customers/\(cid)")
        if fin.status == 200 {
            #expect(fin.body.contains("订单与应收") && !fin.body.contains(">登记订单</a>"))
        }
        #expect(!f.client("rep2").get("/crm/customers/\(cid)").body.contains("订单与应收"))
    }
}

/// 订货登记表 (002 第三节): the export and production fields most orders leave empty are folded
/// under one 「更多」 line; a value or an error in one of them unfolds it, so nothing typed is hidden.
@Suite struct OrderFormFoldingTests {
    @Test func test_002_3_rarelyUsedOrderFieldsAreFoldedUnlessFilled() throws {
        let f = try OrderFixture()
        try f.customer("甲公司", code: "KH-2026-0001")
        let rep = f.client("rep1")
        let blank = rep.get("/order/orders/new").body
        #expect(blank.contains("<details class=\"more-fields\">"), "closed when nothing in it is filled")
        #expect(blank.contains("<summary>更多（制造单号、生产日期（自）、生产日期（至）、装运日期、押汇日期、运费保险单、退税凭证，选填）</summary>"))
        let summary = try #require(blank.range(of: "<summary>更多"))
        #expect(blank.range(of: "name=\"bill_date\"").map { $0.lowerBound > summary.lowerBound } == true, "押汇日期 is in the folded part")
        #expect(blank.range(of: "name=\"pay_days\"").map { $0.lowerBound < summary.lowerBound } == true, "付款期限 stays in view")
        // A 422 with a folded field typed in: open, the value kept.
        let kept = f.submitOrder(rep, lines: [], extra: [("insurance_no", "PICC-2026-77")])
        #expect(kept.status == 422)
        #expect(kept.body.contains("<details class=\"more-fields\" open>"))
        #expect(kept.body.contains("value=\"PICC-2026-77\""))
        // An error in a folded field (生产日期（至）before（自）): open, the error beside it.
        let wrong = f.submitOrder(rep, lines: [("阀门", "1", "10")],
                                  extra: [("production_from", "2026-03-10"), ("production_to", "2026-03-01")])
        #expect(wrong.status == 422)
        #expect(wrong.body.contains("<details class=\"more-fields\" open>"))
        #expect(wrong.body.contains("生产日期（至）不能早于（自）"))
    }
}
