import Foundation
import SalesKit

/// §23.4 team award: departments ranked by adopted suggestions ÷ headcount over a calendar
/// quarter (the award meeting is quarterly, §21); the top three get the team award.
///
/// **Decisions.** Adopted = graded 一等–四等 and published, counted in the batch it was finally
/// reviewed in (a reserved suggestion counts where it was adopted), for the department it was
/// submitted from. Departments and headcounts are admin data (`ideas_departments`); a department
/// with headcount 0, or not registered, cannot be ranked. A department with no adopted suggestion
/// is listed but gets no award. Ties: equal ratio → more adopted first, then department name.
enum TeamRanking {
    struct Entry: Equatable, Sendable {
        var department: String
        var headcount: Int
        var adopted: Int
    }

    /// `a` ranks before `b`. Ratios are compared exactly by cross-multiplication.
    static func precedes(_ a: Entry, _ b: Entry) -> Bool {
        // Full width: a stored headcount of any size compares without overflow.
        let l = a.adopted.multipliedFullWidth(by: b.headcount), r = b.adopted.multipliedFullWidth(by: a.headcount)
        if l.high != r.high || l.low != r.low { return (l.high, l.low) > (r.high, r.low) }
        if a.adopted != b.adopted { return a.adopted > b.adopted }
        return a.department < b.department
    }

    /// The rankable departments (headcount > 0), best first.
    static func rank(_ entries: [Entry]) -> [Entry] {
        entries.filter { $0.headcount > 0 }.sorted(by: precedes)
    }

    /// The award winners: the first three ranked departments with at least one adopted suggestion.
    static func winners(_ ranked: [Entry]) -> [Entry] {
        Array(ranked.filter { $0.adopted > 0 }.prefix(3))
    }

    /// A calendar quarter.
    struct Quarter: Equatable, Sendable {
        var year: Int
        var quarter: Int

        init?(year: Int, quarter: Int) {
            guard (2000...2100).contains(year), (1...4).contains(quarter) else { return nil }
            self.year = year
            self.quarter = quarter
        }

        init(containing b: SuggestionCalendar.Batch) {
            year = b.year
            quarter = b.quarter
        }

        var batches: [SuggestionCalendar.Batch] { SuggestionCalendar.batches(year: year, quarter: quarter) }
        var lastBatch: SuggestionCalendar.Batch { batches[2] }
        /// The last day of the quarter.
        var endsOn: LocalDate { lastBatch.reviewDue }
        var previous: Quarter { Quarter(containing: batches[0].previous) }
        var next: Quarter { Quarter(containing: lastBatch.next) }
        var title: String { "\(year) 年第 \(quarter) 季度" }
        var key: String { "\(year)-Q\(quarter)" }
        var query: String { "year=\(year)&quarter=\(quarter)" }
    }

    struct Standings {
        var ranked: [Entry]
        /// Registered with headcount 0.
        var zeroHeadcount: [Entry]
        /// Adopted suggestions from departments that are not registered.
        var unregistered: [Entry]
        var winners: [Entry] { TeamRanking.winners(ranked) }
    }

    static func standings(_ q: Quarter, _ db: any Database) throws -> Standings {
        var adopted: [String: Int] = [:]
        for r in try db.query("""
            SELECT department, COUNT(*) AS n FROM ideas_suggestions
            WHERE published = 1 AND outcome IN ('grade1', 'grade2', 'grade3', 'grade4') AND batch IN (\(list: q.batches.map(\.description)))
            GROUP BY department
            """) {
            adopted[r.string("department") ?? "", default: 0] += Int(r.int("n") ?? 0)
        }
        var entries: [Entry] = []
        for d in try db.query("SELECT name, headcount FROM ideas_departments ORDER BY name") {
            let name = d.string("name") ?? ""
            entries.append(Entry(department: name, headcount: Int(d.int("headcount") ?? 0), adopted: adopted[name] ?? 0))
        }
        let registered = Set(entries.map(\.department))
        let unregistered = adopted.filter { !registered.contains($0.key) }
            .map { Entry(department: $0.key, headcount: 0, adopted: $0.value) }.sorted { $0.department < $1.department }
        return Standings(ranked: rank(entries), zeroHeadcount: entries.filter { $0.headcount <= 0 }, unregistered: unregistered)
    }

    /// `0.250` adopted per person.
    static func ratio(_ e: Entry) -> String {
        e.headcount > 0 ? String(format: "%.3f", Double(e.adopted) / Double(e.headcount)) : "—"
    }
}
