import Foundation

/// A bar chart drawn on the server as inline SVG (issue #16 point 10): a y axis with round tick
/// values in a readable unit (万元, 元, 件 …), the categories under the bars, each bar's value
/// printed above it (not only in a tooltip), a legend when there is more than one series, and a
/// `<table>` with the exact values for screen readers. The SVG has a `viewBox` and is as wide as
/// its box, so it scales with the screen; no JavaScript, colours as presentation attributes.
///
/// Put it in the page model (`var chart: BarChart`) and write `{{#chart}}{{>charts/bar}}{{/chart}}`:
///
/// ```swift
/// let chart = BarChart(id: "months", title: "各月订货总额", measure: .money,
///                      categories: (1...12).map { "\($0)月" },
///                      series: [.init("订货总额", values: monthTotalsInFen)])
/// let ideas = BarChart(id: "ideas", title: "每月提交与采用", measure: .count("件"),
///                      categories: months, series: [.init("提交", values: submitted), .init("采用", values: adopted)])
/// ```
public struct BarChart: TemplateModel, Equatable {
    /// What the values are.
    public enum Measure: Sendable, Equatable {
        /// Amounts in 分: the axis in 万元 from 1 万元 up, in 元 below.
        case money
        /// Counts of something (「件」, 「人」, 「次」).
        case count(String)
    }

    /// One series of values, one per category (missing values count as 0).
    public struct Series: Sendable, Equatable {
        public var name: String
        public var values: [Int64]

        public init(_ name: String, values: [Int64]) {
            self.name = name
            self.values = values
        }
    }

    /// The axis unit: values are divided by `divisor` to be shown in it.
    public struct Scale: Sendable, Equatable {
        public var unit: String
        public var divisor: Int64
        /// The smallest tick step, in the values' own unit (1 件, 1 元, 0.01 万元).
        public var minStep: Int64

        public static func of(_ measure: Measure, max: Int64) -> Scale {
            switch measure {
            case .money:
                max >= 1_000_000 ? Scale(unit: "万元", divisor: 1_000_000, minStep: 10_000)
                                 : Scale(unit: "元", divisor: 100, minStep: 100)
            case .count(let unit):
                Scale(unit: unit, divisor: 1, minStep: 1)
            }
        }
    }

    // MARK: the model the template draws (SVG coordinates as text, one decimal)

    public struct Tick: TemplateModel, Equatable {
        public var y: String
        public var ty: String
        public var x1: String
        public var x2: String
        public var tx: String
        public var label: String
    }

    public struct Bar: TemplateModel, Equatable {
        public var x: String
        public var y: String
        public var w: String
        public var h: String
        public var fill: String
        /// 「3月：订货总额 ¥12,345.00」 (the tooltip).
        public var title: String
        /// The value in the axis unit, printed above the bar (empty for 0).
        public var value: String
        public var hasValue: Bool
        public var tx: String
        public var ty: String
    }

    public struct Group: TemplateModel, Equatable {
        /// The category under the bars (cut with 「…」 when it does not fit).
        public var label: String
        public var fullLabel: String
        public var lx: String
        public var ly: String
        public var bars: [Bar]
    }

    public struct LegendEntry: TemplateModel, Equatable {
        public var name: String
        public var fill: String
        public var x: String
        public var tx: String
    }

    public struct Row: TemplateModel, Equatable {
        public var label: String
        public var cells: [String]
    }

    /// Unique on the page (the SVG's and table's ids are made from it).
    public var id: String
    public var title: String
    /// 「单位：万元」.
    public var unitText: String
    public var width: String
    public var height: String
    public var axisX1: String
    public var axisX2: String
    public var axisY: String
    public var ticks: [Tick]
    public var groups: [Group]
    public var hasLegend: Bool
    public var legend: [LegendEntry]
    /// The table: one column per series, the exact values.
    public var seriesNames: [String]
    public var rows: [Row]

    public static let palette = ["#3b6ea5", "#e09b3d", "#2f6f4f", "#a34a6a"]

    public init(id: String, title: String, measure: Measure, categories: [String], series: [Series]) {
        let width = 640.0, height = 260.0, top = 30.0, bottom = 30.0, right = 8.0
        let top1 = series.flatMap(\.values).max() ?? 0
        let scale = Scale.of(measure, max: top1)
        let ticks = Self.ticks(max: top1, scale: scale)
        let axisMax = ticks.last ?? 1
        let tickLabels = ticks.map { Self.number($0, scale: scale, decimals: Self.decimals(step: ticks.count > 1 ? ticks[1] : scale.divisor, scale: scale)) }
        let left = max(36, Double(tickLabels.map(\.count).max() ?? 1) * 7 + 12)
        let plotW = width - left - right, plotH = height - top - bottom
        func y(_ v: Int64) -> Double { top + plotH - Double(Swift.min(Swift.max(v, 0), axisMax)) / Double(Swift.max(axisMax, 1)) * plotH }

        self.id = id
        self.title = title
        unitText = "单位：" + scale.unit
        self.width = Self.f(width)
        self.height = Self.f(height)
        axisX1 = Self.f(left)
        axisX2 = Self.f(width - right)
        axisY = Self.f(top + plotH)
        self.ticks = zip(ticks, tickLabels).map { v, label in
            Tick(y: Self.f(y(v)), ty: Self.f(y(v) + 4), x1: Self.f(left), x2: Self.f(width - right), tx: Self.f(left - 6), label: label)
        }
        let n = Swift.max(categories.count, 1), k = Swift.max(series.count, 1)
        let groupW = plotW / Double(n)
        let barW = Swift.min(32, groupW * 0.8 / Double(k)), gap = k > 1 ? 2.0 : 0
        let maxChars = Swift.max(1, Int(groupW / 12))
        groups = categories.enumerated().map { i, category in
            let x0 = left + Double(i) * groupW + (groupW - barW * Double(k) - gap * Double(k - 1)) / 2
            return Group(
                label: category.count > maxChars ? String(category.prefix(Swift.max(maxChars - 1, 1))) + "…" : category,
                fullLabel: category, lx: Self.f(left + Double(i) * groupW + groupW / 2), ly: Self.f(height - bottom + 18),
                bars: series.enumerated().map { j, s in
                    let v = i < s.values.count ? s.values[i] : 0
                    let x = x0 + Double(j) * (barW + gap)
                    return Bar(x: Self.f(x), y: Self.f(y(v)), w: Self.f(barW), h: Self.f(top + plotH - y(v)),
                               fill: Self.palette[j % Self.palette.count],
                               title: "\(category)：\(s.name) \(Self.exact(v, measure))",
                               value: v == 0 ? "" : Self.number(v, scale: scale, decimals: Self.valueDecimals(scale)), hasValue: v != 0,
                               tx: Self.f(x + barW / 2), ty: Self.f(y(v) - 4))
                })
        }
        hasLegend = series.count > 1
        var x = width - right
        var entries: [LegendEntry] = []
        for (j, s) in series.enumerated().reversed() {
            x -= 10 + 4 + Double(s.name.count) * 12 + 12
            entries.insert(LegendEntry(name: s.name, fill: Self.palette[j % Self.palette.count], x: Self.f(x), tx: Self.f(x + 14)), at: 0)
        }
        legend = entries
        seriesNames = series.map(\.name)
        rows = categories.enumerated().map { i, category in
            Row(label: category, cells: series.map { s in Self.exact(i < s.values.count ? s.values[i] : 0, measure) })
        }
    }

    // MARK: the axis

    /// The y axis ticks, from 0 to the first round value at or above `max`: a step of 1, 2 or 5
    /// times a power of ten of the axis unit (at least `scale.minStep`), at most five steps.
    /// `[0, 200_000_000, …]` for 8.7 million 元 in 分 means 0, 200, 400 … 万元.
    public static func ticks(max: Int64, scale: Scale) -> [Int64] {
        let top = Swift.max(max, scale.minStep)
        var step = scale.minStep
        // The smallest 1-2-5 step with five steps covering `top`.
        outer: while true {
            for m: Int64 in [1, 2, 5] {
                let (s, o1) = step.multipliedReportingOverflow(by: m)
                if o1 { break outer }
                let (covered, o2) = s.multipliedReportingOverflow(by: 5)
                if o2 || covered >= top { step = s; break outer }
            }
            let (next, o) = step.multipliedReportingOverflow(by: 10)
            if o { break }
            step = next
        }
        var out: [Int64] = [0]
        var v: Int64 = 0
        while v < top {
            let (next, o) = v.addingReportingOverflow(step)
            if o { break }
            v = next
            out.append(v)
        }
        return out
    }

    /// Decimals a tick label needs for `step` in the axis unit (0.5 万元 → 1).
    static func decimals(step: Int64, scale: Scale) -> Int {
        var d = 0, q = scale.divisor
        while q > 1 && step % q != 0 { q /= 10; d += 1 }
        return d
    }

    /// Values over the bars: 万元 to two decimals (12.35), 元 and counts whole.
    static func valueDecimals(_ scale: Scale) -> Int { scale.divisor >= 1_000_000 ? 2 : 0 }

    /// `v / divisor` with `decimals` decimals (rounded half up), thousands grouped, trailing zeros
    /// of the decimals dropped: 12,350,000 分 in 万元 → 「12.35」, 8,750,000 → 「8.75」, 10,000,000 → 「10」.
    public static func number(_ v: Int64, scale: Scale, decimals: Int) -> String {
        let negative = v < 0
        var p: UInt64 = 1
        for _ in 0..<decimals { p *= 10 }
        let divisor = UInt64(scale.divisor)
        let m = v.magnitude
        let whole = m / divisor, rest = m % divisor
        // rest / divisor in units of 1/p, rounded half up (rest < divisor ≤ 10^6, no overflow).
        var frac = divisor / p > 0 ? (rest + divisor / p / 2) / (divisor / p) : rest * (p / divisor)
        var w = whole
        if frac >= p { w += 1; frac -= p }
        var grouped = ""
        for (i, ch) in String(w).reversed().enumerated() {
            if i > 0 && i % 3 == 0 { grouped.append(",") }
            grouped.append(ch)
        }
        var s = String(grouped.reversed())
        if decimals > 0 {
            var digits = String(frac)
            digits = String(repeating: "0", count: Swift.max(0, decimals - digits.count)) + digits
            while digits.hasSuffix("0") { digits.removeLast() }
            if !digits.isEmpty { s += "." + digits }
        }
        return (negative && (w > 0 || frac > 0) ? "-" : "") + s
    }

    /// The exact value as the table shows it: ¥1,234.56, or 「4 件」.
    static func exact(_ v: Int64, _ measure: Measure) -> String {
        switch measure {
        case .money: Money.yuan(v)
        case .count(let unit): "\(v) \(unit)"
        }
    }

    static func f(_ v: Double) -> String { String(format: "%.1f", v) }
}
