import Foundation
import Testing
import SalesKit
@testable import OrderingModule

/// The pure rules of branch ordering (RULES §2.2; 002 订货管理规定 §5–§8).
@Suite struct BranchMathTests {
    func point(_ year: Int, _ month: Int, _ sales: [String: Int64], transit: Int64) -> Int64 {
        BranchMath.reorderPoint(year: year, month: month, sales: sales, transitDays: transit).point
    }

    @Test("002 订货管理规定 §6 + RULES decision: reorder point = ceil(max(last month, same month last year) × transit days)")
    func reorderPointTakesTheLarger() {
        // March 2026: last month = Feb 2026 (28 days), same month last year = Mar 2025 (31 days).
        #expect(point(2026, 3, ["2026-02": 280, "2025-03": 279], transit: 3) == 30)   // 10/day beats 9/day
        #expect(point(2026, 3, ["2026-02": 100, "2025-03": 310], transit: 2) == 20)   // 10/day last year beats 3.57/day
        // Exact products are not rounded up; anything above is.
        #expect(point(2026, 3, ["2026-02": 280], transit: 3) == 30)
        #expect(point(2026, 3, ["2026-02": 281], transit: 3) == 31)                   // 843/28 = 30.1 → 31
        #expect(point(2026, 3, ["2026-02": 29], transit: 3) == 4)                     // 87/28 = 3.1 → 4
        // No demand or no transit time → 0.
        #expect(point(2026, 3, [:], transit: 5) == 0)
        #expect(point(2026, 3, ["2026-02": 280], transit: 0) == 0)
        let b = BranchMath.reorderPoint(year: 2026, month: 3, sales: ["2026-02": 280, "2025-03": 310], transitDays: 4)
        #expect(b.lastMonth.description == "10.00")
        #expect(b.sameMonthLastYear.description == "10.00")
        #expect(b.point == 40)
    }

    @Test("002 订货管理规定 §6: average daily sales divide by the month's own days (leap February 29, short months 30, January across the year)")
    func averageDailySalesUseTheMonthLength() {
        // April 2024 plan: last month is March 2024 (31 days).
        #expect(BranchMath.averageDaily(quantity: 31, year: 2024, month: 3) == .init(quantity: 31, days: 31))
        // Leap February: 290 in Feb 2024 is 10/day (with 28 days it would be 10.36/day → 11).
        #expect(point(2024, 3, ["2024-02": 290], transit: 1) == 10)
        #expect(point(2025, 3, ["2025-02": 290], transit: 1) == 11)                   // Feb 2025 has 28 days
        // Same month last year in a leap February: plan Feb 2025 looks at Feb 2024 (29 days).
        #expect(point(2025, 2, ["2024-02": 29], transit: 7) == 7)
        #expect(point(2025, 2, ["2024-02": 30], transit: 7) == 8)                     // 210/29 = 7.2 → 8
        // Short month: 31 sold in April (30 days) is 1.03/day → 2 for one day; in a 31-day month it is 1.
        #expect(point(2026, 5, ["2026-04": 31], transit: 1) == 2)
        #expect(point(2026, 6, ["2026-05": 31], transit: 1) == 1)
        // January looks back to December of the year before, and to January of the year before.
        #expect(point(2026, 1, ["2025-12": 62], transit: 3) == 6)
        #expect(point(2026, 1, ["2025-01": 93], transit: 3) == 9)
        #expect(point(2026, 1, ["2026-12": 999, "2024-01": 999], transit: 3) == 0)    // other months do not count
    }

    @Test("002 订货管理规定 §5: order when stock has reached or fallen below the reorder point (= boundary included)")
    func mustOrderAtOrBelow() {
        #expect(BranchMath.mustOrder(onHand: 30, reorderPoint: 30))
        #expect(BranchMath.mustOrder(onHand: 29, reorderPoint: 30))
        #expect(!BranchMath.mustOrder(onHand: 31, reorderPoint: 30))
    }

    @Test("002 订货管理规定 §7: the intent list is due each Friday — a Friday itself, Saturday → next Friday, across the year end")
    func fridayDueDates() {
        func due(_ s: String) -> String { BranchMath.intentDueDate(on: LocalDate(s)!).description }
        #expect(BranchMath.weekday(LocalDate("2026-01-02")!) == 5)                   // a Friday
        #expect(due("2026-01-02") == "2026-01-02")                                   // Friday → itself
        #expect(due("2026-01-03") == "2026-01-09")                                   // Saturday → next Friday
        #expect(due("2026-01-04") == "2026-01-09")                                   // Sunday
        #expect(due("2026-01-05") == "2026-01-09")                                   // Monday
        #expect(due("2026-01-08") == "2026-01-09")                                   // Thursday
        #expect(due("2025-12-31") == "2026-01-02")                                   // across the year end
        #expect(due("2024-02-28") == "2024-03-01")                                   // across a leap day
        let period = BranchMath.intentPeriod(due: LocalDate("2026-01-02")!)
        #expect(period.start.description == "2026-01-05" && period.end.description == "2026-01-11")   // next Monday–Sunday
        // "下班前": 17:30 company time (Asia/Shanghai, UTC+8) = 09:30 UTC.
        let deadline = BranchMath.deadline(due: LocalDate("2026-01-02")!, timeZone: TimeZone(identifier: "Asia/Shanghai")!)
        #expect(Int64(deadline.timeIntervalSince1970) == 1_767_346_200)
    }

    @Test("002 订货管理规定 §8: occupancy + order ≤ limit is within the limit; one 分 more needs the director")
    func capitalLimit() {
        #expect(BranchMath.withinLimit(occupancy: 500_000, order: 500_000, limit: 1_000_000))
        #expect(!BranchMath.withinLimit(occupancy: 500_000, order: 500_001, limit: 1_000_000))
        #expect(BranchMath.withinLimit(occupancy: 0, order: 0, limit: 0))
    }

    @Test("002 订货管理规定 §7: intent vs actual = Σ min(intent, actual) ÷ max(Σ intent, Σ actual)")
    func conformity() {
        #expect(BranchMath.conformity(intended: ["A": 10, "B": 10], ordered: ["A": 10, "B": 10]) == 100)
        #expect(BranchMath.conformity(intended: ["A": 10, "B": 10], ordered: ["A": 10]) == 50)
        #expect(BranchMath.conformity(intended: ["A": 10], ordered: ["A": 10, "C": 30]) == 25)
        #expect(BranchMath.conformity(intended: [:], ordered: [:]) == 100)
        #expect(BranchMath.conformity(intended: ["A": 5], ordered: [:]) == 0)
    }
}
