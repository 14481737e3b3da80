import Foundation
import SalesKit

/// §23 award amounts, kept in `ideas_awards` and edited by `ideas.manage`. Finalization reads the
/// table when it writes the ledger, so a change applies to batches published afterwards; what was
/// already paid stays in the ledger unchanged. Every changed row is audited.
enum AwardsPages {
    /// The grades of §23 in order, then the team-award places of §23.4.
    static let grades = ["grade1", "grade2", "grade3", "grade4", "encourage", "effort"]
    static let teamPlaces = ["team1", "team2", "team3"]
    static let keys = grades + teamPlaces
    static let names = ["grade1": "一等", "grade2": "二等", "grade3": "三等", "grade4": "四等", "encourage": "鼓励奖", "effort": "努力奖",
                        "team1": "团体奖第一名", "team2": "团体奖第二名", "team3": "团体奖第三名"]
    static let criteria = ["grade1": "具有独创性及经济价值，并可能实施（四个等级）", "grade2": "〃", "grade3": "〃", "grade4": "〃",
                           "encourage": "具有独创性，将来可能有用", "effort": "建议人已努力，但建议不可能实施（发奖品）",
                           "team1": "部门采用建议数 ÷ 人数，第一名（第23条第4款）", "team2": "〃 第二名", "team3": "〃 第三名"]

    /// At most ¥100,000.00 per award.
    static let form = FormSchema(keys.flatMap { k -> [FormField] in
        let n = names[k] ?? k
        return [
            FormField("title_\(k)", "\(n) · 名称", required: true, rules: [.length(min: 2, max: 30)]),
            FormField("amount_\(k)", "\(n) · 金额（元）", .money, required: true, rules: [.range(0, 10_000_000)]),
            FormField("prize_\(k)", "\(n) · 奖品", rules: [.length(min: nil, max: 50)]),
        ]
    }, checks: [{ v in
        var e: [FormError] = []
        // §23: a higher grade is never worth less than a lower one.
        for chain in [["grade1", "grade2", "grade3", "grade4", "encourage"], teamPlaces] {
            for (hi, lo) in zip(chain, chain.dropFirst()) {
                if let a = v.money("amount_\(hi)"), let b = v.money("amount_\(lo)"), b > a {
                    e.append(FormError(field: "amount_\(lo)", "不能高于\(names[hi] ?? hi)（\(Money.format(a))）"))
                }
            }
        }
        // §23: the effort award is a prize, not cash.
        if let a = v.money("amount_effort"), a != 0 { e.append(FormError(field: "amount_effort", "努力奖发奖品，不发现金（第23条），金额应为 0")) }
        if v.optionalString("prize_effort") == nil { e.append(FormError(field: "prize_effort", "请填写努力奖的奖品")) }
        return e
    }])

    static func initial(_ ctx: Context) throws -> FormData {
        var d = FormData()
        for r in try ctx.db.query("SELECT outcome, title, amount_fen, prize FROM ideas_awards ORDER BY position") {
            let k = r.string("outcome") ?? ""
            d.append("title_\(k)", r.string("title") ?? "")
            d.append("amount_\(k)", Money.format(r.int("amount_fen") ?? 0, grouping: false))
            d.append("prize_\(k)", r.string("prize") ?? "")
        }
        return d
    }

    static let edit: Handler = { req, ctx in
        guard req.method == "POST" else {
            return try render(ctx, form.blank(ctx.resumedForm ?? initial(ctx), today: ctx.today))
        }
        let bound = form.bind(req.form, today: ctx.today)
        guard let v = bound.values else { return try render(ctx, bound) }
        let old = Dictionary(try ctx.db.query("SELECT * FROM ideas_awards").map { ($0.string("outcome") ?? "", $0) },
                             uniquingKeysWith: { first, _ in first })   // never a trap on a duplicate row
        try ctx.db.transaction {
            for (i, k) in keys.enumerated() {
                let title = v.string("title_\(k)"), fen = v.money("amount_\(k)") ?? 0, prize = v.string("prize_\(k)")
                let before = old[k]
                let was = before.map { "\($0.string("title") ?? "")｜\(Money.format($0.int("amount_fen") ?? 0))｜\($0.string("prize") ?? "")" }
                let now = "\(title)｜\(Money.format(fen))｜\(prize)"
                guard was != now else { continue }
                try ctx.db.execute("""
                    INSERT INTO ideas_awards (outcome, title, amount_fen, prize, position) VALUES (\(k), \(title), \(fen), \(prize), \(i + 1))
                    ON CONFLICT (outcome) DO UPDATE SET title = excluded.title, amount_fen = excluded.amount_fen, prize = excluded.prize
                    """)
                try ctx.audit(AuditEntry(entity: "ideas.award", entityID: k, action: "update", from: was, to: now))
            }
        }
        return .redirect(to: "/ideas/awards", flash: .ok("奖励标准已保存。"))
    }

    static func render(_ ctx: Context, _ bound: BoundForm) throws -> Response {
        let form = bound.view()
        func rows(_ list: [String]) throws -> [AwardsPage.Award] {
            try list.map { k in
                AwardsPage.Award(name: names[k] ?? k, criterion: criteria[k] ?? "", title: try form.field("title_\(k)"),
                                 amount: try form.field("amount_\(k)"), prize: try form.field("prize_\(k)"))
            }
        }
        return ctx.render(AwardsPage(form: form, grades: try rows(grades), teams: try rows(teamPlaces)),
                          title: "建议奖励标准", status: bound.submitted && !bound.isValid ? 422 : 200)
    }
}

/// 建议奖励标准 (`awards-edit`): the award form laid out as the table of §23, a row per grade
/// or team place with its three fields.
struct AwardsPage: PageModel {
    static let template = "awards-edit"

    struct Award: TemplateModel {
        var name: String
        var criterion: String
        var title: FieldView
        var amount: FieldView
        var prize: FieldView
    }

    /// The form's error summary (the fields are in `grades` and `teams`).
    var form: FormView
    var grades: [Award]
    var teams: [Award]
}

