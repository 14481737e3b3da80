import Foundation
import SalesKit

/// The 客户评定报告 (003 §2.4–§2.5): the nine-criterion score form, the breakdown, and the
/// rating history kept for every customer (003 §2.3 quarterly re-review).
enum RatingPages {
    /// `?application=ID` ties the rating to a qualification application in investigation.
    static let rate: Handler = { req, ctx in
        let c = try Visibility.customer(try req.id(), ctx)
        let cid = try c.requireInt("id")
        var applicationID: Int64?
        if let a = req.query["application"] ?? req.form["application"], let aid = Int64(a) {
            guard let app = try ctx.db.first("SELECT state FROM crm_applications WHERE id = \(aid) AND customer_id = \(cid)"),
                  app.string("state") == "investigating" else {
                throw HTTPError.conflict("只有信用调查中的申请可以填写评定报告。")
            }
            applicationID = aid
        }
        let last = try ctx.db.first("SELECT data FROM crm_ratings WHERE customer_id = \(cid) ORDER BY rated_at DESC, id DESC")
        var initial = try last.map { try URLEncoding.parse($0.string("data") ?? "") } ?? FormData()
        initial.pairs.removeAll { $0.name == "note" }
        let pending = try ctx.db.first("""
            SELECT rating_class, state FROM crm_ratings WHERE customer_id = \(cid) AND state IN ('proposed', 'reviewed')
            ORDER BY id DESC LIMIT 1
            """)
        // 002 §9: the application's credit survey comes before its 评定报告 is submitted; say so here.
        let surveyHref = try applicationID.flatMap { aid -> String? in
            try CreditSurvey.load(applicationID: aid, ctx) == nil && CreditSurvey.isRequired(classInForce: c.string("rating_class"))
                ? "/crm/applications/\(aid)/survey" : nil
        }
        return try ctx.handleForm(Rating.form, title: "客户评定报告", initial: initial, page: { form in
            RatingFormPage(c: CustomerView(c), application: applicationID.map { String($0) } ?? "", surveyHref: surveyHref,
                           inForce: classText(c.string("rating_class")),
                           pending: pending.map { p in
                               "\(p.string("rating_class") ?? "") 类（\(RatingReview.stateTitles[p.string("state") ?? ""] ?? "")）"
                           },
                           form: form)
        }) { v in
            let levels = Rating.levels(v)
            let total = Rating.total(levels)
            let cls = Rating.ratingClass(total: total)
            let encodedLevels = Rating.criteria.map { c in (levels[c.key] ?? nil).map(String.init) ?? "-" }.joined(separator: ",")
            var kept = FormData()
            for f in Rating.form.fields { if let x = req.form[f.name] { kept.append(f.name, x) } }
            // RULES §6: a proposal; the class in force changes only once it is reviewed.
            let rid: Int64 = try ctx.db.transaction {
                try RatingReview.propose(customerID: cid, applicationID: applicationID, data: URLEncoding.encode(kept),
                                         levels: encodedLevels, total: total, cls: cls, note: v.string("note"), ctx)
            }
            return .redirect(to: "/crm/customers/\(cid)/ratings/\(rid)", flash: .ok("评级提议已提交，经销售主管审核后生效。"))
        }
    }

    /// `A 类 优秀客户`, or 未评定.
    static func classText(_ cls: String?) -> String {
        cls.map { "\($0) 类 \(Rating.classTitles[$0] ?? "")" } ?? "未评定"
    }

    /// The customer and one of its ratings, if the user may see the customer; else 403 / 404.
    static func load(_ req: Request, _ ctx: Context) throws -> (customer: Row, rating: Row) {
        let c = try Visibility.customer(try req.id(), ctx)
        guard let rid = Int64(req.parameters["rid"] ?? ""),
              let r = try ctx.db.first("""
                SELECT r.*, COALESCE(u.display_name, '') AS by, COALESCE(s.display_name, '') AS supervisor_name,
                       COALESCE(m.display_name, '') AS manager_name
                FROM crm_ratings r LEFT JOIN users u ON u.id = r.rated_by LEFT JOIN users s ON s.id = r.supervisor_id
                LEFT JOIN users m ON m.id = r.manager_id
                WHERE r.id = \(rid) AND r.customer_id = \(try c.requireInt("id"))
                """) else { throw HTTPError.notFound }
        return (c, r)
    }

    /// One rating with its breakdown and review; the 审批 form for the person whose step it is.
    static let report: Handler = { req, ctx in
        let (c, r) = try load(req, ctx)
        let form = RatingReview.refusal(r, ctx) == nil ? RatingReview.form.blank(FormData([("decision", "approve")])).view() : nil
        return ctx.render(try reportPage(c, r, review: form, ctx), title: "客户评定报告")
    }

    /// The 销售主管's / 销售经理's decision on a proposal (RULES §6, 003 §2.4).
    static let review: Handler = { req, ctx in
        let (c, r) = try load(req, ctx)
        if let refused = RatingReview.refusal(r, ctx) {
            throw refused.forbidden ? HTTPError.forbidden : HTTPError.conflict(refused.message)
        }
        return try ctx.handleForm(RatingReview.form, title: "客户评定报告", initial: FormData([("decision", "approve")]),
                                  page: { form in try reportPage(c, r, review: form, ctx) }) { v in
            let approve = v.string("decision") == "approve"
            try RatingReview.decide(r, approve: approve, opinion: v.string("opinion"), ctx)
            return .redirect(to: "/crm/customers/\(try c.requireInt("id"))/ratings/\(try r.requireInt("id"))",
                             flash: .ok(approve ? "审批已记录：批准。" : "审批已记录：驳回，审批意见已保存。"))
        }
    }

    /// The 客户评定报告 page: the breakdown (printable), the review so far, and `review` — the
    /// 审批 form — when the user may decide.
    static func reportPage(_ c: Row, _ r: Row, review: FormView?, _ ctx: Context) throws -> RatingReportPage {
        let inputs = try URLEncoding.parse(r.string("data") ?? "")
        let levels = (r.string("levels") ?? "").split(separator: ",").map { Int($0) }
        let rows = Rating.criteria.enumerated().map { i, crit in
            // A level outside A…D (a row written by hand) is shown as unknown, never indexed.
            let level = (i < levels.count ? levels[i] : nil).flatMap { (0...3).contains($0) ? $0 : nil }
            let field = Rating.form.field(crit.key)
            var input = inputs[crit.key] ?? ""
            if case .select(let choices)? = field?.kind { input = choices.first { $0.value == input }?.label ?? "" }
            return RatingReportPage.Line(
                title: crit.title, input: input.isEmpty ? "不详" : input,
                cells: (0..<4).map { .init(text: crit.levels[$0], hit: level == $0) },
                grade: level.map { ["A", "B", "C", "D"][$0] } ?? "—", points: Rating.points(level: level))
        }
        let note = r.string("note") ?? ""
        let state = r.string("state") ?? ""
        let cls = r.string("rating_class") ?? ""
        // Whether approving raises the line: decided by the supervisor's step, shown before it.
        let raises = state == RatingReview.State.proposed.rawValue
            ? try RatingReview.raisesLine(from: c.string("rating_class"), to: cls, ctx) : r.bool("needs_manager")
        var steps: [RatingReportPage.Step] = [.init(title: "评定（提议）", by: r.string("by") ?? "", at: ctx.displayEpoch(r.int("rated_at")),
                                                    opinion: "")]
        if let at = r.int("supervisor_at") {
            steps.append(.init(title: "销售主管审核", by: r.string("supervisor_name") ?? "", at: ctx.displayEpoch(at),
                               opinion: r.string("supervisor_note") ?? ""))
        }
        if let at = r.int("manager_at") {
            steps.append(.init(title: "销售经理批准", by: r.string("manager_name") ?? "", at: ctx.displayEpoch(at),
                               opinion: r.string("manager_note") ?? ""))
        }
        return RatingReportPage(
            c: CustomerView(c),
            r: .init(id: try r.requireInt("id"), by: r.string("by") ?? "", total: r.string("total") ?? "", rating_class: r.string("rating_class") ?? "",
                     note: note.isEmpty ? nil : note),
            at: ctx.displayEpoch(r.int("rated_at")), rows: rows,
            classTitle: Rating.classTitles[r.string("rating_class") ?? ""] ?? "",
            scale: [.init(cls: "A", rule: "40 分以上", title: "优秀客户"), .init(cls: "B", rule: "33 分以上", title: "良好客户"),
                    .init(cls: "C", rule: "26 分以上", title: "一般客户"), .init(cls: "D", rule: "18 分以上", title: "谨慎发展客户"),
                    .init(cls: "E", rule: "18 分以下", title: "不予发展客户")],
            stateText: RatingReview.stateTitles[state] ?? "",
            previousClass: classText(r.string("previous_class")),
            inForce: classText(c.string("rating_class")),
            raises: raises, steps: steps,
            reviewTitle: state == RatingReview.State.reviewed.rawValue ? "销售经理批准（提高销售警戒线）" : "销售主管审核",
            review: review)
    }
}

// MARK: - Page models

/// The 客户评定报告 scoring form.
struct RatingFormPage: PageModel {
    static let template = "rating-form"
    var c: CustomerView
    /// The application in investigation the rating belongs to ("" for none).
    var application: String
    /// The application's 新客户信用调查表 to fill in first (002 §9), nil when done or not required.
    var surveyHref: String?
    /// The class in force (`B 类 良好客户` / 未评定).
    var inForce: String
    /// A pending proposal this rating would replace (`A 类（待销售主管审核）`), or nil.
    var pending: String?
    var form: FormView
}

/// One rating with its breakdown (客户评定报告, printable).
struct RatingReportPage: PageModel {
    static let template = "rating-report"
    var c: CustomerView
    var r: Report
    var at: String
    var rows: [Line]
    var classTitle: String
    var scale: [Scale]
    /// The proposal's state (待销售主管审核 …).
    var stateText: String
    /// The class in force when it was proposed, and now.
    var previousClass: String
    var inForce: String
    /// It raises the warning line: the 销售经理 approves too.
    var raises: Bool
    var steps: [Step]
    var reviewTitle: String
    /// The 审批 form, for the person whose step it is (nil for everyone else).
    var review: FormView?

    struct Step: TemplateModel {
        var title: String
        var by: String
        var at: String
        var opinion: String
    }

    struct Report: TemplateModel {
        var id: Int64
        var by: String
        var total: String
        var rating_class: String
        /// 评定说明, nil when none was written.
        var note: String?
    }

    struct Line: TemplateModel {
        var title: String
        var input: String
        var cells: [Cell]
        var grade: String
        var points: Int
    }

    struct Cell: TemplateModel {
        var text: String
        var hit: Bool
    }

    struct Scale: TemplateModel {
        var cls: String
        var rule: String
        var title: String
    }
}
