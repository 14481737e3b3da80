import Foundation
import SalesKit

/// Suggestion statistics for a year: submitted per month (by the batch a suggestion was first
/// submitted to), adopted and the adoption rate per month, and the department ranking — with bar
/// charts drawn server-side as inline SVG (no JavaScript; colours as SVG presentation attributes,
/// since the site's CSP forbids inline `style` attributes; every text escaped by the template).
///
/// **Decisions.** Adopted = graded 一等–四等 and published. Adoption rate = adopted ÷ submitted of
/// the same month (suggestions still pending — e.g. reserved — count as submitted, not adopted,
/// and are shown as 待定). Departments are the proposers' departments at submission.
enum StatsPages {
    struct Month {
        var month: Int
        var submitted: Int
        var decided: Int
        var adopted: Int
    }

    struct DepartmentStat {
        var department: String
        var submitted: Int
        var adopted: Int
        var headcount: Int?
    }

    static func percent(_ part: Int, _ whole: Int) -> String {
        whole > 0 ? String(format: "%.1f%%", Double(part) * 100 / Double(whole)) : "—"
    }

    static func f(_ x: Double) -> String { String(format: "%.1f", x) }

    /// A round axis maximum and its step (1, 2 or 5 × 10ⁿ), at least 1.
    static func axis(_ maxValue: Int) -> (top: Int, step: Int) {
        guard maxValue > 0 else { return (5, 1) }
        let maxValue = min(maxValue, 1_000_000_000_000)   // counts; bounded so nothing below overflows
        var magnitude = 1
        while magnitude * 10 <= maxValue { magnitude *= 10 }
        for m in [1, 2, 5, 10] {
            let step = max(1, magnitude * m / 5)
            let top = (maxValue + step - 1) / step * step
            if top / step <= 6 { return (top, step) }
        }
        return (maxValue, max(1, maxValue / 5))
    }

    static func load(year: Int, _ ctx: Context) throws -> (months: [Month], departments: [DepartmentStat]) {
        let from = SuggestionCalendar.Batch(year: year, month: 1).description, to = SuggestionCalendar.Batch(year: year, month: 12).description
        let adoptedCase: SQL = "CASE WHEN published = 1 AND outcome IN ('grade1', 'grade2', 'grade3', 'grade4') THEN 1 ELSE 0 END"
        var byMonth: [String: Row] = [:]
        for r in try ctx.db.query("""
            SELECT first_batch, COUNT(*) AS submitted, SUM(CASE WHEN published = 1 THEN 1 ELSE 0 END) AS decided, SUM(\(adoptedCase)) AS adopted
            FROM ideas_suggestions WHERE first_batch >= \(from) AND first_batch <= \(to) GROUP BY first_batch
            """) { byMonth[r.string("first_batch") ?? ""] = r }
        let months = (1...12).map { m -> Month in
            let r = byMonth[SuggestionCalendar.Batch(year: year, month: m).description]
            return Month(month: m, submitted: Int(r?.int("submitted") ?? 0), decided: Int(r?.int("decided") ?? 0),
                         adopted: Int(r?.int("adopted") ?? 0))
        }
        let heads = Dictionary(try ctx.db.query("SELECT name, headcount FROM ideas_departments").map {
            ($0.string("name") ?? "", Int($0.int("headcount") ?? 0))
        }, uniquingKeysWith: { a, _ in a })
        let departments = try ctx.db.query("""
            SELECT department, COUNT(*) AS submitted, SUM(\(adoptedCase)) AS adopted
            FROM ideas_suggestions WHERE first_batch >= \(from) AND first_batch <= \(to) GROUP BY department
            """).map { r in
            let d = r.string("department") ?? ""
            return DepartmentStat(department: d, submitted: Int(r.int("submitted") ?? 0), adopted: Int(r.int("adopted") ?? 0), headcount: heads[d])
        }.sorted { a, b in
            if a.adopted != b.adopted { return a.adopted > b.adopted }
            if a.submitted != b.submitted { return a.submitted > b.submitted }
            return a.department < b.department
        }
        return (months, departments)
    }

    /// Grouped monthly bars: submitted and adopted.
    static func monthChart(_ months: [Month]) -> StatsPage.MonthChart {
        let width = 720.0, height = 280.0, left = 44.0, right = 12.0, top = 24.0, bottom = 36.0
        let plotW = width - left - right, plotH = height - top - bottom
        let (maxV, step) = axis(months.map(\.submitted).max() ?? 0)
        func y(_ v: Int) -> Double { top + plotH - Double(v) / Double(maxV) * plotH }
        let group = plotW / 12, barW = 18.0, gap = 3.0
        let grid = stride(from: 0, through: maxV, by: step).map { v in
            StatsPage.GridLine(y: f(y(v)), ty: f(y(v) + 4), value: v, x1: f(left), x2: f(width - right), tx: f(left - 6))
        }
        let bars = months.enumerated().map { (i, m) in
            let x0 = left + Double(i) * group + (group - 2 * barW - gap) / 2
            return StatsPage.MonthBar(
                label: "\(m.month)月", lx: f(left + Double(i) * group + group / 2), ly: f(height - bottom + 16),
                sx: f(x0), sy: f(y(m.submitted)), sh: f(Double(m.submitted) / Double(maxV) * plotH), submitted: m.submitted,
                ax: f(x0 + barW + gap), ay: f(y(m.adopted)), ah: f(Double(m.adopted) / Double(maxV) * plotH), adopted: m.adopted,
                stx: f(x0 + barW / 2), sty: f(y(m.submitted) - 3), atx: f(x0 + barW + gap + barW / 2), aty: f(y(m.adopted) - 3),
                hasSubmitted: m.submitted > 0, hasAdopted: m.adopted > 0, bw: f(barW))
        }
        return StatsPage.MonthChart(width: f(width), height: f(height), grid: grid, bars: bars,
                                    axisX1: f(left), axisX2: f(width - right), axisY: f(top + plotH),
                                    legendX: f(width - right - 190), legendTextX: f(width - right - 176),
                                    legend2X: f(width - right - 100), legend2TextX: f(width - right - 86))
    }

    /// Horizontal bars per department (top 10 by the ranking): submitted behind adopted.
    static func departmentChart(_ rows: [DepartmentStat]) -> StatsPage.DepartmentChart {
        let shown = Array(rows.prefix(10))
        let width = 720.0, labelW = 150.0, right = 40.0, rowH = 26.0, top = 8.0
        let plotW = width - labelW - right
        let maxV = max(1, shown.map(\.submitted).max() ?? 1)
        let height = top * 2 + rowH * Double(max(shown.count, 1))
        return StatsPage.DepartmentChart(width: f(width), height: f(height), rows: shown.enumerated().map { (i, d) in
            let y = top + Double(i) * rowH
            let name = d.department.isEmpty ? "（未填部门）" : d.department
            let sw = Double(d.submitted) / Double(maxV) * plotW, aw = Double(d.adopted) / Double(maxV) * plotW
            return StatsPage.DepartmentBar(name: name, label: name.count > 10 ? String(name.prefix(9)) + "…" : name,
                                           lx: f(labelW - 8), ly: f(y + rowH / 2 + 4), x: f(labelW), y: f(y + 4), h: f(rowH - 8),
                                           sw: f(sw), aw: f(aw), tx: f(labelW + sw + 4), submitted: d.submitted, adopted: d.adopted)
        })
    }

    static let overview: Handler = { req, ctx in
        let raw = req.query["year"] ?? ""
        let year: Int
        if raw.isEmpty {
            year = ctx.today.year
        } else {
            guard let y = Int(raw), (2000...2100).contains(y) else { throw HTTPError.badRequest("年份无效") }
            year = y
        }
        let (months, departments) = try load(year: year, ctx)
        if req.query["format"] == "csv" {
            return .csv(filename: "建议统计-\(year).csv", CSVTable(
                header: ["月份（首次提交批次）", "提交", "已公布", "采用", "待定", "采用率"],
                rows: months.map { m in
                    [SuggestionCalendar.Batch(year: year, month: m.month).description, String(m.submitted), String(m.decided),
                     String(m.adopted), String(m.submitted - m.decided), percent(m.adopted, m.submitted)]
                }))
        }
        let totalSubmitted = months.reduce(0) { $0 + $1.submitted }, totalAdopted = months.reduce(0) { $0 + $1.adopted }
        let totalDecided = months.reduce(0) { $0 + $1.decided }
        return ctx.render(StatsPage(
            year: year, prevHref: "/ideas/stats?year=\(year - 1)", nextHref: "/ideas/stats?year=\(year + 1)",
            csvHref: "/ideas/stats?year=\(year)&format=csv",
            monthChart: monthChart(months),
            months: months.map { m in
                .init(month: "\(m.month) 月", submitted: m.submitted, decided: m.decided, adopted: m.adopted,
                      pending: m.submitted - m.decided, rate: percent(m.adopted, m.submitted))
            },
            total: .init(month: "全年", submitted: totalSubmitted, decided: totalDecided, adopted: totalAdopted,
                         pending: totalSubmitted - totalDecided, rate: percent(totalAdopted, totalSubmitted)),
            hasDepartments: !departments.isEmpty, departmentChart: departmentChart(departments),
            departments: departments.enumerated().map { (i, d) in
                .init(rank: i + 1, department: d.department.isEmpty ? "（未填部门）" : d.department, submitted: d.submitted,
                      adopted: d.adopted, rate: percent(d.adopted, d.submitted),
                      headcount: d.headcount.map(String.init) ?? "—",
                      perCapita: d.headcount.map { $0 > 0 ? String(format: "%.3f", Double(d.adopted) / Double($0)) : "—" } ?? "—")
            }), title: "建议统计 \(year) 年")
    }
}

/// 建议统计 (`stats-overview`): the year's months and departments, each with an inline SVG chart.
struct StatsPage: PageModel {
    static let template = "stats-overview"

    /// SVG coordinates are display strings (one decimal), counts are numbers.
    struct GridLine: TemplateModel {
        var y: String
        var ty: String
        var value: Int
        var x1: String
        var x2: String
        var tx: String
    }

    struct MonthBar: TemplateModel {
        var label: String
        var lx: String
        var ly: String
        var sx: String
        var sy: String
        var sh: String
        var submitted: Int
        var ax: String
        var ay: String
        var ah: String
        var adopted: Int
        var stx: String
        var sty: String
        var atx: String
        var aty: String
        var hasSubmitted: Bool
        var hasAdopted: Bool
        var bw: String
    }

    struct MonthChart: TemplateModel {
        var width: String
        var height: String
        var grid: [GridLine]
        var bars: [MonthBar]
        var axisX1: String
        var axisX2: String
        var axisY: String
        var legendX: String
        var legendTextX: String
        var legend2X: String
        var legend2TextX: String
    }

    struct DepartmentBar: TemplateModel {
        var name: String
        var label: String
        var lx: String
        var ly: String
        var x: String
        var y: String
        var h: String
        var sw: String
        var aw: String
        var tx: String
        var submitted: Int
        var adopted: Int
    }

    struct DepartmentChart: TemplateModel {
        var width: String
        var height: String
        var rows: [DepartmentBar]
    }

    /// A month of the table, or the year's total (`month` 全年).
    struct Month: TemplateModel {
        var month: String
        var submitted: Int
        var decided: Int
        var adopted: Int
        var pending: Int
        var rate: String
    }

    struct Department: TemplateModel {
        var rank: Int
        var department: String
        var submitted: Int
        var adopted: Int
        var rate: String
        var headcount: String
        var perCapita: String
    }

    var year: Int
    var prevHref: String
    var nextHref: String
    var csvHref: String
    var monthChart: MonthChart
    var months: [Month]
    var total: Month
    var hasDepartments: Bool
    var departmentChart: DepartmentChart
    var departments: [Department]
}
