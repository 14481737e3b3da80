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
        return try ctx.handleForm(Rating.form, title: "客户评定报告", initial: initial, page: { form in
            RatingFormPage(c: CustomerView(c), application: applicationID.map { String($0) } ?? "", form: form)
        }) { v in
            let levels = Rating.levels(v)
            let total = Rating.total(levels)
            let cls = Rating.ratingClass(total: total)
            let encodedLevels = Rating.criteria.map { c in (levels[c.key] ?? nil).map(String.init) ?? "-" }.joined(separator: ",")
            var kept = FormData()
            for f in Rating.form.fields { if let x = req.form[f.name] { kept.append(f.name, x) } }
            let user = try ctx.requireUser()
            let rid: Int64 = try ctx.db.transaction {
                let rid = try ctx.db.insert("""
                    INSERT INTO crm_ratings (customer_id, application_id, data, levels, total, rating_class, note, rated_by, rated_at)
                    VALUES (\(cid), \(applicationID), \(URLEncoding.encode(kept)), \(encodedLevels), \(total), \(cls), \(v.string("note")),
                            \(user.id), \(ctx.epoch)) RETURNING id
                    """)
                try ctx.db.execute("UPDATE crm_customers SET rating_class = \(cls), rated_at = \(ctx.epoch), updated_at = \(ctx.epoch) WHERE id = \(cid)")
                try ctx.audit(AuditEntry(entity: "crm.customer", entityID: String(cid), action: "rate",
                                         from: c.string("rating_class"), to: cls, reason: "\(total) 分"))
                return rid
            }
            return .redirect(to: "/crm/customers/\(cid)/ratings/\(rid)")
        }
    }

    /// One rating with its breakdown, printable as the 客户评定报告.
    static let report: Handler = { req, ctx in
        let c = try Visibility.customer(try req.id(), ctx)
        guard let rid = Int64(req.parameters["rid"] ?? ""),
              let r = try ctx.db.first("""
                SELECT r.*, COALESCE(u.display_name, '') AS by FROM crm_ratings r LEFT JOIN users u ON u.id = r.rated_by
                WHERE r.id = \(rid) AND r.customer_id = \(try c.requireInt("id"))
                """) else { throw HTTPError.notFound }
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
        return ctx.render(RatingReportPage(
            c: CustomerView(c),
            r: .init(by: r.string("by") ?? "", total: r.string("total") ?? "", rating_class: r.string("rating_class") ?? "",
                     note: note.isEmpty ? nil : note),
            at: ctx.displayEpoch(r.int("rated_at")), rows: rows,
            classTitle: Rating.classTitles[r.string("rating_class") ?? ""] ?? "",
            scale: [.init(cls: "A", rule: "40 分以上", title: "优秀客户"), .init(cls: "B", rule: "33 分以上", title: "良好客户"),
                    .init(cls: "C", rule: "26 分以上", title: "一般客户"), .init(cls: "D", rule: "18 分以上", title: "谨慎发展客户"),
                    .init(cls: "E", rule: "18 分以下", title: "不予发展客户")]), title: "客户评定报告")
    }
}

// MARK: - Page models

/// The 客户评定报告 scoring form.
struct RatingFormPage: PageModel {
    static let template = "rating-form"
    var c: CustomerView
    /// The application in investigation the rating belongs to ("" for none).
    var application: String
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

    struct Report: TemplateModel {
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
