import Foundation

/// A calendar date with no time zone (form dates, due dates).
public struct LocalDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `2026-11-25` (also `2026/11/25`, `2026-1-5`); nil when invalid (e.g. 2月30日).
    public init?(_ text: String) {
        let parts = text.split(whereSeparator: { $0 == "-" || $0 == "/" || $0 == "." })
        guard parts.count == 3, parts[0].count == 4, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
              (1...12).contains(m), d >= 1, d <= LocalDate.daysIn(year: y, month: m) else { return nil }
        self.init(year: y, month: m, day: d)
    }

    public init(date: Date, timeZone: TimeZone) {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = timeZone
        let c = cal.dateComponents([.year, .month, .day], from: date)
        self.init(year: c.year!, month: c.month!, day: c.day!)
    }

    public static func daysIn(year: Int, month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Midnight at the start of this day in `timeZone`, as a UTC instant.
    public func start(in timeZone: TimeZone) -> Date {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = timeZone
        return cal.date(from: DateComponents(year: year, month: month, day: day))!
    }

    public var description: String { String(format: "%04d-%02d-%02d", year, month, day) }

    /// Days since 1970-01-01 (proleptic Gregorian; H. Hinnant's civil-from-days algorithm).
    public var dayNumber: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date of a day number (inverse of `dayNumber`).
    public init(dayNumber n: Int) {
        let z = n + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.init(year: yoe + era * 400 + (m <= 2 ? 1 : 0), month: m, day: d)
    }

    public func adding(days: Int) -> LocalDate { LocalDate(dayNumber: dayNumber + days) }

    /// 1 = Monday … 7 = Sunday (1970-01-01 was a Thursday).
    public var weekday: Int { ((dayNumber % 7) + 7 + 3) % 7 + 1 }

    public static func < (a: LocalDate, b: LocalDate) -> Bool {
        (a.year, a.month, a.day) < (b.year, b.month, b.day)
    }
}

/// Money as integer 分 (fen). Parsing accepts `1234.5`, `1,234.50`, `¥12`; display is `1,234.50`.
public enum Money {
    /// Parses yuan text into fen; nil when not a number or more than two decimals.
    public static func parse(_ text: String) -> Int64? {
        var s = text.trimmingCharacters(in: " \t\u{3000}")
        for prefix in ["¥", "￥"] where s.hasPrefix(prefix) { s.removeFirst() }
        s = s.replacingOccurrences(of: ",", with: "").replacingOccurrences(of: "，", with: "")
        var negative = false
        if s.hasPrefix("-") { negative = true; s.removeFirst() }
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard !s.isEmpty, parts.count <= 2, let whole = parts.first, !whole.isEmpty,
              whole.allSatisfy(\.isASCIIDigitChar), whole.count <= 13 else { return nil }
        var fen = Int64(whole)! * 100
        if parts.count == 2 {
            let frac = parts[1]
            guard frac.count <= 2, !frac.isEmpty, frac.allSatisfy(\.isASCIIDigitChar) else { return nil }
            fen += Int64(frac.count == 1 ? String(frac) + "0" : String(frac))!
        }
        return negative ? -fen : fen
    }

    /// `123456` → `1,234.56`.
    public static func format(_ fen: Int64, grouping: Bool = true) -> String {
        let negative = fen < 0
        let v = fen.magnitude
        var whole = String(v / 100)
        if grouping {
            var out = ""
            for (i, ch) in whole.reversed().enumerated() {
                if i > 0 && i % 3 == 0 { out.append(",") }
                out.append(ch)
            }
            whole = String(out.reversed())
        }
        let cents = v % 100
        return (negative ? "-" : "") + whole + "." + (cents < 10 ? "0" : "") + String(cents)
    }

    /// `¥1,234.56`.
    public static func yuan(_ fen: Int64) -> String { "¥" + format(fen) }
}

extension Character {
    /// Only the ten ASCII digits (not a digit with a combining mark, nor other scripts' digits).
    var isASCIIDigitChar: Bool { asciiValue.map { (48...57).contains($0) } ?? false }
}

/// A cleaned form value.
public enum FieldValue: Sendable, Equatable {
    case empty
    case text(String)
    case integer(Int64)
    /// Money in 分.
    case money(Int64)
    case date(LocalDate)
    case bool(Bool)
    case list([String])
    case file(UploadedFile)
    case rows([FormValues])
}

/// The typed values of a valid form.
public struct FormValues: Sendable, Equatable {
    public var values: [String: FieldValue]

    public init(_ values: [String: FieldValue] = [:]) { self.values = values }

    public subscript(name: String) -> FieldValue { values[name] ?? .empty }

    public func string(_ name: String) -> String {
        switch self[name] {
        case .text(let s): s
        case .integer(let i): String(i)
        case .money(let m): Money.format(m, grouping: false)
        case .date(let d): d.description
        default: ""
        }
    }
    /// Nil when the field was left empty.
    public func optionalString(_ name: String) -> String? { let s = string(name); return s.isEmpty ? nil : s }
    public func int(_ name: String) -> Int64? { if case .integer(let v) = self[name] { v } else { nil } }
    /// Money in 分.
    public func money(_ name: String) -> Int64? { if case .money(let v) = self[name] { v } else { nil } }
    public func date(_ name: String) -> LocalDate? { if case .date(let v) = self[name] { v } else { nil } }
    public func bool(_ name: String) -> Bool { if case .bool(let v) = self[name] { v } else { false } }
    public func list(_ name: String) -> [String] { if case .list(let v) = self[name] { v } else { [] } }
    public func file(_ name: String) -> UploadedFile? { if case .file(let f) = self[name] { f } else { nil } }
    public func rows(_ name: String) -> [FormValues] { if case .rows(let r) = self[name] { r } else { [] } }
}
