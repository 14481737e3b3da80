import Foundation
import Testing
@testable import SalesKit

private func form(_ pairs: (String, String)...) -> FormData { FormData(pairs.map { (name: $0.0, value: $0.1) }) }

/// Issue 12, "no traps in request code": numbers typed by users (money in 分 — RULES.md
/// preamble — quantities, years) are parsed and bounded so that nothing downstream overflows.
/// Out of range is a message beside the field (the form comes back 422), never a trap.
@Suite("Number ranges (issue 12)")
struct NumberRangeTests {
    @Test("issue 12: an integer beyond Int64 is 数值超出范围 on the field, not a parse error and not a trap",
          arguments: ["9223372036854775808", "-9223372036854775809", "99999999999999999999", "+99999999999999999999",
                      "99,999,999,999,999,999,999"])
    func integerOverflowIsOutOfRange(_ text: String) {
        let bound = FormSchema([FormField("qty", "数量", .integer)]).bind(form(("qty", text)))
        #expect(bound.errors["qty"] == "数值超出范围")
        #expect(!bound.isValid)
        // Kept as typed for the 422 page.
        #expect(bound.raw["qty"] == text)
    }

    @Test("RULES money in 分 + issue 12: an amount too large to hold is 数值超出范围; a malformed one keeps its own message",
          arguments: ["99999999999999999999", "10000000000000", "-10000000000000", "¥99999999999999999999.99",
                      "9,223,372,036,854,775,807"])
    func moneyOverflowIsOutOfRange(_ text: String) {
        let bound = FormSchema([FormField("price", "单价", .money, rules: [.range(0, 100_000_000_000_000)])]).bind(form(("price", text)))
        #expect(bound.errors["price"] == "数值超出范围")
        #expect(Money.parseChecked(text) == .failure(.outOfRange))
        #expect(Money.parse(text) == nil)
    }

    @Test("RULES money in 分: Money.parseChecked tells malformed from too large; leading zeros do not make an amount large")
    func parseChecked() {
        #expect(Money.parseChecked("12.345") == .failure(.invalid))
        #expect(Money.parseChecked("1e30") == .failure(.invalid))
        #expect(Money.parseChecked("9999999999999.99") == .success(999_999_999_999_999))
        #expect(Money.parseChecked("0000000000000000000012.50") == .success(1250))
        #expect(Money.parseChecked("-0.05") == .success(-5))
    }

    @Test("issue 12: with no declared bound an integer field stays within ±1,000,000,000")
    func integerDefaultBound() throws {
        let schema = FormSchema([FormField("qty", "数量", .integer), FormField("area", "面积", .integer, rules: [.range(0, nil)])])
        #expect(schema.bind(form(("qty", "1000000000"), ("area", "1000000000"))).isValid)
        #expect(schema.bind(form(("qty", "-1000000000"))).isValid)
        let over = schema.bind(form(("qty", "1000000001"), ("area", "1000000001")))
        #expect(over.errors["qty"] == "数值超出范围（不能大于 1000000000）")
        #expect(over.errors["area"] == "数值超出范围（不能大于 1000000000）")
        #expect(schema.bind(form(("qty", "-1000000001"))).errors["qty"] == "数值超出范围（不能小于 -1000000000）")
        // The declared side wins: `.range(0, nil)` keeps its own lower bound and message.
        #expect(schema.bind(form(("area", "-1"))).errors["area"] == "不能小于 0")
    }

    @Test("RULES money in 分 + issue 12: with no declared bound a money field stays within ±¥10,000,000.00; a declared bound may be larger")
    func moneyDefaultBound() throws {
        let schema = FormSchema([FormField("price", "单价", .money, rules: [.range(0, nil)]),
                                 FormField("capital", "总资本", .money, rules: [.range(0, 100_000_000_000_000)])])
        #expect(try #require(schema.bind(form(("price", "10,000,000.00"))).values).money("price") == 1_000_000_000)
        #expect(schema.bind(form(("price", "10000000.01"))).errors["price"] == "数值超出范围（不能大于 10,000,000.00）")
        #expect(try #require(schema.bind(form(("capital", "500000000000"))).values).money("capital") == 50_000_000_000_000)
        #expect(schema.bind(form(("capital", "1000000000000.01"))).errors["capital"] == "应在 0.00 至 1,000,000,000,000.00 之间")
    }

    @Test("issue 12: the product of any two default-bounded fields fits Int64 (quantity × unit price in 分)")
    func defaultBoundsKeepProductsInRange() {
        let limits = [FieldRule.defaultIntegerLimit, FieldRule.defaultMoneyLimit]
        for a in limits {
            for b in limits {
                #expect(!a.multipliedReportingOverflow(by: b).overflow)
                #expect(!(-a).multipliedReportingOverflow(by: b).overflow)
            }
        }
        // And nine of the largest such products still add up without overflow.
        let p = FieldRule.defaultIntegerLimit * FieldRule.defaultMoneyLimit
        #expect(Money.sum(Array(repeating: p, count: 9)) != nil)
    }

    @Test("issue 12: Money.times and Money.sum report overflow as nil instead of trapping")
    func checkedMoneyArithmetic() {
        #expect(Money.times(100_000_000_000, 100_000_000) == nil)            // ¥10 亿 × 1 亿件
        #expect(Money.times(123_45, 3) == 370_35)
        #expect(Money.times(.min, -1) == nil)
        #expect(Money.sum([Int64.max, 1]) == nil)
        #expect(Money.sum([Int64.min, -1]) == nil)
        #expect(Money.sum([1, 2, 3]) == 6)
        #expect(Money.sum([Int64]()) == 0)
    }

    @Test("issue 12: arithmetic on stored numbers that overflows is a StorageError (the error page), not a trap")
    func storedArithmetic() throws {
        #expect(try Stored.add(2, 3) == 5)
        #expect(try Stored.subtract(2, 3) == -1)
        #expect(try Stored.multiply(4, 5) == 20)
        #expect(try Stored.total([1, 2, 3]) == 6)
        for f in [{ try Stored.add(.max, 1) }, { try Stored.subtract(.min, 1) }, { try Stored.multiply(.max, 2) },
                  { try Stored.total([.max, .max]) }] {
            #expect { _ = try f() } throws: { ($0 as? StorageError)?.kind == .corrupt }
        }
    }

    @Test("issue 12: a required column read with requireInt throws StorageError(.corrupt) when NULL or not a number")
    func rowRequireInt() throws {
        let row = Row(columns: ["id", "n", "t", "r"], values: [.integer(7), .null, .text("abc"), .real(.infinity)])
        #expect(try row.requireInt("id") == 7)
        for name in ["n", "t", "r", "missing"] {
            #expect { _ = try row.requireInt(name) } throws: { ($0 as? StorageError)?.kind == .corrupt }
        }
    }

    @Test("issue 12: a required form value read with requireInt/requireMoney/requireDate is a FormRejection on its field when missing")
    func formValuesRequire() throws {
        let v = FormValues(["q": .integer(3), "m": .money(250), "d": .date(LocalDate(year: 2026, month: 1, day: 2))])
        #expect(try v.requireInt("q") == 3)
        #expect(try v.requireMoney("m") == 250)
        #expect(try v.requireDate("d") == LocalDate(year: 2026, month: 1, day: 2))
        #expect { _ = try v.requireInt("x") } throws: { ($0 as? FormRejection)?.errors.first?.field == "x" }
        #expect { _ = try v.requireMoney("q") } throws: { ($0 as? FormRejection)?.errors.first?.field == "q" }
        #expect { _ = try v.requireDate("m") } throws: { ($0 as? FormRejection)?.errors.first?.message == "此项为必填项" }
    }

    @Test("issue 12: dates built from numbers no calendar can place do not trap")
    func localDateExtremes() {
        let zone = TimeZone(identifier: "UTC") ?? .current
        _ = LocalDate(year: 2026, month: 13, day: 40).start(in: zone)
        _ = LocalDate(year: 9999, month: 0, day: 0).start(in: zone)
        #expect(LocalDate(date: Date(timeIntervalSince1970: 0), timeZone: zone) == LocalDate(year: 1970, month: 1, day: 1))
    }
}
