import Testing
@testable import SalesKit

@Suite("SQL interpolation")
struct SQLTests {
    @Test func interpolatedValuesBecomeBindings() {
        let name = "O'Brien'; DROP TABLE users; --"
        let owner: Int64 = 7
        let sql: SQL = "SELECT id FROM customers WHERE name = \(name) AND owner_id = \(owner) AND n > \(3)"
        #expect(sql.text == "SELECT id FROM customers WHERE name = ? AND owner_id = ? AND n > ?")
        #expect(sql.bindings == [.text(name), .integer(7), .integer(3)])
        #expect(!sql.text.contains("DROP"))
        #expect(sql.description == sql.text)
    }

    @Test func bindableTypesMapToSQLValues() {
        let sub = "hello world".split(separator: " ")[1]
        let sql: SQL = "VALUES (\(true), \(false), \(1.5), \(sub), \(Int(-2)), \(SQLValue.blob([0, 1])))"
        #expect(sql.bindings == [.integer(1), .integer(0), .real(1.5), .text("world"), .integer(-2), .blob([0, 1])])
        #expect(sql.text == "VALUES (?, ?, ?, ?, ?, ?)")
    }

    @Test func optionalNilBindsNullAndSomeBindsTheValue() {
        let none: Int64? = nil
        let some: String? = "x"
        let noDate: String? = nil
        let sql: SQL = "UPDATE t SET a = \(none), b = \(some), c = \(noDate)"
        #expect(sql.text == "UPDATE t SET a = ?, b = ?, c = ?")
        #expect(sql.bindings == [.null, .text("x"), .null])
    }

    @Test func listInterpolationExpandsPlaceholders() {
        let ids: [Int64] = [3, 1, 2]
        let sql: SQL = "SELECT * FROM t WHERE id IN (\(list: ids)) AND k = \("v")"
        #expect(sql.text == "SELECT * FROM t WHERE id IN (?, ?, ?) AND k = ?")
        #expect(sql.bindings == [.integer(3), .integer(1), .integer(2), .text("v")])
    }

    @Test func emptyListBecomesNullSoInMatchesNothing() {
        let sql: SQL = "SELECT * FROM t WHERE id IN (\(list: [Int]()))"
        #expect(sql.text == "SELECT * FROM t WHERE id IN (NULL)")
        #expect(sql.bindings.isEmpty)
    }

    @Test func rawInsertsTextWithoutBindings() {
        let orderBy = "c.name DESC, c.id DESC"
        let sql: SQL = "SELECT * FROM c WHERE x = \(1) ORDER BY \(raw: orderBy) LIMIT \(50)"
        #expect(sql.text == "SELECT * FROM c WHERE x = ? ORDER BY c.name DESC, c.id DESC LIMIT ?")
        #expect(sql.bindings == [.integer(1), .integer(50)])
    }

    @Test func splicedStatementKeepsBindingOrder() {
        let filter: SQL = "city = \("上海") AND level = \(2)"
        let sql: SQL = "SELECT * FROM c WHERE owner = \(9) AND \(filter) AND active = \(true)"
        #expect(sql.text == "SELECT * FROM c WHERE owner = ? AND city = ? AND level = ? AND active = ?")
        #expect(sql.bindings == [.integer(9), .text("上海"), .integer(2), .integer(1)])
    }

    @Test func plusConcatenatesTextAndBindings() {
        let a: SQL = "SELECT * FROM t WHERE a = \(1)"
        let b: SQL = " AND b = \("two")"
        let sum = a + b
        #expect(sum.text == "SELECT * FROM t WHERE a = ? AND b = ?")
        #expect(sum.bindings == [.integer(1), .text("two")])
    }

    @Test func literalAndUnsafeInit() {
        let literal: SQL = "SELECT 1"
        #expect(literal.text == "SELECT 1")
        #expect(literal.bindings.isEmpty)
        let unsafe = SQL(unsafe: "SELECT ? + ?", [.integer(1), .integer(2)])
        #expect(unsafe.text == "SELECT ? + ?")
        #expect(unsafe.bindings.count == 2)
    }

    @Test func optionalBindableConformance() {
        let some: Int? = 5
        let none: Int? = nil
        #expect(some.sqlValue == .integer(5))
        #expect(none.sqlValue == .null)
    }
}

@Suite("Row")
struct RowTests {
    let row = Row(columns: ["id", "name", "price", "count_text", "flag", "blob", "nothing"],
                  values: [.integer(42), .text("张三"), .real(9.99), .text("17"), .integer(1), .blob(Array("bin".utf8)), .null])

    @Test func subscriptByNameAndMissingColumnIsNull() {
        #expect(row["id"] == .integer(42))
        #expect(row["missing"] == .null)
    }

    @Test func intConvertsLeniently() {
        #expect(row.int("id") == 42)
        #expect(row.int("price") == 9, "reals truncate")
        #expect(row.int("count_text") == 17)
        #expect(row.int("name") == nil)
        #expect(row.int("nothing") == nil)
        #expect(row.int("blob") == nil)
        #expect(row.int("missing") == nil)
    }

    @Test func stringConvertsLeniently() {
        #expect(row.string("name") == "张三")
        #expect(row.string("id") == "42")
        #expect(row.string("price") == "9.99")
        #expect(row.string("blob") == "bin")
        #expect(row.string("nothing") == nil)
    }

    @Test func boolIsNonZeroInteger() {
        #expect(row.bool("flag"))
        #expect(!row.bool("nothing"))
        #expect(!row.bool("name"))
        #expect(Row(columns: ["z"], values: [.integer(0)]).bool("z") == false)
    }

    /// `Row.int` (and `Database.scalar`) convert `.real` with `Int64(d)`, which traps for NaN, ±inf
    /// and values outside Int64 (e.g. `SELECT 1e999`, `SUM()` of REALs overflowing, a REAL column
    /// holding 1e19). "Converts leniently" should give nil, not crash the worker.
    @Test func intOfAnOutOfRangeRealDoesNotCrash() async {
        do {
            await #expect(processExitsWith: .success) {
                precondition(Row(columns: ["x"], values: [.real(1e19)]).int("x") == nil)
                precondition(Row(columns: ["x"], values: [.real(.infinity)]).int("x") == nil)
            }
        }
        do {
            await #expect(processExitsWith: .success) {
                precondition(try! OneValueDatabase(.real(-1e300)).scalar("SELECT x") == nil)
            }
        }
    }
}

/// A database whose every query returns one row holding `value`.
final class OneValueDatabase: Database {
    let value: SQLValue
    init(_ value: SQLValue) { self.value = value }
    let dialect = "none"
    func query(_ sql: SQL) throws -> [Row] { [Row(columns: ["x"], values: [value])] }
    func execute(_ sql: SQL) throws -> Int { 0 }
    func transaction<T>(_ body: () throws -> T) throws -> T { try body() }
    func executeScript(_ script: String) throws {}
    func setQueryOnly(_ on: Bool) throws {}
}

@Suite("Database helpers")
struct DatabaseHelperTests {
    @Test func scalarConvertsTheFirstColumn() throws {
        #expect(try OneValueDatabase(.integer(7)).scalar("SELECT x") == 7)
        #expect(try OneValueDatabase(.real(7.9)).scalar("SELECT x") == 7)
        #expect(try OneValueDatabase(.text("12")).scalar("SELECT x") == 12)
        #expect(try OneValueDatabase(.text("x")).scalar("SELECT x") == nil)
        #expect(try OneValueDatabase(.null).scalar("SELECT x") == nil)
        #expect(try OneValueDatabase(.blob([1])).scalar("SELECT x") == nil)
    }

    @Test func insertNeedsAnIntegerId() throws {
        #expect(try OneValueDatabase(.integer(41)).insert("INSERT … RETURNING id") == 41)
        let error = #expect(throws: StorageError.self) { try OneValueDatabase(.text("41")).insert("INSERT …") }
        #expect(error?.kind == .other)
        #expect(error?.message.contains("RETURNING id") == true)
    }

    @Test func firstReturnsTheFirstRow() throws {
        #expect(try OneValueDatabase(.text("a")).first("SELECT x")?.string("x") == "a")
        #expect(try NullDatabase().first("SELECT x") == nil)
        #expect(try NullDatabase().scalar("SELECT x") == nil)
    }
}

@Suite struct MigrationDialectTests {
    @Test func aStepWrittenTwiceRunsEachSpellingOnItsOwnBackend() {
        let m = Migration(3, "x", sqlite: "UPDATE t SET m = strftime('%Y', 'now');", postgresql: "UPDATE t SET m = to_char(now(), 'YYYY');")
        #expect(m.script(for: "sqlite").contains("strftime"))
        #expect(m.script(for: "postgresql") == "UPDATE t SET m = to_char(now(), 'YYYY');")
        #expect(Migration(1, "y", "CREATE TABLE t (n INTEGER);").script(for: "postgresql").contains("BIGINT"))
    }
}
