import CustomerDevelopmentAPI
import Foundation
import SalesKit

/// Collections (回款, issue #14; 003 §5.4, §5.5.1, §8.1.4–§8.1.5, RULES §6 "Collections"): the
/// figures behind the yearly 回款额度 report, the 003 §5.4 KPIs and the monthly 3‰ bonus.
///
/// - **Collected** (回款) is cash received: `payment` and `prepayment` entries (`LedgerKind.isCollection`).
///   A return credit, a bad-debt write-off, an adjustment and an advance settled against a shipment
///   are not collections (RULES §6).
/// - **Whose**: each customer's rep is its owner in the CRM customer directory (`CustomerInfo.ownerID`,
///   003 §5.5.1 "对应负责的客户"). **Decision:** a year's figures are attributed to the customer's
///   rep at the time the report is made (a reassigned customer moves with its history).
/// - **As of the year's end** (003 §5.4.2–§5.4.5): the receivable counts every entry dated up to
///   31 December of the chosen year; shipments, collections and write-offs count those dated in it.
/// - **货款损失** (§5.4.3): **Decision:** the bad-debt write-offs booked in the year (money lost).
/// - **呆帐/坏帐** (§5.4.4): **Decision:** the receivable at the year's end from shipments whose due
///   date was more than `doubtfulDays` before it (逾期一年以上), oldest shipments settled first.
/// - Both ratios are ‰ of the year's shipments, target ≤ 5‰ each.
enum Collections {
    /// 003 §5.4.3, §5.4.4: each at most 5‰ of the year's shipments.
    static let lossTargetPermille: Int64 = 5
    /// 003 §8.1.4, §8.1.5: 3‰ of a mature customer's monthly collections and of new-product sales.
    static let bonusPermille: Int64 = 3
    /// Overdue this many days at the year's end makes a receivable doubtful (呆帐).
    static let doubtfulDays = 365

    /// First and last day of a year (calendar dates in the company time zone, as stored).
    static func bounds(year: Int) -> (from: String, to: String) {
        (LocalDate(year: year, month: 1, day: 1).description, LocalDate(year: year, month: 12, day: 31).description)
    }

    /// First and last day of a month.
    static func bounds(year: Int, month: Int) -> (from: String, to: String) {
        (LocalDate(year: year, month: month, day: 1).description,
         LocalDate(year: year, month: month, day: LocalDate.daysIn(year: year, month: month)).description)
    }

    /// `YYYY-MM` → (year, month), or nil.
    static func parseMonth(_ text: String?) -> (year: Int, month: Int)? {
        guard let text, text.count == 7 else { return nil }
        let parts = text.split(separator: "-")
        guard parts.count == 2, let y = Int(parts[0]), let m = Int(parts[1]), (2000...2100).contains(y), (1...12).contains(m) else {
            return nil
        }
        return (y, m)
    }

    static func monthText(_ year: Int, _ month: Int) -> String { String(format: "%04d-%02d", year, month) }

    /// A year from the query (2000–2100), or the current one.
    static func year(_ text: String?, _ ctx: Context) -> Int {
        Int(text ?? "").flatMap { (2000...2100).contains($0) ? $0 : nil } ?? ctx.today.year
    }

    /// `part ÷ whole` as a percentage or per-mille text, "—" without a base.
    static func ratio(_ part: Int64, _ whole: Int64, scale: Double = 100, unit: String = "%") -> String {
        whole <= 0 ? "—" : String(format: "%.1f", Double(part) / Double(whole) * scale) + unit
    }

    /// `amount × permille ‰`, rounded half up to the 分 (overflow-checked).
    static func permille(_ amount: Int64, _ permille: Int64) throws -> Int64 {
        let scaled = try Stored.multiply(amount, permille)
        let rounded = try Stored.add(scaled, scaled >= 0 ? 500 : -500)
        return rounded / 1000
    }

    /// One customer's figures for a year.
    struct CustomerYear {
        var customerID: Int64
        var shipped: Int64 = 0
        var collected: Int64 = 0
        var writtenOff: Int64 = 0
        /// The receivable at the year's end.
        var receivable: Int64 = 0
        /// The part of it overdue more than `doubtfulDays` (呆帐).
        var doubtful: Int64 = 0
    }

    /// Every visible customer's figures for `year` (one grouped query over the ledger), limited
    /// to `customer` when given.
    static func customerYears(year: Int, customer: Int64? = nil, _ ctx: Context) throws -> [CustomerYear] {
        let (from, to) = bounds(year: year)
        let cutoff = LocalDate(year: year, month: 12, day: 31).adding(days: -doubtfulDays).description
        var filter = try OrderUtil.visibleFilter(ctx)
        if let customer { filter = filter + " AND o.customer_id = \(customer)" }
        let rows = try ctx.db.query("""
            SELECT o.customer_id,
                   COALESCE(SUM(CASE WHEN kind = 'shipment' AND entry_date >= \(from) THEN amount_fen ELSE 0 END), 0) AS shipped,
                   COALESCE(SUM(CASE WHEN kind IN ('payment', 'prepayment') AND entry_date >= \(from) THEN amount_fen ELSE 0 END), 0) AS collected,
                   COALESCE(SUM(CASE WHEN kind = 'bad_debt' AND entry_date >= \(from) THEN amount_fen ELSE 0 END), 0) AS written_off,
                   COALESCE(SUM(\(raw: Ledger.receivableEffect)), 0) AS receivable,
                   COALESCE(SUM(CASE WHEN kind = 'shipment' AND due_on < \(cutoff) THEN amount_fen ELSE 0 END), 0) AS old_due,
                   COALESCE(SUM(\(raw: Ledger.receivableReduction)), 0) AS reduced
            FROM order_ledger o WHERE entry_date <= \(to) AND \(filter)
            GROUP BY o.customer_id ORDER BY o.customer_id
            """)
        return try rows.map { r in
            CustomerYear(customerID: r.int("customer_id") ?? 0, shipped: r.int("shipped") ?? 0, collected: r.int("collected") ?? 0,
                         writtenOff: r.int("written_off") ?? 0, receivable: r.int("receivable") ?? 0,
                         doubtful: max(0, try Stored.subtract(r.int("old_due") ?? 0, r.int("reduced") ?? 0)))
        }
    }

    /// A year's figures added up (a rep's, or every visible customer's).
    struct Totals {
        var shipped: Int64 = 0
        var collected: Int64 = 0
        var writtenOff: Int64 = 0
        var receivable: Int64 = 0
        var doubtful: Int64 = 0

        mutating func add(_ c: CustomerYear) throws {
            shipped = try Stored.add(shipped, c.shipped)
            collected = try Stored.add(collected, c.collected)
            writtenOff = try Stored.add(writtenOff, c.writtenOff)
            receivable = try Stored.add(receivable, c.receivable)
            doubtful = try Stored.add(doubtful, c.doubtful)
        }
    }

    // MARK: Plans (003 §5.5.1)

    /// The yearly 回款额度 of each rep who has one: rep id → 分.
    static func plans(year: Int, _ ctx: Context) throws -> [Int64: Int64] {
        var out: [Int64: Int64] = [:]
        for r in try ctx.db.query("SELECT rep_id, amount_fen FROM order_collection_plans WHERE year = \(year)") {
            out[r.int("rep_id") ?? 0] = r.int("amount_fen") ?? 0
        }
        return out
    }

    /// The reps a plan can be given to: active users holding `order.register` through a role
    /// (those who register orders for their own customers), id → display name.
    static func reps(_ ctx: Context) throws -> [(id: Int64, name: String)] {
        try ctx.db.query("""
            SELECT DISTINCT u.id, u.display_name FROM users u JOIN user_roles ur ON ur.user_id = u.id
            JOIN role_permissions rp ON rp.role_id = ur.role_id
            WHERE u.active = 1 AND rp.permission = \(OrderPages.register.id) ORDER BY u.id
            """).sortedByPinyin { $0.text("display_name") }.map { ($0.int("id") ?? 0, $0.text("display_name")) }
    }

    static func userName(_ id: Int64, _ ctx: Context) throws -> String {
        try ctx.db.first("SELECT display_name FROM users WHERE id = \(id)")?.string("display_name") ?? "#\(id)"
    }

    /// One rep's line of the collection report.
    struct RepYear {
        var repID: Int64
        var name: String
        var plan: Int64?
        var customers: [String] = []
        var totals = Totals()
        /// Whether the owner is an active user who registers orders (003 §5.5.1 "所有客户有人管，
        /// 所有债权有人追": customers of anyone else must be reassigned).
        var isRep = true
    }

    /// The collection report of `year`: one line per rep with a plan or with customers that have
    /// ledger entries; a rep without `viewAll` gets only their own line.
    static func repYears(year: Int, _ ctx: Context) throws -> [RepYear] {
        let plans = try plans(year: year, ctx)
        let dir = try OrderUtil.directory(ctx)
        var reps: [Int64: RepYear] = [:]
        for c in try customerYears(year: year, ctx) {
            guard let info = try dir.customer(id: c.customerID, ctx) else { continue }
            var line = reps[info.ownerID] ?? RepYear(repID: info.ownerID, name: info.ownerName, plan: plans[info.ownerID])
            line.customers.append(info.name)
            try line.totals.add(c)
            reps[info.ownerID] = line
        }
        for (rep, amount) in plans where reps[rep] == nil {
            reps[rep] = RepYear(repID: rep, name: try userName(rep, ctx), plan: amount)
        }
        let active = Set(try Collections.reps(ctx).map(\.id))
        var out = reps.values.map { r -> RepYear in
            var r = r
            r.isRep = active.contains(r.repID)
            return r
        }
        if !OrderUtil.seesAll(ctx) {
            let me = try ctx.requireUser().id
            out = out.filter { $0.repID == me }
        }
        return out.sorted { ($0.name, $0.repID) < ($1.name, $1.repID) }
    }

    // MARK: Bonus (003 §8.1.4, §8.1.5)

    /// One rep's bonus for a month.
    struct RepBonus {
        var repID: Int64
        var name: String
        /// Collections of mature customers in the month (§8.1.4).
        var matureCollected: Int64 = 0
        /// Collections of customers not yet mature (shown, no bonus).
        var otherCollected: Int64 = 0
        /// Shipped value of the year's 新品 in the month (挂帐金额, §8.1.5).
        var newProductSales: Int64 = 0
        var collectionBonus: Int64 = 0
        var newProductBonus: Int64 = 0
        var total: Int64 = 0
    }

    /// The monthly bonus per rep (003 §8.1.4–§8.1.5).
    ///
    /// **Decision (已成熟的客户, §8.1.4):** a customer is mature in a year when it was first shipped
    /// to before that year began (a customer developed this year is not yet mature); only cash
    /// collected (payments, prepayments) counts. **New products (§8.1.5):** the shipped value, at
    /// the order's price, of lines whose product is marked 新品 for that year, mature customer or
    /// not (the 挂帐金额 when shipped: a later return does not reduce it). Each bonus is 3‰, rounded
    /// to the 分.
    static func bonus(year: Int, month: Int, _ ctx: Context) throws -> [RepBonus] {
        let (from, to) = bounds(year: year, month: month)
        let yearStart = bounds(year: year).from
        let filter = try OrderUtil.visibleFilter(ctx)
        let collected = try ctx.db.query("""
            SELECT o.customer_id, COALESCE(SUM(amount_fen), 0) AS collected,
                   (SELECT MIN(s.entry_date) FROM order_ledger s WHERE s.customer_id = o.customer_id AND s.kind = 'shipment') AS first_shipped
            FROM order_ledger o WHERE o.kind IN ('payment', 'prepayment') AND o.entry_date BETWEEN \(from) AND \(to) AND \(filter)
            GROUP BY o.customer_id
            """)
        let newLines = try ctx.db.query("""
            SELECT o.customer_id, dl.qty, l.unit_price_fen
            FROM order_delivery_lines dl JOIN order_deliveries d ON d.id = dl.delivery_id
            JOIN order_lines l ON l.id = dl.line_id JOIN order_orders o ON o.id = l.order_id
            JOIN order_new_products np ON np.product_id = l.product_id AND np.year = \(year)
            WHERE d.delivered_on BETWEEN \(from) AND \(to) AND \(filter)
            """)
        let dir = try OrderUtil.directory(ctx)
        var owners: [Int64: (id: Int64, name: String)] = [:]
        func owner(_ customer: Int64) throws -> (id: Int64, name: String)? {
            if let o = owners[customer] { return o }
            guard let info = try dir.customer(id: customer, ctx) else { return nil }
            owners[customer] = (info.ownerID, info.ownerName)
            return (info.ownerID, info.ownerName)
        }
        var reps: [Int64: RepBonus] = [:]
        for r in collected {
            guard let o = try owner(r.int("customer_id") ?? 0) else { continue }
            var b = reps[o.id] ?? RepBonus(repID: o.id, name: o.name)
            let amount = r.int("collected") ?? 0
            if let first = r.string("first_shipped"), first < yearStart {
                b.matureCollected = try Stored.add(b.matureCollected, amount)
            } else {
                b.otherCollected = try Stored.add(b.otherCollected, amount)
            }
            reps[o.id] = b
        }
        for r in newLines {
            guard let o = try owner(r.int("customer_id") ?? 0) else { continue }
            var b = reps[o.id] ?? RepBonus(repID: o.id, name: o.name)
            b.newProductSales = try Stored.add(b.newProductSales, try Stored.multiply(r.int("qty") ?? 0, r.int("unit_price_fen") ?? 0))
            reps[o.id] = b
        }
        var out: [RepBonus] = []
        for var b in reps.values {
            b.collectionBonus = try permille(b.matureCollected, bonusPermille)
            b.newProductBonus = try permille(b.newProductSales, bonusPermille)
            b.total = try Stored.add(b.collectionBonus, b.newProductBonus)
            out.append(b)
        }
        if !OrderUtil.seesAll(ctx) {
            let me = try ctx.requireUser().id
            out = out.filter { $0.repID == me }
        }
        return out.sorted { ($0.name, $0.repID) < ($1.name, $1.repID) }
    }
}
