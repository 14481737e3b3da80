import Foundation
import SalesKit

/// 年度订货统计表 (002 第三节): per customer and month 1–12 with half-year and year totals and a
/// bar chart; the sales head's KPIs (003 §5.4).
enum OrderStatsPages {
    static let counted = OrderState.allCases.filter { $0 != .cancelled && $0 != .rejected }.map(\.rawValue)

    /// Detail lines shown on the page (all of them are in the CSV export).
    static let detailLimit = 500

    /// 年度订货统计表 of a year: every visible customer's table (or one customer's), the month
    /// totals with their bar chart, and the KPIs.
    struct StatsPage: PageModel {
        static let template = "order-stats"

        /// One customer's table: its detail lines and month totals.
        struct CustomerTable: TemplateModel {
            var id: Int64
            var name: String
            var code: String
            var owner: String
            var address: String
            var phone: String
            var details: [Cells]
            var months: [String]
            var h1: String
            var h2: String
            var total: String
        }

        /// 003 §5.4 for the chosen year as of its end: collection rate against the 回款额度 (§5.4.1),
        /// receivables as % of the year's shipments (§5.4.2), losses (§5.4.3) and bad/doubtful
        /// accounts (§5.4.4) in ‰ of them, customers over their warning line (§5.4.5).
        struct KPI: TemplateModel {
            /// 回款率 = collected ÷ plan ("—" without a plan).
            var collection: String
            /// The plan it is measured against: every rep's (all-seeing roles), the rep's own, or none for one customer.
            var plan: String
            var planScope: String
            var receivablesPct: String
            var shipped: String
            /// Collected: payments and prepayments (RULES §6: a return credit is not a collection).
            var paid: String
            var outstanding: String
            /// The day the receivable is taken at: the year's end.
            var asOf: String
            var losses: String
            var lossPermille: String
            var lossOver: Bool
            var doubtful: String
            var doubtfulPermille: String
            var doubtfulOver: Bool
            var overCount: Int
            var overNames: String
        }

        var year: Int
        var prev: Int
        var next: Int
        var query: String
        var tables: [CustomerTable]
        var hasTables: Bool
        /// The month totals as a bar chart (axis in 万元/元, values at the bars).
        var chart: BarChart
        var months: [String]
        var h1: String
        var h2: String
        var total: String
        var kpi: KPI
        var customerName: String
        var oneCustomer: Bool
        var truncated: Bool
        var lineCount: Int64
        var shownCount: Int
    }

    static let yearly: Handler = { req, ctx in
        let year = Int(req.query["year"] ?? "").flatMap { (2000...2100).contains($0) ? $0 : nil } ?? ctx.today.year
        // One customer's table (`customer=<id>`, e.g. from the customer's page), or every visible one.
        let customer = req.query["customer"].flatMap { Int64($0) }
        if let customer, try !OrderUtil.maySee(customer: customer, ctx) { throw HTTPError.forbidden }
        let from = String(format: "%04d-01-01", year), to = String(format: "%04d-12-31", year)
        var scope: SQL = "o.received_on BETWEEN \(from) AND \(to) AND o.state IN (\(list: counted)) AND \(try OrderUtil.visibleFilter(ctx))"
        if let customer { scope = scope + " AND o.customer_id = \(customer)" }
        func details(limit: Int) throws -> [Row] {
            try ctx.db.query("""
                SELECT o.customer_id, o.customer_code, o.customer_name, o.received_on, o.planned_delivery,
                       l.product, l.spec, l.qty, l.unit_price_fen, l.amount_fen,
                       (SELECT MAX(d.delivered_on) FROM order_deliveries d WHERE d.order_id = o.id) AS last_delivery
                FROM order_lines l JOIN order_orders o ON o.id = l.order_id
                WHERE \(scope) ORDER BY \(raw: customer == nil ? "o.customer_code, " : "")o.received_on, o.id, l.line_no LIMIT \(limit)
                """)
        }
        func month(_ r: Row) -> Int { Int((r.string("received_on") ?? "").dropFirst(5).prefix(2)) ?? 0 }
        func detailCells(_ r: Row) -> [String] {
            let product: String = (r.string("product") ?? "") + " " + (r.string("spec") ?? "")
            let delivery: String = r.string("last_delivery") ?? r.string("planned_delivery") ?? ""
            return [product, OrderUtil.yuan(r.int("unit_price_fen")), String(r.int("qty") ?? 0), "\(month(r)) 月", delivery,
                    OrderUtil.yuan(r.int("amount_fen"))]
        }
        if req.query["format"] == "csv" {
            let rows = try details(limit: Int(Int32.max)).map { [$0.string("customer_name") ?? ""] + detailCells($0) }
            return .csv(filename: "年度订货统计表-\(year).csv", CSVTable(header: ["客户", "品名规格", "单价", "数量", "订货月份", "交付日期", "总额"], rows: rows))
        }
        // Month totals are summed by the database over every line (the page never loads them all).
        let sums = try ctx.db.query("""
            SELECT o.customer_id, MIN(o.customer_code) AS code, CAST(substr(o.received_on, 6, 2) AS INTEGER) AS m,
                   SUM(l.amount_fen) AS amount, COUNT(*) AS lines
            FROM order_lines l JOIN order_orders o ON o.id = l.order_id
            WHERE \(scope) GROUP BY o.customer_id, m
            """)
        var months: [Int64: [Int64]] = [:]
        var codes: [Int64: String] = [:]
        var lineCount: Int64 = 0
        for r in sums {
            let id = r.int("customer_id") ?? 0, m = Int(r.int("m") ?? 0)
            var row = months[id] ?? [Int64](repeating: 0, count: 12)
            if (1...12).contains(m) { row[m - 1] = try Stored.add(row[m - 1], r.int("amount") ?? 0) }
            months[id] = row
            codes[id] = r.string("code") ?? ""
            lineCount += r.int("lines") ?? 0
        }
        let shown = try details(limit: detailLimit)
        var detailsByCustomer: [Int64: [Cells]] = [:]
        for r in shown { detailsByCustomer[r.int("customer_id") ?? 0, default: []].append(Cells(cells: detailCells(r))) }

        let dir = try OrderUtil.directory(ctx)
        var allMonths = [Int64](repeating: 0, count: 12)
        var tables: [StatsPage.CustomerTable] = []
        for id in months.keys.sorted(by: { (codes[$0] ?? "", $0) < (codes[$1] ?? "", $1) }) {
            let m = months[id] ?? [Int64](repeating: 0, count: 12)   // 12 entries: m[0..<6], m[6..<12] below
            for (i, v) in m.enumerated() { allMonths[i] = try Stored.add(allMonths[i], v) }
            let info = try dir.customer(id: id, ctx)
            let h1 = try Stored.total(m[0..<6]), h2 = try Stored.total(m[6..<12])
            tables.append(StatsPage.CustomerTable(
                id: id, name: info?.name ?? "", code: info?.code ?? codes[id] ?? "", owner: info?.ownerName ?? "",
                address: info?.address ?? "", phone: info?.phone ?? "",
                details: detailsByCustomer[id] ?? [], months: m.map { Money.format($0) },
                h1: Money.format(h1), h2: Money.format(h2), total: Money.format(try Stored.add(h1, h2))))
        }
        // One bar per month, all customers shown (the shared chart: axis, values, screen-reader table).
        let chart = BarChart(id: "order-months", title: "\(year) 年各月订货总额", measure: .money,
                             categories: (1...12).map { "\($0)月" }, series: [.init("订货总额", values: allMonths)])
        let h1 = try Stored.total(allMonths[0..<6]), h2 = try Stored.total(allMonths[6..<12])
        let query = customer.map { "&customer=\($0)" } ?? ""
        let page = StatsPage(
            year: year, prev: year - 1, next: year + 1, query: query, tables: tables, hasTables: !tables.isEmpty,
            chart: chart, months: allMonths.map { Money.format($0) }, h1: Money.format(h1), h2: Money.format(h2),
            total: Money.format(try Stored.add(h1, h2)), kpi: try kpis(year: year, customer: customer, ctx),
            customerName: customer == nil ? "" : (tables.first?.name ?? ""), oneCustomer: customer != nil,
            truncated: lineCount > Int64(shown.count), lineCount: lineCount, shownCount: shown.count)
        return ctx.render(page, title: "年度订货统计表 \(year)")
    }

    /// 003 §5.4 (issue #14) for `year` as of its end (31 December): 回款率 = collected in the year
    /// ÷ the year's 回款额度 (§5.4.1, target 100%; collected = payments and prepayments, RULES §6);
    /// the receivable at the year's end as % of the year's shipments (§5.4.2, target 10–15%); the
    /// year's losses (write-offs, §5.4.3) and the doubtful receivable at its end (overdue more than a
    /// year, §5.4.4), each in ‰ of the year's shipments (≤ 5‰); customers whose receivable at the
    /// year's end is over their warning line (§5.4.5, target none). See `Collections`.
    static func kpis(year: Int, customer: Int64? = nil, _ ctx: Context) throws -> StatsPage.KPI {
        let years = try Collections.customerYears(year: year, customer: customer, ctx)
        var t = Collections.Totals()
        for c in years { try t.add(c) }
        // The plan: one customer has none (plans are per rep); an all-seeing role measures every
        // rep's plan, a rep their own.
        var plan: Int64?
        var scope: String
        if customer != nil {
            scope = "回款额度按业务员下达，单个客户不计回款率"
        } else if OrderUtil.seesAll(ctx) {
            let all = try Collections.plans(year: year, ctx).values
            plan = all.isEmpty ? nil : try Stored.total(all)
            scope = "全部业务员的年度回款额度合计"
        } else {
            plan = try Collections.plans(year: year, ctx)[try ctx.requireUser().id]
            scope = "本人的年度回款额度"
        }
        let dir = try OrderUtil.directory(ctx)
        var over: [String] = []
        for c in years where c.receivable > 0 {
            guard let info = try dir.customer(id: c.customerID, ctx) else { continue }
            let line = try info.ratingClass.flatMap { try dir.classPolicy($0, ctx)?.warningLineFen }
            if line.map({ c.receivable > $0 }) ?? true { over.append(info.name) }
        }
        let target = Collections.lossTargetPermille
        func overTarget(_ part: Int64) throws -> Bool {
            guard t.shipped > 0 else { return false }
            return try Stored.multiply(part, 1000) > Stored.multiply(t.shipped, target)
        }
        return StatsPage.KPI(collection: plan.map { Collections.ratio(t.collected, $0) } ?? "—",
                             plan: plan.map { Money.format($0) } ?? "未下达", planScope: scope,
                             receivablesPct: Collections.ratio(t.receivable, t.shipped),
                             shipped: Money.format(t.shipped), paid: Money.format(t.collected), outstanding: Money.format(t.receivable),
                             asOf: Collections.bounds(year: year).to,
                             losses: Money.format(t.writtenOff), lossPermille: Collections.ratio(t.writtenOff, t.shipped, scale: 1000, unit: "‰"),
                             lossOver: try overTarget(t.writtenOff),
                             doubtful: Money.format(t.doubtful), doubtfulPermille: Collections.ratio(t.doubtful, t.shipped, scale: 1000, unit: "‰"),
                             doubtfulOver: try overTarget(t.doubtful),
                             overCount: over.count, overNames: over.joined(separator: "、"))
    }
}
