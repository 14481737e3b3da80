import Foundation
import SalesKit

/// Customer rating A–E (003 §2.2–§2.4, RULES §1.2): nine criteria, A = 5, B = 4, C = 3, D = 2
/// points; a criterion unknown or below the D level scores 0 (RULES **Decision**). A range's
/// lower end belongs to the better class (RULES **Decision**: 5万 exactly is B, 5 years is A).
public enum Rating {
    public struct Criterion: Sendable {
        public let key: String
        public let title: String
        /// The A/B/C/D descriptions as printed in the seed table.
        public let levels: [String]
    }

    public static let criteria: [Criterion] = [
        Criterion(key: "capacity", title: "实际生产能力", levels: ["≥ 10万辆/年", "5万–10万辆/年", "1万–5万辆/年", "< 1万辆/年"]),
        Criterion(key: "ranking", title: "年度行业排名", levels: ["1–20 位", "21–40 位", "41–60 位", "60 位以后"]),
        Criterion(key: "brand", title: "品牌知名度", levels: ["高（国家级）", "较高（区域级）", "一般性", "无"]),
        Criterion(key: "nature", title: "企业性质", levels: ["中外合资", "国有、大型民营", "中型民营", "小型民营"]),
        Criterion(key: "capital", title: "企业流动资金", levels: ["≥ 8000万", "3000万–8000万", "1000万–3000万", "< 1000万"]),
        Criterion(key: "assets", title: "固定资产投入状况", levels: [
            "厂房自有，生产、测试、检测等设备齐全、完好", "厂房自有，生产、测试、检测等设备基本齐全",
            "厂房租赁，生产、测试、检测等设备齐全、完好", "厂房租赁，生产、测试、检测等设备基本齐全"]),
        Criterion(key: "years", title: "企业生产年限", levels: ["≥ 5年", "3–5年", "1–3年", "< 1年"]),
        Criterion(key: "credit", title: "企业信誉度", levels: ["很好", "良好", "基本可以", "一般"]),
        Criterion(key: "payment", title: "付款条件", levels: ["每月按总货款的 90% 滚动付款", "80%", "70%", "60%"]),
    ]

    /// Points for a level index 0…3 (A…D); nil (unknown / below D) is 0.
    public static func points(level: Int?) -> Int {
        guard let level, (0...3).contains(level) else { return 0 }
        return 5 - level
    }

    /// 实际生产能力 in vehicles per year.
    public static func capacityLevel(_ vehicles: Int64?) -> Int? {
        guard let v = vehicles, v >= 0 else { return nil }
        if v >= 100_000 { return 0 }
        if v >= 50_000 { return 1 }
        if v >= 10_000 { return 2 }
        return 3
    }

    /// 年度行业排名 (1 = first).
    public static func rankingLevel(_ rank: Int64?) -> Int? {
        guard let r = rank, r >= 1 else { return nil }
        if r <= 20 { return 0 }
        if r <= 40 { return 1 }
        if r <= 60 { return 2 }
        return 3
    }

    /// 企业流动资金 in 万元.
    public static func capitalLevel(_ wan: Int64?) -> Int? {
        guard let w = wan, w >= 0 else { return nil }
        if w >= 8000 { return 0 }
        if w >= 3000 { return 1 }
        if w >= 1000 { return 2 }
        return 3
    }

    /// 企业生产年限 in years (decimals allowed).
    public static func yearsLevel(_ years: Double?) -> Int? {
        guard let y = years, y >= 0 else { return nil }
        if y >= 5 { return 0 }
        if y >= 3 { return 1 }
        if y >= 1 { return 2 }
        return 3
    }

    /// 付款条件: monthly rolling payment as a percentage of the total owed. Below 60% is below
    /// the D level and scores 0.
    public static func paymentLevel(_ percent: Int64?) -> Int? {
        guard let p = percent else { return nil }
        if p >= 90 { return 0 }
        if p >= 80 { return 1 }
        if p >= 70 { return 2 }
        if p >= 60 { return 3 }
        return nil
    }

    /// Class from the total (max 45): ≥40 A 优秀客户 · ≥33 B 良好客户 · ≥26 C 一般客户 ·
    /// ≥18 D 谨慎发展客户 · <18 E 不予发展客户 ("以上" includes the number).
    public static func ratingClass(total: Int) -> String {
        if total >= 40 { return "A" }
        if total >= 33 { return "B" }
        if total >= 26 { return "C" }
        if total >= 18 { return "D" }
        return "E"
    }

    public static let classTitles = ["A": "优秀客户", "B": "良好客户", "C": "一般客户", "D": "谨慎发展客户", "E": "不予发展客户"]

    /// The levels (0…3 or nil) of all nine criteria from a rating form's values.
    public static func levels(_ v: FormValues) -> [String: Int?] {
        func choice(_ key: String) -> Int? { Int(v.string(key)).flatMap { (0...3).contains($0) ? $0 : nil } }
        return [
            "capacity": capacityLevel(v.int("capacity")),
            "ranking": rankingLevel(v.int("ranking")),
            "brand": choice("brand"),
            "nature": choice("nature"),
            "capital": capitalLevel(v.int("capital")),
            "assets": choice("assets"),
            "years": yearsLevel(Double(v.string("years"))),
            "credit": choice("credit"),
            "payment": paymentLevel(v.int("payment")),
        ]
    }

    public static func total(_ levels: [String: Int?]) -> Int {
        criteria.reduce(0) { $0 + points(level: levels[$1.key] ?? nil) }
    }

    static func levelChoices(_ key: String) -> [Choice] {
        guard let c = criteria.first(where: { $0.key == key }) else { return [] }   // keys are literals below
        return c.levels.prefix(4).enumerated().map { Choice(String($0.offset), "\(["A", "B", "C", "D"][$0.offset])（\(5 - $0.offset) 分）\($0.element)") }
    }

    /// The 客户评定报告 scoring form (003 §2.5, 表一). Every criterion may be left unknown (0 分).
    public static let form = FormSchema([
        FormField("capacity", "实际生产能力（辆/年）", .integer, rules: [.range(0, nil)]),
        FormField("ranking", "年度行业排名（位）", .integer, rules: [.range(1, 10_000)]),
        FormField("brand", "品牌知名度", .select(levelChoices("brand"))),
        FormField("nature", "企业性质", .select(levelChoices("nature"))),
        FormField("capital", "企业流动资金（万元）", .integer, rules: [.range(0, nil)]),
        FormField("assets", "固定资产投入状况", .select(levelChoices("assets"))),
        FormField("years", "企业生产年限（年）", rules: [.pattern("[0-9]{1,3}(\\.[0-9])?", message: "请输入年数，如 3 或 4.5")]),
        FormField("credit", "企业信誉度", .select(levelChoices("credit"))),
        FormField("payment", "付款条件（每月滚动付款占总货款 %）", .integer, rules: [.range(0, 100)]),
        FormField("note", "评定说明", .textarea, rules: [.length(min: nil, max: 1000)]),
    ])
}
