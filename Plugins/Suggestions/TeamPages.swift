import Foundation
import SalesKit

/// §23.4 team award pages: departments and headcounts (admin data), the quarterly ranking, and the
/// chair's one-time recording of the award into the ledger.
enum TeamPages {
    /// RULES §6 "Departments are records": the department is picked from the directory (by its
    /// name, the key the team award ranks by: a suggestion records its proposer's department as
    /// shown); a department registered here before and no longer in the directory stays editable.
    static func departmentForm(_ names: [Choice]) -> FormSchema {
        FormSchema([
            FormField("name", "部门名称", .select(names), required: true),
            FormField("headcount", "人数", .integer, required: true, rules: [.range(0, 100_000)],
                      help: "人数为 0 的部门不参加团体奖排名。"),
        ])
    }

    /// The directory's departments by name, then those registered here that it lacks.
    static func departmentNames(registered: [String], _ ctx: Context) throws -> [Choice] {
        let directory = try IdeasDepartments.org(ctx).departments(ctx).map(\.name)
        return (directory + registered.filter { !directory.contains($0) }).map { Choice($0, $0) }
    }

    /// Departments and headcounts; POST adds or updates one (audited).
    ///
    /// A settings form, not a list of records (so not a `ListPage`, like the roles and modules
    /// pages): one row per department of the directory, edited in place by the form beside it,
    /// with the departments still missing a headcount named under it.
    static let departments: Handler = { req, ctx in
        let list = try ctx.db.query("SELECT name, headcount, updated_at FROM ideas_departments ORDER BY name")
        let known = Set(list.compactMap { $0.string("name") })
        // Departments seen on users and suggestions that are not registered yet (read only when
        // the page is shown: a valid submit runs under the write lock, issue 20).
        func missing() throws -> [String] {
            let seen = try ctx.db.query("""
                SELECT department FROM users WHERE active = 1 AND department <> '' UNION SELECT department FROM ideas_suggestions WHERE department <> ''
                """).compactMap { $0.string("department") }
            return Array(Set(seen).subtracting(known)).sorted()
        }
        var initial = FormData()
        if let name = req.query["edit"], !name.isEmpty {
            initial.append("name", name)
            initial.append("headcount", list.first { $0.string("name") == name }?.string("headcount") ?? "")
        }
        let names = try departmentNames(registered: list.compactMap { $0.string("name") }, ctx)
        return try ctx.handleForm(departmentForm(names), title: "部门人数", initial: initial, page: { form in
            let unregistered = try missing()
            return DepartmentsPage(
                departments: list.map { r in
                    let name = r.string("name") ?? ""
                    return .init(name: name, headcount: r.int("headcount") ?? 0, excluded: (r.int("headcount") ?? 0) <= 0,
                                 updated: ctx.ideasTime(r.int("updated_at")),
                                 editHref: "/ideas/departments?" + URLEncoding.encode(FormData([("edit", name)])))
                },
                hasMissing: !unregistered.isEmpty,
                missing: unregistered.map { .init(name: $0, href: "/ideas/departments?" + URLEncoding.encode(FormData([("edit", $0)]))) },
                form: form)
        }) { v in
            let name = v.string("name"), headcount = v.int("headcount") ?? 0
            try ctx.db.transaction {
                let old = try ctx.db.first("SELECT headcount FROM ideas_departments WHERE name = \(name)")?.string("headcount")
                guard old != String(headcount) else { return }
                try ctx.db.execute("""
                    INSERT INTO ideas_departments (name, headcount, updated_at) VALUES (\(name), \(headcount), \(ctx.epoch))
                    ON CONFLICT (name) DO UPDATE SET headcount = excluded.headcount, updated_at = excluded.updated_at
                    """)
                try ctx.audit(AuditEntry(entity: "ideas.department", entityID: name, action: old == nil ? "create" : "headcount",
                                         from: old, to: String(headcount)))
            }
            return .redirect(to: "/ideas/departments", flash: .ok("部门人数已保存：\(name) \(headcount) 人。"))
        }
    }

    /// The quarter asked for (`?year=&quarter=`, or the form's fields on POST); by default the last
    /// quarter that has ended.
    static func quarter(_ req: Request, _ ctx: Context) throws -> TeamRanking.Quarter {
        let source = req.method == "POST" ? req.form : req.query
        let y = source["year"] ?? "", q = source["quarter"] ?? ""
        if y.isEmpty && q.isEmpty { return TeamRanking.Quarter(containing: ctx.currentMonth).previous }
        guard let year = Int(y), let quarter = Int(q), let value = TeamRanking.Quarter(year: year, quarter: quarter) else {
            throw HTTPError.badRequest("年份或季度无效（季度为 1–4）")
        }
        return value
    }

    static let ranking: Handler = { req, ctx in
        let q = try quarter(req, ctx)
        guard req.method == "POST" else { return try page(q, ctx) }
        let position = try Committee.requireMember(ctx)
        guard position == "chair" else { throw HTTPError.forbidden }
        if try awarded(q, ctx) != nil { return try page(q, ctx, error: "\(q.title)的团体奖已经颁发，不能重复颁发。") }
        if !(ctx.today > q.endsOn) { return try page(q, ctx, error: "\(q.title)尚未结束（\(q.endsOn) 结束），结束后方可颁发团体奖。") }
        let open = try ctx.db.query("""
            SELECT DISTINCT s.batch FROM ideas_suggestions s LEFT JOIN ideas_batches b ON b.batch = s.batch AND b.finalized_at IS NOT NULL
            WHERE s.batch IN (\(list: q.batches.map(\.description))) AND b.batch IS NULL ORDER BY s.batch
            """).compactMap { $0.string("batch") }
        if !open.isEmpty { return try page(q, ctx, error: "以下批次尚未公布评审结果：\(open.joined(separator: "、"))。") }
        let standings = try TeamRanking.standings(q, ctx.db)
        let winners = standings.winners
        if winners.isEmpty { return try page(q, ctx, error: "\(q.title)没有可参加排名且有采用建议的部门。") }
        let user = try ctx.requireUser()
        do {
            try ctx.db.transaction {
                try ctx.db.execute("""
                    INSERT INTO ideas_team_awards (year, quarter, awarded_by, awarded_at) VALUES (\(q.year), \(q.quarter), \(user.id), \(ctx.epoch))
                    """)
                let awards = Dictionary(try ctx.db.query("SELECT outcome, title, amount_fen, prize FROM ideas_awards").map {
                    ($0.string("outcome") ?? "", $0)
                }, uniquingKeysWith: { first, _ in first })   // never a trap on a duplicate row
                for (i, e) in winners.enumerated() {
                    let a = awards["team\(i + 1)"]
                    let prize = a?.string("prize") ?? ""
                    let title = (a?.string("title") ?? "团体奖第\(i + 1)名") + "（\(q.title)）" + (prize.isEmpty ? "" : "（\(prize)）")
                    try ctx.db.execute("""
                        INSERT INTO ideas_ledger (user_id, department, suggestion_id, batch, kind, title, amount_fen, created_by, created_at, note)
                        VALUES (0, \(e.department), NULL, \(q.lastBatch.description), 'team', \(title), \(a?.int("amount_fen") ?? 0),
                                \(user.id), \(ctx.epoch), \("采用 \(e.adopted) 件 ÷ \(e.headcount) 人 = \(TeamRanking.ratio(e))"))
                        """)
                }
                try ctx.audit(AuditEntry(entity: "ideas.team", entityID: q.key, action: "award",
                                         to: winners.map(\.department).joined(separator: "、"),
                                         reason: winners.map { "\($0.department) \($0.adopted)/\($0.headcount)" }.joined(separator: "；")))
            }
        } catch let e as StorageError where e.kind == .constraint {
            return try page(q, ctx, error: "\(q.title)的团体奖已经颁发，不能重复颁发。")
        }
        return .redirect(to: "/ideas/team?\(q.query)", flash: .ok("\(q.title)团体奖已颁发，已记入奖励台账。"))
    }

    static func awarded(_ q: TeamRanking.Quarter, _ ctx: Context) throws -> Row? {
        try ctx.db.first("""
            SELECT t.awarded_at, COALESCE(u.display_name, '') AS who FROM ideas_team_awards t LEFT JOIN users u ON u.id = t.awarded_by
            WHERE t.year = \(q.year) AND t.quarter = \(q.quarter)
            """)
    }

    static func page(_ q: TeamRanking.Quarter, _ ctx: Context, error: String? = nil) throws -> Response {
        let s = try TeamRanking.standings(q, ctx.db)
        let winners = s.winners
        let done = try awarded(q, ctx)
        let user = try ctx.requireUser()
        let seat = user.can(SuggestionsModule.review) ? try Committee.position(user.id, ctx) : nil
        let isChair = seat == "chair"
        return ctx.render(TeamRankingPage(
            title: q.title, prevHref: "/ideas/team?\(q.previous.query)", nextHref: "/ideas/team?\(q.next.query)",
            year: q.year, quarters: (1...4).map { .init(value: $0, selected: $0 == q.quarter) },
            batches: q.batches.map(\.title).joined(separator: "、"),
            meeting: SuggestionCalendar.awardMeeting(afterQuarterOf: q.lastBatch).description,
            isManager: user.can(SuggestionsModule.manage),
            error: error ?? "", hasError: error != nil,
            awarded: done != nil, awardedBy: done?.string("who") ?? "", awardedAt: ctx.ideasTime(done?.int("awarded_at")),
            ranked: s.ranked.enumerated().map { (i, e) in
                let place = winners.firstIndex(of: e)
                return .init(winner: place != nil, rank: i + 1, department: e.department, headcount: e.headcount, adopted: e.adopted,
                             ratio: TeamRanking.ratio(e), place: place.map { "第\($0 + 1)名" } ?? "")
            },
            hasExcluded: !s.zeroHeadcount.isEmpty || !s.unregistered.isEmpty,
            excluded: s.zeroHeadcount.map { .init(department: $0.department, adopted: $0.adopted, reason: "人数为 0") }
                + s.unregistered.map { .init(department: $0.department.isEmpty ? "（未填部门）" : $0.department, adopted: $0.adopted,
                                             reason: "未登记部门人数") },
            canAward: isChair && done == nil && !winners.isEmpty, quarter: q.quarter,
            ended: ctx.today > q.endsOn, endsOn: q.endsOn.description
        ), title: "团体奖 \(q.title)", status: error == nil ? 200 : 409)
    }
}

/// 部门人数 (`team-departments`): the registered departments, those seen but not registered, and
/// the form that adds or changes one.
struct DepartmentsPage: PageModel {
    static let template = "team-departments"

    struct Department: TemplateModel {
        var name: String
        var headcount: Int64
        /// Headcount 0: not ranked for the team award.
        var excluded: Bool
        var updated: String
        var editHref: String
    }

    struct Missing: TemplateModel {
        var name: String
        var href: String
    }

    var departments: [Department]
    var hasMissing: Bool
    var missing: [Missing]
    var form: FormView
}

/// 团体奖 (`team-ranking`): a quarter's ranking, printable, and the chair's award.
struct TeamRankingPage: PageModel {
    static let template = "team-ranking"

    struct Quarter: TemplateModel {
        var value: Int
        var selected: Bool
    }

    struct Ranked: TemplateModel {
        var winner: Bool
        var rank: Int
        var department: String
        var headcount: Int
        var adopted: Int
        var ratio: String
        /// 第1名 … for the winners, else empty.
        var place: String
    }

    struct Excluded: TemplateModel {
        var department: String
        var adopted: Int
        var reason: String
    }

    var title: String
    var prevHref: String
    var nextHref: String
    var year: Int
    var quarters: [Quarter]
    var batches: String
    var meeting: String
    var isManager: Bool
    var error: String
    var hasError: Bool
    var awarded: Bool
    var awardedBy: String
    var awardedAt: String
    var ranked: [Ranked]
    var hasExcluded: Bool
    var excluded: [Excluded]
    var canAward: Bool
    var quarter: Int
    var ended: Bool
    var endsOn: String
}

extension Context {
    /// The calendar month of today, as a batch value (for quarter arithmetic).
    var currentMonth: SuggestionCalendar.Batch { SuggestionCalendar.Batch(containing: today) }
}
