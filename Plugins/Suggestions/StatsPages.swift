import Foundation
import SalesKit

/// Suggestion statistics for a year: submitted per month (by the batch a suggestion was first
/// submitted to), adopted and the adoption rate per month, and the department ranking — with bar
/// charts drawn server-side as inline SVG by the shared `BarChart` (no JavaScript; colours as SVG
/// presentation attributes, since the site's CSP forbids inline `style` attributes).
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

    /// Monthly bars: submitted and adopted (the shared chart: axis, values, legend, screen-reader table).
    static func monthChart(_ months: [Month], year: Int) -> BarChart {
        BarChart(id: "ideas-months", title: "\(year) 年每月提交与采用的建议", measure: .count("件"),
                 categories: months.map { "\($0.month)月" },
                 series: [.init("提交", values: months.map { Int64($0.submitted) }), .init("采用", values: months.map { Int64($0.adopted) })])
    }

    /// The department ranking's first ten: submitted and adopted per department.
    static func departmentChart(_ rows: [DepartmentStat], year: Int) -> BarChart {
        let shown = Array(rows.prefix(10))
        return BarChart(id: "ideas-departments", title: "\(year) 年各部门提交与采用的建议（前 10 名）", measure: .count("件"),
                        categories: shown.map { $0.department.isEmpty ? "（未填部门）" : $0.department },
                        series: [.init("提交", values: shown.map { Int64($0.submitted) }), .init("采用", values: shown.map { Int64($0.adopted) })])
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
            monthChart: monthChart(months, year: year),
            months: months.map { m in
                .init(month: "\(m.month) 月", submitted: m.submitted, decided: m.decided, adopted: m.adopted,
                      pending: m.submitted - m.decided, rate: percent(m.adopted, m.submitted))
            },
            total: .init(month: "全年", submitted: totalSubmitted, decided: totalDecided, adopted: totalAdopted,
                         pending: totalSubmitted - totalDecided, rate: percent(totalAdopted, totalSubmitted)),
            hasDepartments: !departments.isEmpty, departmentChart: departmentChart(departments, year: year),
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
    var monthChart: BarChart
    var months: [Month]
    var total: Month
    var hasDepartments: Bool
    var departmentChart: BarChart
    var departments: [Department]
}
