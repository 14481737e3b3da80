import Foundation
import Testing
import OrderingAPI
import SalesKit
import SalesTesting
@testable import OrderingModule

/// RULES §1.5 / 002 第九章 第三节 (#15): 重点客户管理表's top-10 by sales, growth and margin come
/// from 订货's shipments and the product master's standard cost, through the platform contract
/// `CustomerSalesFigures` that 客户开发 (which 订货 depends on) may read.
@Suite struct CustomerSalesTests {
    let f: OrderFixture
    init() throws { f = try OrderFixture() }

    /// A shipped order line: the order, its line, a delivery of `qty` on `day`.
    func shipped(_ customer: Int64, _ product: String, qty: Int64, priceFen: Int64, on day: String) throws {
        let n = (try f.db.scalar("SELECT COUNT(*) FROM order_orders") ?? 0) + 1
        let order = try f.db.insert("""
            INSERT INTO order_orders (order_no, customer_id, channel, filled_on, received_on, state, created_by, created_at, updated_at)
            VALUES (\("DH-T-\(n)"), \(customer), 'fax', \(day), \(day), 'delivered', \(f.rep1), 0, 0) RETURNING id
            """)
        let line = try f.db.insert("""
            INSERT INTO order_lines (order_id, line_no, product, spec, qty, unit_price_fen, amount_fen)
            VALUES (\(order), 1, \(product), 'φ20', \(qty), \(priceFen), \(qty * priceFen)) RETURNING id
            """)
        let delivery = try f.db.insert("""
            INSERT INTO order_deliveries (order_id, delivered_on, value_fen, created_by, created_at)
            VALUES (\(order), \(day), \(qty * priceFen), \(f.rep1), 0) RETURNING id
            """)
        try f.db.execute("INSERT INTO order_delivery_lines (delivery_id, line_id, qty) VALUES (\(delivery), \(line), \(qty))")
    }

    @Test("RULES §1.5: sales this year to date, the same period last year and the margin over standard cost reach 客户开发")
    func figuresReachTheKeyCustomerTable() throws {
        let a = try f.customer("甲公司", code: "KH-2026-0001")
        let b = try f.customer("乙公司", code: "KH-2026-0002")
        _ = try f.product("阀门", listFen: 100_00, costFen: 60_00)
        try shipped(a, "阀门", qty: 10, priceFen: 100_00, on: "2026-03-01")     // ¥1,000, cost ¥600
        try shipped(a, "阀门", qty: 5, priceFen: 100_00, on: "2025-02-01")      // last year, same period
        try shipped(a, "阀门", qty: 50, priceFen: 100_00, on: "2025-11-01")     // last year, after the period
        try shipped(b, "无成本件", qty: 1, priceFen: 500_00, on: "2026-04-01")   // no standard cost
        // Asked as 客户开发 would: the contract is visible to it although it does not depend on 订货.
        let ctx = f.t.context(module: "crm")
        let service = try #require(ctx.optionalService(CustomerSalesFigures.self))
        let figures = try service.figures(asOf: try #require(LocalDate("2026-06-30")), ctx)
        #expect(figures[a] == CustomerSales(sales: 1_000_00, lastYear: 500_00, profit: 400_00, costKnown: true))
        #expect(figures[b] == CustomerSales(sales: 500_00, lastYear: 0, profit: 500_00, costKnown: false))
        // The page the sales manager reads: ranked by real figures, no "no data" notes.
        let page = f.client("boss").get("/crm/key-customers").body
        #expect(!page.contains("暂无销售数据") && !page.contains("毛利待产品标准成本"))
        let top = try #require(page.range(of: "销售额前10名"))
        #expect(page[top.upperBound...].contains("甲公司"))
        // A module that is not the provider's dependant still cannot see 订货's own services.
        #expect(ctx.optionalService(ProductCatalog.self) == nil)
    }
}
