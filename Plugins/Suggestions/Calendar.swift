import Foundation
import SalesKit

/// The suggestion-box calendar (002 第4章 §19, §21, §23.2, §26; RULES §4). Everything is computed
/// from dates in the company time zone — no scheduler is needed.
public enum SuggestionCalendar {
    /// A monthly batch, named by its month `YYYY-MM`. A validated type (issue 12): a value always
    /// has a month 1–12 and a four-digit year, so its name, its dates and its arithmetic never
    /// trap. Text from a form, a URL or the database becomes a batch only through `init?(_:)`.
    public struct Batch: Hashable, Comparable, Sendable, CustomStringConvertible {
        public private(set) var year: Int
        public private(set) var month: Int

        /// The years a batch name may carry when typed or stored (the years the system serves).
        public static let years = 2000...2100

        /// Month arithmetic as a calendar does it: a month past 12 (or below 1) rolls into the
        /// next (previous) year, `Batch(year: 2026, month: 13)` is `2027-01`; the year is kept
        /// within 1…9999. Code computes batches with this; it never validates input.
        public init(year: Int, month: Int) {
            let m = min(max(month, -120_000), 120_000) - 1    // bounded first: nothing below can overflow
            let carry = m >= 0 ? m / 12 : (m - 11) / 12
            self.year = min(max(min(max(year, -200_000), 200_000) + carry, 1), 9999)
            self.month = m - carry * 12 + 1
        }

        /// The batch of a date (its year and month).
        public init(containing day: LocalDate) { self.init(year: day.year, month: day.month) }

        /// Exactly `YYYY-MM` with a month 01–12 and a year in `years`; nil otherwise
        /// (`2026-13`, `2026-00`, `0000-00`, `2026-3`, `+2026-03`).
        public init?(_ text: String) {
            let u = Array(text.utf8)
            guard u.count == 7, u[4] == UInt8(ascii: "-"),
                  u[0..<4].allSatisfy({ (48...57).contains($0) }), u[5..<7].allSatisfy({ (48...57).contains($0) }),
                  let y = Int(String(decoding: u[0..<4], as: UTF8.self)), let m = Int(String(decoding: u[5..<7], as: UTF8.self)),
                  (1...12).contains(m), Self.years.contains(y) else { return nil }
            self.init(year: y, month: m)
        }

        public var description: String { String(format: "%04d-%02d", year, month) }
        public var title: String { "\(year) 年 \(month) 月" }

        public var next: Batch { month == 12 ? Batch(year: year + 1, month: 1) : Batch(year: year, month: month + 1) }
        public var previous: Batch { month == 1 ? Batch(year: year - 1, month: 12) : Batch(year: year, month: month - 1) }

        /// §19: the box is opened on the 20th.
        public var opensOn: LocalDate { LocalDate(year: year, month: month, day: 20) }
        /// §19: the review finishes by month end; §24: results are published then.
        public var reviewDue: LocalDate { LocalDate(year: year, month: month, day: LocalDate.daysIn(year: year, month: month)) }
        /// §23.2: the praise meeting is on the 10th of the next month.
        public var praiseMeeting: LocalDate { LocalDate(year: next.year, month: next.month, day: 10) }
        /// §26.1: implementation orders are issued by the 15th of the following month.
        public var implementationOrdersDue: LocalDate { LocalDate(year: next.year, month: next.month, day: 15) }
        /// §26.2: the department returns the implementation date and method by that month's end.
        public var implementationPlanDue: LocalDate {
            LocalDate(year: next.year, month: next.month, day: LocalDate.daysIn(year: next.year, month: next.month))
        }
        /// The calendar quarter (1–4) the batch belongs to (§21 team award and award meeting).
        public var quarter: Int { (month - 1) / 3 + 1 }

        public static func < (a: Batch, b: Batch) -> Bool { (a.year, a.month) < (b.year, b.month) }
    }

    /// §19: a suggestion submitted on or before the 20th (the day the box is opened) belongs to
    /// that month's batch; from the 21st on, to the next month's. **Decision** (RULES §4 says
    /// "up to the 20th"): the whole 20th counts, in the company time zone.
    public static func batch(forSubmissionOn day: LocalDate) -> Batch {
        let b = Batch(year: day.year, month: day.month)
        return day.day <= 20 ? b : b.next
    }

    /// The batch's state on `today`: collecting until the 19th, open for review from the 20th to
    /// month end, overdue afterwards (until finalized).
    public enum Phase: String, Sendable { case collecting, reviewing, overdue }

    public static func phase(of batch: Batch, on today: LocalDate) -> Phase {
        if today < batch.opensOn { return .collecting }
        if today <= batch.reviewDue { return .reviewing }
        return .overdue
    }

    /// §21: the all-staff award meeting every three months. **Decision**: held with the praise
    /// meeting on the 10th of the month after each quarter ends (Jan, Apr, Jul, Oct), covering that
    /// quarter's batches.
    public static func awardMeeting(afterQuarterOf batch: Batch) -> LocalDate {
        let lastMonth = batch.quarter * 3
        let after = Batch(year: batch.year, month: lastMonth).next
        return LocalDate(year: after.year, month: after.month, day: 10)
    }

    /// The batches (months) of a calendar quarter.
    public static func batches(year: Int, quarter: Int) -> [Batch] {
        (1...3).map { Batch(year: year, month: (quarter - 1) * 3 + $0) }
    }
}
