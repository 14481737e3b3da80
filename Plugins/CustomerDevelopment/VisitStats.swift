import Foundation
import SalesKit

/// Reports computed from the customer master and the contact log (kind `visit`):
/// 客户开发统计表 and 访问计划完成表 (002 第三节), the weekly visit shortfall (003 §7.10), the
/// yearly count of new customers per rep (003 §5.5.3) and the customer changes of a week
/// (004 第六章 5(6)). Every one applies `Visibility`.
///
/// The shortfall is a list of customers over a week (`ListPage` with a `Period`). The others are
/// reports, not lists of records, so not `ListPage`s: the statistics table aggregates visits per
/// customer with a default period and adds per-page lookups (visitors, latest result); the
/// completion table has twelve month columns and totals; the yearly and weekly reports are
/// summaries.
enum VisitStatsPages {
    /// 003 §7.10: each own customer is visited at least twice a week.
    static let weeklyVisitTarget = 2
    /// 003 §5.5.3: each rep wins 1–2 new customers a year.
    static let yearlyNewCustomerTarget = 1...2

    /// `LEFT JOIN` of each customer's visit count in `week` as `v.n` (NULL: no visit).
    static func weekVisitsJoin(_ week: VisitCalendar.Week) -> SQL {
        """
        LEFT JOIN (SELECT k.customer_id, COUNT(*) AS n FROM crm_contacts k
                   WHERE k.kind = 'visit' AND k.contact_date >= \(week.monday.description) AND k.contact_date <= \(week.sunday.description)
                   GROUP BY k.customer_id) v ON v.customer_id = c.id
        """
    }

    /// Owner and class filters shared by the per-customer reports.
    static func customerFilters(_ q: ListQuery, _ ctx: Context) throws -> SQL {
        var w: SQL = "\(try Visibility.filter(ctx))"
        if Visibility.seesAll(ctx), let s = q.filters["owner"], let id = Int64(s) { w = w + " AND c.owner_id = \(id)" }
        if let s = q.filters["class"] { w = w + (s == "none" ? " AND c.rating_class IS NULL" : " AND c.rating_class = \(s)") }
        return w
    }

    static func date(_ q: ListQuery, _ name: String) -> LocalDate? { q.filters[name].flatMap { LocalDate($0) } }

    // MARK: 客户开发统计表

    static let statisticsSpec = ListSpec(columns: [
        .init("name", "客户名称", sql: "c.name_sort"),   // 拼音 order (#16 point 10)
        .init("visitors", "拜访者", sql: "c.id", sortable: false),
        .init("department", "所属部门", sql: "c.department"),
        .init("phone", "电话", sql: "c.phone", sortable: false),
        .init("summary", "拜访结果说明", sql: "c.id", sortable: false),
        .init("class", "客户级别", sql: "c.rating_class"),
        .init("visits", "拜访次数", sql: "visits"),
        .init("last", "最近拜访", sql: "last_visit"),
    ], defaultSort: "name", filters: ["from", "to", "owner", "class"], pageSize: 50, tiebreaker: "c.id")

    /// 客户开发统计表 (002 第三节 一.3): per customer visited in the period (default: this month),
    /// 拜访者, 所属部门, 电话, 拜访结果说明 (the latest visit's summary) and 客户级别.
    static let statistics: Handler = { req, ctx in
        let q = statisticsSpec.parse(req.query)
        let today = ctx.today
        let from = date(q, "from") ?? LocalDate(year: today.year, month: today.month, day: 1)
        let to = date(q, "to") ?? LocalDate(year: today.year, month: today.month, day: LocalDate.daysIn(year: today.year, month: today.month))
        let period: SQL = "k.kind = 'visit' AND k.contact_date >= \(from.description) AND k.contact_date <= \(to.description)"
        let w = try customerFilters(q, ctx)
        let rows = try ctx.db.query("""
            SELECT c.id, c.name, c.code, c.department, c.phone, c.rating_class, COUNT(k.id) AS visits, MAX(k.contact_date) AS last_visit
            FROM crm_customers c JOIN crm_contacts k ON k.customer_id = c.id
            WHERE \(w) AND \(period)
            GROUP BY c.id, c.name, c.code, c.department, c.phone, c.rating_class
            ORDER BY \(raw: q.orderBy) LIMIT \(q.limit) OFFSET \(q.offset)
            """)
        let shown = q.export ? rows : Array(rows.prefix(statisticsSpec.pageSize))
        // The visitors and the latest result of each customer shown.
        var visitors: [Int64: [String]] = [:]
        var latest: [Int64: String] = [:]
        for chunk in stride(from: 0, to: shown.count, by: 500).map({ Array(shown[$0..<min($0 + 500, shown.count)]) }) {
            let ids = chunk.compactMap { $0.int("id") }
            for k in try ctx.db.query("""
                SELECT k.customer_id, k.contact_date, k.summary, COALESCE(u.display_name, '') AS visitor
                FROM crm_contacts k LEFT JOIN users u ON u.id = k.created_by
                WHERE \(period) AND k.customer_id IN (\(list: ids)) ORDER BY k.contact_date DESC, k.id DESC
                """) {
                let cid = k.int("customer_id") ?? 0
                let name = k.string("visitor") ?? ""
                if !(visitors[cid] ?? []).contains(name) { visitors[cid, default: []].append(name) }
                if latest[cid] == nil { latest[cid] = "\(k.string("contact_date") ?? "")：\(k.string("summary") ?? "")" }
            }
        }
        func cells(_ r: Row) -> [String] {
            let id = r.int("id") ?? 0
            let cls = r.string("rating_class") ?? ""
            return [r.string("name") ?? "", (visitors[id] ?? []).joined(separator: "、"), r.string("department") ?? "",
                    r.string("phone") ?? "", latest[id] ?? "", cls.isEmpty ? "未评定" : cls + " " + (Rating.classTitles[cls] ?? ""),
                    String(r.int("visits") ?? 0), r.string("last_visit") ?? ""]
        }
        if q.export {
            return .csv(filename: "客户开发统计表-\(from)-\(to).csv",
                        CSVTable(header: ["序号"] + statisticsSpec.columns.map(\.title),
                                 rows: shown.enumerated().map { [String($0.offset + 1)] + cells($0.element) }))
        }
        let offset = (q.page - 1) * statisticsSpec.pageSize
        let owners = try VisitPages.ownerOptions(ctx, selected: q.filters["owner"])
        return ctx.render(VisitStatisticsPage(
            rows: shown.enumerated().map { (i, r) in .init(number: offset + i + 1, cells: cells(r)) },
            list: q.view(rowsFetched: rows.count, basePath: "/crm/reports/statistics"),
            from: from.description, to: to.description,
            owners: owners, hasOwners: !owners.isEmpty,
            classOptions: VisitPages.classOptions(selected: q.filters["class"])), title: "客户开发统计表")
    }

    // MARK: 访问计划完成表

    static let completionSpec = ListSpec(columns: [
        .init("name", "客户名称", sql: "c.name_sort"),   // 拼音 order (#16 point 10)
        .init("person", "拜访对象", sql: "c.contact_person"),
        .init("phone", "联系电话", sql: "c.phone", sortable: false),
        .init("class", "客户级别", sql: "c.rating_class"),
        .init("owner", "负责人", sql: "owner_name"),
    ], defaultSort: "name", filters: ["year", "owner", "class"], pageSize: 50, tiebreaker: "c.id")

    /// 访问计划完成表 (002 第三节 二.2): per customer and month 1–12 of `?year=`, the planned visits
    /// (the class policy's `visits_handler` per month for the customer's rating class) against the
    /// visits actually logged (contacts of kind `visit` in that month). Months before the customer
    /// was entered have no plan.
    static let completion: Handler = { req, ctx in
        let q = completionSpec.parse(req.query)
        let year = VisitPages.year(req.query, ctx)
        let w = try customerFilters(q, ctx)
        let scope: SQL = "\(w) AND c.status IN ('prospect', 'customer')"
        let rows = try ctx.db.query("""
            SELECT c.id, c.name, c.contact_person, c.phone, c.rating_class, c.created_at, COALESCE(p.visits_handler, 0) AS planned,
                   COALESCE(u.display_name, '') AS owner_name
            FROM crm_customers c LEFT JOIN crm_class_policy p ON p.rating_class = c.rating_class LEFT JOIN users u ON u.id = c.owner_id
            WHERE \(scope) ORDER BY \(raw: q.orderBy) LIMIT \(q.limit) OFFSET \(q.offset)
            """)
        let shown = q.export ? rows : Array(rows.prefix(completionSpec.pageSize))
        let first = String(format: "%04d-01-01", year), last = String(format: "%04d-12-31", year)
        var actual: [Int64: [Int: Int]] = [:]
        for chunk in stride(from: 0, to: shown.count, by: 500).map({ Array(shown[$0..<min($0 + 500, shown.count)]) }) {
            for r in try ctx.db.query("""
                SELECT k.customer_id, substr(k.contact_date, 6, 2) AS m, COUNT(*) AS n FROM crm_contacts k
                WHERE k.kind = 'visit' AND k.contact_date >= \(first) AND k.contact_date <= \(last)
                  AND k.customer_id IN (\(list: chunk.compactMap { $0.int("id") }))
                GROUP BY k.customer_id, substr(k.contact_date, 6, 2)
                """) {
                actual[r.int("customer_id") ?? 0, default: [:]][Int(r.string("m") ?? "") ?? 0] = Int(r.int("n") ?? 0)
            }
        }
        // A month is over once the next has begun: only then is a shortfall marked.
        let today = ctx.today
        func over(_ month: Int) -> Bool { year < today.year || (year == today.year && month < today.month) }
        /// The monthly plan applies from the month the customer was entered (none before it existed).
        func plannedMonths(_ r: Row) -> [Int] {
            let perMonth = Int(r.int("planned") ?? 0)
            let created = LocalDate(date: Date(timeIntervalSince1970: Double(r.int("created_at") ?? 0)), timeZone: ctx.timeZone)
            return (1...12).map { (year, $0) >= (created.year, created.month) ? perMonth : 0 }
        }
        func months(_ r: Row) -> [(planned: Int, actual: Int)] {
            let counts = actual[r.int("id") ?? 0] ?? [:]
            return plannedMonths(r).enumerated().map { ($0.element, counts[$0.offset + 1] ?? 0) }
        }
        if q.export {
            let header = ["客户名称", "拜访对象", "联系电话", "客户级别", "负责人"]
                + (1...12).flatMap { ["\($0)月计划", "\($0)月实际"] } + ["全年计划", "全年实际"]
            return .csv(filename: "访问计划完成表-\(year).csv", CSVTable(header: header, rows: shown.map { r in
                let m = months(r)
                return [r.string("name") ?? "", r.string("contact_person") ?? "", r.string("phone") ?? "", r.string("rating_class") ?? "",
                        r.string("owner_name") ?? ""]
                    + m.flatMap { [String($0.planned), String($0.actual)] }
                    + [String(m.reduce(0) { $0 + $1.planned }), String(m.reduce(0) { $0 + $1.actual })]
            }))
        }
        // The whole selection's totals for the year, not only this page.
        let plannedTotal = try ctx.db.query("""
            SELECT c.created_at, COALESCE(p.visits_handler, 0) AS planned FROM crm_customers c
            LEFT JOIN crm_class_policy p ON p.rating_class = c.rating_class WHERE \(scope)
            """).reduce(0) { $0 + plannedMonths($1).reduce(0, +) }
        let actualTotal = Int(try ctx.db.scalar("""
            SELECT COUNT(*) FROM crm_contacts k JOIN crm_customers c ON c.id = k.customer_id
            WHERE \(scope) AND k.kind = 'visit' AND k.contact_date >= \(first) AND k.contact_date <= \(last)
            """) ?? 0)
        var yearQuery = FormData()
        for (k, v) in q.filters.sorted(by: { $0.key < $1.key }) where k != "year" { yearQuery.append(k, v) }
        func yearHref(_ y: Int) -> String {
            var f = yearQuery
            f.append("year", String(y))
            return "/crm/reports/visit-completion?" + URLEncoding.encode(f)
        }
        let owners = try VisitPages.ownerOptions(ctx, selected: q.filters["owner"])
        return ctx.render(VisitCompletionPage(
            year: year, prevHref: yearHref(year - 1), nextHref: yearHref(year + 1),
            monthHeads: (1...12).map { .init(month: $0) },
            rows: shown.map { r in
                let m = months(r)
                let planned = m.reduce(0) { $0 + $1.planned }, done = m.reduce(0) { $0 + $1.actual }
                return .init(id: r.int("id") ?? 0, name: r.string("name") ?? "", contact_person: r.string("contact_person") ?? "",
                             phone: r.string("phone") ?? "", rating_class: r.string("rating_class") ?? "",
                             owner_name: r.string("owner_name") ?? "",
                             months: m.enumerated().map { (i, x) in
                                 .init(planned: x.planned, actual: x.actual, short: over(i + 1) && x.actual < x.planned)
                             },
                             plannedTotal: planned, actualTotal: done, rate: rate(done, planned))
            },
            list: q.view(rowsFetched: rows.count, basePath: "/crm/reports/visit-completion"),
            plannedTotal: plannedTotal, actualTotal: actualTotal, rate: rate(actualTotal, plannedTotal),
            owners: owners, hasOwners: !owners.isEmpty,
            classOptions: VisitPages.classOptions(selected: q.filters["class"])), title: "访问计划完成表")
    }

    /// `done` of `planned` as a whole percentage ("—" when nothing was planned), saturating.
    static func rate(_ done: Int, _ planned: Int) -> String {
        guard planned > 0 else { return "—" }
        let (times, overflow) = done.multipliedReportingOverflow(by: 100)
        return "\(overflow ? Int.max / planned : times / planned)%"
    }

    // MARK: Weekly visit shortfall (003 §7.10)

    /// Customers (status `customer`) visited fewer than twice in the week (Monday–Sunday, company
    /// time zone) containing `?week=` (default: today), fewest visits first. A rep sees own
    /// customers; who sees all may pick the 负责人.
    static let shortfallPage = ListPage(
        title: "本周拜访不足", path: "/crm/reports/shortfall",
        select: """
            c.id, c.name, c.rating_class, c.contact_person, c.phone, COALESCE(v.n, 0) AS visits,
            COALESCE(u.display_name, '') AS owner_name,
            (SELECT MAX(k2.contact_date) FROM crm_contacts k2 WHERE k2.customer_id = c.id AND k2.kind = 'visit') AS last_visit
            """,
        from: "crm_customers c LEFT JOIN users u ON u.id = c.owner_id",
        scope: { ctx in "\(try Visibility.filter(ctx)) AND c.status = 'customer' AND COALESCE(v.n, 0) < \(weeklyVisitTarget)" },
        columns: [
            .link("name", "客户名称", sql: "c.name_sort", column: "name", to: "/crm/customers/"),   // 拼音 order (#16 point 10)
            .text("class", "客户级别", sql: "c.rating_class"),
            .text("person", "联系人", sql: "c.contact_person"),
            .phone("phone", "电话", sql: "c.phone", sortable: false),
            // Sorted by the expression, read by the alias: the keyset condition goes into WHERE,
            // where PostgreSQL does not see a result column's alias.
            .init("owner", "负责人", sql: "COALESCE(u.display_name, '')", rowKey: "owner_name") { r, w, _ in w.text(r, "owner_name") },
            // 「1（还差 1 次）」 on the page; the count alone in the CSV.
            .init("visits", "本周拜访次数", sql: "COALESCE(v.n, 0)", rowKey: "visits", style: .nowrap) { r, w, _ in
                let n = r.int("visits") ?? 0
                w.text(r, "visits")
                if !w.exporting { w.text("（还差 \(Int64(weeklyVisitTarget) - min(max(n, 0), Int64(weeklyVisitTarget))) 次）") }
            },
            .init("last", "最近拜访", sql: "(SELECT MAX(k2.contact_date) FROM crm_contacts k2 WHERE k2.customer_id = c.id AND k2.kind = 'visit')",
                  rowKey: "last_visit", style: .nowrap) { r, w, _ in w.text(r, "last_visit") },
        ],
        filters: [CustomerPages.ownerFilter],
        defaultSort: "visits", pageSize: 100, tiebreaker: "c.id",
        empty: "本周所有正式客户都已拜访 \(weeklyVisitTarget) 次以上。",
        intro: "销售业务员对自己管辖的客户每周至少走访 \(weeklyVisitTarget) 次（003 第7.10条）。以下正式客户在所示一周（周一至周日）拜访不足 \(weeklyVisitTarget) 次。",
        period: .init("week", "包含日期", previous: "上一周", next: "下一周") { day, ctx in
            let week = VisitCalendar.week(containing: day, ctx)
            return .init(label: week.label, previous: VisitCalendar.adding(week.monday, -7), next: VisitCalendar.adding(week.monday, 7),
                         tag: week.monday.description, join: weekVisitsJoin(week))
        })

    static let shortfall: Handler = { req, ctx in try shortfallPage.respond(req, ctx) }

    // MARK: New customers per rep and year (003 §5.5.3)

    /// For `?year=`: each rep's customers approved that year (`approved_at`, by owner) against the
    /// 1–2 per year target, and the prospects they entered. A rep sees own figures; holders of
    /// `crm.view_all` see every rep and may open one with `?rep=`.
    static let newCustomers: Handler = { req, ctx in
        let user = try ctx.requireUser()
        let year = VisitPages.year(req.query, ctx)
        let start = VisitCalendar.epoch(LocalDate(year: year, month: 1, day: 1), ctx)
        let end = VisitCalendar.epoch(LocalDate(year: year + 1, month: 1, day: 1), ctx)
        let all = Visibility.seesAll(ctx)
        let reps: [Row] = all ? try ctx.db.query("""
            SELECT u.id, u.display_name, u.department FROM users u
            WHERE u.active = 1 AND (EXISTS (SELECT 1 FROM crm_customers c WHERE c.owner_id = u.id)
                                    OR EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role_id = 'sales_rep'))
            ORDER BY u.display_name, u.id
            """).sortedByPinyin { $0.string("display_name") ?? "" } : [Row(columns: ["id", "display_name", "department"], values: [.integer(user.id), .text(user.displayName), .text(user.department)])]
        var won: [Int64: Int64] = [:], prospects: [Int64: Int64] = [:]
        for r in try ctx.db.query("""
            SELECT owner_id, COUNT(*) AS n FROM crm_customers WHERE approved_at >= \(start) AND approved_at < \(end) GROUP BY owner_id
            """) { won[r.int("owner_id") ?? 0] = r.int("n") ?? 0 }
        for r in try ctx.db.query("""
            SELECT owner_id, COUNT(*) AS n FROM crm_customers WHERE created_at >= \(start) AND created_at < \(end) GROUP BY owner_id
            """) { prospects[r.int("owner_id") ?? 0] = r.int("n") ?? 0 }
        let finished = year < ctx.today.year
        func status(_ n: Int64) -> String {
            if n > Int64(yearlyNewCustomerTarget.upperBound) { return "超额完成" }
            if n >= Int64(yearlyNewCustomerTarget.lowerBound) { return "已完成" }
            return finished ? "未完成" : "尚未完成"
        }
        let summary = reps.map { r in
            let id = r.int("id") ?? 0
            let n = won[id] ?? 0
            return VisitNewCustomersPage.Summary(
                name: r.string("display_name") ?? "", department: r.string("department") ?? "",
                won: n, prospects: prospects[id] ?? 0, status: status(n), missing: n < Int64(yearlyNewCustomerTarget.lowerBound),
                href: "/crm/reports/new-customers?year=\(year)&rep=\(id)")
        }
        let target = "\(yearlyNewCustomerTarget.lowerBound)–\(yearlyNewCustomerTarget.upperBound)"
        if req.query["format"] == "csv" {
            return .csv(filename: "年度新客户开发-\(year).csv", CSVTable(
                header: ["销售人员", "部门", "新开发客户数", "新增潜在客户数", "目标（个/年）", "完成情况"],
                rows: summary.map { s in [s.name, s.department, String(s.won), String(s.prospects), target, s.status] }))
        }
        // The list of one rep's new customers: own for a rep; the chosen rep for a supervisor.
        var rep: Int64? = all ? nil : user.id
        if all, let s = req.query["rep"], let id = Int64(s), reps.contains(where: { $0.int("id") == id }) { rep = id }
        var customers: [VisitNewCustomersPage.Customer] = []
        if let rep {
            customers = try ctx.db.query("""
                SELECT c.id, c.name, c.code, c.rating_class, c.approved_at FROM crm_customers c
                WHERE c.owner_id = \(rep) AND c.approved_at >= \(start) AND c.approved_at < \(end) ORDER BY c.approved_at, c.id
                """).map { r in
                .init(id: r.int("id") ?? 0, code: r.string("code") ?? "", name: r.string("name") ?? "",
                      rating_class: r.string("rating_class") ?? "", approved: ctx.displayEpoch(r.int("approved_at")))
            }
        }
        return ctx.render(VisitNewCustomersPage(
            year: year, prevHref: "/crm/reports/new-customers?year=\(year - 1)", nextHref: "/crm/reports/new-customers?year=\(year + 1)",
            csvHref: "/crm/reports/new-customers?year=\(year)&format=csv",
            target: target, summary: summary, seesAll: all,
            showRep: rep != nil, repName: reps.first { rep != nil && $0.int("id") == rep }?.string("display_name") ?? "",
            customers: customers), title: "年度新客户开发")
    }

    // MARK: Changes this week (004 第六章 5(6))

    /// Customers created or changed in the week (Monday–Sunday, company time zone) containing
    /// `?week=` (default: today) — by `created_at`, `updated_at` or a stage change — with the
    /// week's additions marked and listed first. For the GM and the sales GM every Friday.
    /// A customer entered in `week` (condition on `c`).
    static func isNew(_ week: VisitCalendar.Week) -> SQL { "c.created_at >= \(week.start) AND c.created_at < \(week.end)" }

    /// A customer created or changed in `week`: its record, or a stage change (condition on `c`).
    static func changedIn(_ week: VisitCalendar.Week) -> SQL {
        let (s, e) = (week.start, week.end)
        return """
            ((\(isNew(week))) OR (c.updated_at >= \(s) AND c.updated_at < \(e))
             OR EXISTS (SELECT 1 FROM crm_stage_changes sc WHERE sc.customer_id = c.id AND sc.changed_at >= \(s) AND sc.changed_at < \(e)))
            """
    }

    static let weeklyChanges: Handler = { req, ctx in
        let asked = req.query["week"].flatMap { LocalDate($0) }
        let week = VisitCalendar.week(containing: asked ?? ctx.today, ctx)
        let (s, e) = (week.start, week.end)
        let isNew = isNew(week)
        let rows = try ctx.db.query("""
            SELECT c.id, c.name, c.code, c.status, c.rating_class, c.stage, c.created_at, c.updated_at,
                   COALESCE(u.display_name, '') AS owner_name, CASE WHEN \(isNew) THEN 1 ELSE 0 END AS is_new
            FROM crm_customers c LEFT JOIN users u ON u.id = c.owner_id
            WHERE \(try Visibility.filter(ctx)) AND \(changedIn(week))
            ORDER BY CASE WHEN \(isNew) THEN 0 ELSE 1 END, c.name_sort, c.id
            """)
        // What changed: the stage changes, and the audited edits of the customer record.
        let ids = rows.compactMap { $0.int("id") }
        var changes: [Int64: [String]] = [:]
        let processTitles = Dictionary(uniqueKeysWithValues: CustomerPages.processChoices.map { ($0.value, $0.label) })
        for chunk in stride(from: 0, to: ids.count, by: 500).map({ Array(ids[$0..<min($0 + 500, ids.count)]) }) {
            for r in try ctx.db.query("""
                SELECT customer_id, kind, from_value, to_value, reason, changed_at FROM crm_stage_changes
                WHERE customer_id IN (\(list: chunk)) AND changed_at >= \(s) AND changed_at < \(e) ORDER BY changed_at, id
                """) {
                let process = r.string("kind") == "process"
                func title(_ v: String?) -> String { process ? v.flatMap { processTitles[$0] } ?? (v ?? "") : (v ?? "") }
                let from = r.string("from_value").map { title($0) + " → " } ?? ""
                changes[r.int("customer_id") ?? 0, default: []].append(
                    "\(ctx.displayEpoch(r.int("changed_at")))  \(process ? "销售进程" : "客户阶段")：\(from)\(title(r.string("to_value")))（\(r.string("reason") ?? "")）")
            }
            for r in try ctx.db.query("""
                SELECT entity_id, action, from_state, to_state, reason, at FROM audit_log
                WHERE entity = 'crm.customer' AND entity_id IN (\(list: chunk.map(String.init))) AND at >= \(s) AND at < \(e)
                  AND action NOT IN ('stage', 'process') ORDER BY at, id
                """) {
                // Titled as in the 办理记录 (the module's audit vocabulary; a new owner by name).
                let action = r.string("action") ?? ""
                var text = "\(ctx.displayEpoch(r.int("at")))  \(ctx.auditTitles.actionTitle(module: "crm", entity: "crm.customer", action: action))"
                if action == "rate" || action == "reassign",
                   let to = try ctx.auditState(r.string("to_state"), module: "crm", entity: "crm.customer", action: action) {
                    let from = try ctx.auditState(r.string("from_state"), module: "crm", entity: "crm.customer", action: action)
                    text += "：\(from.map { $0 + " → " } ?? "")\(to)"
                }
                if let reason = r.string("reason"), !reason.isEmpty { text += "（\(reason)）" }
                changes[Int64(r.string("entity_id") ?? "") ?? 0, default: []].append(text)
            }
        }
        func describe(_ r: Row) -> [String] {
            let list = changes[r.int("id") ?? 0] ?? []
            if !list.isEmpty { return list }
            return r.bool("is_new") ? ["\(ctx.displayEpoch(r.int("created_at")))  新建"] : ["\(ctx.displayEpoch(r.int("updated_at")))  资料更新"]
        }
        let added = rows.filter { $0.bool("is_new") }.count
        if req.query["format"] == "csv" {
            return .csv(filename: "本周客户档案变动-\(week.monday).csv", CSVTable(
                header: ["标记", "客户名称", "客户代码", "状态", "评级", "阶段", "负责人", "建档时间", "本周变动"],
                rows: rows.map { r in
                    [r.bool("is_new") ? "本周新增" : "变更", r.string("name") ?? "", r.string("code") ?? "",
                     CustomerPages.statusTitles[r.string("status") ?? ""] ?? "", r.string("rating_class") ?? "", r.string("stage") ?? "",
                     r.string("owner_name") ?? "", ctx.displayEpoch(r.int("created_at")), describe(r).joined(separator: "；")]
                }))
        }
        func weekHref(_ d: LocalDate) -> String { "/crm/reports/weekly-changes?week=\(d)" }
        // 004 第六章 5(6): the recipients mark a delivered week's report read.
        let recipient = ctx.can(CustomerDevelopmentModule.weeklyReport)
        let read = recipient ? try WeeklyReport.readAt(week, user: try ctx.requireUser().id, ctx) : nil
        return ctx.render(VisitWeeklyPage(
            week: week.label, monday: week.monday.description,
            badWeek: req.query["week"] != nil && asked == nil,
            prevHref: weekHref(VisitCalendar.adding(week.monday, -7)), nextHref: weekHref(VisitCalendar.adding(week.monday, 7)),
            csvHref: "/crm/reports/weekly-changes?week=\(week.monday)&format=csv",
            added: added, changed: rows.count - added, empty: rows.isEmpty,
            customers: rows.map { r in
                .init(isNew: r.bool("is_new"), id: r.int("id") ?? 0, name: r.string("name") ?? "", code: r.string("code") ?? "",
                      statusText: CustomerPages.statusTitles[r.string("status") ?? ""] ?? "", rating_class: r.string("rating_class") ?? "",
                      stage: r.string("stage") ?? "", owner_name: r.string("owner_name") ?? "", created: ctx.displayEpoch(r.int("created_at")),
                      changes: describe(r))
            },
            printedAt: ctx.display(ctx.now),
            canMarkRead: recipient && read == nil && WeeklyReport.isDelivered(week, ctx),
            readText: read.map { "已于 \(ctx.displayEpoch($0)) 阅" } ?? ""), title: "本周客户档案变动")
    }
}

// MARK: - Page models

/// 客户开发统计表 (002 第三节 一.3).
struct VisitStatisticsPage: PageModel {
    static let template = "visit-statistics"
    var rows: [Line]
    var list: ListView
    var from: String
    var to: String
    var owners: [PersonOption]
    var hasOwners: Bool
    var classOptions: [SelectOption]

    struct Line: TemplateModel {
        var number: Int
        var cells: [String]
    }
}

/// 访问计划完成表 (002 第三节 二.2) of one year.
struct VisitCompletionPage: PageModel {
    static let template = "visit-completion"
    var year: Int
    var prevHref: String
    var nextHref: String
    var monthHeads: [MonthHead]
    var rows: [Line]
    var list: ListView
    var plannedTotal: Int
    var actualTotal: Int
    var rate: String
    var owners: [PersonOption]
    var hasOwners: Bool
    var classOptions: [SelectOption]

    struct MonthHead: TemplateModel {
        var month: Int
    }

    struct Line: TemplateModel {
        var id: Int64
        var name: String
        var contact_person: String
        var phone: String
        var rating_class: String
        var owner_name: String
        var months: [Month]
        var plannedTotal: Int
        var actualTotal: Int
        var rate: String
    }

    struct Month: TemplateModel {
        var planned: Int
        var actual: Int
        /// A month that is over with fewer visits than planned.
        var short: Bool
    }
}

/// 年度新客户开发 (003 §5.5.3).
struct VisitNewCustomersPage: PageModel {
    static let template = "visit-new-customers"
    var year: Int
    var prevHref: String
    var nextHref: String
    var csvHref: String
    var target: String
    var summary: [Summary]
    var seesAll: Bool
    var showRep: Bool
    var repName: String
    var customers: [Customer]

    struct Summary: TemplateModel {
        var name: String
        var department: String
        var won: Int64
        var prospects: Int64
        var status: String
        var missing: Bool
        var href: String
    }

    struct Customer: TemplateModel {
        var id: Int64
        var code: String
        var name: String
        var rating_class: String
        var approved: String
    }
}

/// 本周客户档案变动 (004 第六章 5(6)), printable.
struct VisitWeeklyPage: PageModel {
    static let template = "visit-weekly"
    var week: String
    var monday: String
    var badWeek: Bool
    var prevHref: String
    var nextHref: String
    var csvHref: String
    var added: Int
    var changed: Int
    var empty: Bool
    var customers: [Customer]
    var printedAt: String
    /// A recipient (总经理, 销售经理) may mark this delivered week's report read.
    var canMarkRead: Bool
    var readText: String

    struct Customer: TemplateModel {
        var isNew: Bool
        var id: Int64
        var name: String
        var code: String
        var statusText: String
        var rating_class: String
        var stage: String
        var owner_name: String
        var created: String
        var changes: [String]
    }
}
