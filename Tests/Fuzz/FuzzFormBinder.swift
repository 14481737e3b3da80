// libFuzzer target: the form binder — `FormSchema.bind` / `blank` and `BoundForm.view`, over
// a schema with every `FieldKind` (rows nested in rows included) and every `FieldRule`.
// Input: a urlencoded body (as a browser posts it). When it does not decode, it is split on `&`
// and `=` without percent-decoding, so the binder still sees arbitrary text. A pair named
// `!field` with value `filename|content-type|data` becomes an uploaded file for `field`.
// Not a SwiftPM target: Tests/Fuzz/run.sh compiles this file in one module together with all of
// Sources/SalesKit (the binder's `handleForm` extends `Context`), so it uses SalesKit's names
// without an import. A crash, a trap, a hang or a broken invariant below is a bug.
import Foundation

private let today = LocalDate(year: 2026, month: 3, day: 15)

private let products = [Choice("A100", "A100 型 空气净化器"), Choice("B200", "B200 型 加湿器"), Choice("C300", "C300 型")]

private let partSchema = FormSchema([
    FormField("code", "配件编号", required: true, rules: [.pattern("[A-Z]{2}-[0-9]{3}", message: "格式如 AB-123")]),
    FormField("count", "数量", .integer, rules: [.range(1, 99)]),
])

private let lineSchema = FormSchema([
    FormField("product", "产品", .select(products), required: true),
    FormField("qty", "数量", .integer, required: true, rules: [.range(1, 10_000)]),
    FormField("price", "单价", .money, rules: [.range(0, 100_000_000)]),
    FormField("delivery", "交货日期", .date),
    FormField("urgent", "加急", .checkbox),
    FormField("note", "备注", .textarea, rules: [.length(min: nil, max: 50)]),
    FormField("drawing", "图纸", .file(accept: [".pdf", "image/"], maxBytes: 1024)),
    FormField("parts", "配件", .rows(partSchema, minRows: 0, blankRows: 1)),
], checks: [
    { v in (v.int("qty") ?? 0) > 100 && v.money("price") == nil ? [FormError(field: "price", "大批量须填单价")] : [] },
    { v in v.bool("urgent") && v.date("delivery") == nil ? [FormError("加急须填交货日期")] : [] },
])

/// Every field kind and every rule, as a module would declare them.
private let schema = FormSchema([
    FormField("name", "企业名称", required: true, rules: [.length(min: 2, max: 100)], help: "营业执照上的全称"),
    FormField("phone", "手机", rules: [.pattern("1[3-9][0-9]{9}", message: "请输入 11 位手机号")]),
    FormField("password", "密码", .password, rules: [.length(min: 8, max: nil)]),
    FormField("remark", "备注", .textarea),
    FormField("staff", "员工人数", .integer, rules: [.range(0, nil)]),
    FormField("capital", "注册资本", .money, required: true, rules: [.range(0, nil)]),
    FormField("discount", "折让", .money, rules: [.range(-100_000, 0)]),
    FormField("founded", "成立日期", .date, rules: [.notInFuture]),
    FormField("visit", "回访日期", .date),
    FormField("region", "区域", .select([Choice("north", "华北"), Choice("east", "华东"), Choice("south", "华南")]), required: true),
    FormField("channels", "渠道", .multiSelect([Choice("shop", "门店"), Choice("web", "网店"), Choice("agent", "代理")])),
    FormField("vip", "重点客户", .checkbox),
    FormField("agree", "已核实", .checkbox, required: true),
    FormField("license", "营业执照", .file(accept: [".pdf", ".JPG", "image/png"], maxBytes: 4096), required: true),
    FormField("attachment", "附件", .file(accept: [], maxBytes: 100)),
    FormField("lines", "订货明细", .rows(lineSchema, minRows: 1, blankRows: 1), required: true),
    FormField("code", "客户编码", rules: [.custom { v in
        if case .text(let s) = v, s.hasPrefix("X") { return "编码不能以 X 开头" }
        return nil
    }]),
], checks: [
    { v in (v.int("staff") ?? 0) > 1000 && v.money("capital") ?? 0 < 100 ? [FormError(field: "capital", "与人数不符")] : [] },
    { v in v.list("channels").contains("agent") && !v.bool("vip") ? [FormError("代理渠道须为重点客户")] : [] },
])

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let raw = (try? URLEncoding.parse(bytes: bytes)) ?? lenientForm(bytes)
    let files = raw.pairs.filter { $0.name.hasPrefix("!") }.map { pair in
        let p = pair.value.split(separator: "|", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        return UploadedFile(fieldName: String(pair.name.dropFirst()), filename: p[0],
                            contentType: p.count > 1 ? p[1] : "application/octet-stream",
                            data: p.count > 2 ? Array(p[2].utf8) : [])
    }

    let bound = schema.bind(raw, files: files, today: today)
    checkModel(bound.view(), bound: bound)
    invariant(bound.isValid == (bound.errors.isEmpty && bound.formErrors.isEmpty), "isValid disagrees with errors")
    if let values = bound.values { checkValues(values, schema) }

    // An unsubmitted form (GET, or pre-filled) never validates and never shows errors.
    let blank = schema.blank(raw, today: today)
    invariant(blank.values == nil && blank.errors.isEmpty && blank.formErrors.isEmpty, "unsubmitted form validated")
    return 0
}

/// `a=b&c` split without decoding (the binder must cope with any text).
private func lenientForm(_ bytes: [UInt8]) -> FormData {
    var form = FormData()
    for part in bytes.split(separator: UInt8(ascii: "&")) {
        let eq = part.firstIndex(of: UInt8(ascii: "=")) ?? part.endIndex
        form.append(String(decoding: part[..<eq], as: UTF8.self),
                    eq < part.endIndex ? String(decoding: part[(eq + 1)...], as: UTF8.self) : "")
    }
    return form
}

private func checkModel(_ model: FormView, bound: BoundForm) {
    invariant(model.fields.count == schema.fields.count, "the form's view lost fields")
    invariant(model.errorCount == bound.errors.count + bound.formErrors.count, "errorCount wrong")
    invariant(model.hasErrors == !bound.isValid, "hasErrors wrong")
    for f in model.fields where f.isPassword {
        invariant(f.value == "", "password echoed back")
    }
}

/// What a valid form promises a handler.
private func checkValues(_ values: FormValues, _ schema: FormSchema) {
    for field in schema.fields {
        let v = values[field.name]
        if field.required { invariant(v != .empty, "required field \(field.name) empty in a valid form") }
        switch (field.kind, v) {
        case (_, .empty): break
        case (.text, .text(let s)), (.textarea, .text(let s)):
            invariant(!s.isEmpty && s == s.trimmingCharacters(in: " \t\r\n\u{3000}"), "text not trimmed")
        case (.password, .text(let s)): invariant(!s.isEmpty, "empty password value")
        case (.integer, .integer): break
        case (.money, .money(let fen)):
            invariant(Money.parse(Money.format(fen)) == fen && Money.parse(Money.format(fen, grouping: false)) == fen,
                      "Money.format does not parse back")
        case (.date, .date(let d)):
            invariant(LocalDate(d.description) == d, "LocalDate.description does not parse back")
            invariant(d.adding(days: 0) == d && LocalDate(dayNumber: d.dayNumber) == d, "dayNumber round trip")
            if field.rules.contains(where: { if case .notInFuture = $0 { true } else { false } }) {
                invariant(d <= today, "future date accepted")
            }
        case (.select(let choices), .text(let s)): invariant(choices.contains { $0.value == s }, "select value not a choice")
        case (.multiSelect(let choices), .list(let l)):
            invariant(!l.isEmpty && l.allSatisfy { p in choices.contains { $0.value == p } }, "multi-select value not a choice")
        case (.checkbox, .bool(let b)): if field.required { invariant(b, "required checkbox unchecked") }
        case (.file(_, let maxBytes), .file(let f)): invariant(f.data.count <= maxBytes, "file over maxBytes")
        case (.rows(let rowSchema, let minRows, _), .rows(let rows)):
            invariant(rows.count >= minRows, "fewer rows than minRows")
            for row in rows {
                invariant(row.int("_index").map { (0..<1000).contains($0) } ?? false, "row without _index")
                checkValues(row, rowSchema)
            }
        default: invariant(false, "field \(field.name) has a value of the wrong kind: \(v)")
        }
    }
}

private func invariant(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("invariant: " + message()) }
}
