import Foundation
import SalesKit

enum SubmitPages {
    /// §18 topics.
    static let topics = [Choice("strategy", "企业整体营销策略的调整"), Choice("development", "客户开发与产品销售策略的制定"),
                         Choice("management", "客户管理方法"), Choice("other", "其他")]
    static let topicTitles = Dictionary(uniqueKeysWithValues: topics.map { ($0.value, $0.label) })

    static let form = FormSchema([
        FormField("topic", "建议类别", .select(topics), required: true),
        FormField("title", "标题", required: true, rules: [.length(min: 2, max: 100)]),
        FormField("content", "建议内容", .textarea, required: true, rules: [.length(min: 5, max: 5000)]),
        FormField("expected_effect", "预期效果", .textarea, rules: [.length(min: nil, max: 2000)]),
    ])

    static let outcomeTitles = ["grade1": "一等奖", "grade2": "二等奖", "grade3": "三等奖", "grade4": "四等奖", "encourage": "鼓励奖",
                                "effort": "努力奖", "reserved": "保留（延期评审）", "rejected": "不采用"]

    /// The status a proposer sees.
    static func status(_ r: Row, today: LocalDate) -> String {
        if r.bool("published"), let o = r.string("outcome") { return "已公布：" + (outcomeTitles[o] ?? o) }
        guard let batch = SuggestionCalendar.Batch(r.string("batch") ?? "") else { return "批次记录无效，请联系管理员" }
        switch SuggestionCalendar.phase(of: batch, on: today) {
        case .collecting: return "已提交，\(batch.opensOn.month) 月 20 日开箱评审"
        case .reviewing, .overdue: return "评审中（\(batch.title)批次）"
        }
    }

    /// §20: any logged-in user submits; no approval needed. The batch follows §19, but never a
    /// published one (RULES §6 "Suggestions"): when the calendar's batch is already published
    /// (the chair may publish from the 20th, and the 20th itself still belongs to that month), the
    /// suggestion joins the next open batch, and the form and the record page say which and why.
    static let create: Handler = { req, ctx in
        let shown = try Batches.forSubmission(ctx)
        return try ctx.handleForm(form, title: "提交建议", page: { form in
            SuggestionFormPage(editing: false, batch: shown.batch.title, opens: shown.batch.opensOn.description,
                               batchNote: shown.note.map { $0.replacingOccurrences(of: "本建议转入", with: "本建议将转入") }, form: form)
        }) { v in
            let user = try ctx.requireUser()
            let id: Int64 = try ctx.db.transaction {
                // Placed inside the transaction: a publication committed meanwhile is seen.
                let place = try Batches.forSubmission(ctx)
                let batch = place.batch.description
                let id = try ctx.db.insert("""
                    INSERT INTO ideas_suggestions (proposer_id, department, topic, title, content, expected_effect, batch, first_batch,
                                                   batch_note, created_at, updated_at)
                    VALUES (\(user.id), \(user.department), \(v.string("topic")), \(v.string("title")), \(v.string("content")),
                            \(v.string("expected_effect")), \(batch), \(batch), \(place.note), \(ctx.epoch), \(ctx.epoch)) RETURNING id
                    """)
                try ctx.audit(AuditEntry(entity: "ideas.suggestion", entityID: String(id), action: "submit", to: "submitted",
                                         reason: "批次 \(batch)" + (place.note.map { "（\($0)）" } ?? "")))
                return id
            }
            return .redirect(to: "/ideas/\(id)", flash: .ok("建议已提交。"))
        }
    }

    /// 我的建议: the user's own suggestions, newest batch first.
    static let minePage = ListPage(
        title: "我的建议", path: "/ideas/mine",
        select: "s.id, s.title, s.topic, s.batch, s.published, s.outcome",
        from: "ideas_suggestions s",
        scope: { ctx in "s.proposer_id = \(try ctx.requireUser().id)" },
        columns: [
            .init("title", "标题", sql: "s.title") { r, _ in ListCell(r.string("title") ?? "", href: "/ideas/\(r.int("id") ?? 0)") },
            .init("topic", "类别", sql: "s.topic") { r, _ in ListCell(topicTitles[r.string("topic") ?? ""] ?? "") },
            .text("batch", "批次", sql: "s.batch"),
            .init("status", "状态", sql: "s.outcome", sortable: false) { r, ctx in ListCell(status(r, today: ctx.today)) },
        ],
        actions: [.init("提交建议", href: "/ideas/new")],
        defaultSort: "batch", defaultDescending: true, tiebreaker: "s.id", empty: "您还没有提交建议。")

    static let mine: Handler = { req, ctx in try minePage.respond(req, ctx) }

    /// A result everyone may read: published with an award (一等–四等, 鼓励奖, 努力奖), as on the
    /// bulletin (§24). A rejected one never is (RULES §6 "Suggestions").
    static func isPublic(_ r: Row) -> Bool {
        r.bool("published") && ReviewPages.publicOutcomes.contains(r.string("outcome") ?? "")
    }

    /// The proposer sees own suggestions (never the committee's notes); committee members see all.
    /// Everyone else sees a suggestion only once it is published with an award (RULES §6
    /// "Suggestions": a rejected suggestion is seen by its proposer and the committee only; 404 for
    /// others, as for one that does not exist).
    static func load(_ req: Request, _ ctx: Context) throws -> (row: Row, isMember: Bool) {
        let user = try ctx.requireUser()
        guard let r = try ctx.db.first("""
            SELECT s.*, COALESCE(u.display_name, '') AS proposer FROM ideas_suggestions s
            LEFT JOIN users u ON u.id = s.proposer_id WHERE s.id = \(try req.id())
            """) else { throw HTTPError.notFound }
        let seat = user.can(SuggestionsModule.review) ? try Committee.position(user.id, ctx) : nil
        let member = seat != nil
        guard member || r.int("proposer_id") == user.id || isPublic(r) else { throw HTTPError.notFound }
        return (r, member)
    }

    static let detail: Handler = { req, ctx in try detailPage(req, ctx, grade: nil) }

    /// The suggestion page; `grade` (or `note`) is a committee form that failed validation (422).
    static func detailPage(_ req: Request, _ ctx: Context, grade: BoundForm?, note: BoundForm? = nil) throws -> Response {
        let (r, member) = try load(req, ctx)
        let id = try r.requireInt("id")
        // The committee's reasons and the "could work" advice: the proposer and the committee only.
        let insider = member || r.int("proposer_id") == ctx.user?.id
        let rawBatch = r.string("batch") ?? ""
        // A stored batch that is not `YYYY-MM` (month 01–12) — written by an old version or by
        // hand — is shown as a marked placeholder: the page works, nothing can be graded or edited.
        let batch = SuggestionCalendar.Batch(rawBatch)
        let phase = batch.map { SuggestionCalendar.phase(of: $0, on: ctx.today) }
        var page = SuggestionPage(
            s: .init(id: id, title: r.string("title") ?? "", proposer: r.string("proposer") ?? "", department: r.string("department") ?? "",
                     content: r.string("content") ?? "", expectedEffect: r.string("expected_effect") ?? ""),
            canEdit: r.int("proposer_id") == ctx.user?.id && phase == .collecting,
            topic: topicTitles[r.string("topic") ?? ""] ?? "", status: status(r, today: ctx.today),
            batchTitle: batch?.title ?? "（无效批次「\(rawBatch)」）", badBatch: batch == nil,
            badBatchMessage: ReviewPages.badBatchMessage(rawBatch),
            // §24/§25: once published the proposer is told the result, the reason, and whether a
            // little more study would make it work (with the department that will help).
            showResult: r.bool("published"), outcome: r.string("outcome").flatMap { outcomeTitles[$0] } ?? "",
            reason: !insider || (r.string("reason") ?? "").isEmpty ? nil : r.string("reason"),
            couldWork: insider && r.bool("could_work"),
            helpDepartment: insider ? IdeasDepartments.title(r.string("help_department") ?? "", ctx) : "",
            batchNote: insider ? r.string("batch_note").flatMap { $0.isEmpty ? nil : $0 } : nil,
            isMember: member)
        if member {
            let notes = try ctx.db.query("""
                SELECT n.kind, n.department, n.text, n.created_at, COALESCE(u.display_name, '') AS author
                FROM ideas_notes n LEFT JOIN users u ON u.id = n.author_id WHERE n.suggestion_id = \(id) ORDER BY n.id
                """)
            page.notes = notes.map { n in
                SuggestionPage.Note(kindText: n.string("kind") == "opinion" ? "部门意见" : "调查记录", department: IdeasDepartments.title(n.string("department") ?? "", ctx),
                                    text: n.string("text") ?? "", author: n.string("author") ?? "", at: ctx.ideasTime(n.int("created_at")))
            }
            page.history = try ctx.history(entity: "ideas.suggestion", id: id)
            let noteSchema = ReviewPages.noteForm(try IdeasDepartments.choices(ctx))
            page.noteForm = (note ?? noteSchema.blank()).view()
            let finalized = try batch.map { try ReviewPages.isFinalized($0, ctx) } ?? true
            page.canGrade = phase != nil && phase != .collecting && !finalized
            var initial = FormData([("outcome", r.string("outcome") ?? ""), ("reason", r.string("reason") ?? ""),
                                    ("help_department", r.string("help_department") ?? ""),
                                    ("reserve_to", try batch.map { try Batches.firstDeferral(after: $0, ctx).description } ?? "")])
            if r.bool("could_work") { initial.append("could_work", "1") }
            for d in ReviewPages.departments(r.string("departments") ?? "") { initial.append("departments", try IdeasDepartments.resolve(d, ctx)) }
            let gradeSchema = ReviewPages.gradeForm(try IdeasDepartments.choices(ctx))
            page.gradeForm = (grade ?? gradeSchema.blank(initial)).view()
            page.notOpenYet = phase == .collecting
            page.opens = batch?.opensOn.description ?? ""
        }
        return ctx.render(page, title: r.string("title") ?? "建议", status: grade == nil && note == nil ? 200 : 422)
    }

    /// The proposer may edit until the batch opens (RULES §4 Submission).
    static let edit: Handler = { req, ctx in
        let (r, _) = try load(req, ctx)
        let id = try r.requireInt("id")
        guard r.int("proposer_id") == ctx.user?.id else { throw HTTPError.forbidden }
        let batch = try ReviewPages.storedBatch(r)
        guard SuggestionCalendar.phase(of: batch, on: ctx.today) == .collecting else {
            throw HTTPError.conflict("\(batch.title)批次已于 \(batch.opensOn) 开箱评审，建议不能再修改。")
        }
        let initial = FormData(form.fields.map { ($0.name, r.string($0.name) ?? "") })
        return try ctx.handleForm(form, title: "修改建议", initial: initial, page: { form in
            SuggestionFormPage(editing: true, batch: batch.title, opens: batch.opensOn.description, batchNote: nil, form: form)
        }) { v in
            try ctx.db.transaction {
                try ctx.db.execute("""
                    UPDATE ideas_suggestions SET topic = \(v.string("topic")), title = \(v.string("title")), content = \(v.string("content")),
                        expected_effect = \(v.string("expected_effect")), updated_at = \(ctx.epoch) WHERE id = \(id)
                    """)
                try ctx.audit(AuditEntry(entity: "ideas.suggestion", entityID: String(id), action: "edit"))
            }
            return .redirect(to: "/ideas/\(id)", flash: .ok("建议已修改。"))
        }
    }
}

/// 提交建议 and 修改建议 (`new`).
struct SuggestionFormPage: PageModel {
    static let template = "new"
    var editing: Bool
    /// The batch a new suggestion goes into, and the day its box is opened (shown when not editing).
    var batch: String
    var opens: String
    /// Why a new suggestion goes to a later batch than the calendar's (that one is published).
    var batchNote: String?
    var form: FormView
}

/// One suggestion (`detail`): the proposer's view, and the committee's with notes and grading.
struct SuggestionPage: PageModel {
    static let template = "detail"

    struct Suggestion: TemplateModel {
        var id: Int64
        var title: String
        var proposer: String
        var department: String
        var content: String
        var expectedEffect: String
    }

    struct Note: TemplateModel {
        var kindText: String
        var department: String
        var text: String
        var author: String
        var at: String
    }

    var s: Suggestion
    var canEdit: Bool
    var topic: String
    var status: String
    var batchTitle: String
    /// The stored batch is not `YYYY-MM`: marked, with `badBatchMessage`.
    var badBatch: Bool
    var badBatchMessage: String
    var showResult: Bool
    var outcome: String
    /// The committee's reason, when one was given.
    var reason: String?
    var couldWork: Bool
    var helpDepartment: String
    /// Why the suggestion is in this batch (the calendar's was published); proposer and committee.
    var batchNote: String?
    var isMember: Bool
    // The committee's part (members only).
    var notOpenYet = false
    var opens = ""
    var canGrade = false
    var gradeForm: FormView?
    var notes: [Note] = []
    var noteForm: FormView?
    /// 办理记录 (the committee's view, #16): the suggestion's audit rows in Chinese.
    var history: History?
}
