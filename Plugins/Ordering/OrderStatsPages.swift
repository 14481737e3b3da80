import Foundation
import SalesKit

/// 年度订货统计表 (002 第三节): per customer and month 1–12 with half-year and year totals and a
/// bar chart; the sales head's KPIs (003 §5.4).
enum OrderStatsPages {
    static let counted = OrderState.allCases.filter { $0 != .cancelled && $0 != .rejected }.map(\.rawValue)

    static let yearly: Handler = { req, ctx in
        let year = Int(req.query["year"] ?? "").flatMap { (2000...2100).contains($0) ? $0 : nil } ?? ctx.today.year
        let from = String(format: "%04d-01-01", year), to = String(format: "%04d-12-31", year)
        let lines = try ctx.db.query("""
            SELECT o.customer_id, o.customer_code, o.customer_name, o.customer_address, o.received_on, o.planned_delivery,
                   l.product, l.spec, l.qty, l.unit_price_fen, l.amount_fen,
                   (SELECT MAX(d.delivered_on) FROM order_deliveries d WHERE d.order_id = o.id) AS last_delivery
            FROM order_lines l JOIN order_orders o ON o.id = l.order_id
            WHERE o.received_on BETWEEN \(from) AND \(to) AND o.state IN (\(list: counted)) AND \(try OrderUtil.visibleFilter(ctx))
            ORDER BY o.customer_code, o.received_on, o.id, l.line_no
            """)
        let dir = try OrderUtil.directory(ctx)
        var customers: [(id: Int64, rows: [Row])] = []
        for l in lines {
            let id = l.int("customer_id") ?? 0
            if let i = customers.firstIndex(where: { $0.id == id }) { customers[i].rows.append(l) } else { customers.append((id, [l])) }
        }
        func month(_ r: Row) -> Int { Int((r.string("received_on") ?? "").dropFirst(5).prefix(2)) ?? 0 }
        var allMonths = [Int64](repeating: 0, count: 12)
        var tables: [[String: Any]] = []
        var csv: [[String]] = []
        for (id, rows) in customers {
            let info = try dir.customer(id: id, ctx)
            var months = [Int64](repeating: 0, count: 12)
            for r in rows where (1...12).contains(month(r)) { months[month(r) - 1] += r.int("amount_fen") ?? 0 }
            for (i, m) in months.enumerated() { allMonths[i] += m }
            let h1 = months[0..<6].reduce(0, +), h2 = months[6..<12].reduce(0, +)
            let details = rows.map { r -> [String] in
                let product: String = (r.string("product") ?? "") + " " + (r.string("spec") ?? "")
                let delivery: String = r.string("last_delivery") ?? r.string("planned_delivery") ?? ""
                let qty = String(r.int("qty") ?? 0)
                return [product, OrderUtil.yuan(r.int("unit_price_fen")), qty, "\(month(r)) 月", delivery, OrderUtil.yuan(r.int("amount_fen"))]
            }
            let name = info?.name ?? (rows.first?.string("customer_name") ?? "")
            csv += details.map { [name] + $0 }
            var table: [String: Any] = ["name": name, "code": info?.code ?? "", "owner": info?.ownerName ?? ""]
            table["address"] = info?.address ?? ""
            table["phone"] = info?.phone ?? ""
            table["details"] = details.map { ["cells": $0] }
            table["months"] = months.map { Money.format($0) }
            table["h1"] = Money.format(h1)
            table["h2"] = Money.format(h2)
            table["total"] = Money.format(h1 + h2)
            tables.append(table)
        }
        if req.query["format"] == "csv" {
            return .csv(filename: "年度订货统计表-\(year).csv", CSVTable(header: ["客户", "品名规格", "单价", "数量", "订货月份", "交付日期", "总额"], rows: csv))
        }
        // SVG bar chart: one bar per month, all customers.
        let maxV = max(allMonths.max() ?? 0, 1)
        let bars = allMonths.enumerated().map { (i, v) -> [String: Any] in
            let h = Int(Double(v) / Double(maxV) * 160)
            return ["x": 40 + i * 45, "y": 180 - h, "h": h, "label": "\(i + 1)月", "lx": 40 + i * 45 + 17, "value": Money.format(v)]
        }
        let h1 = allMonths[0..<6].reduce(0, +), h2 = allMonths[6..<12].reduce(0, +)
        return ctx.render("order-stats", [
            "year": year, "prev": year - 1, "next": year + 1, "tables": tables, "hasTables": !tables.isEmpty, "bars": bars,
            "months": allMonths.map { Money.format($0) }, "h1": Money.format(h1), "h2": Money.format(h2), "total": Money.format(h1 + h2),
            "kpi": try kpis(year: year, ctx),
        ], title: "年度订货统计表 \(year)")
    }

    /// 003 §5.4: collection rate (target 100%), receivables as % of the year's shipped value
    /// (target 10–15%), customers over their warning line (target none).
    static func kpis(year: Int, _ ctx: Context) throws -> [String: Any] {
        let from = String(format: "%04d-01-01", year), to = String(format: "%04d-12-31", year)
        let filter = try OrderUtil.visibleFilter(ctx)
        let shipped = try ctx.db.scalar("SELECT COALESCE(SUM(amount_fen), 0) FROM order_ledger o WHERE kind = 'shipment' AND entry_date BETWEEN \(from) AND \(to) AND \(filter)") ?? 0
        let paid = try ctx.db.scalar("SELECT COALESCE(SUM(amount_fen), 0) FROM order_ledger o WHERE kind = 'payment' AND entry_date BETWEEN \(from) AND \(to) AND \(filter)") ?? 0
        let rows = try OrderLedgerPages.summaryRows(ctx)
        let outstanding = rows.reduce(Int64(0)) { $0 + ($1["outstandingFen"] as? Int64 ?? 0) }
        let over = rows.filter { $0["isOver"] as? Bool == true }
        func pct(_ a: Int64, _ b: Int64) -> String { b == 0 ? "—" : String(format: "%.1f%%", Double(a) / Double(b) * 100) }
        return [
            "collection": pct(paid, shipped), "receivablesPct": pct(outstanding, shipped),
            "shipped": Money.format(shipped), "paid": Money.format(paid), "outstanding": Money.format(outstanding),
            "overCount": over.count, "overNames": over.compactMap { $0["name"] as? String }.joined(separator: "、"),
            "receivablesOK": shipped > 0 && Double(outstanding) / Double(shipped) <= 0.15,
        ]
    }
}
