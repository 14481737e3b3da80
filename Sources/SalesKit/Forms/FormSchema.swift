import Foundation

/// One option of a select or multi-select.
public struct Choice: Sendable, Equatable {
    public var value: String
    public var label: String
    public init(_ value: String, _ label: String) {
        self.value = value
        self.label = label
    }
}

/// What kind of input a field is; decides parsing, validation and rendering.
public indirect enum FieldKind: Sendable {
    case text
    /// Rendered as a password input; never echoed back on re-render.
    case password
    case textarea
    case integer
    /// Yuan typed by the user, stored as 分.
    case money
    case date
    case select([Choice])
    case multiSelect([Choice])
    case checkbox
    /// Accepted MIME types (prefixes such as `image/`) and the per-file limit.
    case file(accept: [String], maxBytes: Int)
    /// Repeated rows (order lines, shareholders). Inputs are named `<field>.<row>.<column>`.
    case rows(FormSchema, minRows: Int, blankRows: Int)
}

/// A validation rule on one field. Messages are Chinese and shown beside the field.
public enum FieldRule: Sendable {
    /// Inclusive numeric range (integers as-is, money in 分).
    case range(Int64?, Int64?)
    /// Length in characters.
    case length(min: Int?, max: Int?)
    /// A full-match regular expression with its message.
    case pattern(String, message: String)
    /// Dates: not after today (company time zone) – e.g. a purchase date.
    case notInFuture
    /// Any check on the cleaned value; return a message to reject.
    case custom(@Sendable (FieldValue) -> String?)

    /// The bound of an `.integer` field on the side where no `.range` rule declares one:
    /// −1,000,000,000 … 1,000,000,000.
    public static let defaultIntegerLimit: Int64 = 1_000_000_000
    /// The bound of a `.money` field (in 分) on the side where no `.range` rule declares one:
    /// ¥−10,000,000.00 … ¥10,000,000.00.
    ///
    /// With both defaults the product of any two number fields is at most 10¹⁸, so
    /// `quantity × unit price` (and a sum of up to nine such products) cannot overflow Int64.
    /// A field that needs more declares it (`.range(0, 1_000_000_000_000)`), and code that
    /// multiplies it uses `Money.times` / `multipliedReportingOverflow`.
    public static let defaultMoneyLimit: Int64 = 1_000_000_000
}

public struct FormField: Sendable {
    public var name: String
    public var label: String
    public var kind: FieldKind
    public var required: Bool
    public var rules: [FieldRule]
    public var help: String

    public init(_ name: String, _ label: String, _ kind: FieldKind = .text, required: Bool = false,
                rules: [FieldRule] = [], help: String = "") {
        self.name = name
        self.label = label
        self.kind = kind
        self.required = required
        self.rules = rules
        self.help = help
    }
}

/// A cross-field error: `field` nil means the top of the form.
public struct FormError: Sendable, Equatable, Error {
    public var field: String?
    public var message: String
    public init(field: String? = nil, _ message: String) {
        self.field = field
        self.message = message
    }
}

/// A form declared once: fields, rules and cross-field checks. The host renders, binds,
/// validates and re-renders it.
///
/// ```swift
/// static let form = FormSchema([
///     FormField("name", "企业名称", required: true, rules: [.length(min: 2, max: 100)]),
///     FormField("capital", "总资本", .money, rules: [.range(0, nil)]),
/// ], checks: [{ v in v.int("a") ?? 0 > v.int("b") ?? 0 ? [FormError(field: "b", "须不小于 A")] : [] }])
/// ```
public struct FormSchema: Sendable {
    public var fields: [FormField]
    public var checks: [@Sendable (FormValues) -> [FormError]]

    public init(_ fields: [FormField], checks: [@Sendable (FormValues) -> [FormError]] = []) {
        self.fields = fields
        self.checks = checks
    }

    public func field(_ name: String) -> FormField? { fields.first { $0.name == name } }

    /// An unsubmitted form: no errors shown; `initial` pre-fills it (raw text, as typed).
    public func blank(_ initial: FormData = .init(), today: LocalDate? = nil) -> BoundForm {
        BoundForm(schema: self, raw: initial, files: [], submitted: false, today: today)
    }

    /// Binds submitted input and validates it.
    public func bind(_ raw: FormData, files: [UploadedFile] = [], today: LocalDate? = nil) -> BoundForm {
        BoundForm(schema: self, raw: raw, files: files, submitted: true, today: today)
    }
}
