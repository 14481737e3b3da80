import Synchronization
import Testing
@testable import SalesKit

/// Runs `body` and returns the programming errors it recorded (through the task-local observer,
/// so tests running in parallel do not see each other's).
func recordingProgrammingErrors<T>(_ body: () throws -> T) rethrows -> (T, [ProgrammingError]) {
    let seen = SeenProgrammingErrors()
    let result = try ProgrammingErrors.$observer.withValue({ e in seen.list.withLock { $0.append(e) } }) { try body() }
    return (result, seen.list.withLock { $0 })
}

final class SeenProgrammingErrors: Sendable {
    let list = Mutex<[ProgrammingError]>([])
}

/// Issue #13 item 3: a form value read by a name the schema does not declare, or an error attached
/// to a field it does not declare, is a programming error — recorded (and logged by the host),
/// never a trap, and the user still reads the message.
@Suite("Forms that fail loudly")
struct ProgrammingErrorTests {
    static let lineSchema = FormSchema([
        FormField("product", "品名", required: true),
        FormField("qty", "数量", .integer, required: true),
    ])
    static let schema = FormSchema([
        FormField("name", "名称", required: true),
        FormField("note", "备注"),
        FormField("amount", "金额", .money),
        FormField("lines", "明细", .rows(lineSchema, minRows: 0, blankRows: 1)),
    ])
    static let raw = FormData([("name", "甲"), ("lines.0.product", "螺栓"), ("lines.0.qty", "2"),
                               ("lines.2.product", "螺母"), ("lines.2.qty", "5")])

    @Test func readingAnUndeclaredNameIsRecordedWithItsCallSiteAndReadsEmpty() throws {
        let v = try #require(Self.schema.bind(Self.raw).values)
        let (read, errors) = recordingProgrammingErrors {
            (v.string("nmae"), v.int("qty"), v.money("amout"), v.optionalString("nope"), v.bool("x"), v.list("y"),
             v.file("z"), v.rows("line"), v.date("d"), v["w"])
        }
        #expect(read.0 == "" && read.1 == nil && read.2 == nil && read.3 == nil && !read.4 && read.5.isEmpty)
        #expect(read.6 == nil && read.7.isEmpty && read.8 == nil && read.9 == .empty)
        #expect(errors.map(\.name) == ["nmae", "qty", "amout", "nope", "x", "y", "z", "line", "d", "w"])
        #expect(errors.allSatisfy { $0.kind == .undeclaredRead })
        let first = try #require(errors.first)
        #expect(first.site.hasPrefix("SalesKitTests/ProgrammingErrorTests.swift:"), "the call site, not the accessor")
        #expect(first.detail.contains("amount, lines, name, note"), "what the form declares, for the fix")
        #expect(first.description.contains("'nmae'"))
    }

    @Test func theRequireAccessorsRecordTheirCallSiteToo() throws {
        let v = try #require(Self.schema.bind(Self.raw).values)
        let (_, errors) = recordingProgrammingErrors {
            #expect(throws: FormRejection.self) { try v.requireInt("count") }
            #expect(throws: FormRejection.self) { try v.requireMoney("price") }
            #expect(throws: FormRejection.self) { try v.requireDate("day") }
        }
        #expect(errors.map(\.name) == ["count", "price", "day"])
        #expect(errors.allSatisfy { $0.site.hasPrefix("SalesKitTests/ProgrammingErrorTests.swift:") })
    }

    @Test func declaredReadsAreSilentEvenWhenEmpty() throws {
        let v = try #require(Self.schema.bind(Self.raw).values)
        let (_, errors) = recordingProgrammingErrors {
            #expect(v.string("name") == "甲")
            #expect(v.optionalString("note") == nil, "declared, left empty")
            #expect(v.money("amount") == nil)
            let rows = v.rows("lines")
            #expect(rows.map { $0.string("product") } == ["螺栓", "螺母"])
            #expect(rows.map { $0.int("qty") } == [2, 5])
            #expect(rows.map { $0["_index"] } == [.integer(0), .integer(2)], "a row's submitted number")
            #expect(v.declares("name") && !v.declares("nmae"))
            #expect(rows.first?.declares("qty") == true && rows.first?.declares("name") == false)
        }
        #expect(errors.isEmpty)
    }

    @Test func aRowReadsOnlyItsOwnColumns() throws {
        let v = try #require(Self.schema.bind(Self.raw).values)
        let (_, errors) = recordingProgrammingErrors { v.rows("lines").map { $0.string("name") } }
        #expect(errors.map(\.name) == ["name", "name"], "`name` is the form's field, not a column of its rows")
        #expect(errors.first?.detail.contains("product, qty") == true)
    }

    @Test func valuesBuiltByHandCheckNothing() {
        let (_, errors) = recordingProgrammingErrors { FormValues(["a": .text("x")]).string("anything") }
        #expect(errors.isEmpty)
        #expect(FormValues(["a": .text("x")]) == FormValues(["a": .text("x")]))
    }

    @Test func cleanedValuesEqualHandBuiltOnesWithTheSameContent() throws {
        let schema = FormSchema([FormField("a", "A")])
        let v = try #require(schema.bind(FormData([("a", "x")])).values)
        #expect(v == FormValues(["a": .text("x")]), "the schema is not part of the value")
    }

    @Test func aCheckReadingAnUndeclaredNameIsRecorded() {
        let schema = FormSchema([FormField("a", "A", .integer)], checks: [{ v in
            (v.int("b") ?? 0) > 0 ? [FormError("never")] : []
        }])
        let (form, errors) = recordingProgrammingErrors { schema.bind(FormData([("a", "1")])) }
        #expect(form.isValid)
        #expect(errors.map(\.name) == ["b"])
    }

    // MARK: Errors attached to undeclared fields

    @Test func anErrorOnAnUndeclaredFieldIsShownOnTopAndRecorded() {
        var form = Self.schema.bind(Self.raw)
        let (_, errors) = recordingProgrammingErrors { form.addError(FormError(field: "nmae", "名称已被使用")) }
        #expect(!form.isValid)
        #expect(form.errors.isEmpty)
        #expect(form.formErrors == ["名称已被使用"], "the user still reads it")
        #expect(form.view().errorCount == 1)
        #expect(errors.count == 1)
        #expect(errors.first?.kind == .undeclaredErrorField)
        #expect(errors.first?.name == "nmae")
        #expect(errors.first?.detail.contains("名称已被使用") == true)
    }

    @Test func anErrorOnADeclaredFieldGoesBesideIt() {
        var form = Self.schema.bind(Self.raw)
        let (_, errors) = recordingProgrammingErrors {
            form.addError(FormError(field: "name", "名称已被使用"))
            form.addError(FormError(field: "lines", "至少一行"))
            form.addError(FormError("整张表的问题"))
        }
        #expect(errors.isEmpty)
        #expect(form.errors == ["name": "名称已被使用", "lines": "至少一行"])
        #expect(form.formErrors == ["整张表的问题"])
    }

    @Test func rowCellErrorsAreDeclaredWhenTheColumnAndTheSubmittedRowExist() {
        var form = Self.schema.bind(Self.raw)
        let (_, errors) = recordingProgrammingErrors {
            form.addError(FormError(field: "lines.2.qty", "超过剩余数量"))     // row 2 was submitted
            form.addError(FormError(field: "lines.0.price", "没有此列"))       // no such column
            form.addError(FormError(field: "lines.1.qty", "没有这一行"))       // row 1 was not submitted
            form.addError(FormError(field: "lines.x.qty", "不是行号"))
            form.addError(FormError(field: "name.0.qty", "不是明细"))
        }
        #expect(form.errors == ["lines.2.qty": "超过剩余数量"])
        #expect(form.formErrors == ["没有此列", "没有这一行", "不是行号", "不是明细"])
        #expect(errors.map(\.name) == ["lines.0.price", "lines.1.qty", "lines.x.qty", "name.0.qty"])
        #expect(errors[1].detail.contains("not submitted"))
        let rows = form.view().fields.first { $0.name == "lines" }?.rows ?? []
        let shown = rows.flatMap { $0.cells.filter(\.hasError).map(\.error) }
        #expect(shown == ["超过剩余数量"], "the declared cell error is shown beside its cell")
    }

    @Test func aSchemaCheckNamingAnUndeclaredFieldIsShownOnTopAndRecorded() {
        let schema = FormSchema([FormField("a", "A", .integer), FormField("b", "B", .integer)], checks: [{ _ in
            [FormError(field: "c", "A 与 B 不符"), FormError(field: "b", "B 太大")]
        }])
        let (form, errors) = recordingProgrammingErrors { schema.bind(FormData([("a", "1"), ("b", "2")])) }
        #expect(!form.isValid)
        #expect(form.errors == ["b": "B 太大"])
        #expect(form.formErrors == ["A 与 B 不符"])
        #expect(errors.map(\.name) == ["c"])
    }

    @Test func aRowCheckNamingAnUndeclaredColumnGoesBesideTheRowsFieldAndIsRecorded() {
        let rowSchema = FormSchema([FormField("qty", "数量", .integer)], checks: [{ _ in [FormError(field: "qyt", "数量不对")] }])
        let schema = FormSchema([FormField("lines", "明细", .rows(rowSchema, minRows: 0, blankRows: 1))])
        let (form, errors) = recordingProgrammingErrors { schema.bind(FormData([("lines.3.qty", "1")])) }
        #expect(form.errors == ["lines": "数量不对"])
        #expect(errors.map(\.name) == ["lines.3.qyt"])
    }

    @Test func aFormRejectionOnTheRequiredAccessorOfADeclaredFieldStaysBesideIt() {
        var form = Self.schema.bind(Self.raw)
        form.addError(FormError(field: "amount", "此项为必填项"))
        #expect(form.errors["amount"] == "此项为必填项")
    }

    // MARK: The sink

    @Test func theSinkKeepsTheMostRecentErrorsAndCountsAll() {
        let before = ProgrammingErrors.count
        let e = ProgrammingError(kind: .undeclaredRead, name: "sink-test-\(before)", detail: "")
        ProgrammingErrors.record(e)
        #expect(ProgrammingErrors.count >= before + 1)
        #expect(ProgrammingErrors.recorded.count <= ProgrammingErrors.capacity)
        #expect(ProgrammingErrors.recorded.contains(e) || ProgrammingErrors.count > before + 1,
                "kept unless parallel tests pushed it out")
    }

    @Test func theReporterOrObserverGetsEveryError() {
        let e = ProgrammingError(kind: .undeclaredErrorField, name: "x", detail: "d", site: "A.swift:1")
        let (_, seen) = recordingProgrammingErrors { ProgrammingErrors.record(e) }
        #expect(seen == [e])
        #expect(e.description == "form error attached to an undeclared field 'x' at A.swift:1: d")
    }

    // MARK: Declarations

    @Test func wellFormedSchemasHaveNoProblems() {
        #expect(Self.schema.declarationProblems == [])
        #expect(Self.schema.declares("lines") && !Self.schema.declares("qty"))
    }

    @Test func malformedDeclarationsAreListed() {
        let badRows = FormSchema([FormField("qty", "数量", .integer), FormField("qty", "数量", .integer)])
        let schema = FormSchema([
            FormField("a", "A"),
            FormField("a", "A again"),
            FormField("kind", "类别", .select([])),
            FormField("tags", "标签", .multiSelect([Choice("x", "X"), Choice("x", "X2")])),
            FormField("_csrf", "保留名"),
            FormField("lines", "明细", .rows(badRows, minRows: 0, blankRows: 1)),
            FormField("lines.0.qty", "像明细单元格"),
            FormField("f", "", .file(accept: [], maxBytes: 0)),
        ])
        let problems = schema.declarationProblems
        #expect(problems.contains("field 'a' declared twice"))
        #expect(problems.contains("choice field 'kind' has no choices"))
        #expect(problems.contains("choice field 'tags' lists the value 'x' twice"))
        #expect(problems.contains { $0.contains("'_csrf'") })
        #expect(problems.contains("in rows field 'lines': field 'qty' declared twice"))
        #expect(problems.contains { $0.contains("'lines.0.qty'") })
        #expect(problems.contains("field 'f' has no label"))
        #expect(problems.contains("file field 'f' accepts no bytes"))
    }

    @Test func changingTheFieldsUpdatesTheDeclaredNames() throws {
        var schema = FormSchema([FormField("a", "A")])
        schema.fields.append(FormField("b", "B"))
        #expect(schema.declares("b"))
        let v = try #require(schema.bind(FormData([("b", "x")])).values)
        let (_, errors) = recordingProgrammingErrors { v.string("b") }
        #expect(errors.isEmpty)
    }
}
