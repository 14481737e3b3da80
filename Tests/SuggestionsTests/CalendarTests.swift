import Testing
@testable import SuggestionsModule
import SalesKit

typealias Batch = SuggestionCalendar.Batch

@Suite struct CalendarTests {
    @Test("002 §19 + RULES §4 decision: submitted on the 20th is in that month's batch, on the 21st in the next")
    func twentiethVersusTwentyFirst() {
        #expect(SuggestionCalendar.batch(forSubmissionOn: LocalDate(year: 2026, month: 3, day: 20)) == Batch(year: 2026, month: 3))
        #expect(SuggestionCalendar.batch(forSubmissionOn: LocalDate(year: 2026, month: 3, day: 21)) == Batch(year: 2026, month: 4))
        #expect(SuggestionCalendar.batch(forSubmissionOn: LocalDate(year: 2026, month: 3, day: 1)) == Batch(year: 2026, month: 3))
    }

    @Test("002 §19: December after the 20th goes to January of the next year")
    func decemberToJanuary() {
        #expect(SuggestionCalendar.batch(forSubmissionOn: LocalDate(year: 2026, month: 12, day: 21)) == Batch(year: 2027, month: 1))
        #expect(Batch(year: 2026, month: 12).next == Batch(year: 2027, month: 1))
        #expect(Batch(year: 2027, month: 1).previous == Batch(year: 2026, month: 12))
    }

    @Test("002 §19: the box opens on the 20th and review is due by month end (February of a leap year)")
    func openAndDue() {
        let feb = Batch(year: 2028, month: 2)
        #expect(feb.opensOn == LocalDate(year: 2028, month: 2, day: 20))
        #expect(feb.reviewDue == LocalDate(year: 2028, month: 2, day: 29))
        #expect(SuggestionCalendar.phase(of: feb, on: LocalDate(year: 2028, month: 2, day: 19)) == .collecting)
        #expect(SuggestionCalendar.phase(of: feb, on: LocalDate(year: 2028, month: 2, day: 20)) == .reviewing)
        #expect(SuggestionCalendar.phase(of: feb, on: LocalDate(year: 2028, month: 2, day: 29)) == .reviewing)
        #expect(SuggestionCalendar.phase(of: feb, on: LocalDate(year: 2028, month: 3, day: 1)) == .overdue)
    }

    @Test("002 §23.2 and §26: praise meeting on the 10th, orders by the 15th, plans by the end of the next month")
    func followingMonthDates() {
        let dec = Batch(year: 2026, month: 12)
        #expect(dec.praiseMeeting == LocalDate(year: 2027, month: 1, day: 10))
        #expect(dec.implementationOrdersDue == LocalDate(year: 2027, month: 1, day: 15))
        #expect(dec.implementationPlanDue == LocalDate(year: 2027, month: 1, day: 31))
        #expect(Batch(year: 2026, month: 1).implementationPlanDue == LocalDate(year: 2026, month: 2, day: 28))
    }

    @Test("002 §21 + decision: the award meeting is every three months, after the quarter; batches crossing a quarter")
    func quarters() {
        #expect(Batch(year: 2026, month: 3).quarter == 1)
        #expect(Batch(year: 2026, month: 4).quarter == 2)
        #expect(SuggestionCalendar.awardMeeting(afterQuarterOf: Batch(year: 2026, month: 2)) == LocalDate(year: 2026, month: 4, day: 10))
        #expect(SuggestionCalendar.awardMeeting(afterQuarterOf: Batch(year: 2026, month: 11)) == LocalDate(year: 2027, month: 1, day: 10))
        // Submitted 21 March → April batch → second quarter.
        #expect(SuggestionCalendar.batch(forSubmissionOn: LocalDate(year: 2026, month: 3, day: 25)).quarter == 2)
        #expect(SuggestionCalendar.batches(year: 2026, quarter: 4).map(\.month) == [10, 11, 12])
    }
}
