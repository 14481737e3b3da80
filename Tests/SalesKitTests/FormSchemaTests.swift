import Testing
@testable import SalesKit

private func form(_ pairs: (String, String)...) -> FormData { FormData(pairs.map { (name: $0.0, value: $0.1) }) }

/// A top-level field of the form's page model, by name.
private func fieldModel(_ bound: BoundForm, _ name: String) throws -> FieldView {
    try #require(bound.view().fields.first { $0.name == name })
}

private let today = LocalDate(year: 2026, month: 3, day: 15)

@Suite("FormSchema binding and validation")
struct FormSchemaTests {
    // MARK: Required and parsing

    @Test func requiredFieldLeftEmptyOrBlankIsAnError() {
        let schema = FormSchema([FormField("name", "名称", required: true)])
        for raw in [form(), form(("name", "")), form(("name", "  \t\u{3000}\r\n"))] {
            let bound = schema.bind(raw)
            #expect(!bound.isValid)
            #expect(bound.values == nil)
            #expect(bound.errors == ["name": "此项为必填项"])
        }
    }

    /// `trimmingCharacters(in: " \t\r\n\u{3000}")` (Multipart.swift) tests membership with
    /// `String.contains(Character)`. In that literal "\r\n" is ONE grapheme cluster, so neither a lone
    /// "\n" nor a lone "\r" is in the set: "abc\n" stays "abc\n", and a required field holding only
    /// "\n" passes as filled. (Browsers send CRLF, which is trimmed; other clients and JS need not.)
    @Test func loneLineBreaksAreTrimmed() {
        let schema = FormSchema([FormField("name", "名称", required: true)])
        do {
            #expect("abc\n".trimmingCharacters(in: " \t\r\n\u{3000}") == "abc")
            #expect(schema.bind(form(("name", "\n"))).errors["name"] == "此项为必填项")
            #expect(schema.bind(form(("name", "张三\r"))).values?["name"] == .text("张三"))
        }
    }

    @Test func textIsTrimmedAndOptionalEmptyFieldIsEmptyValue() throws {
        let schema = FormSchema([FormField("name", "名称", required: true), FormField("note", "备注", .textarea)])
        let bound = schema.bind(form(("name", "  张三\u{3000}"), ("note", "")))
        let values = try #require(bound.values)
        #expect(values["name"] == .text("张三"))
        #expect(values["note"] == .empty)
        #expect(values.values.keys.contains("note"), "empty optional fields are present as .empty")
    }

    @Test func integerParsesWithThousandsSeparators() throws {
        let schema = FormSchema([FormField("qty", "数量", .integer)])
        #expect(try #require(schema.bind(form(("qty", " 1,200 "))).values).int("qty") == 1200)
        #expect(try #require(schema.bind(form(("qty", "-7"))).values).int("qty") == -7)
    }

    // A number too large for Int64 is "数值超出范围" (issue 12): Tests/SalesKitTests/NumberRangeTests.swift.
    @Test(arguments: ["1.5", "abc", "12元", "1 2", "+", "-", "1-2"])
    func integerParseErrorMessage(_ text: String) {
        let bound = FormSchema([FormField("qty", "数量", .integer)]).bind(form(("qty", text)))
        #expect(bound.errors["qty"] == "请输入整数")
        #expect(!bound.isValid)
    }

    @Test func moneyParsesToFen() throws {
        let schema = FormSchema([FormField("price", "单价", .money, required: true)])
        #expect(try #require(schema.bind(form(("price", "¥1,234.5"))).values).money("price") == 123450)
        let bad = schema.bind(form(("price", "12.345")))
        #expect(bad.errors["price"] == "请输入金额，如 1234.50（最多两位小数）")
    }

    @Test func dateParsesAndInvalidDateIsAnError() throws {
        let schema = FormSchema([FormField("day", "日期", .date)])
        #expect(try #require(schema.bind(form(("day", "2024-02-29"))).values).date("day") == LocalDate(year: 2024, month: 2, day: 29))
        #expect(schema.bind(form(("day", "2026-02-29"))).errors["day"] == "请输入有效日期，格式 YYYY-MM-DD")
        #expect(schema.bind(form(("day", "明天"))).errors["day"] == "请输入有效日期，格式 YYYY-MM-DD")
    }

    // MARK: Choices

    @Test func selectAcceptsOnlyDeclaredChoices() throws {
        let schema = FormSchema([FormField("level", "级别", .select([Choice("a", "A 级"), Choice("b", "B 级")]), required: true)])
        #expect(try #require(schema.bind(form(("level", "b"))).values)["level"] == .text("b"))
        #expect(schema.bind(form(("level", "c"))).errors["level"] == "请从列表中选择")
        #expect(schema.bind(form(("level", "A 级"))).errors["level"] == "请从列表中选择", "the label is not a value")
        #expect(schema.bind(form(("level", ""))).errors["level"] == "此项为必填项")
    }

    @Test func multiSelectKeepsAllPickedValuesInOrder() throws {
        let choices = [Choice("north", "华北"), Choice("east", "华东"), Choice("south", "华南")]
        let schema = FormSchema([FormField("regions", "区域", .multiSelect(choices), required: true)])
        let ok = schema.bind(form(("regions", "south"), ("x", "1"), ("regions", "north"), ("regions", "")))
        #expect(try #require(ok.values).list("regions") == ["south", "north"])
        // A choice sent twice (found by the form fuzzer: a role granted twice, a department routed twice) counts once.
        let twice = schema.bind(form(("regions", "east"), ("regions", "south"), ("regions", "east")))
        #expect(try #require(twice.values).list("regions") == ["east", "south"])
        #expect(schema.bind(form(("regions", "north"), ("regions", "west"))).errors["regions"] == "请从列表中选择")
        #expect(schema.bind(form()).errors["regions"] == "此项为必填项")
        #expect(schema.bind(form(("regions", ""))).errors["regions"] == "此项为必填项")
    }

    @Test func optionalMultiSelectWithNothingPickedIsEmpty() throws {
        let schema = FormSchema([FormField("regions", "区域", .multiSelect([Choice("a", "A")]))])
        #expect(try #require(schema.bind(form()).values)["regions"] == .empty)
    }

    @Test func checkboxValues() throws {
        let schema = FormSchema([FormField("agree", "同意", .checkbox)])
        #expect(try #require(schema.bind(form(("agree", "on"))).values).bool("agree"))
        #expect(try #require(schema.bind(form(("agree", "1"))).values).bool("agree"))
        #expect(try #require(schema.bind(form()).values)["agree"] == .bool(false))
        #expect(try #require(schema.bind(form(("agree", "0"))).values)["agree"] == .bool(false))
        #expect(try #require(schema.bind(form(("agree", "off"))).values)["agree"] == .bool(false))
    }

    @Test func requiredCheckboxMustBeTicked() {
        let schema = FormSchema([FormField("agree", "同意条款", .checkbox, required: true)])
        #expect(schema.bind(form()).errors["agree"] == "请勾选此项")
        #expect(schema.bind(form(("agree", "on"))).isValid)
    }

    // MARK: Rules

    @Test func integerRangeMessages() {
        let both = FormSchema([FormField("n", "数量", .integer, rules: [.range(1, 100)])])
        #expect(both.bind(form(("n", "0"))).errors["n"] == "应在 1 至 100 之间")
        #expect(both.bind(form(("n", "101"))).errors["n"] == "应在 1 至 100 之间")
        #expect(both.bind(form(("n", "1"))).isValid)
        #expect(both.bind(form(("n", "100"))).isValid)
        let low = FormSchema([FormField("n", "数量", .integer, rules: [.range(5, nil)])])
        #expect(low.bind(form(("n", "4"))).errors["n"] == "不能小于 5")
        #expect(low.bind(form(("n", "999999"))).isValid)
        let high = FormSchema([FormField("n", "数量", .integer, rules: [.range(nil, 10)])])
        #expect(high.bind(form(("n", "11"))).errors["n"] == "不能大于 10")
        #expect(high.bind(form(("n", "-50"))).isValid)
    }

    @Test func moneyRangeMessagesShowYuan() {
        let schema = FormSchema([FormField("amount", "金额", .money, rules: [.range(0, 1_000_000)])])
        #expect(schema.bind(form(("amount", "-0.01"))).errors["amount"] == "应在 0.00 至 10,000.00 之间")
        #expect(schema.bind(form(("amount", "10000.01"))).errors["amount"] == "应在 0.00 至 10,000.00 之间")
        #expect(schema.bind(form(("amount", "10,000"))).isValid)
        let floor = FormSchema([FormField("amount", "金额", .money, rules: [.range(100, nil)])])
        #expect(floor.bind(form(("amount", "0.99"))).errors["amount"] == "不能小于 1.00")
    }

    @Test func emptyOptionalFieldSkipsRules() {
        let schema = FormSchema([FormField("n", "数量", .integer, rules: [.range(1, 2), .custom { _ in "总是失败" }])])
        #expect(schema.bind(form(("n", ""))).isValid)
    }

    @Test func lengthCountsCharactersNotBytes() {
        let schema = FormSchema([FormField("name", "名称", rules: [.length(min: 2, max: 4)])])
        #expect(schema.bind(form(("name", "张"))).errors["name"] == "至少 2 个字")
        #expect(schema.bind(form(("name", "张三"))).isValid)
        #expect(schema.bind(form(("name", "上海市场"))).isValid)
        #expect(schema.bind(form(("name", "上海市场部"))).errors["name"] == "最多 4 个字")
        #expect(schema.bind(form(("name", "  张三  "))).isValid, "length applies to the trimmed value")
    }

    @Test func patternMustMatchTheWholeValue() {
        let schema = FormSchema([FormField("phone", "手机", rules: [.pattern("1[3-9][0-9]{9}", message: "请输入 11 位手机号")])])
        #expect(schema.bind(form(("phone", "13800138000"))).isValid)
        #expect(schema.bind(form(("phone", "138001380001"))).errors["phone"] == "请输入 11 位手机号")
        #expect(schema.bind(form(("phone", "x13800138000"))).errors["phone"] == "请输入 11 位手机号")
        #expect(schema.bind(form(("phone", "1380013800"))).errors["phone"] == "请输入 11 位手机号")
    }

    @Test func patternAlternationIsAnchoredAsAWhole() {
        let schema = FormSchema([FormField("code", "代码", rules: [.pattern("A|B", message: "只能是 A 或 B")])])
        #expect(schema.bind(form(("code", "A"))).isValid)
        #expect(schema.bind(form(("code", "AB"))).errors["code"] == "只能是 A 或 B")
        #expect(schema.bind(form(("code", "xB"))).errors["code"] == "只能是 A 或 B")
    }

    /// The pattern is checked with `^(?:…)$` through NSString regular expressions (ICU), where `$`
    /// also matches before a final line terminator. Trimming removes CRLF but not U+2028, U+2029,
    /// U+0085, VT, FF, nor (see `loneLineBreaksAreTrimmed`) a lone LF, so `13800138000\u{2028}` or
    /// `13800138000\n` passes a phone pattern and is saved with the terminator.
    /// (A trailing lone LF is trimmed before validation, so it is not in this list.)
    @Test(arguments: ["\u{2028}", "\u{2029}", "\u{85}", "\u{0B}", "\u{0C}"])
    func patternRejectsATrailingUnicodeLineTerminator(_ terminator: String) {
        let schema = FormSchema([FormField("phone", "手机", rules: [.pattern("[0-9]{11}", message: "请输入 11 位手机号")])])
        let bound = schema.bind(form(("phone", "13800138000" + terminator)))
        do {
            #expect(!bound.isValid)
        }
    }

    @Test func notInFutureComparesWithToday() {
        let schema = FormSchema([FormField("bought", "购买日期", .date, rules: [.notInFuture])])
        #expect(schema.bind(form(("bought", "2026-03-15")), today: today).isValid)
        #expect(schema.bind(form(("bought", "2025-12-31")), today: today).isValid)
        #expect(schema.bind(form(("bought", "2026-03-16")), today: today).errors["bought"] == "日期不能晚于今天")
    }

    @Test func customRuleSeesTheCleanedValue() {
        let schema = FormSchema([FormField("qty", "数量", .integer, rules: [.custom { v in
            if case .integer(let n) = v, n % 2 != 0 { return "须为偶数" }
            return nil
        }])])
        #expect(schema.bind(form(("qty", "3"))).errors["qty"] == "须为偶数")
        #expect(schema.bind(form(("qty", "4"))).isValid)
    }

    @Test func firstFailingRuleWins() {
        let schema = FormSchema([FormField("name", "名称", rules: [
            .length(min: 3, max: nil), .pattern("[a-z]+", message: "只能小写字母"),
        ])])
        #expect(schema.bind(form(("name", "A"))).errors["name"] == "至少 3 个字")
        #expect(schema.bind(form(("name", "ABC"))).errors["name"] == "只能小写字母")
    }

    // MARK: Files

    @Test func fileFieldChecksTypeAndSize() throws {
        let schema = FormSchema([
            FormField("doc", "合同", .file(accept: [".pdf"], maxBytes: 1 << 20), required: true),
            FormField("photo", "照片", .file(accept: ["image/"], maxBytes: 1 << 20)),
        ])
        let pdf = UploadedFile(fieldName: "doc", filename: "合同.PDF", contentType: "application/octet-stream", data: [1, 2])
        let png = UploadedFile(fieldName: "photo", filename: "a.bin", contentType: "image/png", data: [3])
        let ok = schema.bind(form(), files: [pdf, png])
        let values = try #require(ok.values)
        #expect(values.file("doc") == pdf)
        #expect(values.file("photo") == png)

        #expect(schema.bind(form()).errors["doc"] == "此项为必填项")
        let exe = UploadedFile(fieldName: "doc", filename: "a.exe", contentType: "application/pdf", data: [1])
        #expect(schema.bind(form(), files: [exe]).errors["doc"] == "不支持的文件类型，请重新选择")
        let big = UploadedFile(fieldName: "doc", filename: "a.pdf", contentType: "application/pdf", data: [UInt8](repeating: 0, count: (1 << 20) + 1))
        #expect(schema.bind(form(), files: [big]).errors["doc"] == "文件过大（上限 1 MB），请重新选择")
        let textAsPhoto = UploadedFile(fieldName: "photo", filename: "a.png", contentType: "text/plain", data: [1])
        #expect(schema.bind(form(), files: [pdf, textAsPhoto]).errors["photo"] == "不支持的文件类型，请重新选择")
    }

    /// The size message divides by whole MB: a 500 KB limit reads "上限 0 MB".
    @Test func fileSizeMessageForALimitUnderOneMB() {
        let schema = FormSchema([FormField("doc", "合同", .file(accept: [], maxBytes: 500 * 1024))])
        let big = UploadedFile(fieldName: "doc", filename: "a.pdf", contentType: "application/pdf", data: [UInt8](repeating: 0, count: 600 * 1024))
        let message = schema.bind(form(), files: [big]).errors["doc"]
        #expect(message != nil)
        do {
            #expect(message?.contains("上限 0 MB") == false)
        }
    }

    // MARK: Cross-field checks

    @Test func crossFieldCheckWithoutFieldGoesToFormErrors() {
        let schema = FormSchema([FormField("a", "A", .integer), FormField("b", "B", .integer)], checks: [{ v in
            (v.int("a") ?? 0) + (v.int("b") ?? 0) > 10 ? [FormError("合计不能超过 10")] : []
        }])
        let bound = schema.bind(form(("a", "6"), ("b", "5")))
        #expect(!bound.isValid)
        #expect(bound.formErrors == ["合计不能超过 10"])
        #expect(bound.errors.isEmpty)
        #expect(schema.bind(form(("a", "5"), ("b", "5"))).isValid)
    }

    @Test func crossFieldCheckWithFieldGoesBesideThatField() {
        let schema = FormSchema([FormField("start", "开始", .date), FormField("end", "结束", .date)], checks: [
            { v in
                if let s = v.date("start"), let e = v.date("end"), e < s { return [FormError(field: "end", "结束日期须不早于开始日期")] }
                return []
            },
            { _ in [FormError(field: "end", "第二条消息")] },
        ])
        let bound = schema.bind(form(("start", "2026-03-10"), ("end", "2026-03-01")))
        #expect(bound.errors == ["end": "结束日期须不早于开始日期"], "the first message for a field is kept")
        #expect(bound.formErrors.isEmpty)
    }

    @Test func crossFieldChecksDoNotRunWhileFieldsHaveErrors() {
        let schema = FormSchema([FormField("a", "A", .integer, required: true)], checks: [{ _ in [FormError("整体错误")] }])
        let bound = schema.bind(form(("a", "")))
        #expect(bound.errors["a"] == "此项为必填项")
        #expect(bound.formErrors.isEmpty)
        #expect(schema.bind(form(("a", "1"))).formErrors == ["整体错误"])
    }

    // MARK: Rows

    private static let lineSchema = FormSchema([
        FormField("product", "产品", required: true),
        FormField("qty", "数量", .integer, required: true, rules: [.range(1, nil)]),
        FormField("price", "单价", .money),
    ])

    private static let orderSchema = FormSchema([
        FormField("customer", "客户", required: true),
        FormField("lines", "明细", .rows(lineSchema, minRows: 1, blankRows: 2)),
    ])

    @Test func rowsBindInIndexOrderIgnoringBlankRows() throws {
        let bound = Self.orderSchema.bind(form(
            ("customer", "甲公司"),
            ("lines.10.product", "C"), ("lines.10.qty", "1"),
            ("lines.0.product", "A"), ("lines.0.qty", "2"), ("lines.0.price", "9.9"),
            ("lines.1.product", " "), ("lines.1.qty", ""), ("lines.1.price", "\u{3000}"),
            ("lines.2.product", "B"), ("lines.2.qty", "5"),
        ))
        let values = try #require(bound.values)
        let rows = values.rows("lines")
        #expect(rows.map { $0.string("product") } == ["A", "B", "C"])
        #expect(rows.map { $0.int("qty") } == [2, 5, 1])
        #expect(rows.map { $0.int("_index") } == [0, 2, 10])
        #expect(rows[0].money("price") == 990)
        #expect(rows[1]["price"] == .empty)
    }

    @Test func rowErrorsAreKeyedByRowIndexAndColumn() throws {
        let bound = Self.orderSchema.bind(form(
            ("customer", "甲公司"),
            ("lines.0.product", "A"), ("lines.0.qty", "2"),
            ("lines.1.product", "B"), ("lines.1.qty", "两个"),
            ("lines.2.product", ""), ("lines.2.qty", "3"),
        ))
        #expect(!bound.isValid)
        #expect(bound.errors == [
            "lines.1.qty": "请输入整数",
            "lines.2.product": "此项为必填项",
        ])
    }

    @Test func rowRangeRuleAppliesPerRow() {
        let bound = Self.orderSchema.bind(form(("customer", "甲"), ("lines.3.product", "A"), ("lines.3.qty", "0")))
        #expect(bound.errors == ["lines.3.qty": "不能小于 1"])
    }

    @Test func minRowsCountsOnlyFilledRows() {
        let bound = Self.orderSchema.bind(form(("customer", "甲"), ("lines.0.product", ""), ("lines.0.qty", " ")))
        #expect(bound.errors == ["lines": "至少填写 1 行"])
        let none = Self.orderSchema.bind(form(("customer", "甲")))
        #expect(none.errors["lines"] == "至少填写 1 行")
    }

    @Test func rowIndexesIgnoreMalformedAndHugeIndexes() {
        let raw = form(("lines.2.qty", "1"), ("lines.x.qty", "1"), ("lines.-1.qty", "1"), ("lines.1000.qty", "1"),
                       ("lines.7", "no column"), ("linesX.3.qty", "1"), ("lines.0.product", "A"), ("lines.2.product", "B"))
        #expect(BoundForm.rowIndexes(of: "lines", in: raw) == [0, 2])
    }

    /// A row schema's own `checks` are never run: `BoundForm.clean` recurses into rows, but only the
    /// top-level schema's checks are applied. A FormSchema used for rows silently loses its checks.
    @Test func rowSchemaCrossFieldChecksAreApplied() {
        let line = FormSchema([FormField("min", "下限", .integer), FormField("max", "上限", .integer)], checks: [{ v in
            (v.int("min") ?? 0) > (v.int("max") ?? 0) ? [FormError(field: "max", "上限须不小于下限")] : []
        }])
        let schema = FormSchema([FormField("lines", "明细", .rows(line, minRows: 0, blankRows: 1))])
        let bound = schema.bind(form(("lines.0.min", "9"), ("lines.0.max", "1")))
        do {
            #expect(!bound.isValid)
        }
    }

    // MARK: Blank forms and added errors

    @Test func blankFormShowsNoErrorsAndHasNoValues() throws {
        let schema = FormSchema([FormField("name", "名称", required: true)])
        let blank = schema.blank(form(("name", "预填")))
        #expect(!blank.submitted)
        #expect(blank.errors.isEmpty)
        #expect(blank.values == nil)
        let view = blank.view()
        #expect(!view.hasErrors)
        #expect(view.errorCount == 0)
        let name = try fieldModel(blank, "name")
        #expect(name.value == "预填")
        #expect(name.error == "")
        #expect(!name.hasError)
    }

    @Test func addErrorInvalidatesAValidForm() {
        let schema = FormSchema([FormField("name", "名称", required: true)])
        var bound = schema.bind(form(("name", "张三")))
        #expect(bound.isValid)
        bound.addError(FormError(field: "name", "名称已存在"))
        #expect(!bound.isValid)
        #expect(bound.values == nil)
        #expect(bound.errors["name"] == "名称已存在")
        bound.addError(FormError("库存不足"))
        #expect(bound.formErrors == ["库存不足"])
        let view = bound.view()
        #expect(view.errorCount == 2)
        #expect(view.formErrors == ["库存不足"])
    }

    // MARK: The form's page model (FormView)

    @Test func foldedFieldsAreOneClosedLineUntilOneHoldsAValueOrAnError() throws {
        let schema = FormSchema([
            FormField("name", "名称", required: true),
            FormField("bill", "押汇日期", .date).foldedAway(),
            FormField("ins", "运费保险单").foldedAway(),
        ])
        let blank = schema.blank(form()).view()
        #expect(blank.hasFolded && !blank.foldedOpen)
        #expect(blank.foldedTitle == "更多（押汇日期、运费保险单，选填）")
        #expect(blank.fields.map(\.folded) == [false, true, true])
        #expect(schema.bind(form(("name", "甲"), ("ins", "PICC-1"))).view().foldedOpen, "a value unfolds it")
        #expect(schema.bind(form(("name", "甲"), ("bill", "明天"))).view().foldedOpen, "an error unfolds it")
        #expect(!FormSchema([FormField("name", "名称")]).blank(form()).view().hasFolded)
    }

    @Test func viewKeepsRawTypedValuesAndErrors() throws {
        let schema = FormSchema([
            FormField("name", "名称", required: true, help: "公司全称"),
            FormField("qty", "数量", .integer),
            FormField("price", "单价", .money),
        ])
        let bound = schema.bind(form(("name", ""), ("qty", "十二"), ("price", " 1,234.5 ")))
        let view = bound.view()
        #expect(view.hasErrors)
        #expect(view.errorCount == 2)

        let fields = view.fields
        #expect(fields.map(\.name) == ["name", "qty", "price"])
        let qty = fields[1]
        #expect(qty.value == "十二", "the typed text is shown back, not a cleaned value")
        #expect(qty.error == "请输入整数")
        #expect(qty.hasError)
        #expect(qty.isInteger)
        #expect(qty.id == "f-qty")
        #expect(qty.label == "数量")

        let name = fields[0]
        #expect(name.error == "此项为必填项")
        #expect(name.required)
        #expect(name.help == "公司全称")
        #expect(name.hasHelp)
        #expect(name.isText)
        #expect(!qty.hasHelp)

        let price = fields[2]
        #expect(price.value == " 1,234.5 ")
        #expect(price.error == "")
        #expect(!price.hasError)
        #expect(price.isMoney)
        #expect([price.isText, price.isTextarea, price.isInteger, price.isDate, price.isCheckbox, price.checked, price.isSelect,
                  price.isMultiSelect, price.isFile, price.isRows].allSatisfy { !$0 })
        #expect(price.options.isEmpty)
        #expect(price.accept == "")
    }

    @Test func viewMarksSelectedOptionsAndCheckboxState() throws {
        let schema = FormSchema([
            FormField("one", "单选", .select([Choice("a", "甲"), Choice("b", "乙"), Choice("c", "丙")])),
            FormField("many", "多选", .multiSelect([Choice("a", "甲"), Choice("b", "乙"), Choice("c", "丙")])),
            FormField("flag", "勾选", .checkbox),
            FormField("off", "未勾选", .checkbox),
        ])
        let bound = schema.bind(form(("one", "b"), ("many", "a"), ("many", "c"), ("flag", "on"), ("off", "0")))
        let one = try fieldModel(bound, "one")
        #expect(one.options.map(\.selected) == [false, true, false])
        #expect(one.options.map(\.label) == ["甲", "乙", "丙"])
        let many = try fieldModel(bound, "many")
        #expect(many.isMultiSelect)
        #expect(many.options.map(\.selected) == [true, false, true])
        #expect(try fieldModel(bound, "flag").checked)
        #expect(try !fieldModel(bound, "off").checked)
    }

    @Test func viewRowsKeepTypedCellsErrorsAndAddBlankRows() throws {
        let bound = Self.orderSchema.bind(form(
            ("customer", "甲公司"),
            ("lines.0.product", "A"), ("lines.0.qty", "2"),
            ("lines.3.product", "B"), ("lines.3.qty", "x"),
        ))
        let lines = try fieldModel(bound, "lines")
        #expect(lines.isRows)
        #expect(lines.columns.map(\.label) == ["产品", "数量", "单价"])
        let rows = lines.rows
        // The two submitted rows plus `blankRows` (2) empty ones after the last index.
        #expect(rows.map { $0.cells.first?.name } == ["lines.0.product", "lines.3.product", "lines.4.product", "lines.5.product"])
        #expect(rows.map(\.number) == [1, 2, 3, 4])
        let second = rows[1].cells
        #expect(second.map(\.name) == ["lines.3.product", "lines.3.qty", "lines.3.price"])
        #expect(second[1].value == "x")
        #expect(second[1].error == "请输入整数")
        #expect(second[1].id == "f-lines-3-qty")
        let first = rows[0].cells
        #expect(first[1].error == "")
        #expect(!first[1].hasError)
        #expect(first[1].isInteger)
        #expect(first[0].value == "A")
        #expect(rows[2].cells.allSatisfy { $0.value == "" })
    }

    @Test func blankRowsFormStartsWithBlankRows() throws {
        let lines = try fieldModel(Self.orderSchema.blank(), "lines")
        #expect(lines.rows.map { $0.cells.first?.name } == ["lines.0.product", "lines.1.product"])
        let noBlank = FormSchema([FormField("lines", "明细", .rows(Self.lineSchema, minRows: 0, blankRows: 0))])
        #expect(try fieldModel(noBlank.blank(), "lines").rows.count == 1, "an empty rows field still shows one row to type into")
    }
}
