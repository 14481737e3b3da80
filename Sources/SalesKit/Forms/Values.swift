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
        // The Gregorian calendar always fills the components asked for; the fallback is the
        // UTC day, never a trap.
        guard let y = c.year, let m = c.month, let d = c.day else {
            let days = date.timeIntervalSince1970 / 86_400
            self.init(dayNumber: days.isFinite && abs(days) < 1e9 ? Int(days.rounded(.down)) : 0)
            return
        }
        self.init(year: y, month: m, day: d)
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
        // Nil only for components no calendar can place (a LocalDate built from out-of-range
        // numbers); then midnight UTC of the proleptic day, never a trap.
        return cal.date(from: DateComponents(year: year, month: month, day: day))
            ?? Date(timeIntervalSince1970: Double(dayNumber) * 86_400)
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
    /// Why yuan text is not an amount.
    public enum ParseError: Error, Sendable, Equatable {
        /// Not a number, or more than two decimals.
        case invalid
        /// A well-formed number with more than 13 digits before the point (≥ ¥10,000,000,000,000).
        case outOfRange
    }

    /// The most digits before the decimal point: 13 (just under ¥10 万亿, ~10¹⁵ 分 — far inside Int64).
    public static let maxWholeDigits = 13

    /// Parses yuan text into fen; nil when not a number, more than two decimals, or too large.
    public static func parse(_ text: String) -> Int64? { try? parseChecked(text).get() }

    /// Parses yuan text into fen, telling a malformed amount from one too large to hold.
    public static func parseChecked(_ text: String) -> Result<Int64, ParseError> {
        var s = text.trimmingCharacters(in: " \t\u{3000}")
        for prefix in ["¥", "￥"] where s.hasPrefix(prefix) { s.removeFirst() }
        s = s.replacingOccurrences(of: ",", with: "").replacingOccurrences(of: "，", with: "")
        var negative = false
        if s.hasPrefix("-") { negative = true; s.removeFirst() }
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard !s.isEmpty, parts.count <= 2, let whole = parts.first, !whole.isEmpty,
              whole.allSatisfy(\.isASCIIDigitChar) else { return .failure(.invalid) }
        var frac: Int64 = 0
        if parts.count == 2 {
            let f = parts[1]
            guard f.count <= 2, !f.isEmpty, f.allSatisfy(\.isASCIIDigitChar),
                  let v = Int64(f.count == 1 ? String(f) + "0" : String(f)) else { return .failure(.invalid) }
            frac = v
        }
        // Leading zeros do not make an amount large.
        let significant = whole.drop { $0 == "0" }
        guard significant.count <= maxWholeDigits else { return .failure(.outOfRange) }
        // At most 13 digits: whole × 100 + 99 < 10¹⁶, no overflow possible.
        guard let yuan = significant.isEmpty ? 0 : Int64(significant) else { return .failure(.outOfRange) }
        let fen = yuan * 100 + frac
        return .success(negative ? -fen : fen)
    }

    /// `quantity × unit price` in 分, nil when the product does not fit Int64 (never a trap).
    public static func times(_ fen: Int64, _ quantity: Int64) -> Int64? {
        let (p, overflow) = fen.multipliedReportingOverflow(by: quantity)
        return overflow ? nil : p
    }

    /// The sum of amounts in 分, nil when it does not fit Int64 (never a trap).
    public static func sum<S: Sequence>(_ amounts: S) -> Int64? where S.Element == Int64 {
        var total: Int64 = 0
        for a in amounts {
            let (t, overflow) = total.addingReportingOverflow(a)
            if overflow { return nil }
            total = t
        }
        return total
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

    /// 人民币大写 as written on invoices, contracts and 订货单 (the People's Bank rules for
    /// 中文大写金额数字): `100001` → `壹仟元零壹分`, `1000500` → `壹万零伍元整`,
    /// `0` → `零元整`; a negative amount starts with 负.
    public static func uppercase(_ fen: Int64) -> String {
        let v = fen.magnitude
        let yuan = v / 100, jiao = Int(v / 10 % 10), cents = Int(v % 10)
        var s = fen < 0 ? "负" : ""
        if yuan > 0 { s += Self.uppercaseInteger(yuan) + "元" }
        switch (jiao, cents) {
        case (0, 0): s += yuan > 0 ? "整" : "零元整"
        case (0, _): s += (yuan > 0 ? "零" : "") + Self.upperDigits[cents] + "分"
        case (_, 0): s += Self.upperDigits[jiao] + "角整"
        default: s += Self.upperDigits[jiao] + "角" + Self.upperDigits[cents] + "分"
        }
        return s
    }

    private static let upperDigits = ["零", "壹", "贰", "叁", "肆", "伍", "陆", "柒", "捌", "玖"]

    /// A positive whole number of 元 in 大写 without the unit: groups of four digits joined
    /// by 万 and 亿, one 零 for any run of zeros inside the number.
    private static func uppercaseInteger(_ n: UInt64) -> String {
        if n >= 100_000_000 {
            let low = n % 100_000_000
            var s = uppercaseInteger(n / 100_000_000) + "亿"
            if low > 0 { s += (low < 10_000_000 ? "零" : "") + uppercaseInteger(low) }
            return s
        }
        if n >= 10_000 {
            let low = n % 10_000
            var s = uppercaseSection(Int(n / 10_000)) + "万"
            if low > 0 { s += (low < 1_000 ? "零" : "") + uppercaseSection(Int(low)) }
            return s
        }
        return uppercaseSection(Int(n))
    }

    /// 1…9999 in 大写 with 仟佰拾; inner zeros become one 零, trailing zeros nothing.
    private static func uppercaseSection(_ n: Int) -> String {
        let digits = [n / 1000 % 10, n / 100 % 10, n / 10 % 10, n % 10]
        let units = ["仟", "佰", "拾", ""]
        var s = "", started = false, zero = false
        for (i, d) in digits.enumerated() {
            if d == 0 {
                if started { zero = true }
            } else {
                if zero { s += "零"; zero = false }
                s += upperDigits[d] + units[i]
                started = true
            }
        }
        return s
    }
}

/// Arithmetic on numbers read from the database (sums of amounts, quantities left). Numbers
/// enter through bounded form fields, so real totals are far inside Int64; a row written by hand
/// may not be, and then the request ends with the error page (`StorageError(.corrupt)`, with an
/// error id in the log) — never a trap that ends the process.
public enum Stored {
    /// `a + b`, or `StorageError(.corrupt)` when it does not fit Int64.
    public static func add(_ a: Int64, _ b: Int64) throws -> Int64 {
        let (r, overflow) = a.addingReportingOverflow(b)
        if overflow { throw StorageError(.corrupt, "stored numbers overflow: \(a) + \(b)") }
        return r
    }

    /// `a − b`, or `StorageError(.corrupt)` when it does not fit Int64.
    public static func subtract(_ a: Int64, _ b: Int64) throws -> Int64 {
        let (r, overflow) = a.subtractingReportingOverflow(b)
        if overflow { throw StorageError(.corrupt, "stored numbers overflow: \(a) - \(b)") }
        return r
    }

    /// `a × b`, or `StorageError(.corrupt)` when it does not fit Int64.
    public static func multiply(_ a: Int64, _ b: Int64) throws -> Int64 {
        let (r, overflow) = a.multipliedReportingOverflow(by: b)
        if overflow { throw StorageError(.corrupt, "stored numbers overflow: \(a) × \(b)") }
        return r
    }

    /// The sum, or `StorageError(.corrupt)` when it does not fit Int64.
    public static func total<S: Sequence>(_ values: S) throws -> Int64 where S.Element == Int64 {
        guard let t = Money.sum(values) else { throw StorageError(.corrupt, "stored numbers overflow in a total") }
        return t
    }
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
///
/// Values cleaned by a schema know its declared names: reading a name it does not declare (a
/// typo, a field renamed in the schema but not in the handler) is a programming error. It is
/// recorded in `ProgrammingErrors` with the call site (the host logs it; the tests fail on it)
/// and reads as empty, as before — never a trap. Values built by hand (`init(_:)`) check nothing.
public struct FormValues: Sendable, Equatable {
    public var values: [String: FieldValue]
    /// The declared names of the schema that cleaned these values; nil when built by hand.
    let declared: DeclaredFields?

    public init(_ values: [String: FieldValue] = [:]) {
        self.values = values
        declared = nil
    }

    init(declared: DeclaredFields) {
        values = [:]
        self.declared = declared
    }

    /// Equal when the values are (the schema they came from is not compared).
    public static func == (a: FormValues, b: FormValues) -> Bool { a.values == b.values }

    /// Whether the schema declares `name` (always true for values built by hand). Rows carry
    /// their submitted row number as `_index`.
    public func declares(_ name: String) -> Bool {
        guard let declared else { return true }
        return declared.names.contains(name) || name == "_index" && values[name] != nil
    }

    /// The value of `name`. A cleaned form holds every declared field (an empty one as `.empty`),
    /// so only a miss pays for the declared-name check.
    @inline(__always)
    func lookup(_ name: String, _ file: StaticString, _ line: UInt) -> FieldValue {
        if let v = values[name] { return v }
        if let declared, !declared.names.contains(name) {
            ProgrammingErrors.record(ProgrammingError(kind: .undeclaredRead, name: name,
                                                      detail: "the form declares \(declared.list)", site: "\(file):\(line)"))
        }
        return .empty
    }

    public subscript(name: String, file: StaticString = #fileID, line: UInt = #line) -> FieldValue { lookup(name, file, line) }

    public func string(_ name: String, file: StaticString = #fileID, line: UInt = #line) -> String {
        switch lookup(name, file, line) {
        case .text(let s): s
        case .integer(let i): String(i)
        case .money(let m): Money.format(m, grouping: false)
        case .date(let d): d.description
        default: ""
        }
    }
    /// Nil when the field was left empty.
    public func optionalString(_ name: String, file: StaticString = #fileID, line: UInt = #line) -> String? {
        let s = string(name, file: file, line: line)
        return s.isEmpty ? nil : s
    }
    public func int(_ name: String, file: StaticString = #fileID, line: UInt = #line) -> Int64? {
        if case .integer(let v) = lookup(name, file, line) { v } else { nil }
    }
    /// Money in 分.
    public func money(_ name: String, file: StaticString = #fileID, line: UInt = #line) -> Int64? {
        if case .money(let v) = lookup(name, file, line) { v } else { nil }
    }
    public func date(_ name: String, file: StaticString = #fileID, line: UInt = #line) -> LocalDate? {
        if case .date(let v) = lookup(name, file, line) { v } else { nil }
    }

    // A required field of a valid form always has its value; these read it without a `!` (a trap
    // ends the whole process): were it missing, the form comes back 422 with the message beside
    // the field instead.

    /// The value of a required integer field, or a `FormRejection` on that field.
    public func requireInt(_ name: String, file: StaticString = #fileID, line: UInt = #line) throws -> Int64 {
        guard let v = int(name, file: file, line: line) else { throw FormRejection(field: name, "此项为必填项") }
        return v
    }
    /// The value of a required money field in 分, or a `FormRejection` on that field.
    public func requireMoney(_ name: String, file: StaticString = #fileID, line: UInt = #line) throws -> Int64 {
        guard let v = money(name, file: file, line: line) else { throw FormRejection(field: name, "此项为必填项") }
        return v
    }
    /// The value of a required date field, or a `FormRejection` on that field.
    public func requireDate(_ name: String, file: StaticString = #fileID, line: UInt = #line) throws -> LocalDate {
        guard let v = date(name, file: file, line: line) else { throw FormRejection(field: name, "此项为必填项") }
        return v
    }
    public func bool(_ name: String, file: StaticString = #fileID, line: UInt = #line) -> Bool {
        if case .bool(let v) = lookup(name, file, line) { v } else { false }
    }
    public func list(_ name: String, file: StaticString = #fileID, line: UInt = #line) -> [String] {
        if case .list(let v) = lookup(name, file, line) { v } else { [] }
    }
    public func file(_ name: String, file: StaticString = #fileID, line: UInt = #line) -> UploadedFile? {
        if case .file(let f) = lookup(name, file, line) { f } else { nil }
    }
    public func rows(_ name: String, file: StaticString = #fileID, line: UInt = #line) -> [FormValues] {
        if case .rows(let r) = lookup(name, file, line) { r } else { [] }
    }
}
