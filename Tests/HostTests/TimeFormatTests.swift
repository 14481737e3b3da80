import Foundation
import Testing
@testable import SalesHost

/// Times are stored in UTC and shown in the company time zone: the page formatter must agree
/// with `DateFormatter` everywhere, across DST transitions too.
@Suite struct TimeFormatTests {
    @Test(arguments: ["Asia/Shanghai", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe"])
    func agreesWithDateFormatter(zoneID: String) {
        let zone = TimeZone(identifier: zoneID)!
        var fast = LocalTimeFormatter(zone: zone)
        var generator = SystemRandomNumberGenerator()
        // Shanghai observed DST 1986–1991; the others every year. Random instants from 1985 to 2040,
        // in random order (the offset cache must widen and move correctly), and every transition ± 1 s.
        var instants = (0..<4000).map { _ in Double(Int.random(in: 473_385_600...2_208_988_800, using: &generator)) }
        var t = Date(timeIntervalSince1970: 473_385_600)
        while let next = zone.nextDaylightSavingTimeTransition(after: t), next.timeIntervalSince1970 < 2_208_988_800 {
            instants += [next.timeIntervalSince1970 - 1, next.timeIntervalSince1970, next.timeIntervalSince1970 + 1]
            t = next
        }
        instants.shuffle(using: &generator)
        for pattern in ["yyyy-MM-dd HH:mm", "yyyy-MM-dd", "yyyy-MM-dd HH:mm:ss", "yyyy-MM", "yy/M/d H:m"] {
            let reference = DateFormatter()
            reference.locale = Locale(identifier: "en_US_POSIX")
            reference.timeZone = zone
            reference.dateFormat = pattern
            for s in instants {
                let date = Date(timeIntervalSince1970: s)
                let expected = reference.string(from: date)
                let actual = fast.format(date, pattern: pattern)
                // The list's time column appends epoch seconds with no Date or String made.
                var appended: [UInt8] = Array("x".utf8)
                fast.append(Int64(s), pattern: pattern, into: &appended)
                if actual != expected || String(decoding: appended, as: UTF8.self) != "x" + expected {
                    Issue.record("\(zoneID) \(pattern) at \(s): \(actual) / \(String(decoding: appended, as: UTF8.self)) ≠ \(expected)")
                    return
                }
            }
        }
    }

    @Test func otherPatternsGoToDateFormatter() {
        #expect(!LocalTimeFormatter.isSimple("yyyy年M月d日"))
        #expect(!LocalTimeFormatter.isSimple("EEE"))
        #expect(LocalTimeFormatter.isSimple("yyyy-MM-dd HH:mm"))
        var f = LocalTimeFormatter(zone: TimeZone(identifier: "Asia/Shanghai")!)
        #expect(f.format(Date(timeIntervalSince1970: 0), pattern: "yyyy年M月d日 HH时") == "1970年1月1日 08时")
    }

    @Test("issue 12: a stored epoch of any size (Int64.max written by hand) is shown, never a trap")
    func extremeInstantsDoNotTrap() throws {
        var f = LocalTimeFormatter(zone: try #require(TimeZone(identifier: "Asia/Shanghai")))
        for s in [Int64.max, Int64.min, 99_999_999_999, -99_999_999_999, 100_000_000_000] {
            let shown = f.format(Date(timeIntervalSince1970: Double(s)), pattern: "yyyy-MM-dd HH:mm")
            var out: [UInt8] = []
            f.append(s, pattern: "yyyy-MM-dd HH:mm", into: &out)
            #expect(String(decoding: out, as: UTF8.self) == shown)
        }
        #expect(f.format(Date(timeIntervalSince1970: 0), pattern: "yyyy-MM-dd HH:mm") == "1970-01-01 08:00")
    }
}
