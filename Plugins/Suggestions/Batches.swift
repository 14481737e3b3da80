import Foundation
import SalesKit

/// Which batch a suggestion is in, against the published (finalized) batches (RULES §6
/// "Suggestions", 002 §19, §24, §25): a suggestion never joins a published batch — it goes to the
/// next open one and the proposer is told; a deferral (保留) names a valid future batch.
///
/// A batch is **open** until the chair publishes it (a row in `ideas_batches` with
/// `finalized_at`); published batches take no new suggestion and no deferral.
enum Batches {
    typealias Batch = SuggestionCalendar.Batch

    static func isPublished(_ b: Batch, _ ctx: Context) throws -> Bool {
        try ctx.db.first("SELECT 1 AS x FROM ideas_batches WHERE batch = \(b.description) AND finalized_at IS NOT NULL") != nil
    }

    /// The first batch from `b` on (itself included) that is not published. Bounded: the calendar
    /// ends in 2100, and so does the walk (a published batch every month for centuries is not a
    /// state the system can reach; the last batch looked at is returned then).
    static func firstOpen(from b: Batch, _ ctx: Context) throws -> Batch {
        let published = Set(try ctx.db.query("""
            SELECT batch FROM ideas_batches WHERE finalized_at IS NOT NULL AND batch >= \(b.description)
            """).compactMap { $0.string("batch") })
        var candidate = b
        var steps = 0
        while published.contains(candidate.description) && steps < 1200 {
            candidate = candidate.next
            steps += 1
        }
        return candidate
    }

    /// Where a suggestion submitted today goes: the calendar's batch (§19: up to the 20th this
    /// month's, afterwards next month's), or — when that one is already published — the next
    /// open one, with the sentence the proposer is shown.
    struct Placement: Sendable {
        var calendar: Batch
        var batch: Batch
        /// Why the suggestion is not in the calendar's batch (nil when it is).
        var note: String?
    }

    static func forSubmission(_ ctx: Context) throws -> Placement {
        let calendar = ctx.currentBatch
        let open = try firstOpen(from: calendar, ctx)
        guard open != calendar else { return Placement(calendar: calendar, batch: open, note: nil) }
        let which = calendar == Batch(containing: ctx.today) ? "本月评审批次" : "\(calendar.description) 批次"
        return Placement(calendar: calendar, batch: open, note: "\(which)已公布，本建议转入 \(open.description) 批次")
    }

    /// The earliest batch a deferral may name (§25 保留): after the suggestion's batch, not before
    /// this month, and open.
    static func firstDeferral(after b: Batch, _ ctx: Context) throws -> Batch {
        try firstOpen(from: max(b.next, Batch(containing: ctx.today)), ctx)
    }

    /// **Decision** (RULES §6: "a deferral names a valid future batch"): at most a year after the
    /// suggestion's own batch — a deferral is "more study", not a way to park a suggestion for
    /// decades.
    static let deferralMonths = 12

    /// Why `to` cannot take a suggestion of batch `b` deferred today (nil: it can). The messages
    /// are shown next to the 延期至批次 field (422).
    static func deferralProblem(_ to: Batch, from b: Batch, _ ctx: Context) throws -> String? {
        let thisMonth = Batch(containing: ctx.today)
        if to <= b { return "须为 \(b.title) 之后的批次（本建议所在批次为 \(b.description)）" }
        if to < thisMonth { return "\(to.description) 批次已过去，请选择 \(thisMonth.description) 或以后的批次" }
        if try isPublished(to, ctx) {
            return "\(to.description) 批次已公布评审结果，不能再延期至该批次；最近可选 \(try firstDeferral(after: b, ctx).description)"
        }
        var last = b
        for _ in 0..<deferralMonths { last = last.next }
        if to > last { return "延期最多 \(deferralMonths) 个月（至 \(last.description) 批次）" }
        return nil
    }
}
