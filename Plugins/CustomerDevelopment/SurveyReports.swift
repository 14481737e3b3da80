import Foundation
import SalesKit

/// 市场调查报告, 客户调查报告, 同行调查报告 (003 §5.2): every quarter the sales staff report on the
/// market, the customers and the competitors, "to know how the market and the trade are going,
/// seize opportunities and avoid sales risks". One report of each kind per person and quarter;
/// a 销售专员 whose report of the current quarter is missing finds a reminder in the inbox (urgent
/// in the last 15 days of the quarter). A rep sees own reports; holders of `crm.view_all` see all.
/// Creating and revising are audited.
enum SurveyReportPages: ModuleFeature {

    static var pages: [any PageModel.Type] { [SurveyReportFormPage.self, SurveyReportPage.self] }
    static var forms: [String: FormSchema] { ["survey_report": form, "survey_report_edit": editForm] }
    static let kinds = [Choice("market", "市场调查报告"), Choice("customer", "客户调查报告"), Choice("peer", "同行调查报告")]
    static let kindTitles = Dictionary(uniqueKeysWithValues: kinds.map { ($0.value, $0.label) })

    // MARK: Quarters

    struct Quarter: Equatable {
        var year: Int
        var number: Int          // 1…4

        init(year: Int, number: Int) {
            self.year = year
            self.number = number
        }

        init(_ d: LocalDate) { self.init(year: d.year, number: (d.month - 1) / 3 + 1) }

        /// `2026-Q1`.
        init?(key: String) {
            let parts = key.split(separator: "-")
            guard parts.count == 2, let y = Int(parts[0]), (1900...9999).contains(y), parts[1].count == 2, parts[1].first == "Q",
                  let n = Int(parts[1].dropFirst()), (1...4).contains(n) else { return nil }
            self.init(year: y, number: n)
        }

        var key: String { "\(year)-Q\(number)" }
        var title: String { "\(year)年第\(number)季度" }
        var previous: Quarter { number == 1 ? Quarter(year: year - 1, number: 4) : Quarter(year: year, number: number - 1) }
        var first: LocalDate { LocalDate(year: year, month: number * 3 - 2, day: 1) }
        var last: LocalDate { LocalDate(year: year, month: number * 3, day: LocalDate.daysIn(year: year, month: number * 3)) }
    }

    /// The quarter a new report covers: the current one, or the one before (a late report is
    /// still filed for the quarter it covers).
    static let periods = [Choice("current", "本季度"), Choice("previous", "上季度（补报）")]

    static let contentFields = [
        FormField("subject", "调查范围与对象", required: true, rules: [.length(min: 2, max: 200)]),
        FormField("findings", "主要情况", .textarea, required: true, rules: [.length(min: 2, max: 4000)],
                  help: "市场、客户或同行的运行情况与变化"),
        FormField("opportunities", "商机", .textarea, rules: [.length(min: nil, max: 2000)]),
        FormField("risks", "销售风险", .textarea, rules: [.length(min: nil, max: 2000)]),
        FormField("measures", "建议与对策", .textarea, rules: [.length(min: nil, max: 2000)]),
    ]

    /// A new report.
    static let form = FormSchema([
        FormField("kind", "报告类别", .select(kinds), required: true),
        FormField("period", "季度", .select(periods), required: true),
    ] + contentFields)

    /// A report revised by its author (its kind and quarter stay).
    static let editForm = FormSchema(contentFields)

    static func seesAll(_ ctx: Context) -> Bool { Visibility.seesAll(ctx) }

    static func scope(_ ctx: Context) throws -> SQL {
        seesAll(ctx) ? "1 = 1" : "s.rep_id = \(try ctx.requireUser().id)"
    }

    static func routes(_ r: inout RouteBuilder) {
        let use = Access.permission(CustomerDevelopmentModule.use)
        r.get("survey-reports", use) { req, ctx in try listPage.respond(req, ctx) }
        r.form("survey-reports/new", use, create)
        r.get("survey-reports/:id", use, detail)
        r.form("survey-reports/:id/edit", use, edit)
    }

    static let listPage = ListPage(
        title: "季度调查报告", path: "/crm/survey-reports",
        select: "s.id, s.quarter, s.kind, s.subject, s.updated_at, COALESCE(u.display_name, '') AS rep_name",
        from: "crm_survey_reports s LEFT JOIN users u ON u.id = s.rep_id",
        scope: { ctx in try scope(ctx) },
        columns: [
            .init("quarter", "季度", sql: "s.quarter") { r, _ in ListCell(Quarter(key: r.string("quarter") ?? "")?.title ?? "") },
            .init("kind", "类别", sql: "s.kind") { r, _ in ListCell(kindTitles[r.string("kind") ?? ""] ?? "") },
            .init("subject", "调查范围与对象", sql: "s.subject") { r, _ in
                ListCell(r.string("subject") ?? "", href: "/crm/survey-reports/\(r.int("id") ?? 0)")
            },
            // The expression, not its alias: keyset paging puts it in WHERE, where PostgreSQL knows no aliases (#17).
            .init("rep", "填报人", sql: "COALESCE(u.display_name, '')", rowKey: "rep_name") { r, _ in ListCell(r.string("rep_name") ?? "") },
            .time("updated", "提交时间", sql: "s.updated_at"),
        ],
        filters: [
            .choice("kind", "类别", all: "全部类别", kinds) { s, _ in "s.kind = \(s)" },
            .init("quarter", "季度", .select(all: "全部季度", options: { ctx in
                var q = Quarter(ctx.today)
                var out: [Choice] = []
                for _ in 0..<8 { out.append(Choice(q.key, q.title)); q = q.previous }
                return out
            })) { s, _ in Quarter(key: s).map { "s.quarter = \($0.key)" } },
            .init("rep", "填报人", .select(all: "全部人员", options: { ctx in
                try ctx.db.query("""
                    SELECT u.id, u.display_name FROM users u
                    WHERE EXISTS (SELECT 1 FROM crm_survey_reports s WHERE s.rep_id = u.id) ORDER BY u.display_name, u.id
                    """).sortedByPinyin { $0.string("display_name") ?? "" }.map { Choice(String($0.int("id") ?? 0), $0.string("display_name") ?? "") }
            }), shown: { ctx in seesAll(ctx) }) { s, _ in Int64(s).map { "s.rep_id = \($0)" } },
        ],
        actions: [.init("填写调查报告", href: "/crm/survey-reports/new")],
        defaultSort: "quarter", defaultDescending: true, tiebreaker: "s.id", empty: "没有调查报告。", csvName: "季度调查报告.csv",
        intro: "每季度作市场调查报告、客户调查报告、同行调查报告，充分掌握市场、行业运行情况，把握商机，杜绝销售风险（003 第5.2条）。")

    static func load(_ id: Int64, _ ctx: Context) throws -> Row {
        guard let r = try ctx.db.first("""
            SELECT s.*, COALESCE(u.display_name, '') AS rep_name FROM crm_survey_reports s LEFT JOIN users u ON u.id = s.rep_id
            WHERE s.id = \(id)
            """) else { throw HTTPError.notFound }
        let me = try ctx.requireUser().id
        guard seesAll(ctx) || r.int("rep_id") == me else { throw HTTPError.forbidden }
        return r
    }

    static let create: Handler = { req, ctx in
        let now = Quarter(ctx.today)
        var initial = FormData([("period", "current")])
        if let k = req.query["kind"], kindTitles[k] != nil { initial.append("kind", k) }
        return try ctx.handleForm(form, title: "填写季度调查报告", initial: initial, page: { form in
            SurveyReportFormPage(isNew: true, id: 0, heading: "本季度为\(now.title)，上季度为\(now.previous.title)", form: form)
        }) { v in
            let user = try ctx.requireUser()
            let kind = v.string("kind")
            let quarter = v.string("period") == "previous" ? now.previous : now
            let taken = FormRejection(field: "kind", "\(quarter.title)的\(kindTitles[kind] ?? "")已经提交过，请修改原报告")
            if try ctx.db.first("SELECT id FROM crm_survey_reports WHERE rep_id = \(user.id) AND quarter = \(quarter.key) AND kind = \(kind)") != nil {
                throw taken
            }
            let id: Int64
            do {
                id = try ctx.db.transaction {
                    let id = try ctx.db.insert("""
                        INSERT INTO crm_survey_reports (rep_id, quarter, kind, subject, findings, opportunities, risks, measures,
                                                        created_at, updated_at)
                        VALUES (\(user.id), \(quarter.key), \(kind), \(v.string("subject")), \(v.string("findings")), \(v.string("opportunities")),
                                \(v.string("risks")), \(v.string("measures")), \(ctx.epoch), \(ctx.epoch)) RETURNING id
                        """)
                    try ctx.audit(AuditEntry(entity: "crm.survey_report", entityID: String(id), action: "create",
                                             to: "\(quarter.title)\(kindTitles[kind] ?? kind)"))   // read as written in the 办理记录 (#16)
                    return id
                }
            } catch let e as StorageError where e.kind == .constraint {
                throw taken     // filed twice at the same moment: UNIQUE (rep_id, quarter, kind) decides
            }
            return .redirect(to: "/crm/survey-reports/\(id)", flash: .ok("调查报告已提交。"))
        }
    }

    /// The author revises the report's content (its kind and quarter stay).
    static let edit: Handler = { req, ctx in
        let r = try load(try req.id(), ctx)
        let id = try r.requireInt("id")
        guard r.int("rep_id") == (try ctx.requireUser().id) else { throw HTTPError.conflict("只有填报人可以修改调查报告。") }
        var initial = FormData()
        for f in editForm.fields { initial.append(f.name, r.string(f.name) ?? "") }
        let heading = "\(Quarter(key: r.string("quarter") ?? "")?.title ?? "")\(kindTitles[r.string("kind") ?? ""] ?? "")"
        return try ctx.handleForm(editForm, title: "修改季度调查报告", initial: initial,
                                  page: { form in SurveyReportFormPage(isNew: false, id: id, heading: heading, form: form) }) { v in
            try ctx.db.transaction {
                try ctx.db.execute("""
                    UPDATE crm_survey_reports SET subject = \(v.string("subject")), findings = \(v.string("findings")),
                        opportunities = \(v.string("opportunities")), risks = \(v.string("risks")), measures = \(v.string("measures")),
                        updated_at = \(ctx.epoch)
                    WHERE id = \(id)
                    """)
                try ctx.audit(AuditEntry(entity: "crm.survey_report", entityID: String(id), action: "edit"))
            }
            return .redirect(to: "/crm/survey-reports/\(id)", flash: .ok("调查报告已修改。"))
        }
    }

    static let detail: Handler = { req, ctx in
        let r = try load(try req.id(), ctx)
        return ctx.render(SurveyReportPage(
            id: try r.requireInt("id"), kindText: kindTitles[r.string("kind") ?? ""] ?? "",
            quarterText: Quarter(key: r.string("quarter") ?? "")?.title ?? "", rep_name: r.string("rep_name") ?? "",
            subject: r.string("subject") ?? "", findings: r.string("findings") ?? "", opportunities: r.string("opportunities") ?? "",
            risks: r.string("risks") ?? "", measures: r.string("measures") ?? "", updated: ctx.displayEpoch(r.int("updated_at")),
            canEdit: r.int("rep_id") == ctx.user?.id), title: kindTitles[r.string("kind") ?? ""] ?? "调查报告")
    }

    /// 003 §5.2: a 销售专员's reports of the current quarter not yet filed.
    static func inbox(for user: User, _ ctx: Context) throws -> [InboxItem] {
        guard user.has(.salesRep) else { return [] }
        let quarter = Quarter(ctx.today)
        let filed = Set(try ctx.db.query("""
            SELECT kind FROM crm_survey_reports WHERE rep_id = \(user.id) AND quarter = \(quarter.key)
            """).compactMap { $0.string("kind") })
        let daysLeft = quarter.last.dayNumber - ctx.today.dayNumber
        let due = quarter.last.adding(days: 1).start(in: ctx.timeZone)
        return kinds.filter { !filed.contains($0.value) }.map { k in
            InboxItem(title: "\(quarter.title)\(k.label)未提交", detail: "每季度作市场、客户、同行调查报告（003 第5.2条），季度末前提交",
                      url: "/crm/survey-reports/new?kind=\(k.value)", due: due, urgent: daysLeft < 15)
        }
    }
}

/// 填写 / 修改季度调查报告.
struct SurveyReportFormPage: PageModel {
    static let template = "survey-report-form"
    var isNew: Bool
    var id: Int64
    /// Which quarters a new report may cover, or the revised report's quarter and kind.
    var heading: String
    var form: FormView
}

/// One 市场 / 客户 / 同行调查报告.
struct SurveyReportPage: PageModel {
    static let template = "survey-report"
    var id: Int64
    var kindText: String
    var quarterText: String
    var rep_name: String
    var subject: String
    var findings: String
    var opportunities: String
    var risks: String
    var measures: String
    var updated: String
    var canEdit: Bool
}
