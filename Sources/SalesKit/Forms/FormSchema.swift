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
    /// A text field's suggestions, offered while typing (`<datalist>`, no JavaScript): the
    /// customer picker offers the customers the user may act on — value = code, label = name.
    /// The module still checks what was typed.
    public var suggestions: [Choice] = []
    /// A field most people leave empty (an order's 押汇日期, 运费保险单): shown folded under one
    /// 「更多」 line below the others, unfolded when any such field holds a value or an error
    /// (nothing typed is ever hidden). Only where the page shows the form with `form/fields`.
    public var folded = false

    /// The same field, folded under 「更多」 (`folded`).
    public func foldedAway() -> FormField {
        var f = self
        f.folded = true
        return f
    }

    /// This text field offering `choices` while the user types (the customer picker).
    public func suggesting(_ choices: [Choice]) -> FormField {
        var f = self
        f.suggestions = choices
        return f
    }

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
    public var fields: [FormField] { didSet { declared = DeclaredFields(fields) } }
    public var checks: [@Sendable (FormValues) -> [FormError]]
    /// The declared names, for the checks of reads and error keys (rebuilt when `fields` changes).
    private(set) var declared: DeclaredFields

    public init(_ fields: [FormField], checks: [@Sendable (FormValues) -> [FormError]] = []) {
        self.fields = fields
        self.checks = checks
        declared = DeclaredFields(fields)
    }

    public func field(_ name: String) -> FormField? { fields.first { $0.name == name } }

    /// Whether `name` is a field of this form (top level; row columns are their rows schema's).
    public func declares(_ name: String) -> Bool { declared.names.contains(name) }

    /// Whether an error key names a field this form shows: a field's name, or
    /// `<rows field>.<row>.<column>` for a cell of a row that was submitted in `raw` (nested rows
    /// alike). Nil when it does; else why not (for the programming-error record).
    func undeclaredReason(errorKey key: String, raw: FormData, prefix: String = "") -> String? {
        if declared.names.contains(key) { return nil }
        let parts = key.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let rowSchema = declared.rowSchemas[String(parts[0])] else {
            return "not declared; the form declares \(declared.list)"
        }
        let rowsKey = prefix + parts[0]
        guard let row = Int(parts[1]) else { return "'\(parts[1])' is not a row number of '\(parts[0])'" }
        guard BoundForm.rowIndexes(of: rowsKey, in: raw).contains(row) else {
            return "row \(row) of '\(parts[0])' was not submitted (use the row's `_index`)"
        }
        return rowSchema.undeclaredReason(errorKey: String(parts[2]), raw: raw, prefix: "\(rowsKey).\(row).")
            .map { "in a row of '\(parts[0])': \($0)" }
    }

    /// Problems in the declaration itself (empty when well-formed): no fields, duplicate or
    /// reserved names, a name that reads as a row cell, a field without a label, a select without
    /// choices or with a duplicate or empty value, a file field that accepts nothing, a rows field
    /// whose row form has such problems. For the test over every module's forms.
    public var declarationProblems: [String] {
        var problems: [String] = []
        var seen = Set<String>()
        if fields.isEmpty { problems.append("no fields") }
        for f in fields {
            if !seen.insert(f.name).inserted { problems.append("field '\(f.name)' declared twice") }
            if f.name.isEmpty || f.name.hasPrefix("_") || f.name.contains(where: { $0.isWhitespace }) {
                problems.append("field name '\(f.name)' is empty, starts with '_' (reserved: _csrf, _idem, _index) or has spaces")
            }
            if let dot = f.name.firstIndex(of: "."), declared.rowSchemas[String(f.name[..<dot])] != nil {
                problems.append("field name '\(f.name)' reads as a cell of the rows field '\(f.name[..<dot])'")
            }
            if f.label.isEmpty { problems.append("field '\(f.name)' has no label") }
            switch f.kind {
            case .select(let choices), .multiSelect(let choices):
                if choices.isEmpty { problems.append("choice field '\(f.name)' has no choices") }
                var values = Set<String>()
                for c in choices where !values.insert(c.value).inserted {
                    problems.append("choice field '\(f.name)' lists the value '\(c.value)' twice")
                }
                if choices.contains(where: { $0.value.isEmpty }) {
                    problems.append("choice field '\(f.name)' has an empty value (it reads as nothing chosen)")
                }
            case .file(_, let maxBytes):
                if maxBytes <= 0 { problems.append("file field '\(f.name)' accepts no bytes") }
            case .rows(let rowSchema, let minRows, let blankRows):
                if minRows < 0 || blankRows < 0 { problems.append("rows field '\(f.name)' has a negative row count") }
                problems += rowSchema.declarationProblems.map { "in rows field '\(f.name)': \($0)" }
            case .text, .password, .textarea, .integer, .money, .date, .checkbox:
                break
            }
        }
        return problems
    }

    /// An unsubmitted form: no errors shown; `initial` pre-fills it (raw text, as typed).
    public func blank(_ initial: FormData = .init(), today: LocalDate? = nil) -> BoundForm {
        BoundForm(schema: self, raw: initial, files: [], submitted: false, today: today)
    }

    /// Binds submitted input and validates it.
    public func bind(_ raw: FormData, files: [UploadedFile] = [], today: LocalDate? = nil) -> BoundForm {
        BoundForm(schema: self, raw: raw, files: files, submitted: true, today: today)
    }
}

/// The names a schema declares, built once per schema: reading a value the schema does not
/// declare, or attaching an error to such a field, is a programming error (`ProgrammingErrors`).
final class DeclaredFields: Sendable {
    let names: Set<String>
    /// The row form of each `.rows` field.
    let rowSchemas: [String: FormSchema]

    init(_ fields: [FormField]) {
        var names = Set<String>()
        var rows: [String: FormSchema] = [:]
        for f in fields {
            names.insert(f.name)
            if case .rows(let rowSchema, _, _) = f.kind, rows[f.name] == nil { rows[f.name] = rowSchema }
        }
        self.names = names
        rowSchemas = rows
    }

    /// `a, b, c` for messages.
    var list: String { names.isEmpty ? "no fields" : names.sorted().joined(separator: ", ") }
}

extension FormSchema {
    /// A module's forms from its parts (customer pages, visits, …): a name declared by two parts
    /// is recorded as a programming error (the registry then refuses to start) and the first
    /// declaration is kept — never one silently replacing the other.
    public static func combine(_ parts: [String: FormSchema]...) -> [String: FormSchema] { combine(parts) }

    /// `combine` over a list of parts (a module's features).
    public static func combine(_ parts: [[String: FormSchema]]) -> [String: FormSchema] {
        var all: [String: FormSchema] = [:]
        for part in parts {
            for (name, schema) in part.sorted(by: { $0.key < $1.key }) {
                if all[name] != nil {
                    ProgrammingErrors.record(ProgrammingError(kind: .duplicateFormName, name: name,
                                                              detail: "two parts of the module declare it"))
                    continue
                }
                all[name] = schema
            }
        }
        return all
    }
}
