import Foundation

/// A form bound to raw input: keeps every typed value, the errors per field, and the cleaned
/// values when valid. Errors are only produced for submitted forms.
public struct BoundForm {
    public let schema: FormSchema
    /// Exactly what the user typed (re-rendered on error).
    public let raw: FormData
    public let files: [UploadedFile]
    public let submitted: Bool
    /// Field path (`name`, or `lines.2.qty` inside rows) → Chinese message.
    public private(set) var errors: [String: String] = [:]
    /// Errors for the top of the form (cross-field checks).
    public private(set) var formErrors: [String] = []
    /// Cleaned values; nil unless submitted and valid.
    public private(set) var values: FormValues?

    init(schema: FormSchema, raw: FormData, files: [UploadedFile], submitted: Bool, today: LocalDate?) {
        self.schema = schema
        self.raw = raw
        self.files = files
        self.submitted = submitted
        guard submitted else { return }
        var errs: [String: String] = [:]
        let cleaned = Self.clean(schema, raw: raw, files: files, prefix: "", today: today, errors: &errs)
        errors = errs
        if errors.isEmpty {
            for check in schema.checks {
                for e in check(cleaned) { attach(e, replacing: false) }
            }
        }
        if errors.isEmpty && formErrors.isEmpty { values = cleaned }
    }

    public var isValid: Bool { values != nil }

    /// Adds an error found after binding (a business rule checked on save); the form becomes invalid.
    /// An error on a field the form does not declare (or on a row that was not submitted) is a
    /// programming error: recorded in `ProgrammingErrors`, and the message is shown on top of
    /// the form, so the user still reads it.
    public mutating func addError(_ error: FormError) {
        attach(error, replacing: true)
        values = nil
    }

    /// Puts an error beside its field when the form shows that field, else on top (recorded as a
    /// programming error). `replacing`: a later message for the same field wins.
    mutating func attach(_ error: FormError, replacing: Bool) {
        guard let key = error.field else { formErrors.append(error.message); return }
        if let reason = schema.undeclaredReason(errorKey: key, raw: raw) {
            ProgrammingErrors.record(ProgrammingError(kind: .undeclaredErrorField, name: key,
                                                      detail: reason + " (message: \(error.message))"))
            if !formErrors.contains(error.message) { formErrors.append(error.message) }
            return
        }
        if replacing || errors[key] == nil { errors[key] = error.message }
    }

    // MARK: Cleaning

    static func clean(_ schema: FormSchema, raw: FormData, files: [UploadedFile], prefix: String,
                      today: LocalDate?, errors: inout [String: String]) -> FormValues {
        var out = FormValues(declared: schema.declared)
        for field in schema.fields {
            let key = prefix + field.name
            let text = (raw[key] ?? "").trimmingCharacters(in: " \t\r\n\u{3000}")
            func fail(_ m: String) { errors[key] = m }
            var value: FieldValue = .empty
            switch field.kind {
            case .text, .textarea:
                if !text.isEmpty { value = .text(text) }
            case .password:
                // Not trimmed: spaces may be part of a password.
                let exact = raw[key] ?? ""
                if !exact.isEmpty { value = .text(exact) }
            case .integer:
                if !text.isEmpty {
                    let t = text.replacingOccurrences(of: ",", with: "")
                    guard let v = Int64(t) else {
                        // Digits that do not fit Int64 are a number out of range, not a typo.
                        fail(isIntegerText(t) ? outOfRangeMessage : "请输入整数"); continue
                    }
                    value = .integer(v)
                }
            case .money:
                if !text.isEmpty {
                    switch Money.parseChecked(text) {
                    case .success(let v): value = .money(v)
                    case .failure(.outOfRange): fail(outOfRangeMessage); continue
                    case .failure(.invalid): fail("请输入金额，如 1234.50（最多两位小数）"); continue
                    }
                }
            case .date:
                if !text.isEmpty {
                    guard let d = LocalDate(text) else { fail("请输入有效日期，格式 YYYY-MM-DD"); continue }
                    value = .date(d)
                }
            case .select(let choices):
                if !text.isEmpty {
                    guard choices.contains(where: { $0.value == text }) else { fail("请从列表中选择"); continue }
                    value = .text(text)
                }
            case .multiSelect(let choices):
                // A choice sent twice counts once (a crafted or double-submitted form), in order.
                var seen = Set<String>()
                let picked = raw.all(key).filter { !$0.isEmpty && seen.insert($0).inserted }
                guard picked.allSatisfy({ p in choices.contains { $0.value == p } }) else { fail("请从列表中选择"); continue }
                if !picked.isEmpty { value = .list(picked) }
            case .checkbox:
                value = .bool(!text.isEmpty && text != "0" && text != "off")
            case .file(let accept, let maxBytes):
                if let f = files.first(where: { $0.fieldName == key }) {
                    if f.data.count > maxBytes { fail("文件过大（上限 \(byteSize(maxBytes))），请重新选择"); continue }
                    let ext = (f.filename as NSString).pathExtension.lowercased()
                    let ok = accept.isEmpty || accept.contains { a in
                        a.hasPrefix(".") ? ext == String(a.dropFirst()).lowercased() : f.contentType.lowercased().hasPrefix(a)
                    }
                    guard ok else { fail("不支持的文件类型，请重新选择"); continue }
                    value = .file(f)
                }
            case .rows(let rowSchema, let minRows, _):
                var rows: [FormValues] = []
                for index in rowIndexes(of: key, in: raw) {
                    let rowPrefix = "\(key).\(index)."
                    let filled = rowSchema.fields.contains { !(raw[rowPrefix + $0.name] ?? "").trimmingCharacters(in: " \t\u{3000}").isEmpty }
                    guard filled else { continue } // blank rows are ignored
                    let before = errors.count
                    var row = clean(rowSchema, raw: raw, files: files, prefix: rowPrefix, today: today, errors: &errors)
                    if errors.count == before {
                        // Cross-field checks of the row schema; a row error without a field goes
                        // beside the whole rows field.
                        for check in rowSchema.checks {
                            for e in check(row) {
                                var k = key
                                if let f = e.field {
                                    if let reason = rowSchema.undeclaredReason(errorKey: f, raw: raw, prefix: rowPrefix) {
                                        // Not a column: beside the whole rows field, where it is seen.
                                        ProgrammingErrors.record(ProgrammingError(
                                            kind: .undeclaredErrorField, name: rowPrefix + f,
                                            detail: "in a row check of '\(key)': \(reason) (message: \(e.message))"))
                                    } else {
                                        k = rowPrefix + f
                                    }
                                }
                                errors[k] = errors[k] ?? e.message
                            }
                        }
                    }
                    row.values["_index"] = .integer(Int64(index))
                    rows.append(row)
                }
                if rows.count < minRows { fail("至少填写 \(minRows) 行"); continue }
                value = .rows(rows)
            }

            if case .empty = value, field.required { fail("此项为必填项"); continue }
            if case .list(let l) = value, l.isEmpty, field.required { fail("此项为必填项"); continue }
            if case .bool(false) = value, field.required { fail("请勾选此项"); continue }
            if case .empty = value { out.values[field.name] = .empty; continue }
            if let message = check(field.rules, value, today: today) { fail(message); continue }
            out.values[field.name] = value
        }
        return out
    }

    /// Row indexes present in the raw input for a repeated-rows field, ascending.
    static func rowIndexes(of key: String, in raw: FormData) -> [Int] {
        let p = key + "."
        var set = Set<Int>()
        for name in raw.names where name.hasPrefix(p) {
            let rest = name.dropFirst(p.count)
            if let dot = rest.firstIndex(of: "."), let i = Int(rest[..<dot]), i >= 0, i < 1000 { set.insert(i) }
        }
        return set.sorted()
    }

    /// The message of a number that cannot be held, or beyond a field's default bound.
    static let outOfRangeMessage = "数值超出范围"

    /// An optional sign and ASCII digits only (what `Int64(_:)` accepts when it fits).
    static func isIntegerText(_ t: String) -> Bool {
        let digits = t.hasPrefix("-") || t.hasPrefix("+") ? t.dropFirst() : Substring(t)
        return !digits.isEmpty && digits.allSatisfy(\.isASCIIDigitChar)
    }

    /// The default bounds (`FieldRule.defaultIntegerLimit`, `.defaultMoneyLimit`) on the sides
    /// where no `.range` rule declares one; nil when the value is inside them.
    static func checkDefaultBounds(_ rules: [FieldRule], _ value: FieldValue) -> String? {
        let n: Int64, limit: Int64, show: (Int64) -> String
        switch value {
        case .integer(let v): n = v; limit = FieldRule.defaultIntegerLimit; show = { String($0) }
        case .money(let v): n = v; limit = FieldRule.defaultMoneyLimit; show = { Money.format($0) }
        default: return nil
        }
        var declaredLo = false, declaredHi = false
        for case .range(let lo, let hi) in rules {
            if lo != nil { declaredLo = true }
            if hi != nil { declaredHi = true }
        }
        if !declaredHi && n > limit { return "\(outOfRangeMessage)（不能大于 \(show(limit))）" }
        if !declaredLo && n < -limit { return "\(outOfRangeMessage)（不能小于 \(show(-limit))）" }
        return nil
    }

    static func check(_ rules: [FieldRule], _ value: FieldValue, today: LocalDate?) -> String? {
        if let m = checkDefaultBounds(rules, value) { return m }
        for rule in rules {
            switch rule {
            case .range(let lo, let hi):
                let n: Int64?
                let show: (Int64) -> String
                switch value {
                case .integer(let v): n = v; show = { String($0) }
                case .money(let v): n = v; show = { Money.format($0) }
                default: n = nil; show = { String($0) }
                }
                guard let n else { continue }
                if let lo, n < lo { return hi.map { "应在 \(show(lo)) 至 \(show($0)) 之间" } ?? "不能小于 \(show(lo))" }
                if let hi, n > hi { return lo.map { "应在 \(show($0)) 至 \(show(hi)) 之间" } ?? "不能大于 \(show(hi))" }
            case .length(let lo, let hi):
                guard case .text(let s) = value else { continue }
                if let lo, s.count < lo { return "至少 \(lo) 个字" }
                if let hi, s.count > hi { return "最多 \(hi) 个字" }
            case .pattern(let pattern, let message):
                guard case .text(let s) = value else { continue }
                // \A…\z: the whole value, with no trailing line break slipping past `$`.
                if s.range(of: "\\A(?:" + pattern + ")\\z", options: .regularExpression) == nil { return message }
            case .notInFuture:
                if case .date(let d) = value, let today, d > today { return "日期不能晚于今天" }
            case .custom(let f):
                if let m = f(value) { return m }
            }
        }
        return nil
    }

    // MARK: View model

    /// The form as its page shows it (the `form/fields` partial): every field in order with the
    /// value typed and its error, the form-level errors and their count.
    public func view() -> FormView {
        var v = FormView(fields: Self.fieldViews(schema, raw: raw, errors: errors, prefix: ""), formErrors: formErrors,
                         hasErrors: !errors.isEmpty || !formErrors.isEmpty, errorCount: errors.count + formErrors.count, storageError: nil)
        let folded = v.fields.filter(\.folded)
        if !folded.isEmpty {
            v.hasFolded = true
            v.foldedTitle = "更多（" + folded.map(\.label).joined(separator: "、") + "，选填）"
            v.foldedOpen = folded.contains { !$0.value.isEmpty || $0.hasError }
        }
        return v
    }

    static func fieldViews(_ schema: FormSchema, raw: FormData, errors: [String: String], prefix: String) -> [FieldView] {
        schema.fields.map { field in
            let key = prefix + field.name
            var f = FieldView(cell: cellView(field, raw: raw, errors: errors, key: key), required: field.required, help: field.help)
            f.folded = field.folded && prefix.isEmpty
            if case .rows(let rowSchema, _, let blankRows) = field.kind {
                f.isRows = true
                f.columns = rowSchema.fields.map { FieldView.Column(label: $0.label, required: $0.required) }
                var indexes = rowIndexes(of: key, in: raw)
                let next = (indexes.last ?? -1) + 1
                indexes += (0..<max(blankRows, indexes.isEmpty ? max(blankRows, 1) : 0)).map { next + $0 }
                f.rows = indexes.enumerated().map { n, i in
                    FieldView.RowView(number: n + 1, cells: rowSchema.fields.map { cellView($0, raw: raw, errors: errors, key: "\(key).\(i).\($0.name)") })
                }
            }
            return f
        }
    }

    static func cellView(_ field: FormField, raw: FormData, errors: [String: String], key: String) -> CellView {
        let value = raw[key] ?? ""
        var c = CellView(name: key, id: "f-" + key.replacingOccurrences(of: ".", with: "-"), label: field.label, value: value,
                         error: errors[key] ?? "", hasError: errors[key] != nil)
        switch field.kind {
        case .text:
            c.isText = true
            if !field.suggestions.isEmpty {
                c.hasSuggestions = true
                c.options = field.suggestions.map { FieldView.Option(value: $0.value, label: $0.label, selected: $0.value == value) }
            }
        case .password:
            c.isPassword = true
            c.value = ""
        case .textarea: c.isTextarea = true
        case .integer: c.isInteger = true
        case .money: c.isMoney = true
        case .date: c.isDate = true
        case .checkbox:
            c.isCheckbox = true
            c.checked = !value.isEmpty && value != "0" && value != "off"
        case .select(let choices):
            c.isSelect = true
            c.options = choices.map { FieldView.Option(value: $0.value, label: $0.label, selected: $0.value == value) }
        case .multiSelect(let choices):
            c.isMultiSelect = true
            let picked = Set(raw.all(key))
            c.options = choices.map { FieldView.Option(value: $0.value, label: $0.label, selected: picked.contains($0.value)) }
        case .file(let accept, _):
            c.isFile = true
            c.accept = accept.joined(separator: ",")
        case .rows: break
        }
        return c
    }
}

/// Thrown from a valid-form handler when a business rule refuses the save; the form is
/// re-rendered with 422 and this message beside `field` (or on top).
public struct FormRejection: Error {
    public var errors: [FormError]
    public init(_ errors: [FormError]) { self.errors = errors }
    public init(field: String? = nil, _ message: String) { errors = [FormError(field: field, message)] }
}

extension Context {
    /// The form pattern in one call. GET renders the page with a blank (or initial, or resumed)
    /// form. POST binds and validates: invalid → the same page with the typed values and errors,
    /// status 422; valid → `onValid`, which must return a 303 redirect (or throw
    /// `FormRejection` to come back 422); the database refusing the write → 503, values kept.
    ///
    /// `page` builds the page around the form (called only
    /// when a page is shown — GET, 422, 503 — never for a valid submit, which runs under the
    /// write lock). The page model holds the form as `var form: FormView`.
    ///
    /// `parent`: the page the form belongs to in the breadcrumb trail (and its 「返回…」 link)
    /// when it is not the menu item the form's path is under (see `Breadcrumb`).
    ///
    /// ```swift
    /// try ctx.handleForm(contactForm, title: "登记联系", parent: Breadcrumb(name, "/crm/customers/\(id)"),
    ///                    page: { form in ContactPage(form: form, customer: name) }) { v in
    ///     … insert …
    ///     return .redirect(to: "/crm/customers/\(id)", flash: .ok("联系记录已保存。"))
    /// }
    /// ```
    public func handleForm<P: PageModel>(_ schema: FormSchema, title: String, parent: Breadcrumb? = nil, initial: FormData = .init(),
                                         page: (FormView) throws -> P,
                                         onValid: (FormValues) throws -> Response) throws -> Response {
        try handleForm(schema, initial: initial, onValid: onValid) { form, status in
            render(try page(form), title: title, status: status, parent: parent)
        }
    }

    private func handleForm(_ schema: FormSchema, initial: FormData, onValid: (FormValues) throws -> Response,
                            show: (FormView, Int) throws -> Response) throws -> Response {
        if request.method != "POST" {
            var form = schema.blank(resumedForm ?? initial, today: today).view()
            form.resumed = resumedForm != nil
            return try show(form, 200)
        }
        var bound = schema.bind(request.form, files: request.files, today: today)
        if bound.values != nil, let failure = storageFailure {
            // The database could not take the submit: the same form, every value kept, and why.
            bound.addError(FormError(failure.keptInputMessage))
            var form = bound.view()
            form.storageError = failure.keptInputMessage
            return try show(form, 503)
        }
        if let values = bound.values {
            do {
                return try onValid(values)
            } catch let rejection as FormRejection {
                for e in rejection.errors { bound.addError(e) }
            }
        }
        return try show(bound.view(), 422)
    }
}

extension StorageError {
    /// The database cannot take a write right now (locked past the busy timeout, disk full,
    /// read-only) — as opposed to a bug or a broken database.
    public var isUnavailable: Bool { kind == .busy || kind == .full || kind == .readOnly }

    /// What a user whose submit could not be stored is told; their form comes back with the input.
    public var keptInputMessage: String {
        kind == .busy ? "数据库正忙，您填写的内容已保留，请稍后再提交。"
            : "系统暂时无法保存（存储空间不足或数据库只读），您填写的内容已保留，请联系管理员。"
    }
}

/// `5 MB`, `500 KB`, `800 字节` for messages.
func byteSize(_ n: Int) -> String {
    if n >= 1 << 20 { return n % (1 << 20) == 0 ? "\(n >> 20) MB" : String(format: "%.1f MB", Double(n) / 1048576) }
    if n >= 1024 { return "\(n / 1024) KB" }
    return "\(n) 字节"
}
