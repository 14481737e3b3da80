import Foundation
import Testing
import OrderingAPI
import SalesHost
import SalesKit
import SalesTesting
@testable import OrderingModule

/// The product master (issue #14): admin-editable with permission, offered as `ProductCatalog`;
/// order lines pick from it, free text stays possible for a variant never made (001 篇二 §6.2).
@Suite struct ProductTests {
    let f: OrderFixture
    init() throws {
        f = try OrderFixture()
        try f.t.addUser("adm", roles: [.admin], displayName: "管理员")
    }

    func context() -> Context {
        Context(request: Request(method: "GET", path: "/"), user: User(id: f.rep1, username: "rep1", displayName: "张专员", roles: [], permissions: []),
                db: f.db, now: Date(), timeZone: TimeZone(identifier: "Asia/Shanghai")!, module: "order", csrfToken: "",
                resumedForm: nil, host: f.t.worker)
    }

    func save(_ c: TestClient, at path: String = "/order/products/new", _ fields: [(String, String)]) -> TestClient.Response {
        c.get(path)
        return c.submit(path, fields)
    }

    @Test("issue #14 product master: the admin keeps 品名/规格/unit/list price/standard cost/active (others 403), 品名+规格 unique (422, values kept), every change audited; the cost is shown only to its keepers and finance")
    func test_issue14_productMasterKeptWithPermission() throws {
        let adm = f.client("adm"), rep = f.client("rep1")
        #expect(rep.get("/order/products/new").status == 403)
        #expect(save(adm, [("name", "阀门"), ("spec", "φ20"), ("unit", "件"), ("list_price", "120"), ("std_cost", "80.5"), ("active", "1")]).status == 303)
        let id = try #require(try f.db.scalar("SELECT id FROM order_products WHERE name = '阀门' AND spec = 'φ20'"))
        let row = try #require(try f.db.first("SELECT * FROM order_products WHERE id = \(id)"))
        #expect(row.int("list_price_fen") == 12_000 && row.int("std_cost_fen") == 8_050 && row.bool("active") && row.string("unit") == "件")
        let dup = save(adm, [("name", "阀门"), ("spec", "φ20"), ("unit", "套"), ("list_price", "99")])
        #expect(dup.status == 422 && dup.body.contains("产品目录中已有「阀门 φ20」") && dup.body.contains("value=\"99\""))
        // Edit: price up, deactivated; audited with before and after.
        #expect(save(adm, at: "/order/products/\(id)", [("name", "阀门"), ("spec", "φ20"), ("unit", "件"), ("list_price", "125"), ("std_cost", "80.5")]).status == 303)
        let edited = try #require(try f.db.first("SELECT list_price_fen, active FROM order_products WHERE id = \(id)"))
        #expect(edited.int("list_price_fen") == 12_500 && !edited.bool("active"))
        let audit = try #require(try f.db.first("SELECT * FROM audit_log WHERE entity = 'order.product' AND action = 'edit'"))
        #expect(audit.string("from_state")?.contains("¥120.00") == true && audit.string("to_state")?.contains("停用") == true)
        #expect(rep.get("/order/products/\(id)").status == 403)
        // Everyone with the order view reads the list; the cost only the keepers and finance.
        let list = rep.get("/order/products").body
        #expect(list.contains("阀门") && list.contains("125.00") && !list.contains("80.50"))
        #expect(adm.get("/order/products").body.contains("80.50"))
        #expect(f.client("fin").get("/order/products?format=csv").body.contains("80.50"))
        #expect(rep.get("/order/prices").location == "/order/products")
    }

    @Test("issue #14: the product master is offered to other modules as ProductCatalog (active products for pickers)")
    func test_issue14_productCatalogService() throws {
        try f.product("阀门", listFen: 12_000, costFen: 8_000)
        try f.product("法兰", spec: "DN50", listFen: 3_000, active: false)
        let catalog = try #require(context().optionalService(ProductCatalog.self))
        let ctx = context()
        #expect(try catalog.product(name: "阀门", spec: "φ20", ctx)?.listPriceFen == 12_000)
        #expect(try catalog.search("", limit: 10, ctx).map(\.name) == ["阀门"])
        #expect(try catalog.search("DN", limit: 10, ctx).isEmpty)
        let flange = try #require(try catalog.product(name: "法兰", spec: "DN50", ctx))
        #expect(!flange.active)
        #expect(try catalog.product(id: flange.id, ctx) == flange)
    }

    @Test("issue #14 / 001 篇二 §6.2: order lines pick 品名/规格 from the master (a <datalist>, no JavaScript); a free-text line stays possible and is marked 目录外; an inactive product is refused on its line (422, values kept)")
    func test_issue14_orderLinesPickFromMaster() throws {
        let cid = try f.customer()
        try f.contract(cid)
        let valve = try f.product("阀门", listFen: 10_000)
        try f.product("旧款阀门", listFen: 5_000, active: false)
        let rep = f.client("rep1")
        let form = rep.get("/order/orders/new").body
        #expect(form.contains("list=\"order-products\"") && form.contains("<option value=\"阀门\">φ20 件 ¥100.00</option>"))
        #expect(form.contains("<option value=\"φ20\"></option>") && !form.contains("旧款阀门"))
        let id = try f.order(rep, lines: [("阀门", "10", "100"), ("新型阀门", "2", "150")])
        let lines = try f.db.query("SELECT product_id FROM order_lines WHERE order_id = \(id) ORDER BY line_no")
        #expect(lines.map { $0.int("product_id") } == [valve, nil])
        let page = rep.get("/order/orders/\(id)").body
        #expect(page.components(separatedBy: "目录外").count == 2)
        #expect(rep.get("/order/orders/\(id)/paths").body.contains("目录外"))
        let old = f.submitOrder(rep, lines: [("旧款阀门", "3", "50")])
        #expect(old.status == 422 && old.body.contains("已停用，不能订货") && old.body.contains("value=\"旧款阀门\""))
    }

    @Test("Migration 8: the former price list becomes the list prices of the product master")
    func test_issue14_migration8PriceListIntoMaster() throws {
        try f.db.execute("INSERT INTO order_prices (product, spec, unit_price_fen, updated_at) VALUES ('滤清器', 'LX-100', 4500, 0)")
        let script = OrderMigrations.v8.script
        let start = try #require(script.range(of: "INSERT INTO order_products"))
        let end = try #require(script.range(of: ";", range: start.upperBound..<script.endIndex))
        try f.db.execute(SQL(unsafe: String(script[start.lowerBound..<end.lowerBound])))
        #expect(try f.db.scalar("SELECT list_price_fen FROM order_products WHERE name = '滤清器' AND spec = 'LX-100'") == 4500)
    }
}
