/// Statements built from a form whose field names are the table's column names, so a handler
/// does not list every field twice (once as a column, once as `v.string("…")`) and cannot get
/// one of the two wrong:
///
/// ```swift
/// let id = try ctx.db.insert(.insert(into: "crm_customers", customerForm, v,
///                                    extra: ["owner_id": user.id, "created_at": ctx.epoch]) + " RETURNING id")
/// try ctx.db.execute(.update("crm_customers", customerForm, v, extra: ["updated_at": ctx.epoch], id: id))
/// ```
///
/// Identifiers come only from code: the table and the extra columns are string literals
/// (`StaticString`), the field columns are the schema's declared names (checked to be plain
/// identifiers); every value is a `?` parameter. By default every field that holds one value
/// is a column; `only:` names the fields to store, `excluding:` leaves some out (both must be
/// declared). Values as the form holds them: text, select and textarea as their text (`""`
/// when empty, as `FormValues.string`), integers as integers, money in 分, dates as
/// `YYYY-MM-DD`, empty numbers and dates as NULL, checkboxes as 0/1. Password, multi-select,
/// file and rows fields are never columns (naming one is an error).
///
/// A mistake (an undeclared or non-column field, a name that is not a plain identifier, values of
/// another form, a column twice) throws `FormSQLError` — the request gets the error page and
/// nothing is written — and is recorded in `ProgrammingErrors`.
extension SQL {
    /// `INSERT INTO <table> (<fields…>, <extra…>) VALUES (?, …)`; append `" RETURNING id"` for `Database.insert`.
    public static func insert(into table: StaticString, _ schema: FormSchema, _ values: FormValues,
                              only fields: [String]? = nil, excluding: Set<String> = [],
                              extra: KeyValuePairs<StaticString, any SQLBindable> = [:]) throws -> SQL {
        let columns = try FormColumns.columns(table, schema, values, only: fields, excluding: excluding, extra: extra)
        return SQL(unsafe: "INSERT INTO \(table) (\(columns.map(\.name).joined(separator: ", "))) VALUES ("
                       + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")",
                   columns.map(\.value))
    }

    /// `UPDATE <table> SET <field> = ?, …, <extra> = ? WHERE id = ?`.
    public static func update(_ table: StaticString, _ schema: FormSchema, _ values: FormValues,
                              only fields: [String]? = nil, excluding: Set<String> = [],
                              extra: KeyValuePairs<StaticString, any SQLBindable> = [:], id: Int64) throws -> SQL {
        let columns = try FormColumns.columns(table, schema, values, only: fields, excluding: excluding, extra: extra)
        return SQL(unsafe: "UPDATE \(table) SET \(columns.map { "\($0.name) = ?" }.joined(separator: ", ")) WHERE id = ?",
                   columns.map(\.value) + [.integer(id)])
    }
}

/// A statement asked of `SQL.insert` / `SQL.update` that the form cannot give (a programming error).
public struct FormSQLError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { "form SQL: \(message)" }
}

enum FormColumns {
    static func columns(_ table: StaticString, _ schema: FormSchema, _ values: FormValues, only: [String]?,
                        excluding: Set<String>, extra: KeyValuePairs<StaticString, any SQLBindable>) throws -> [(name: String, value: SQLValue)] {
        func fail(_ message: String) -> FormSQLError {
            let error = FormSQLError(message: "\(table): \(message)")
            ProgrammingErrors.record(ProgrammingError(kind: .invalidFormSQL, name: "\(table)", detail: message))
            return error
        }
        guard isIdentifier("\(table)") else { throw fail("the table name is not a plain identifier") }
        if let declared = values.declared, declared !== schema.declared, declared.names != schema.declared.names {
            throw fail("the values were cleaned by another form (it declares \(declared.list); this one \(schema.declared.list))")
        }
        for name in excluding.sorted() where !schema.declares(name) {
            throw fail("excluded field '\(name)' is not declared (the form declares \(schema.declared.list))")
        }
        let fields: [FormField]
        if let only {
            fields = try only.map { name in
                guard let f = schema.field(name) else { throw fail("field '\(name)' is not declared (the form declares \(schema.declared.list))") }
                guard isColumn(f.kind) else { throw fail("field '\(name)' is a password, multi-select, file or rows field, not a column") }
                return f
            }.filter { !excluding.contains($0.name) }
        } else {
            fields = schema.fields.filter { isColumn($0.kind) && !excluding.contains($0.name) }
        }
        var out: [(name: String, value: SQLValue)] = []
        var seen = Set<String>()
        for f in fields {
            guard isIdentifier(f.name) else { throw fail("field '\(f.name)' is not a plain identifier, so not a column name") }
            guard seen.insert(f.name).inserted else { throw fail("column '\(f.name)' twice") }
            out.append((f.name, value(of: f, values.values[f.name] ?? .empty)))
        }
        for (column, value) in extra {
            let name = "\(column)"
            guard isIdentifier(name) else { throw fail("extra column '\(name)' is not a plain identifier") }
            guard seen.insert(name).inserted else { throw fail("column '\(name)' twice (a form field and an extra column)") }
            out.append((name, value.sqlValue))
        }
        guard !out.isEmpty else { throw fail("no columns") }
        return out
    }

    /// Fields that hold one storable value.
    static func isColumn(_ kind: FieldKind) -> Bool {
        switch kind {
        case .text, .textarea, .integer, .money, .date, .select, .checkbox: true
        case .password, .multiSelect, .file, .rows: false
        }
    }

    static func value(of field: FormField, _ value: FieldValue) -> SQLValue {
        switch (field.kind, value) {
        case (.checkbox, .bool(let b)): .integer(b ? 1 : 0)
        case (.checkbox, _): .integer(0)
        case (_, .text(let s)): .text(s)
        case (_, .integer(let i)), (_, .money(let i)): .integer(i)
        case (_, .date(let d)): .text(d.description)
        case (.text, _), (.textarea, _), (.select, _): .text("")
        default: .null
        }
    }

    /// `[A-Za-z_][A-Za-z0-9_]*`: safe to splice as an identifier on every backend.
    static func isIdentifier(_ s: String) -> Bool {
        guard let first = s.utf8.first, first == UInt8(ascii: "_") || (first | 0x20) >= UInt8(ascii: "a") && (first | 0x20) <= UInt8(ascii: "z") else {
            return false
        }
        return s.utf8.allSatisfy { c in
            c == UInt8(ascii: "_") || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
                || ((c | 0x20) >= UInt8(ascii: "a") && (c | 0x20) <= UInt8(ascii: "z"))
        }
    }
}
