import Foundation
import SalesKit

/// Formats instants in the company time zone for pages. The patterns pages use (digits of
/// `yyyy MM dd HH mm ss` with `- : / space` between them) are formatted by arithmetic on the
/// zone's UTC offset, which is looked up once per offset period (DST transitions, if the zone has
/// any, end a period); any other pattern goes to `DateFormatter`. A list page formats dozens of
/// times per request, and `DateFormatter` cost ~13k instructions each (issue #7 profile).
struct LocalTimeFormatter {
    let zone: TimeZone
    private var offset: (seconds: Int, from: Double, until: Double)?
    private var fallback: [String: DateFormatter] = [:]

    init(zone: TimeZone) { self.zone = zone }

    private var simple: [String: Bool] = [:]
    /// The last pattern asked for and whether it is simple (a list asks for one pattern per cell).
    private var last: (pattern: String, simple: Bool)?

    private mutating func isSimple(_ pattern: String) -> Bool {
        if let last, last.pattern == pattern { return last.simple }
        let s = simple[pattern] ?? {
            let s = Self.isSimple(pattern)
            simple[pattern] = s
            return s
        }()
        last = (pattern, s)
        return s
    }

    mutating func format(_ date: Date, pattern: String) -> String {
        let t = date.timeIntervalSince1970
        // Arithmetic only for instants of years ~1000–5000 (a stored epoch such as Int64.max
        // would overflow `Int(…)` below, a trap); anything else goes to DateFormatter.
        guard isSimple(pattern), t.isFinite, abs(t) < 100_000_000_000 else { return formatter(pattern).string(from: date) }
        var out: [UInt8] = []
        out.reserveCapacity(20)
        appendSimple(Int((t + Double(offsetSeconds(at: date))).rounded(.down)), pattern, &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `format` of epoch seconds, appended as UTF-8.
    mutating func append(_ epoch: Int64, pattern: String, into out: inout [UInt8]) {
        // A range test, not `abs` (which traps on Int64.min).
        guard isSimple(pattern), epoch > -100_000_000_000, epoch < 100_000_000_000 else {
            let date = Date(timeIntervalSince1970: Double(epoch))
            return out.append(contentsOf: formatter(pattern).string(from: date).utf8)
        }
        let seconds = Int(epoch)   // |epoch| < 10^11 (checked above)
        appendSimple(seconds + offsetSeconds(at: seconds), pattern, &out)
    }

    /// A simple pattern's fields of local time `local` (seconds since 1970-01-01 00:00 local).
    private func appendSimple(_ local: Int, _ pattern: String, _ out: inout [UInt8]) {
        let days = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
        let secs = local - days * 86_400
        let d = LocalDate(dayNumber: days)
        var i = pattern.utf8.startIndex
        let p = pattern.utf8
        while i < p.endIndex {
            let c = p[i]
            var run = 0
            while i < p.endIndex, p[i] == c { run += 1; i = p.index(after: i) }
            switch c {
            case UInt8(ascii: "y"): Self.digits(run == 2 ? d.year % 100 : d.year, run == 2 ? 2 : 4, &out)
            case UInt8(ascii: "M"): Self.digits(d.month, run, &out)
            case UInt8(ascii: "d"): Self.digits(d.day, run, &out)
            case UInt8(ascii: "H"): Self.digits(secs / 3600, run, &out)
            case UInt8(ascii: "m"): Self.digits(secs / 60 % 60, run, &out)
            case UInt8(ascii: "s"): Self.digits(secs % 60, run, &out)
            default: for _ in 0..<run { out.append(c) }
            }
        }
    }

    /// `n` (non-negative) in decimal, zero-padded to at least `width` digits.
    private static func digits(_ n: Int, _ width: Int, _ out: inout [UInt8]) {
        var buf: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var v = max(0, n)
        withUnsafeMutableBytes(of: &buf) { b in
            repeat { b[count] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: v % 10); v /= 10; count += 1 } while v > 0 && count < 8
            while count < width && count < 8 { b[count] = UInt8(ascii: "0"); count += 1 }
            for k in stride(from: count - 1, through: 0, by: -1) { out.append(b[k]) }
        }
    }

    /// Only digit fields: `yyyy` or `yy`, and one or two of `M d H m s`, between `- : / space`.
    static func isSimple(_ pattern: String) -> Bool {
        var chars = pattern.utf8[...]
        guard !chars.isEmpty else { return false }
        while let c = chars.first {
            let run = chars.prefix { $0 == c }.count
            chars = chars.dropFirst(run)
            switch c {
            case UInt8(ascii: "y"): guard run == 2 || run == 4 else { return false }
            case UInt8(ascii: "M"), UInt8(ascii: "d"), UInt8(ascii: "H"), UInt8(ascii: "m"), UInt8(ascii: "s"):
                guard run <= 2 else { return false }
            case UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "/"), UInt8(ascii: " "): break
            default: return false
            }
        }
        return true
    }

    /// The zone's offset at `date`. A cached offset holds over a window in which no transition
    /// falls: forward until the next transition, backward as far as it was checked.
    private mutating func offsetSeconds(at epoch: Int) -> Int {
        let t = Double(epoch)
        if let o = offset, t >= o.from, t < o.until { return o.seconds }
        return offsetSeconds(at: Date(timeIntervalSince1970: t))
    }

    private mutating func offsetSeconds(at date: Date) -> Int {
        let t = date.timeIntervalSince1970
        if let o = offset, t >= o.from, t < o.until { return o.seconds }
        let seconds = zone.secondsFromGMT(for: date)
        let next = zone.nextDaylightSavingTimeTransition(after: date)?.timeIntervalSince1970 ?? .infinity
        if let o = offset, o.seconds == seconds, t < o.from, next >= o.from {
            offset = (seconds, t, o.until)   // nothing changes between t and the window: widen it
        } else {
            offset = (seconds, t, next)
        }
        return seconds
    }

    private mutating func formatter(_ pattern: String) -> DateFormatter {
        if let f = fallback[pattern] { return f }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = zone
        f.dateFormat = pattern
        fallback[pattern] = f
        return f
    }
}
