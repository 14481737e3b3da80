import Foundation
import Testing
@testable import SalesKit

@Suite("Money")
struct MoneyTests {
    @Test(arguments: [
        ("1,234.5", Int64(123450)),
        ("1234.50", 123450),
        ("0.01", 1),
        ("0.1", 10),
        ("12", 1200),
        ("-3", -300),
        ("-0.05", -5),
        ("¥12", 1200),
        ("￥1,000", 100000),
        ("  88.8\t", 8880),
        ("\u{3000}5\u{3000}", 500),
        ("1，234", 123400),
        ("0", 0),
        ("9999999999999.99", 999999999999999),
    ])
    func parsesYuanIntoFen(_ text: String, _ fen: Int64) {
        #expect(Money.parse(text) == fen)
    }

    @Test(arguments: ["12.345", "", " ", "-", "abc", "1.2.3", "1.", ".5", "1e3", "+5", "12a", "1.5a",
                      "¥", "- 3", "--3", "10000000000000", "１２", "0x10", "1.-5"])
    func rejectsInvalidAmounts(_ text: String) {
        #expect(Money.parse(text) == nil)
    }

    @Test func formatGroupsThousandsWithTwoDecimals() {
        #expect(Money.format(123456) == "1,234.56")
        #expect(Money.format(0) == "0.00")
        #expect(Money.format(5) == "0.05")
        #expect(Money.format(10) == "0.10")
        #expect(Money.format(100) == "1.00")
        #expect(Money.format(99999) == "999.99")
        #expect(Money.format(100000) == "1,000.00")
        #expect(Money.format(123456789012) == "1,234,567,890.12")
        #expect(Money.format(-123456) == "-1,234.56")
        #expect(Money.format(-5) == "-0.05")
    }

    @Test func formatWithoutGrouping() {
        #expect(Money.format(123456789, grouping: false) == "1234567.89")
        #expect(Money.format(-100, grouping: false) == "-1.00")
    }

    @Test func formatHandlesInt64Extremes() {
        #expect(Money.format(.min) == "-92,233,720,368,547,758.08")
        #expect(Money.format(.max) == "92,233,720,368,547,758.07")
    }

    @Test func yuanAddsTheSign() {
        #expect(Money.yuan(123456) == "¥1,234.56")
    }

    @Test(arguments: [Int64(0), 1, 99, 100, 123450, -77, 100000000])
    func formatThenParseRoundTrips(_ fen: Int64) {
        #expect(Money.parse(Money.format(fen)) == fen)
        #expect(Money.parse(Money.format(fen, grouping: false)) == fen)
    }

    /// `Character.isASCIIDigitChar` is `("0"..."9").contains(ch)`, which is also true for a digit
    /// followed by a combining mark ("1\u{301}") or a keycap ("1️⃣"). `Money.parse` then force-unwraps
    /// `Int64(whole)!`, which is nil for such text: any user typing that into a money field crashes
    /// the worker process (a remote crash). Expected: nil ("not a number").
    @Test func digitWithCombiningMarkDoesNotCrashMoneyParse() async {
        do {
            await #expect(processExitsWith: .success) {
                // A non-nil result also fails (non-zero exit).
                precondition(Money.parse("1\u{301}") == nil)
                precondition(Money.parse("1.5\u{301}") == nil)
                precondition(Money.parse("1️⃣") == nil)
            }
        }
    }
}

@Suite("LocalDate")
struct LocalDateTests {
    @Test func leapDays() {
        #expect(LocalDate("2026-02-29") == nil)
        #expect(LocalDate("2024-02-29") == LocalDate(year: 2024, month: 2, day: 29))
        #expect(LocalDate("2000-02-29") != nil, "divisible by 400 is a leap year")
        #expect(LocalDate("1900-02-29") == nil, "divisible by 100 but not 400 is not")
        #expect(LocalDate("2026-02-28") != nil)
    }

    @Test func acceptedSeparatorsAndShortMonthDay() {
        let d = LocalDate(year: 2026, month: 1, day: 5)
        #expect(LocalDate("2026-01-05") == d)
        #expect(LocalDate("2026/1/5") == d)
        #expect(LocalDate("2026-1-5") == d)
        #expect(LocalDate("2026.01.05") == d)
    }

    @Test(arguments: ["", "2026", "2026-01", "26-01-05", "02026-01-05", "2026-00-10", "2026-13-01", "2026-04-31",
                      "2026-01-00", "2026-01-32", "abcd-01-01", "2026-01-05-01", "2026-1a-05", "2026-06-31"])
    func rejectsInvalidDates(_ text: String) {
        #expect(LocalDate(text) == nil)
    }

    @Test func daysInMonth() {
        #expect(LocalDate.daysIn(year: 2026, month: 1) == 31)
        #expect(LocalDate.daysIn(year: 2026, month: 2) == 28)
        #expect(LocalDate.daysIn(year: 2028, month: 2) == 29)
        #expect(LocalDate.daysIn(year: 2026, month: 4) == 30)
        #expect(LocalDate.daysIn(year: 2026, month: 12) == 31)
    }

    @Test func descriptionIsZeroPaddedISO() {
        #expect(LocalDate(year: 2026, month: 3, day: 7).description == "2026-03-07")
    }

    @Test func ordering() {
        let a = LocalDate(year: 2025, month: 12, day: 31)
        let b = LocalDate(year: 2026, month: 1, day: 1)
        let c = LocalDate(year: 2026, month: 1, day: 2)
        #expect(a < b && b < c)
        #expect(!(c < a))
        #expect([c, a, b].sorted() == [a, b, c])
    }

    @Test func fromDateUsesTheGivenTimeZone() throws {
        // 2026-01-01T17:00:00Z is already 2026-01-02 in Shanghai (UTC+8).
        let instant = Date(timeIntervalSince1970: 1_767_286_800)
        let shanghai = try #require(TimeZone(identifier: "Asia/Shanghai"))
        let utc = try #require(TimeZone(identifier: "UTC"))
        #expect(LocalDate(date: instant, timeZone: shanghai) == LocalDate(year: 2026, month: 1, day: 2))
        #expect(LocalDate(date: instant, timeZone: utc) == LocalDate(year: 2026, month: 1, day: 1))
    }

    @Test func startOfDayInTimeZone() throws {
        let shanghai = try #require(TimeZone(identifier: "Asia/Shanghai"))
        let start = LocalDate(year: 2026, month: 1, day: 2).start(in: shanghai)
        #expect(start.timeIntervalSince1970 == 1_767_283_200) // 2026-01-01T16:00:00Z
    }
}

@Suite("FormValues")
struct FormValuesTests {
    @Test func typedAccessors() {
        let file = UploadedFile(fieldName: "f", filename: "a.txt", contentType: "text/plain", data: [1])
        let v = FormValues([
            "name": .text("张三"), "qty": .integer(3), "price": .money(123456), "day": .date(LocalDate(year: 2026, month: 1, day: 5)),
            "ok": .bool(true), "tags": .list(["a", "b"]), "f": .file(file), "blank": .empty,
            "lines": .rows([FormValues(["qty": .integer(1)])]),
        ])
        #expect(v.string("name") == "张三")
        #expect(v.string("qty") == "3")
        #expect(v.string("price") == "1234.56", "money string is ungrouped, for storing")
        #expect(v.string("day") == "2026-01-05")
        #expect(v.string("blank") == "")
        #expect(v.optionalString("blank") == nil)
        #expect(v.optionalString("missing") == nil)
        #expect(v.optionalString("name") == "张三")
        #expect(v.int("qty") == 3)
        #expect(v.int("name") == nil)
        #expect(v.money("price") == 123456)
        #expect(v.money("qty") == nil)
        #expect(v.date("day") == LocalDate(year: 2026, month: 1, day: 5))
        #expect(v.bool("ok"))
        #expect(!v.bool("missing"))
        #expect(v.list("tags") == ["a", "b"])
        #expect(v.list("name") == [])
        #expect(v.file("f") == file)
        #expect(v.rows("lines").first?.int("qty") == 1)
        #expect(v["missing"] == .empty)
    }

    @Test func formDataEqualityComparesOrderAndValues() {
        #expect(FormData([("a", "1"), ("b", "2")]) == FormData([("a", "1"), ("b", "2")]))
        #expect(FormData([("a", "1"), ("b", "2")]) != FormData([("b", "2"), ("a", "1")]))
        #expect(FormData([("a", "1")]) != FormData([("a", "1"), ("a", "1")]))
        #expect(FormData([("a", "1")]) != FormData([("a", "2")]))
    }
}

@Suite struct LocalDateArithmeticTests {
    @Test func dayNumbersRoundTripAndWeekdays() {
        #expect(LocalDate(year: 1970, month: 1, day: 1).dayNumber == 0)
        #expect(LocalDate(year: 1970, month: 1, day: 1).weekday == 4) // Thursday
        #expect(LocalDate(year: 2026, month: 11, day: 27).weekday == 5) // a Friday
        #expect(LocalDate(year: 2024, month: 2, day: 28).adding(days: 1) == LocalDate(year: 2024, month: 2, day: 29))
        #expect(LocalDate(year: 2026, month: 12, day: 31).adding(days: 1) == LocalDate(year: 2027, month: 1, day: 1))
        for n in stride(from: -800_000, to: 800_000, by: 9_973) {
            #expect(LocalDate(dayNumber: n).dayNumber == n)
        }
    }
}

/// 人民币大写 on printed money (issue #16 point 10; the People's Bank writing rules).
@Suite struct MoneyUppercaseTests {
    @Test(arguments: [
        (Int64(0), "零元整"),
        (100, "壹元整"),
        (5, "伍分"),
        (50, "伍角整"),
        (1234, "壹拾贰元叁角肆分"),
        (100_01, "壹佰元零壹分"),
        (1_000_50, "壹仟元伍角整"),
        (1_005_00, "壹仟零伍元整"),
        (10_000_00, "壹万元整"),
        (100_000_00, "壹拾万元整"),
        (1_000_001_00, "壹佰万零壹元整"),
        (1_010_000_00, "壹佰零壹万元整"),
        (100_100_000_00, "壹亿零壹拾万元整"),
        (120_000_000_00, "壹亿贰仟万元整"),
        (305_060_708_09, "叁亿零伍佰零陆万零柒佰零捌元零玖分"),
        (-1234, "负壹拾贰元叁角肆分"),
    ])
    func writesAmountsTheWayBanksRead(fen: Int64, expected: String) {
        #expect(Money.uppercase(fen) == expected)
    }

    @Test func extremeValuesDoNotTrap() {
        #expect(Money.uppercase(Int64.min).hasPrefix("负"))
        #expect(Money.uppercase(Int64.max).hasSuffix("柒分"))
    }
}
