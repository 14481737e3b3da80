import Foundation
import SalesKit

/// The pure rules of branch ordering (RULES §2.2, 002 订货管理规定 §5–§8), kept free of the
/// database so each can be tested on its own.
enum BranchMath {
    // MARK: Months and days

    /// `YYYY-MM` of a month.
    static func monthKey(year: Int, month: Int) -> String { String(format: "%04d-%02d", year, month) }

    /// Parses `2026-02` into (2026, 2); nil when malformed.
    static func parseMonth(_ text: String) -> (year: Int, month: Int)? {
        let parts = text.split(separator: "-")
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let y = Int(parts[0]), let m = Int(parts[1]),
              (1...12).contains(m), y >= 1900 else { return nil }
        return (y, m)
    }

    /// The month before (year, month).
    static func previousMonth(year: Int, month: Int) -> (year: Int, month: Int) {
        month == 1 ? (year - 1, 12) : (year, month - 1)
    }

    // Date arithmetic lives on SalesKit's LocalDate; these names are kept for the call sites.
    static func dayNumber(_ d: LocalDate) -> Int { d.dayNumber }
    static func date(dayNumber n: Int) -> LocalDate { LocalDate(dayNumber: n) }
    static func adding(_ days: Int, to d: LocalDate) -> LocalDate { d.adding(days: days) }

    /// ISO weekday: 1 = Monday … 7 = Sunday.
    static func weekday(_ d: LocalDate) -> Int { d.weekday }

    // MARK: Reorder point (002 §5–§6 + RULES decision)

    /// A non-negative rational number of units per day, compared and multiplied exactly.
    struct DailyRate: Equatable, CustomStringConvertible {
        var quantity: Int64
        var days: Int64
        var value: Double { days == 0 ? 0 : Double(quantity) / Double(days) }
        /// Shown to two decimals.
        var description: String { String(format: "%.2f", value) }
        /// Exact in 128 bits: stored quantities of any size compare without overflow.
        static func > (a: DailyRate, b: DailyRate) -> Bool {
            let l = a.quantity.multipliedFullWidth(by: b.days), r = b.quantity.multipliedFullWidth(by: a.days)
            return (l.high, l.low) > (r.high, r.low)
        }
    }

    /// Average daily sales of a month: the month's total over its number of days (28–31).
    static func averageDaily(quantity: Int64, year: Int, month: Int) -> DailyRate {
        DailyRate(quantity: max(0, quantity), days: Int64(LocalDate.daysIn(year: year, month: month)))
    }

    /// Daily demand for `month` (002 §6): the larger of last month's average daily sales and the
    /// same month last year's.
    static func dailyDemand(lastMonth: DailyRate, sameMonthLastYear: DailyRate) -> DailyRate {
        sameMonthLastYear > lastMonth ? sameMonthLastYear : lastMonth
    }

    /// ceil(daily demand × transit days), in whole units, computed exactly in integers.
    static func reorderPoint(dailyDemand d: DailyRate, transitDays: Int64) -> Int64 {
        guard d.days > 0, transitDays > 0, d.quantity > 0 else { return 0 }
        // Stored numbers too large for the product saturate (the point is then "always order").
        let (numerator, overflow) = d.quantity.multipliedReportingOverflow(by: transitDays)
        if overflow { return .max }
        return numerator / d.days + (numerator % d.days == 0 ? 0 : 1)
    }

    /// The reorder point of a product for (year, month) from the monthly sales totals
    /// (`sales["YYYY-MM"]`, missing = 0) and the transit days to the branch.
    static func reorderPoint(year: Int, month: Int, sales: [String: Int64], transitDays: Int64) -> Breakdown {
        let (py, pm) = previousMonth(year: year, month: month)
        let last = averageDaily(quantity: sales[monthKey(year: py, month: pm)] ?? 0, year: py, month: pm)
        let lastYear = averageDaily(quantity: sales[monthKey(year: year - 1, month: month)] ?? 0, year: year - 1, month: month)
        let demand = dailyDemand(lastMonth: last, sameMonthLastYear: lastYear)
        return Breakdown(lastMonth: last, sameMonthLastYear: lastYear, demand: demand,
                         point: reorderPoint(dailyDemand: demand, transitDays: transitDays))
    }

    struct Breakdown: Equatable {
        var lastMonth: DailyRate
        var sameMonthLastYear: DailyRate
        var demand: DailyRate
        var point: Int64
    }

    /// 002 §5: order when the stock has reached or fallen below the reorder point.
    static func mustOrder(onHand: Int64, reorderPoint: Int64) -> Bool { onHand <= reorderPoint }

    // MARK: Demand-intent list (002 §7)

    /// The Friday by which the intent list for the next week is due, seen from `d`: `d` itself
    /// when it is a Friday, else the next Friday (a Saturday looks to the Friday six days later).
    static func intentDueDate(on d: LocalDate) -> LocalDate {
        adding((5 - weekday(d) + 7) % 7, to: d)
    }

    /// The week a list due on Friday `due` covers: the next Monday to Sunday.
    static func intentPeriod(due: LocalDate) -> (start: LocalDate, end: LocalDate) {
        (adding(3, to: due), adding(9, to: due))
    }

    /// Close of business on the company clock ("下班前").
    static let closeHour = 17, closeMinute = 30

    /// The instant a list due on `due` becomes overdue: Friday 17:30 in the company time zone.
    static func deadline(due: LocalDate, timeZone: TimeZone) -> Date {
        due.start(in: timeZone).addingTimeInterval(Double(closeHour * 3600 + closeMinute * 60))
    }

    // MARK: Capital occupancy limit (002 §8)

    /// Within the limit (occupancy + this order ≤ limit) the order is guaranteed; beyond it, it
    /// waits for the 营销总监.
    static func withinLimit(occupancy: Int64, order: Int64, limit: Int64) -> Bool {
        let (sum, overflow) = occupancy.addingReportingOverflow(order)
        return !overflow && sum <= limit   // a sum past Int64 is past any limit
    }

    // MARK: Intent vs actual (002 §7)

    /// Agreement of an intent list with the actual orders of its week, per product:
    /// Σ min(intended, ordered) ÷ max(Σ intended, Σ ordered), in whole percent (100 when both are empty).
    static func conformity(intended: [String: Int64], ordered: [String: Int64]) -> Int {
        // Saturating sums and a 128-bit product: stored quantities of any size give a percentage.
        func total(_ xs: some Sequence<Int64>) -> Int64 {
            xs.reduce(Int64(0)) { s, x in let (r, o) = s.addingReportingOverflow(x); return o ? (x < 0 ? .min : .max) : r }
        }
        let totalI = total(intended.values), totalO = total(ordered.values)
        let denominator = max(totalI, totalO)
        guard denominator > 0 else { return 100 }
        // Σ min ≤ Σ intended ≤ denominator; clamped as well, so the quotient is 0…100 and fits.
        let matched = min(max(0, total(intended.map { min($0.value, ordered[$0.key] ?? 0) })), denominator)
        let (q, _) = denominator.dividingFullWidth(matched.multipliedFullWidth(by: 100))
        return Int(q)
    }
}
