import Foundation
import SalesKit

/// Plans, visits and reports (RULES §1.4, 002 §14–§16, 002 第三节, 003 §7.10, 003 §5.5.3,
/// 004 第六章 5(6)). Owned by its own migration (version 2) and routes under /crm/…
///
/// - 新客户开发计划及实施表 (002 §14): `VisitPlanPages`, /crm/visits/plans
/// - 新客户开发日报表 (002 §16): `VisitDailyPages`, /crm/reports/daily
/// - 客户开发计划表 (002 第三节 一.1): `VisitMonthlyPages`, /crm/reports/monthly-plan
/// - 客户开发报告表 (002 第三节 一.2): `VisitDevelopmentPages`, /crm/reports/development
/// - 客户开发统计表, 访问计划完成表, visit shortfall (003 §7.10), new customers per rep
///   (003 §5.5.3), changes this week (004 第六章 5(6)): `VisitStatsPages`, /crm/reports/…
///
/// Every page applies `Visibility`: a rep sees rows of own customers (and own reports);
/// holders of `crm.view_all` see all.
enum VisitPages: ModuleFeature {

    static var pages: [any PageModel.Type] {
        [VisitReportsPage.self, VisitPlanPage.self, VisitPlanFormPage.self, VisitPlanCompletePage.self,
         VisitPlanCancelPage.self, VisitDailyFormPage.self, VisitDailyPage.self,
         VisitMonthlyPage.self, VisitMonthlyFormPage.self, VisitDevFormPage.self, VisitDevPage.self, VisitDevPrintPage.self,
         VisitStatisticsPage.self, VisitCompletionPage.self, VisitNewCustomersPage.self,
         VisitWeeklyPage.self]
    }

    static let menu: [MenuItem] = [
        MenuItem("拜访计划与实施", path: "visits/plans", access: .permission(CustomerDevelopmentModule.use)),
        MenuItem("开发日报", path: "reports/daily", access: .permission(CustomerDevelopmentModule.use)),
        MenuItem("拜访与报表", path: "reports", access: .permission(CustomerDevelopmentModule.use)),
    ]

    /// The forms of these pages as declared data (customer choices are filled per request).
    static var forms: [String: FormSchema] {
        ["visitPlan": VisitPlanPages.planForm([]), "visitPlanComplete": VisitPlanPages.completeForm,
         "visitPlanCancel": VisitPlanPages.cancelForm, "dailyReport": VisitDailyPages.form,
         "dailyReview": VisitDailyPages.reviewForm, "monthlyPlan": VisitMonthlyPages.form,
         "developmentReport": VisitDevelopmentPages.form([]), "developmentComment": VisitDevelopmentPages.commentForm]
    }

    static func routes(_ r: inout RouteBuilder) {
        let use = Access.permission(CustomerDevelopmentModule.use)
        let approve = Access.permission(CustomerDevelopmentModule.approve)
        r.get("reports", use, index)
        // 新客户开发计划及实施表 (002 §14)
        r.get("visits/plans", use, VisitPlanPages.list)
        r.form("visits/plans/new", use, VisitPlanPages.create)
        r.get("visits/plans/:id", use, VisitPlanPages.detail)
        r.form("visits/plans/:id/edit", use, VisitPlanPages.edit)
        r.form("visits/plans/:id/complete", use, VisitPlanPages.complete)
        r.form("visits/plans/:id/cancel", use, VisitPlanPages.cancel)
        // 新客户开发日报表 (002 §16): the review is the supervisor's POST to the report's page.
        r.get("reports/daily", use, VisitDailyPages.list)
        r.form("reports/daily/new", use, VisitDailyPages.create)
        r.get("reports/daily/:id", use, VisitDailyPages.detail)
        r.post("reports/daily/:id", approve, VisitDailyPages.detail)
        // 客户开发计划表 (002 第三节 一.1)
        r.get("reports/monthly-plan", use, VisitMonthlyPages.show)
        r.form("reports/monthly-plan/edit", use, VisitMonthlyPages.edit)
        // 客户开发报告表 (002 第三节 一.2): the 批示 is a POST to the report's page.
        r.get("reports/development", use, VisitDevelopmentPages.list)
        r.form("reports/development/new", use, VisitDevelopmentPages.create)
        r.get("reports/development/:id", use, VisitDevelopmentPages.detail)
        r.post("reports/development/:id", approve, VisitDevelopmentPages.detail)
        r.get("reports/development/:id/print", use, VisitDevelopmentPages.print)
        // Computed reports
        r.get("reports/statistics", use, VisitStatsPages.statistics)
        r.get("reports/visit-completion", use, VisitStatsPages.completion)
        r.get("reports/shortfall", use, VisitStatsPages.shortfall)
        r.get("reports/new-customers", use, VisitStatsPages.newCustomers)
        r.get("reports/weekly-changes", use, VisitStatsPages.weeklyChanges)
    }

    /// To-do items: daily reports waiting for the supervisor's review (002 §16), own visit
    /// plans whose date has passed without a result (002 §14), and own customers visited fewer
    /// than twice this week (003 §7.10).
    static func inbox(for user: User, _ ctx: Context) throws -> [InboxItem] {
        guard user.can(CustomerDevelopmentModule.use) else { return [] }
        var items: [InboxItem] = []
        if user.can(CustomerDevelopmentModule.approve) {
            for r in try ctx.db.query("""
                SELECT d.id, d.report_date, COALESCE(u.display_name, '') AS rep_name
                FROM crm_daily_reports d LEFT JOIN users u ON u.id = d.rep_id
                WHERE d.state = 'submitted' AND d.rep_id <> \(user.id) ORDER BY d.report_date, d.id LIMIT 50
                """) {
                items.append(InboxItem(title: "待审阅开发日报：\(r.string("rep_name") ?? "") \(r.string("report_date") ?? "")",
                                       detail: "新客户开发日报表（002 第16条）", url: "/crm/reports/daily/\(r.int("id") ?? 0)"))
            }
        }
        let today = ctx.today.description
        for r in try ctx.db.query("""
            SELECT p.id, p.planned_date, c.name FROM crm_visit_plans p JOIN crm_customers c ON c.id = p.customer_id
            WHERE p.rep_id = \(user.id) AND c.owner_id = \(user.id) AND p.state = 'planned' AND p.planned_date < \(today)
            ORDER BY p.planned_date, p.id LIMIT 50
            """) {
            items.append(InboxItem(title: "请填写拜访实施结果：\(r.string("name") ?? "")",
                                   detail: "计划日期 \(r.string("planned_date") ?? "")（002 第14条）",
                                   url: "/crm/visits/plans/\(r.int("id") ?? 0)/complete"))
        }
        let week = VisitCalendar.week(containing: ctx.today, ctx)
        let short = try ctx.db.scalar("""
            SELECT COUNT(*) FROM crm_customers c \(VisitStatsPages.weekVisitsJoin(week))
            WHERE c.owner_id = \(user.id) AND c.status = 'customer' AND COALESCE(v.n, 0) < \(VisitStatsPages.weeklyVisitTarget)
            """) ?? 0
        if short > 0 {
            items.append(InboxItem(title: "本周拜访不足 \(VisitStatsPages.weeklyVisitTarget) 次的客户：\(short) 家",
                                   detail: "003 第7.10条：对自己管辖的客户每周至少走访 2 次（\(week.label)）",
                                   url: "/crm/reports/shortfall",
                                   due: VisitCalendar.start(of: VisitCalendar.adding(week.sunday, 1), ctx)))
        }
        return items
    }

    /// 拜访与报表: every page of this area, with the article it comes from.
    static let index: Handler = { _, ctx in
        let pages: [(String, String, String, Bool)] = [
            ("/crm/visits/plans", "新客户开发计划及实施表", "拜访或业务洽谈前填写计划，之后填写实施结果（002 第14条）", true),
            ("/crm/reports/daily", "新客户开发日报表", "每天的工作进展、取得的成绩和存在的问题，交销售主管审阅（002 第16条）", true),
            ("/crm/reports/monthly-plan", "客户开发计划表", "每月访问客户计划与访问结果报告（002 第三节 一.1）", true),
            ("/crm/reports/development", "客户开发报告表", "新客户开拓经过、第一次交易，经理与销售主管批示（002 第三节 一.2）", true),
            ("/crm/reports/statistics", "客户开发统计表", "按客户统计拜访者、拜访结果与客户级别（002 第三节 一.3）", true),
            ("/crm/reports/visit-completion", "访问计划完成表", "每客户每月计划拜访次数与实际执行情况（002 第三节 二.2）", true),
            ("/crm/reports/shortfall", "本周拜访不足", "对自己管辖的客户每周至少走访 2 次（003 第7.10条）", true),
            ("/crm/reports/new-customers", "年度新客户开发", "每年发展 1–2 个新客户（003 第5.5.3条）", true),
            ("/crm/reports/weekly-changes", "本周客户档案变动", "每周五报总经理、营销总经理，标明本周新增（004 第六章 5(6)）", true),
            ("/crm/policy", "访问频次计划", "各类客户每月计划拜访次数（客户分类政策）", ctx.can(CustomerDevelopmentModule.policy)),
        ]
        return ctx.render(VisitReportsPage(pages: pages.filter(\.3).map { .init(href: $0.0, title: $0.1, detail: $0.2) }),
                          title: "拜访与报表")
    }

    // MARK: Shared helpers

    /// Choices for a customer field: the customers the user may see that are not closed
    /// (plus `including`, e.g. the customer a record already belongs to).
    static func customerChoices(_ ctx: Context, including: Int64? = nil) throws -> [Choice] {
        try ctx.db.query("""
            SELECT c.id, c.name, c.code FROM crm_customers c
            WHERE \(try Visibility.filter(ctx)) AND (c.status <> 'closed' OR c.id = \(including ?? 0))
            ORDER BY c.name_sort, c.id LIMIT 2000
            """).map { r in
            let code = r.string("code").map { "（\($0)）" } ?? ""
            return Choice(String(r.int("id") ?? 0), (r.string("name") ?? "") + code)
        }
    }

    /// The chosen customer of a valid form, checked again against visibility.
    static func chosenCustomer(_ v: FormValues, _ ctx: Context) throws -> Row {
        guard let id = Int64(v.string("customer_id")), id > 0 else {
            throw FormRejection(field: "customer_id", "请选择客户")
        }
        do {
            return try Visibility.customer(id, ctx)
        } catch HTTPError.notFound {
            throw FormRejection(field: "customer_id", "请选择客户")
        }
    }

    /// Owners for a supervisor's filter (empty for a rep, who sees own rows only).
    static func ownerOptions(_ ctx: Context, selected: String?) throws -> [PersonOption] {
        guard Visibility.seesAll(ctx) else { return [] }
        return try ctx.db.query("""
            SELECT DISTINCT u.id, u.display_name FROM users u JOIN crm_customers c ON c.owner_id = u.id ORDER BY u.display_name, u.id
            """).sortedByPinyin { $0.string("display_name") ?? "" }.map { r in
            let id = String(r.int("id") ?? 0)
            return PersonOption(id: id, name: r.string("display_name") ?? "", selected: selected == id)
        }
    }

    static func classOptions(selected: String?) -> [SelectOption] {
        ["A", "B", "C", "D", "E"].map { c in
            SelectOption(value: c, title: c + " " + (Rating.classTitles[c] ?? ""), selected: c == selected)
        }
    }

    /// `?year=` between 2000 and 2100, else the current year.
    static func year(_ query: FormData, _ ctx: Context) -> Int {
        guard let s = query["year"], let y = Int(s), (2000...2100).contains(y) else { return ctx.today.year }
        return y
    }
}

/// 拜访与报表: the pages of this area.
struct VisitReportsPage: PageModel {
    static let template = "visit-reports"
    var pages: [Link]

    struct Link: TemplateModel {
        var href: String
        var title: String
        var detail: String
    }
}

/// Calendar arithmetic on `LocalDate` (company-time-zone dates): weeks run Monday–Sunday.
enum VisitCalendar {
    // Date arithmetic lives on SalesKit's LocalDate; these names are kept for the call sites.
    static func dayNumber(_ d: LocalDate) -> Int { d.dayNumber }
    static func date(dayNumber n: Int) -> LocalDate { LocalDate(dayNumber: n) }
    static func adding(_ d: LocalDate, _ days: Int) -> LocalDate { d.adding(days: days) }
    /// 1 = Monday … 7 = Sunday.
    static func weekday(_ d: LocalDate) -> Int { d.weekday }

    static func monday(of d: LocalDate) -> LocalDate { adding(d, 1 - weekday(d)) }

    /// Midnight starting `d` in the company time zone.
    static func start(of d: LocalDate, _ ctx: Context) -> Date { d.start(in: ctx.timeZone) }

    static func epoch(_ d: LocalDate, _ ctx: Context) -> Int64 { Int64(start(of: d, ctx).timeIntervalSince1970) }

    static func monthKey(_ d: LocalDate) -> String { String(format: "%04d-%02d", d.year, d.month) }

    struct Week {
        var monday: LocalDate
        var sunday: LocalDate
        /// [start, end) in epoch seconds: Monday 00:00 to the next Monday 00:00, company time.
        var start: Int64
        var end: Int64
        var label: String { "\(monday) 至 \(sunday)" }
    }

    static func week(containing d: LocalDate, _ ctx: Context) -> Week {
        let monday = monday(of: d)
        return Week(monday: monday, sunday: adding(monday, 6), start: epoch(monday, ctx), end: epoch(adding(monday, 7), ctx))
    }
}
