import Testing
@testable import SalesKit

/// `SQL.insert` / `SQL.update` from a form whose field names are column names (issue #13 item 3).
@Suite("Statements built from a form")
struct FormSQLTests {
    static let schema = FormSchema([
        FormField("name", "名称", required: true),
        FormField("kind", "类别", .select([Choice("a", "甲"), Choice("b", "乙")])),
        FormField("qty", "数量", .integer),
        FormField("price", "单价", .money),
        FormField("due", "交期", .date),
        FormField("urgent", "加急", .checkbox),
        FormField("notes", "备注", .textarea),
        FormField("secret", "口令", .password),
        FormField("tags", "标签", .multiSelect([Choice("x", "X")])),
        FormField("lines", "明细", .rows(FormSchema([FormField("qty", "数量", .integer)]), minRows: 0, blankRows: 1)),
    ])

    static func values(_ pairs: [(String, String)]) throws -> FormValues {
        try #require(schema.bind(FormData(pairs)).values)
    }

    @Test func insertListsEveryColumnFieldThenTheExtraColumnsAsParameters() throws {
        let v = try Self.values([("name", "张三'); DROP TABLE t; --"), ("kind", "b"), ("qty", "3"), ("price", "12.50"),
                                 ("due", "2026-03-05"), ("urgent", "1"), ("secret", "pw"), ("tags", "x")])
        let sql = try SQL.insert(into: "things", Self.schema, v, extra: ["owner_id": Int64(7), "created_at": Int64(100)])
        #expect(sql.text == "INSERT INTO things (name, kind, qty, price, due, urgent, notes, owner_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
        #expect(sql.bindings == [.text("张三'); DROP TABLE t; --"), .text("b"), .integer(3), .integer(1250), .text("2026-03-05"),
                                 .integer(1), .text(""), .integer(7), .integer(100)])
    }

    @Test func emptyFieldsAreEmptyTextOrNullAndUncheckedIsZero() throws {
        let v = try Self.values([("name", "甲")])
        let sql = try SQL.insert(into: "things", Self.schema, v)
        #expect(sql.bindings == [.text("甲"), .text(""), .null, .null, .null, .integer(0), .text("")])
    }

    @Test func updateSetsTheColumnsByID() throws {
        let v = try Self.values([("name", "乙"), ("qty", "4")])
        let sql = try SQL.update("things", Self.schema, v, only: ["name", "qty"], extra: ["updated_at": Int64(5), "updated_by": Int64?.none], id: 42)
        #expect(sql.text == "UPDATE things SET name = ?, qty = ?, updated_at = ?, updated_by = ? WHERE id = ?")
        #expect(sql.bindings == [.text("乙"), .integer(4), .integer(5), .null, .integer(42)])
    }

    @Test func excludingLeavesFieldsOutAndAppendsToOtherSQL() throws {
        let v = try Self.values([("name", "丙")])
        let sql = try SQL.insert(into: "things", Self.schema, v, excluding: ["kind", "qty", "price", "due", "urgent"]) + " RETURNING id"
        #expect(sql.text == "INSERT INTO things (name, notes) VALUES (?, ?) RETURNING id")
    }

    static let mistakes: [(only: [String]?, excluding: [String], message: String)] = [
        (["nmae"], [], "not declared"),
        (["secret"], [], "not a column"),
        (["tags"], [], "not a column"),
        (["lines"], [], "not a column"),
        (["name", "name"], [], "twice"),
        (nil, ["nots"], "excluded field 'nots' is not declared"),
    ]

    @Test(arguments: mistakes)
    func mistakesAreRefusedAndRecorded(_ mistake: (only: [String]?, excluding: [String], message: String)) throws {
        let (only, excluding, message) = (mistake.only, Set(mistake.excluding), mistake.message)
        let v = try Self.values([("name", "丁")])
        let (_, errors) = recordingProgrammingErrors {
            #expect {
                try SQL.insert(into: "things", Self.schema, v, only: only, excluding: excluding)
            } throws: { e in
                (e as? FormSQLError)?.message.contains(message) == true
            }
        }
        #expect(errors.map(\.kind) == [.invalidFormSQL])
    }

    @Test func anExtraColumnThatIsAlsoAFieldOrNotAnIdentifierIsRefused() throws {
        let v = try Self.values([("name", "戊")])
        #expect(throws: FormSQLError.self) { try SQL.insert(into: "things", Self.schema, v, extra: ["name": "x"]) }
        #expect(throws: FormSQLError.self) { try SQL.insert(into: "things", Self.schema, v, extra: ["a b": "x"]) }
        #expect(throws: FormSQLError.self) { try SQL.insert(into: "things; DROP", Self.schema, v) }
        #expect(throws: FormSQLError.self) { try SQL.update("things", Self.schema, v, only: [], id: 1) }
    }

    @Test func fieldNamesThatAreNotIdentifiersAreRefused() throws {
        let schema = FormSchema([FormField("A.warning", "警戒线", .money)])
        let v = try #require(schema.bind(FormData([("A.warning", "1")])).values)
        #expect(throws: FormSQLError.self) { try SQL.insert(into: "policy", schema, v) }
    }

    @Test func valuesOfAnotherFormAreRefused() throws {
        let other = FormSchema([FormField("title", "标题")])
        let v = try #require(other.bind(FormData([("title", "x")])).values)
        let (_, errors) = recordingProgrammingErrors {
            #expect(throws: FormSQLError.self) { try SQL.insert(into: "things", Self.schema, v, only: ["name"]) }
        }
        #expect(errors.count == 1)
        // Hand-built values (tests) are taken as they are.
        #expect(try SQL.insert(into: "things", Self.schema, FormValues(["name": .text("x")]), only: ["name"]).bindings == [.text("x")])
    }

    @Test func identifiers() {
        for ok in ["a", "_a", "crm_customers", "Z9_"] { #expect(FormColumns.isIdentifier(ok), "\(ok)") }
        for bad in ["", "9a", "a-b", "a b", "a.b", "名称", "a;", "\"a\"", "a`"] { #expect(!FormColumns.isIdentifier(bad), "\(bad)") }
    }
}
