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
        for path in ["/order/orders/new", "/order/contracts"] {
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
