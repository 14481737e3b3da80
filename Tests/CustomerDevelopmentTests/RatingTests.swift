import Testing
import SalesKit
@testable import CustomerDevelopmentModule

/// RULES §1.2 (003 §2.2–§2.4): class thresholds.
@Suite struct RatingClassTests {
    @Test("003 §2.3: ≥40 A, ≥33 B, ≥26 C, ≥18 D, <18 E — 以上 includes the number")
    func thresholds() {
        #expect(Rating.ratingClass(total: 45) == "A")
        #expect(Rating.ratingClass(total: 40) == "A")
        #expect(Rating.ratingClass(total: 39) == "B")
        #expect(Rating.ratingClass(total: 33) == "B")
        #expect(Rating.ratingClass(total: 32) == "C")
        #expect(Rating.ratingClass(total: 26) == "C")
        #expect(Rating.ratingClass(total: 25) == "D")
        #expect(Rating.ratingClass(total: 18) == "D")
        #expect(Rating.ratingClass(total: 17) == "E")
        #expect(Rating.ratingClass(total: 0) == "E")
    }
}

/// RULES §1.2 table, one criterion at a time, with the boundary **Decision** ("a range's lower
/// end belongs to the better class"). Level index 0…3 is A…D; nil is unknown / below D (0 分).
@Suite struct RatingCriteriaTests {
    @Test("003 §2.2 + RULES decision: 实际生产能力 100,000 → A, 99,999 → B, 50,000 exactly → B, 10,000 exactly → C, 9,999 → D")
    func capacity() {
        #expect(Rating.capacityLevel(1_000_000) == 0)
        #expect(Rating.capacityLevel(100_000) == 0)
        #expect(Rating.capacityLevel(99_999) == 1)
        #expect(Rating.capacityLevel(50_000) == 1)
        #expect(Rating.capacityLevel(49_999) == 2)
        #expect(Rating.capacityLevel(10_000) == 2)
        #expect(Rating.capacityLevel(9_999) == 3)
        #expect(Rating.capacityLevel(0) == 3)
        #expect(Rating.capacityLevel(nil) == nil)   // unknown → 0 分
        #expect(Rating.capacityLevel(-1) == nil)
    }

    @Test("003 §2.2: 年度行业排名 1–20 A, 21–40 B, 41–60 C, >60 D; no rank (0 / nil) is unknown")
    func ranking() {
        #expect(Rating.rankingLevel(1) == 0)
        #expect(Rating.rankingLevel(20) == 0)
        #expect(Rating.rankingLevel(21) == 1)
        #expect(Rating.rankingLevel(40) == 1)
        #expect(Rating.rankingLevel(41) == 2)
        #expect(Rating.rankingLevel(60) == 2)
        #expect(Rating.rankingLevel(61) == 3)
        #expect(Rating.rankingLevel(500) == 3)
        #expect(Rating.rankingLevel(0) == nil)
        #expect(Rating.rankingLevel(nil) == nil)
    }

    @Test("003 §2.2 + RULES decision: 企业流动资金 (万) 8000 → A, 7999 → B, 3000 exactly → B, 1000 exactly → C, 999 → D")
    func capital() {
        #expect(Rating.capitalLevel(8000) == 0)
        #expect(Rating.capitalLevel(7999) == 1)
        #expect(Rating.capitalLevel(3000) == 1)
        #expect(Rating.capitalLevel(2999) == 2)
        #expect(Rating.capitalLevel(1000) == 2)
        #expect(Rating.capitalLevel(999) == 3)
        #expect(Rating.capitalLevel(nil) == nil)
    }

    @Test("003 §2.2 + RULES decision: 企业生产年限 5 years exactly → A, 4.9 → B, 3 → B, 1 → C, 0.5 → D")
    func years() {
        #expect(Rating.yearsLevel(5) == 0)
        #expect(Rating.yearsLevel(30) == 0)
        #expect(Rating.yearsLevel(4.9) == 1)
        #expect(Rating.yearsLevel(3) == 1)
        #expect(Rating.yearsLevel(2.9) == 2)
        #expect(Rating.yearsLevel(1) == 2)
        #expect(Rating.yearsLevel(0.5) == 3)
        #expect(Rating.yearsLevel(nil) == nil)
    }

    @Test("003 §2.2 + RULES decision: 付款条件 90% A, 80% B, 70% C, 60% D, 59% below D → nil (0 分)")
    func payment() {
        #expect(Rating.paymentLevel(100) == 0)
        #expect(Rating.paymentLevel(90) == 0)
        #expect(Rating.paymentLevel(89) == 1)
        #expect(Rating.paymentLevel(80) == 1)
        #expect(Rating.paymentLevel(70) == 2)
        #expect(Rating.paymentLevel(60) == 3)
        #expect(Rating.paymentLevel(59) == nil)
        #expect(Rating.paymentLevel(0) == nil)
        #expect(Rating.paymentLevel(nil) == nil)
    }

    @Test("003 §2.2 + RULES decision: A=5, B=4, C=3, D=2 points; unknown or below D = 0")
    func points() {
        #expect(Rating.points(level: 0) == 5)
        #expect(Rating.points(level: 1) == 4)
        #expect(Rating.points(level: 2) == 3)
        #expect(Rating.points(level: 3) == 2)
        #expect(Rating.points(level: nil) == 0)
        #expect(Rating.points(level: 4) == 0)
        #expect(Rating.points(level: -1) == 0)
    }

    @Test("003 §2.2: the nine criteria of 表一, in order")
    func nineCriteria() {
        #expect(Rating.criteria.map(\.key) == ["capacity", "ranking", "brand", "nature", "capital", "assets", "years", "credit", "payment"])
        #expect(Rating.criteria.allSatisfy { $0.levels.count == 4 })
    }
}

/// RULES §1.2: the total over the rating form's values, bound through `FormSchema` exactly as
/// the page does.
@Suite struct RatingTotalTests {
    func values(_ pairs: [(String, String)]) throws -> FormValues {
        let bound = Rating.form.bind(FormData(pairs.map { (name: $0.0, value: $0.1) }))
        #expect(bound.errors.isEmpty, "unexpected errors: \(bound.errors)")
        return try #require(bound.values)
    }

    func total(_ pairs: [(String, String)]) throws -> Int { Rating.total(Rating.levels(try values(pairs))) }

    static let allA = [("capacity", "100000"), ("ranking", "1"), ("brand", "0"), ("nature", "0"), ("capital", "8000"),
                       ("assets", "0"), ("years", "5"), ("credit", "0"), ("payment", "90")]

    @Test("003 §2.2–§2.3: all nine criteria at A = 45 points → A 优秀客户")
    func allA() throws {
        let t = try total(Self.allA)
        #expect(t == 45)
        #expect(Rating.ratingClass(total: t) == "A")
    }

    @Test("003 §2.2 + RULES decision: everything unknown = 0 points → E 不予发展客户")
    func allUnknown() throws {
        let t = try total([])
        #expect(t == 0)
        #expect(Rating.ratingClass(total: t) == "E")
        #expect(Rating.levels(try values([])).values.allSatisfy { $0 == nil })
    }

    @Test("003 §2.2–§2.3: a realistic mix computes exactly: 4+5+4+5+4+3+4+5+4 = 38 → B")
    func realisticMix() throws {
        let pairs = [("capacity", "60000"), ("ranking", "15"), ("brand", "1"), ("nature", "0"), ("capital", "3000"),
                     ("assets", "2"), ("years", "4.9"), ("credit", "0"), ("payment", "80")]
        let levels = Rating.levels(try values(pairs))
        #expect(levels["capacity"] == 1)
        #expect(levels["ranking"] == 0)
        #expect(levels["capital"] == 1)
        #expect(levels["assets"] == 2)
        #expect(levels["years"] == 1)
        #expect(levels["payment"] == 1)
        let t = Rating.total(levels)
        #expect(t == 38)
        #expect(Rating.ratingClass(total: t) == "B")
    }

    @Test("003 §2.2 + RULES decision: lower ends belong to the better class: 50,000 / 1000万 / 5 years / 60% → B / C / A / D")
    func boundaryMix() throws {
        // capacity 50,000 B4 · ranking 40 B4 · capital 1000 C3 · years 5 A5 · payment 60 D2 = 18, others unknown → D (18 以上)
        let t = try total([("capacity", "50000"), ("ranking", "40"), ("capital", "1000"), ("years", "5"), ("payment", "60")])
        #expect(t == 18)
        #expect(Rating.ratingClass(total: t) == "D")
    }

    @Test("003 §2.2 + RULES decision: payment 59% (below D) scores 0 and drops an A applicant from 45 to 40")
    func belowD() throws {
        var pairs = Self.allA
        pairs.removeLast()
        pairs.append(("payment", "59"))
        let t = try total(pairs)
        #expect(t == 40)
        #expect(Rating.ratingClass(total: t) == "A")
        pairs.removeLast()
        pairs.append(("payment", "0"))
        pairs[0] = ("capacity", "9999")   // D: 2 points
        #expect(try total(pairs) == 37)
    }

    @Test("003 §2.5: out-of-range scores are refused by the rating form (payment 150, ranking abc, ranking 0, years 4.55, brand 9)")
    func badInput() {
        let bound = Rating.form.bind(FormData([("payment", "150"), ("ranking", "abc"), ("years", "4.55"), ("brand", "9")]))
        #expect(bound.values == nil)
        #expect(bound.errors["payment"] == "应在 0 至 100 之间")
        #expect(bound.errors["ranking"] == "请输入整数")
        #expect(bound.errors["years"] == "请输入年数，如 3 或 4.5")
        #expect(bound.errors["brand"] == "请从列表中选择")
        #expect(Rating.form.bind(FormData([("ranking", "0")])).errors["ranking"] != nil)
        #expect(Rating.form.bind(FormData([("capacity", "-5")])).errors["capacity"] != nil)
    }
}

/// 002 §6: the customer code.
@Suite struct CustomerCodeTests {
    @Test("002 §6: KH-YYYY-NNNN pads the sequence to four digits: 2026, 1 → KH-2026-0001")
    func defaultFormat() {
        #expect(CustomerCode.make(format: "KH-YYYY-NNNN", year: 2026, number: 1) == "KH-2026-0001")
        #expect(CustomerCode.make(format: "KH-YYYY-NNNN", year: 2026, number: 42) == "KH-2026-0042")
        #expect(CustomerCode.make(format: "KH-YYYY-NNNN", year: 2027, number: 9999) == "KH-2027-9999")
    }

    @Test("002 §6: a number wider than the pattern is never truncated (unique): 12345 → KH-2026-12345")
    func overflow() {
        #expect(CustomerCode.make(format: "KH-YYYY-NNNN", year: 2026, number: 12345) == "KH-2026-12345")
    }

    @Test("002 §6: custom formats C-YYYY-NN and YYYYNNNNNN")
    func customFormats() {
        #expect(CustomerCode.make(format: "C-YYYY-NN", year: 2026, number: 7) == "C-2026-07")
        #expect(CustomerCode.make(format: "C-YYYY-NN", year: 2026, number: 123) == "C-2026-123")
        #expect(CustomerCode.make(format: "YYYYNNNNNN", year: 2026, number: 5) == "2026000005")
    }

    @Test("002 §6: a prefix containing the letter N (CN-, NJ-) is kept — the sequence goes into the N run after YYYY, or the format is refused")
    func prefixWithN() {
        for (format, expected) in [("CN-YYYY-NNNN", "CN-2026-0001"), ("NJ-YYYY-NNNN", "NJ-2026-0001")] {
            let code = CustomerCode.make(format: format, year: 2026, number: 1)
            #expect(code == expected || !CustomerCode.isValidFormat(format),
                    "format \(format) is accepted but gives \(code)")
        }
    }

    @Test("002 §6: a format must contain YYYY and a run of N, at most 30 characters")
    func validFormat() {
        #expect(CustomerCode.isValidFormat("KH-YYYY-NNNN"))
        #expect(CustomerCode.isValidFormat("C-YYYY-NN"))
        #expect(!CustomerCode.isValidFormat("KH-NNNN"))
        #expect(!CustomerCode.isValidFormat("KH-YYYY"))
        #expect(!CustomerCode.isValidFormat(""))
        #expect(!CustomerCode.isValidFormat("KH-YYYY-NNNN-" + String(repeating: "X", count: 20)))
    }
}

/// 新客户认定申请表 (002 §5 step 4) validation.
@Suite struct ApplicationFormTests {
    func bind(_ pairs: [(String, String)], today: LocalDate? = LocalDate(year: 2026, month: 6, day: 1)) -> BoundForm {
        ApplicationPages.form.bind(FormData([("company_name", "华东汽车配件有限公司")].map { (name: $0.0, value: $0.1) }
                                            + pairs.map { (name: $0.0, value: $0.1) }), today: today)
    }

    @Test("002 §5 支付条件: cash % + cheque % must total 100 — error beside pay_check_pct")
    func paymentSplit() {
        let bad = bind([("pay_cash_pct", "60"), ("pay_check_pct", "30")])
        #expect(bad.values == nil)
        #expect(bad.errors["pay_check_pct"] == "现金与支票比例合计应为 100%")
        #expect(bad.errors["pay_cash_pct"] == nil)
        #expect(bind([("pay_cash_pct", "50")]).errors["pay_check_pct"] != nil)   // missing cheque share counts as 0
        #expect(bind([("pay_cash_pct", "60"), ("pay_check_pct", "40")]).values != nil)
        #expect(bind([("pay_cash_pct", "100")]).values != nil)
        #expect(bind([("pay_check_pct", "100")]).values != nil)
        #expect(bind([]).values != nil)                                            // not filled in: no check
    }

    @Test("002 §5: 邮编 is six digits")
    func postcode() {
        #expect(bind([("postcode", "200001")]).values != nil)
        #expect(bind([("postcode", "20001")]).errors["postcode"] == "邮编为 6 位数字")
        #expect(bind([("postcode", "20000a")]).errors["postcode"] == "邮编为 6 位数字")
        #expect(bind([("postcode", "2000011")]).errors["postcode"] == "邮编为 6 位数字")
    }

    @Test("002 §5: 企业名称 is required; 成立时间 cannot be in the future")
    func requiredAndDates() {
        let none = ApplicationPages.form.bind(FormData([]))
        #expect(none.errors["company_name"] == "此项为必填项")
        #expect(bind([("founded", "2026-06-02")]).errors["founded"] == "日期不能晚于今天")
        #expect(bind([("founded", "2026-06-01")]).values != nil)
        #expect(bind([("founded", "2026-02-30")]).errors["founded"] == "请输入有效日期，格式 YYYY-MM-DD")
    }

    @Test("002 §5: 主要股东 and 近期业绩 rows keep their values; blank rows are ignored; money is 分")
    func rows() throws {
        let b = bind([("shareholders.0.name", "张三"), ("shareholders.0.title", "董事长"),
                      ("shareholders.1.name", ""), ("shareholders.1.title", ""),
                      ("shareholders.2.name", "李四"),
                      ("results.0.year", "2025"), ("results.0.sales", "1,234,567.50"), ("results.0.net_profit", "-100"),
                      ("main_customers.0.name", "一汽"), ("main_customers.0.amount", "5000000")])
        let v = try #require(b.values, "errors: \(b.errors)")
        let holders = v.rows("shareholders")
        #expect(holders.map { $0.string("name") } == ["张三", "李四"])
        #expect(holders.first?.string("title") == "董事长")
        let results = v.rows("results")
        #expect(results.count == 1)
        #expect(results.first?.int("year") == 2025)
        #expect(results.first?.money("sales") == 123_456_750)
        #expect(results.first?.money("net_profit") == -10_000)
        #expect(v.rows("main_customers").first?.money("amount") == 500_000_000)
    }

    @Test("002 §5: a row with an error keeps every typed cell and names the cell (results.0.year)")
    func rowErrors() {
        let b = bind([("results.0.sales", "100"), ("results.1.year", "1800"), ("shareholders.0.title", "监事")])
        #expect(b.values == nil)
        #expect(b.errors["results.0.year"] == "此项为必填项")
        #expect(b.errors["results.1.year"] == "应在 1950 至 2100 之间")
        #expect(b.errors["shareholders.0.name"] == "此项为必填项")
        #expect(b.raw["results.0.sales"] == "100")
        #expect(b.raw["shareholders.0.title"] == "监事")
    }
}
