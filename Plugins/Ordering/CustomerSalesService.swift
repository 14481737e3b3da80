import Foundation
import SalesKit

/// 订货's per-customer sales for 客户开发's 重点客户管理表 (RULES §1.5, 002 第九章 第三节):
/// the shipped value (delivery lines × the order line's price) from 1 January to the day asked,
/// the same days of the year before, and the gross profit over the product master's standard
/// cost (`costKnown` false when a shipped line's product has none).
struct OrderCustomerSales: CustomerSalesFigures {
    func figures(asOf: LocalDate, _ ctx: Context) throws -> [Int64: CustomerSales] {
        let day = String(format: "%02d-%02d", asOf.month, asOf.day)
        let thisYear = (from: "\(asOf.year)-01-01", to: "\(asOf.year)-\(day)")
        let lastYear = (from: "\(asOf.year - 1)-01-01", to: "\(asOf.year - 1)-\(day)")
        func shipped(_ range: (from: String, to: String)) throws -> [Row] {
            try ctx.db.query("""
                SELECT o.customer_id,
                       SUM(dl.qty * l.unit_price_fen) AS sales,
                       SUM(dl.qty * (l.unit_price_fen - COALESCE(p.std_cost_fen, 0))) AS profit,
                       SUM(CASE WHEN p.std_cost_fen IS NULL OR p.std_cost_fen <= 0 THEN 1 ELSE 0 END) AS uncosted
                FROM order_delivery_lines dl
                JOIN order_deliveries d ON d.id = dl.delivery_id
                JOIN order_lines l ON l.id = dl.line_id
                JOIN order_orders o ON o.id = d.order_id
                LEFT JOIN order_products p ON p.name = l.product AND p.spec = l.spec
                WHERE d.delivered_on >= \(range.from) AND d.delivered_on <= \(range.to)
                GROUP BY o.customer_id
                """)
        }
        var out: [Int64: CustomerSales] = [:]
        for r in try shipped(thisYear) {
            guard let id = r.int("customer_id") else { continue }
            out[id] = CustomerSales(sales: r.int("sales") ?? 0, lastYear: 0, profit: r.int("profit") ?? 0,
                                    costKnown: (r.int("uncosted") ?? 0) == 0)
        }
        for r in try shipped(lastYear) {
            guard let id = r.int("customer_id") else { continue }
            out[id, default: CustomerSales(sales: 0, lastYear: 0, profit: 0, costKnown: true)].lastYear = r.int("sales") ?? 0
        }
        return out
    }
}
