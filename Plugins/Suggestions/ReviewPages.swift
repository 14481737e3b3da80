import Foundation
import SalesKit

/// Committee review (§22–§25): notes, grading, and the chair's finalization of a batch.
enum ReviewPages {
    // Amounts live in the admin-editable award table (shown on the bulletin), not in labels.
    static let outcomes = [Choice("grade1", "一等奖"), Choice("grade2", "二等奖"), Choice("grade3", "三等奖"),
                           Choice("grade4", "四等奖"), Choice("encourage", "鼓励奖"), Choice("effort", "努力奖（奖品）"),
                           Choice("reserved", "保留，延期评审"), Choice("rejected", "不采用")]
    static let adopted: Set<String> = ["grade1", "grade2", "grade3", "grade4"]
    /// Published for every user to read (§24, the bulletin): the adopted ones and the two lesser
    /// awards. A rejected suggestion and every reason stay with its proposer and the committee.
    static let publicOutcomes: Set<String> = adopted.union(["encourage", "effort"])

    /// §22–§26. RULES §6 "Departments are records": the implementing departments and the helping
    /// department are picked from the directory (`IdeasDepartments.choices`), never typed.
    static func gradeForm(_ departmentChoices: [Choice]) -> FormSchema {
        FormSchema([
        FormField("outcome", "评审结果", .select(outcomes), required: true),
        FormField("reason", "理由", .textarea, rules: [.length(min: nil, max: 2000)]),
        FormField("departments", "实施部门（采用时必选，可多选）", .multiSelect(departmentChoices)),
        // §25 保留: the later batch is a validated `Batch` (month 01–12), never free text — a
        // stored `2026-13` used to crash the suggestion page (issue 12).
        FormField("reserve_to", "延期至批次（YYYY-MM）", rules: [.custom { v in
            guard case .text(let s) = v else { return nil }
            return SuggestionCalendar.Batch(s) == nil ? reserveToMessage : nil
        }]),
        FormField("could_work", "再稍加研究即可采用（告知建议人，并指定协助部门）", .checkbox),
        FormField("help_department", "协助部门", .select(departmentChoices)),
    ], checks: [{ v in
        var e: [FormError] = []
        let o = v.string("outcome")
        if ["reserved", "rejected"].contains(o) && v.optionalString("reason") == nil { e.append(FormError(field: "reason", "保留或不采用须填写理由")) }
        if adopted.contains(o) && v.list("departments").isEmpty { e.append(FormError(field: "departments", "采用的建议须指定实施部门")) }
        if o == "reserved" && v.optionalString("reserve_to") == nil { e.append(FormError(field: "reserve_to", "请填写延期至哪个批次")) }
        if v.bool("could_work") && v.optionalString("help_department") == nil { e.append(FormError(field: "help_department", "请指定协助部门")) }
        return e
    }])
    }

    static let reserveToMessage = "格式为 YYYY-MM，月份为 01–12（年份 \(SuggestionCalendar.Batch.years.lowerBound)–\(SuggestionCalendar.Batch.years.upperBound)）"

    /// The suggestion's batch as stored, or a 409 naming the bad value (a row written by an old
    /// version or by hand): the request ends with an error page, the process goes on.
    static func storedBatch(_ r: Row) throws -> SuggestionCalendar.Batch {
        let raw = r.string("batch") ?? ""
        guard let b = SuggestionCalendar.Batch(raw) else { throw HTTPError.conflict(badBatchMessage(raw)) }
        return b
    }

    static func badBatchMessage(_ raw: String) -> String {
        "该建议记录的批次「\(raw)」无效（应为 YYYY-MM，月份 01–12），暂不能评审或修改。请联系管理员更正。"
    }

    /// §22: an investigation record or a department's opinion; the department is picked from the
    /// directory (RULES §6).
    static func noteForm(_ departmentChoices: [Choice]) -> FormSchema {
        FormSchema([
            FormField("kind", "类型", .select([Choice("investigation", "调查记录"), Choice("opinion", "部门意见")]), required: true),
            FormField("department", "部门", .select(departmentChoices)),
            FormField("text", "内容", .textarea, required: true, rules: [.length(min: 2, max: 2000)]),
        ])
    }

    static func departments(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == "," || $0 == "，" || $0 == "、" }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    static func isFinalized(_ batch: SuggestionCalendar.Batch, _ ctx: Context) throws -> Bool {
        try ctx.db.first("SELECT finalized_at FROM ideas_batches WHERE batch = \(batch.description) AND finalized_at IS NOT NULL") != nil
    }

    static func batchParam(_ req: Request) throws -> SuggestionCalendar.Batch {
        guard let b = SuggestionCalendar.Batch(req.parameters["batch"] ?? "") else { throw HTTPError.notFound }
        return b
    }

    /// 建议评审: every batch with suggestions, newest first, for the committee (a `ListPage`:
    /// sortable, paged, CSV). A stored name that is not a batch stays listed, marked, unlinked.
    static let overviewPage: ListPage = {
        @Sendable func valid(_ r: Row) -> SuggestionCalendar.Batch? { SuggestionCalendar.Batch(r.string("batch") ?? "") }
        let columns: [ListPage.Column] = [
            .init("batch", "批次", sql: "t.batch") { r, _ in
                guard let b = valid(r) else { return ListCell("无效批次「\(r.string("batch") ?? "")」", cls: "error") }
                return ListCell(b.title, href: "/ideas/batches/\(b.description)")
            },
            .init("opens", "开箱", sql: "t.batch", sortable: false) { r, _ in ListCell(valid(r)?.opensOn.description ?? "") },
            .init("due", "评审截止", sql: "t.batch", sortable: false) { r, _ in ListCell(valid(r)?.reviewDue.description ?? "") },
            .init("total", "建议数", sql: "t.total") { r, _ in ListCell(String(r.int("total") ?? 0), cls: "num") },
            .init("ungraded", "未评", sql: "t.ungraded") { r, _ in ListCell(String(r.int("ungraded") ?? 0), cls: "num") },
            .init("phase", "状态", sql: "b.finalized_at", sortable: false) { r, ctx in
                guard let b = valid(r) else { return ListCell("请联系管理员更正", cls: "error") }
                if r.int("finalized_at") != nil { return ListCell("已公布") }
                let phase = SuggestionCalendar.phase(of: b, on: ctx.today)
                return ListCell(phaseTitles[phase] ?? "", cls: phase == .overdue ? "error" : nil)
            },
        ]
        let position: @Sendable (Request, Context) -> String? = { _, ctx in
            guard let id = ctx.user?.id, let p = try? Committee.position(id, ctx) else { return nil }
            return "您在评定委员会的职务：" + (Committee.titles[p] ?? p)
        }
        return ListPage(
            title: "建议评审", path: "/ideas/review",
            select: "t.batch, t.total, t.ungraded, t.first_id, b.finalized_at",
            from: """
                (SELECT batch, COUNT(*) AS total, SUM(CASE WHEN outcome IS NULL THEN 1 ELSE 0 END) AS ungraded, MIN(id) AS first_id
                 FROM ideas_suggestions GROUP BY batch) t LEFT JOIN ideas_batches b ON b.batch = t.batch
                """,
            scope: { _ in "1 = 1" }, columns: columns,
            defaultSort: "batch", defaultDescending: true, pageSize: 24, tiebreaker: "t.first_id", empty: "暂无建议。",
            csvName: "建议评审批次.csv",
            intro: "建议箱每月 20 日开箱，当月月底前评审完毕并公布（002 第19条、第24条）。",
            notice: position)
    }()

    static let overview: Handler = { req, ctx in
        _ = try Committee.requireMember(ctx)
        return try overviewPage.respond(req, ctx)
    }

    static let phaseTitles: [SuggestionCalendar.Phase: String] = [.collecting: "收集中", .reviewing: "评审中", .overdue: "已逾期"]

    static func batchPage(_ req: Request, _ ctx: Context, error: String? = nil, ungraded: [String] = []) throws -> Response {
        let position = try Committee.requireMember(ctx)
        let b = try batchParam(req)
        let rows = try ctx.db.query("""
            SELECT s.id, s.title, s.topic, s.outcome, COALESCE(u.display_name, '') AS proposer, s.department
            FROM ideas_suggestions s LEFT JOIN users u ON u.id = s.proposer_id WHERE s.batch = \(b.description) ORDER BY s.id
            """)
        let phase = SuggestionCalendar.phase(of: b, on: ctx.today)
        let finalized = try isFinalized(b, ctx)
        return ctx.render(BatchPage(
            title: b.title, batch: b.description, opens: b.opensOn.description, due: b.reviewDue.description,
            notOpen: phase == .collecting, error: error ?? "", hasError: error != nil, ungraded: ungraded,
            items: rows.map { r in
                .init(id: r.int("id") ?? 0, title: r.string("title") ?? "", proposer: r.string("proposer") ?? "",
                      topic: SubmitPages.topicTitles[r.string("topic") ?? ""] ?? "",
                      outcome: r.string("outcome").flatMap { SubmitPages.outcomeTitles[$0] } ?? "未评")
            },
            finalized: finalized,
            canFinalize: (position == "chair" || position == "vice") && phase != .collecting && !finalized
        ), title: "\(b.title)批次", status: error == nil ? 200 : 409)
    }

    static let batch: Handler = { req, ctx in try batchPage(req, ctx) }

    /// §22: members grade. Refused before the batch is opened on the 20th, and after finalization.
    static let grade: Handler = { req, ctx in
        _ = try Committee.requireMember(ctx)
        let (r, _) = try SubmitPages.load(req, ctx)
        let id = try r.requireInt("id")
        let b = try storedBatch(r)
        if SuggestionCalendar.phase(of: b, on: ctx.today) == .collecting {
            throw HTTPError.conflict("\(b.title)批次于 \(b.opensOn) 开箱，开箱前不能评审。")
        }
        if try isFinalized(b, ctx) { throw HTTPError.conflict("该批次已公布结果，不能再评审。") }
        let bound = gradeForm(try IdeasDepartments.choices(ctx)).bind(req.form, today: ctx.today)
        // Invalid: the suggestion page again, with the grading errors and values (422).
        guard let v = bound.values else { return try SubmitPages.detailPage(req, ctx, grade: bound) }
        var reserveTo: SuggestionCalendar.Batch?
        if v.string("outcome") == "reserved" {
            // The field's rule already refused a bad name; checked again here, not unwrapped.
            // RULES §6: the later batch is in the future and not yet published (422 on the field).
            guard let to = SuggestionCalendar.Batch(v.string("reserve_to")) else {
                var bad = bound
                bad.addError(FormError(field: "reserve_to", reserveToMessage))
                return try SubmitPages.detailPage(req, ctx, grade: bad)
            }
            if let problem = try Batches.deferralProblem(to, from: b, ctx) {
                var bad = bound
                bad.addError(FormError(field: "reserve_to", problem))
                return try SubmitPages.detailPage(req, ctx, grade: bad)
            }
            reserveTo = to
        }
        try ctx.db.transaction {
            try ctx.db.execute("""
                UPDATE ideas_suggestions SET outcome = \(v.string("outcome")), reason = \(v.optionalString("reason")),
                    could_work = \(v.bool("could_work")), help_department = \(v.optionalString("help_department")),
                    departments = \(v.list("departments").joined(separator: ",")),
                    reserved_to = \(reserveTo?.description),
                    graded_by = \(ctx.user?.id), graded_at = \(ctx.epoch), updated_at = \(ctx.epoch)
                WHERE id = \(id)
                """)
            try ctx.audit(AuditEntry(entity: "ideas.suggestion", entityID: String(id), action: "grade",
                                     from: r.string("outcome"), to: v.string("outcome"), reason: v.optionalString("reason")))
        }
        return .redirect(to: "/ideas/batches/\(b.description)",
                         flash: .ok("已评定：\(r.string("title") ?? "")（\(SubmitPages.outcomeTitles[v.string("outcome")] ?? "")）。"))
    }

    static let addNote: Handler = { req, ctx in
        _ = try Committee.requireMember(ctx)
        let (r, _) = try SubmitPages.load(req, ctx)
        let id = r.int("id") ?? 0
        let bound = noteForm(try IdeasDepartments.choices(ctx)).bind(req.form)
        // Invalid: the suggestion page again, with the note's errors and values (422).
        guard let v = bound.values else { return try SubmitPages.detailPage(req, ctx, grade: nil, note: bound) }
        try ctx.db.transaction {
            let nid = try ctx.db.insert("""
                INSERT INTO ideas_notes (suggestion_id, kind, department, text, author_id, created_at)
                VALUES (\(id), \(v.string("kind")), \(v.string("department")), \(v.string("text")), \(ctx.user?.id ?? 0), \(ctx.epoch))
                RETURNING id
                """)
            try ctx.audit(AuditEntry(entity: "ideas.note", entityID: String(nid), action: "create", to: v.string("kind")))
        }
        return .redirect(to: "/ideas/\(id)", flash: .ok("已记录。"))
    }

    /// §22/§24/§25/§26: only the chair (or a vice chair acting for the chair) finalizes. Refused
    /// while any suggestion is ungraded, listing them. Reserved ones move to their later batch;
    /// the rest are published, awards go to the ledger, and each adopted suggestion gets one
    /// implementation order per department, due by the 15th of the next month.
    static let finalize: Handler = { req, ctx in
        let position = try Committee.requireMember(ctx)
        guard position == "chair" || position == "vice" else { throw HTTPError.forbidden }
        let b = try batchParam(req)
        if SuggestionCalendar.phase(of: b, on: ctx.today) == .collecting {
            return try batchPage(req, ctx, error: "\(b.title)批次尚未开箱（\(b.opensOn)），不能公布。")
        }
        if try isFinalized(b, ctx) { return try batchPage(req, ctx, error: "该批次已公布。") }
        let ungraded = try ctx.db.query("SELECT title FROM ideas_suggestions WHERE batch = \(b.description) AND outcome IS NULL ORDER BY id")
        if !ungraded.isEmpty {
            return try batchPage(req, ctx, error: "还有 \(ungraded.count) 条建议未评审，不能公布：",
                                 ungraded: ungraded.compactMap { $0.string("title") })
        }
        // A reserved suggestion moves to its later batch; a stored name that is not a valid later
        // batch (an old version stored `2026-13`) is refused here, never moved into a bad batch.
        let badReserve = try ctx.db.query("""
            SELECT title, reserved_to FROM ideas_suggestions WHERE batch = \(b.description) AND outcome = 'reserved' ORDER BY id
            """).filter { r in
                // Not a later batch, or published since it was graded (RULES §6): graded again first.
                guard let to = SuggestionCalendar.Batch(r.string("reserved_to") ?? ""), to > b else { return true }
                return (try? Batches.isPublished(to, ctx)) != false
            }
        if !badReserve.isEmpty {
            return try batchPage(req, ctx, error: "以下保留的建议延期批次无效（须为 \(b.title) 之后、尚未公布的批次），请重新评审后再公布：",
                                 ungraded: badReserve.map { "\($0.string("title") ?? "")（延期至「\($0.string("reserved_to") ?? "")」）" })
        }
        let user = try ctx.requireUser()
        try ctx.db.transaction {
            let awards = Dictionary(try ctx.db.query("SELECT outcome, title, amount_fen, prize FROM ideas_awards").map {
                ($0.string("outcome") ?? "", $0)
            }, uniquingKeysWith: { first, _ in first })   // never a trap on a duplicate row
            for s in try ctx.db.query("SELECT * FROM ideas_suggestions WHERE batch = \(b.description) ORDER BY id") {
                let sid = try s.requireInt("id")
                let outcome = s.string("outcome") ?? ""
                if outcome == "reserved", let to = SuggestionCalendar.Batch(s.string("reserved_to") ?? "")?.description {
                    try ctx.db.execute("""
                        UPDATE ideas_suggestions SET batch = \(to), outcome = NULL, graded_by = NULL, graded_at = NULL,
                            batch_note = \("\(b.description) 批次评审结论为保留（延期评审），本建议转入 \(to) 批次"),
                            updated_at = \(ctx.epoch) WHERE id = \(sid)
                        """)
                    try ctx.audit(AuditEntry(entity: "ideas.suggestion", entityID: String(sid), action: "reserve", from: b.description,
                                             to: to, reason: s.string("reason")))
                    continue
                }
                try ctx.db.execute("UPDATE ideas_suggestions SET published = 1, updated_at = \(ctx.epoch) WHERE id = \(sid)")
                try ctx.audit(AuditEntry(entity: "ideas.suggestion", entityID: String(sid), action: "publish", from: "graded", to: outcome))
                if let award = awards[outcome], outcome != "reserved", outcome != "rejected" {
                    try ctx.db.execute("""
                        INSERT INTO ideas_ledger (user_id, department, suggestion_id, batch, kind, title, amount_fen, created_by, created_at)
                        VALUES (\(s.int("proposer_id") ?? 0), \(s.string("department") ?? ""), \(sid), \(b.description),
                                \(outcome == "effort" ? "prize" : "award"), \((award.string("title") ?? "") + (award.string("prize").map { $0.isEmpty ? "" : "（\($0)）" } ?? "")),
                                \(award.int("amount_fen") ?? 0), \(user.id), \(ctx.epoch))
                        """)
                }
                if adopted.contains(outcome) {
                    // §26.1, RULES §6: one order per department of the directory (a name stored
                    // before the picker resolves to its department's code).
                    var seen = Set<String>()
                    for d in try departments(s.string("departments") ?? "").map({ try IdeasDepartments.resolve($0, ctx) })
                    where seen.insert(d).inserted {
                        try ctx.db.execute("""
                            INSERT INTO ideas_orders (suggestion_id, department, due, plan_due, created_at, updated_at)
                            VALUES (\(sid), \(d), \(b.implementationOrdersDue.description), \(b.implementationPlanDue.description),
                                    \(ctx.epoch), \(ctx.epoch))
                            """)
                    }
                }
            }
            try ctx.db.execute("""
                INSERT INTO ideas_batches (batch, finalized_by, finalized_at) VALUES (\(b.description), \(user.id), \(ctx.epoch))
                ON CONFLICT (batch) DO UPDATE SET finalized_by = excluded.finalized_by, finalized_at = excluded.finalized_at
                """)
            try ctx.audit(AuditEntry(entity: "ideas.batch", entityID: b.description, action: "finalize", from: "reviewing", to: "published"))
        }
        return .redirect(to: "/ideas/bulletin/\(b.description)", flash: .ok("\(b.title)批次评审结果已公布，实施命令已下达。"))
    }
}

/// One batch for the committee, with the chair's finalization (`batch`).
struct BatchPage: PageModel {
    static let template = "batch"

    struct Item: TemplateModel {
        var id: Int64
        var title: String
        var proposer: String
        var topic: String
        var outcome: String
    }

    var title: String
    var batch: String
    var opens: String
    var due: String
    var notOpen: Bool
    /// Why the finalization was refused (409), with the suggestions concerned.
    var error: String
    var hasError: Bool
    var ungraded: [String]
    var items: [Item]
    var finalized: Bool
    var canFinalize: Bool
}
