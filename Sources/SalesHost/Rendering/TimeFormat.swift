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

    /// A simple pattern as its runs: a field letter or a separator, and how many times.
    struct Run {
        var c: UInt8
        var count: Int
    }

    /// A simple pattern's runs and the most bytes it prints.
    struct Compiled {
        var runs: [Run]
        var capacity: Int
    }

    private var compiled: [String: Compiled?] = [:]
    /// The last pattern asked for (a list asks for one pattern per cell).
    private var last: (pattern: String, compiled: Compiled?)?

    /// The pattern's runs, or nil when it is not simple.
    private mutating func simple(_ pattern: String) -> Compiled? {
        if let last, last.pattern == pattern { return last.compiled }
        let c: Compiled? = compiled[pattern] ?? {
            guard Self.isSimple(pattern) else { return nil }
            var runs: [Run] = []
            for b in pattern.utf8 {
                if let l = runs.last, l.c == b { runs[runs.count - 1].count += 1 } else { runs.append(Run(c: b, count: 1)) }
            }
            let isField: (UInt8) -> Bool = { "yMdHms".utf8.contains($0) }
            return Compiled(runs: runs, capacity: runs.reduce(0) { $0 + (isField($1.c) ? 8 : $1.count) })
        }()
        compiled[pattern] = c
        last = (pattern, c)
        return c
    }

    mutating func format(_ date: Date, pattern: String) -> String {
        let t = date.timeIntervalSince1970
        // Arithmetic only for instants of years ~1000–5000 (a stored epoch such as Int64.max
        // would overflow `Int(…)` below, a trap); anything else goes to DateFormatter.
        guard let c = simple(pattern), t.isFinite, abs(t) < 100_000_000_000 else { return formatter(pattern).string(from: date) }
        var out: [UInt8] = []
        out.reserveCapacity(20)
        Self.append(local: Int((t + Double(offsetSeconds(at: date))).rounded(.down)), c, &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `format` of epoch seconds, appended as UTF-8.
    mutating func append(_ epoch: Int64, pattern: String, into out: inout [UInt8]) {
        // A range test, not `abs` (which traps on Int64.min).
        guard let c = simple(pattern), epoch > -100_000_000_000, epoch < 100_000_000_000 else {
            let date = Date(timeIntervalSince1970: Double(epoch))
            return out.append(contentsOf: formatter(pattern).string(from: date).utf8)
        }
        let seconds = Int(epoch)   // |epoch| < 10^11 (checked above)
        Self.append(local: seconds + offsetSeconds(at: seconds), c, &out)
    }

    /// A simple pattern's fields of local time `local` (seconds since 1970-01-01 00:00 local),
    /// written in a stack buffer and appended at once. Each field: at least its run of digits
    /// (`yy`: the year's last two), at most 8.
    private static func append(local: Int, _ pattern: Compiled, _ out: inout [UInt8]) {
        let days = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
        let secs = local - days * 86_400
        let d = LocalDate(dayNumber: days)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(pattern.capacity, 1)) { buf in
            var n = 0
            for run in pattern.runs {
                let value: Int, width: Int
                switch run.c {
                case UInt8(ascii: "y"): (value, width) = run.count == 2 ? (d.year % 100, 2) : (d.year, 4)
                case UInt8(ascii: "M"): (value, width) = (d.month, run.count)
                case UInt8(ascii: "d"): (value, width) = (d.day, run.count)
                case UInt8(ascii: "H"): (value, width) = (secs / 3600, run.count)
                case UInt8(ascii: "m"): (value, width) = (secs / 60 % 60, run.count)
                case UInt8(ascii: "s"): (value, width) = (secs % 60, run.count)
                default:
                    for _ in 0..<run.count where n < buf.count { buf[n] = run.c; n += 1 }
                    continue
                }
                var v = max(0, value)
                var length = 1
                var t = v
                while t >= 10 { t /= 10; length += 1 }
                length = min(max(length, width), 8, buf.count - n)
                var at = n + length - 1
                while at >= n {
                    buf[at] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: v % 10)
                    v /= 10
                    at -= 1
                }
                n += length
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[0..<n]))
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
