import CustomerDevelopmentAPI
import Foundation
import SalesKit

/// Sales reports (issue #14): 销售日报表 and 销售月报表 (001 §2.5 开单员: 每日填报《销售日报表》及
/// 《销售月报表》) and the 客户区域分析表 (002 客户手册 二: 区域 · 名称 · 经营性质 · 销售产品数量), from
/// the orders and the ledger, each with CSV. Every figure is limited to the customers the user may
/// see (`OrderUtil.visibleFilter`). Dates are calendar days in the company time zone, computed in
/// Swift (portable SQL).
enum SalesReports {
    static let counted = OrderStatsPages.counted

    /// One row of a report table: a label and amounts.
    struct Row4: TemplateModel {
        var label: String
        var received: String
        var shipped: String
        var collected: String
        var credited: String
        var isTotal: Bool
    }

    /// Day totals of orders received, shipped, collected and return-credited between two dates,
    /// keyed by day (and the grand total).
    struct Sums {
        var received: Int64 = 0
        var shipped: Int64 = 0
        var collected: Int64 = 0
        var credited: Int64 = 0

        func row(_ label: String, total: Bool = false) -> Row4 {
            Row4(label: label, received: Money.format(received), shipped: Money.format(shipped), collected: Money.format(collected),
                 credited: Money.format(credited), isTotal: total)
        }
        var cells: [String] { [Money.format(received), Money.format(shipped), Money.format(collected), Money.format(credited)] }
    }

    /// Per key (a day, or a customer id as text) the sums between `from` and `to`.
    static func sums(from: String, to: String, byCustomer: Bool, _ ctx: Context) throws -> [String: Sums] {
        let filter = try OrderUtil.visibleFilter(ctx)
        var out: [String: Sums] = [:]
        let orders = try ctx.db.query("""
            SELECT \(raw: byCustomer ? "o.customer_id" : "o.received_on") AS k, COALESCE(SUM(o.total_fen), 0) AS amount
            FROM order_orders o WHERE o.received_on BETWEEN \(from) AND \(to) AND o.state IN (\(list: counted)) AND \(filter)
            GROUP BY \(raw: byCustomer ? "o.customer_id" : "o.received_on")
            """)
        for r in orders { out[key(r), default: Sums()].received = r.int("amount") ?? 0 }
        let ledger = try ctx.db.query("""
            SELECT \(raw: byCustomer ? "o.customer_id" : "o.entry_date") AS k,
                   COALESCE(SUM(CASE WHEN kind = 'shipment' THEN amount_fen ELSE 0 END), 0) AS shipped,
                   COALESCE(SUM(CASE WHEN kind IN ('payment', 'prepayment') THEN amount_fen ELSE 0 END), 0) AS collected,
                   COALESCE(SUM(CASE WHEN kind = 'return_credit' THEN amount_fen ELSE 0 END), 0) AS credited
            FROM order_ledger o WHERE o.entry_date BETWEEN \(from) AND \(to) AND \(filter)
            GROUP BY \(raw: byCustomer ? "o.customer_id" : "o.entry_date")
            """)
        for r in ledger {
            var s = out[key(r)] ?? Sums()
            s.shipped = r.int("shipped") ?? 0
            s.collected = r.int("collected") ?? 0
            s.credited = r.int("credited") ?? 0
            out[key(r)] = s
        }
        return out
    }

    private static func key(_ r: Row) -> String { r.string("k") ?? r.int("k").map { String($0) } ?? "" }

    static func total(_ all: some Sequence<Sums>) throws -> Sums {
        var t = Sums()
        for s in all {
            t.received = try Stored.add(t.received, s.received)
            t.shipped = try Stored.add(t.shipped, s.shipped)
            t.collected = try Stored.add(t.collected, s.collected)
            t.credited = try Stored.add(t.credited, s.credited)
        }
        return t
    }

    static let header = ["项目", "接单金额（元）", "发货金额（元）", "回款（元）", "退货冲减（元，不是回款）"]

    // MARK: 销售日报表

    struct DailyPage: PageModel {
        static let template = "order-report-daily"

        struct Item: TemplateModel {
            var kind: String
            var customer: String
            var reference: String
            var amount: String
        }

        var date: String
        var prev: String
        var next: String
        var items: [Item]
        var day: Row4
        var monthToDate: Row4
    }

    static let daily: Handler = { req, ctx in
        let day = req.query["date"].flatMap { LocalDate($0) } ?? ctx.today
        let d = day.description
        let filter = try OrderUtil.visibleFilter(ctx)
        var items: [DailyPage.Item] = []
        for r in try ctx.db.query("""
            SELECT o.order_no, o.customer_code, o.customer_name, o.total_fen FROM order_orders o
            WHERE o.received_on = \(d) AND o.state IN (\(list: counted)) AND \(filter) ORDER BY o.id
            """) {
            items.append(.init(kind: "接单", customer: "\(r.text("customer_code")) \(r.text("customer_name"))", reference: r.text("order_no"),
                               amount: Money.format(r.int("total_fen") ?? 0)))
        }
        for r in try ctx.db.query("""
            SELECT o.kind, o.amount_fen, o.note, o.customer_id FROM order_ledger o
            WHERE o.entry_date = \(d) AND o.kind IN ('shipment', 'payment', 'prepayment', 'return_credit') AND \(filter)
            ORDER BY CASE o.kind WHEN 'shipment' THEN 1 WHEN 'return_credit' THEN 3 ELSE 2 END, o.id
            """) {
            items.append(.init(kind: LedgerKind.title(r.string("kind")), customer: Ledger.label(r.int("customer_id") ?? 0, ctx),
                               reference: r.text("note"), amount: Money.format(r.int("amount_fen") ?? 0)))
        }
        let today = try total(try sums(from: d, to: d, byCustomer: false, ctx).values)
        let monthStart = LocalDate(year: day.year, month: day.month, day: 1).description
        let mtd = try total(try sums(from: monthStart, to: d, byCustomer: false, ctx).values)
        if req.query["format"] == "csv" {
            let rows = items.map { [$0.kind, $0.customer, $0.reference, $0.amount] }
                + [today, mtd].enumerated().map { i, s in
                    [i == 0 ? "当日合计" : "本月累计", "接单 " + Money.format(s.received), "发货 " + Money.format(s.shipped),
                     "回款 " + Money.format(s.collected), "退货冲减 " + Money.format(s.credited)]
                }
            return .csv(filename: "销售日报表-\(d).csv", CSVTable(header: ["类别", "客户", "单号/摘要", "金额（元）", "退货冲减"], rows: rows))
        }
        return ctx.render(DailyPage(date: d, prev: day.adding(days: -1).description, next: day.adding(days: 1).description, items: items,
                                    day: today.row("当日合计", total: true), monthToDate: mtd.row("本月累计（\(monthStart) 起）", total: true)),
                          title: "销售日报表 \(d)")
    }

    // MARK: 销售月报表

    struct MonthlyPage: PageModel {
        static let template = "order-report-monthly"
        var month: String
        var prev: String
        var next: String
        var days: [Row4]
        var customers: [Row4]
        var total: Row4
    }

    static let monthly: Handler = { req, ctx in
        let today = ctx.today
        let (year, month) = Collections.parseMonth(req.query["month"]) ?? (today.year, today.month)
        let (from, to) = Collections.bounds(year: year, month: month)
        let byDay = try sums(from: from, to: to, byCustomer: false, ctx)
        let byCustomer = try sums(from: from, to: to, byCustomer: true, ctx)
        let days = byDay.keys.sorted().compactMap { k in byDay[k]?.row(k) }
        var customers: [(String, Row4)] = []
        let dir = try OrderUtil.directory(ctx)
        for (k, s) in byCustomer {
            let info = try Int64(k).flatMap { try dir.customer(id: $0, ctx) }
            let label = info.map { [$0.code ?? "", $0.name].filter { !$0.isEmpty }.joined(separator: " ") } ?? "#\(k)"
            customers.append((label, s.row(label)))
        }
        customers.sort { $0.0 < $1.0 }
        let total = try total(byDay.values)
        let label = Collections.monthText(year, month)
        if req.query["format"] == "csv" {
            let rows = days.map { [$0.label, $0.received, $0.shipped, $0.collected, $0.credited] }
                + customers.map { [$0.1.label, $0.1.received, $0.1.shipped, $0.1.collected, $0.1.credited] }
                + [["本月合计"] + total.cells]
            return .csv(filename: "销售月报表-\(label).csv", CSVTable(header: header, rows: rows))
        }
        let prev = month == 1 ? Collections.monthText(year - 1, 12) : Collections.monthText(year, month - 1)
        let next = month == 12 ? Collections.monthText(year + 1, 1) : Collections.monthText(year, month + 1)
        return ctx.render(MonthlyPage(month: label, prev: prev, next: next, days: days, customers: customers.map(\.1),
                                      total: total.row("本月合计", total: true)),
                          title: "销售月报表 \(label)")
    }

    // MARK: 客户区域分析表

    struct RegionPage: PageModel {
        static let template = "order-report-regions"

        struct Line: TemplateModel {
            var region: String
            var customer: String
            var nature: String
            var product: String
            var qty: String
            var amount: String
            var isTotal: Bool
        }

        var year: Int
        var prev: Int
        var next: Int
        var lines: [Line]
    }

    /// The shipped quantity and value per region (the customer's city), customer and product in a
    /// year. 经营性质 is not offered by the customer directory (`CustomerInfo`): shown as 「—」 until it is.
    static let regions: Handler = { req, ctx in
        let year = Collections.year(req.query["year"], ctx)
        let (from, to) = Collections.bounds(year: year)
        let filter = try OrderUtil.visibleFilter(ctx)
        let rows = try ctx.db.query("""
            SELECT o.customer_id, l.product, l.spec, l.unit_price_fen, COALESCE(SUM(dl.qty), 0) AS qty
            FROM order_delivery_lines dl JOIN order_deliveries d ON d.id = dl.delivery_id
            JOIN order_lines l ON l.id = dl.line_id JOIN order_orders o ON o.id = l.order_id
            WHERE d.delivered_on BETWEEN \(from) AND \(to) AND \(filter)
            GROUP BY o.customer_id, l.product, l.spec, l.unit_price_fen
            """)
        struct Key: Hashable { var region: String; var customer: String; var product: String }
        var qty: [Key: Int64] = [:], amount: [Key: Int64] = [:]
        let dir = try OrderUtil.directory(ctx)
        var infos: [Int64: CustomerInfo?] = [:]
        for r in rows {
            let id = r.int("customer_id") ?? 0
            if infos[id] == nil { infos[id] = .some(try dir.customer(id: id, ctx)) }
            let info = infos[id] ?? nil
            let city = info?.city ?? ""
            let k = Key(region: city.isEmpty ? "（未填所在地）" : city, customer: info?.name ?? "#\(id)",
                        product: [r.text("product"), r.text("spec")].filter { !$0.isEmpty }.joined(separator: " "))
            let q = r.int("qty") ?? 0
            qty[k] = try Stored.add(qty[k] ?? 0, q)
            amount[k] = try Stored.add(amount[k] ?? 0, try Stored.multiply(q, r.int("unit_price_fen") ?? 0))
        }
        var lines: [RegionPage.Line] = []
        let keys = qty.keys.sorted { ($0.region, $0.customer, $0.product) < ($1.region, $1.customer, $1.product) }
        var regionQty: Int64 = 0, regionAmount: Int64 = 0
        for (i, k) in keys.enumerated() {
            let q = qty[k] ?? 0, a = amount[k] ?? 0
            lines.append(.init(region: k.region, customer: k.customer, nature: "—", product: k.product, qty: String(q), amount: Money.format(a),
                               isTotal: false))
            regionQty = try Stored.add(regionQty, q)
            regionAmount = try Stored.add(regionAmount, a)
            if i == keys.count - 1 || keys[i + 1].region != k.region {
                lines.append(.init(region: k.region, customer: "区域小计", nature: "", product: "", qty: String(regionQty),
                                   amount: Money.format(regionAmount), isTotal: true))
                regionQty = 0
                regionAmount = 0
            }
        }
        if req.query["format"] == "csv" {
            return .csv(filename: "客户区域分析表-\(year).csv", CSVTable(header: ["区域", "名称", "经营性质", "销售产品", "数量", "金额（元）"],
                                                                      rows: lines.map { [$0.region, $0.customer, $0.nature, $0.product, $0.qty, $0.amount] }))
        }
        return ctx.render(RegionPage(year: year, prev: year - 1, next: year + 1, lines: lines), title: "客户区域分析表 \(year)")
    }

    static let pages: [any PageModel.Type] = [DailyPage.self, MonthlyPage.self, RegionPage.self]

    static let menu: [MenuItem] = [
        MenuItem("销售日报表", path: "reports/daily", access: .permission(OrderPages.view)),
        MenuItem("销售月报表", path: "reports/monthly", access: .permission(OrderPages.view)),
        MenuItem("客户区域分析表", path: "reports/regions", access: .permission(OrderPages.view)),
    ]

    static func routes(_ r: inout RouteBuilder) {
        r.get("reports/daily", .permission(OrderPages.view), daily)
        r.get("reports/monthly", .permission(OrderPages.view), monthly)
        r.get("reports/regions", .permission(OrderPages.view), regions)
    }
}
