import Foundation
import SalesKit

/// §24: results are published at month end — the adopted suggestions and their proposers — on a
/// page every user can read and print, with the praise meeting (§23.2) and the quarterly award
/// meeting (§21).
enum BulletinPages {
    static let latest: Handler = { req, ctx in
        guard let b = try ctx.db.first("SELECT batch FROM ideas_batches WHERE finalized_at IS NOT NULL ORDER BY batch DESC")?.string("batch") else {
            return ctx.render(BulletinPage(empty: true), title: "评审结果公布")
        }
        return .redirect(to: "/ideas/bulletin/\(b)", status: 302)
    }

    /// The suggestion calendar (§19, §21, §23.2, §26): this and the next two batches' dates.
    static let calendar: Handler = { req, ctx in
        var b = ctx.currentBatch
        if SuggestionCalendar.phase(of: b, on: ctx.today) == .overdue { b = b.next }
        var rows: [CalendarPage.Row] = []
        for _ in 0..<3 {
            rows.append(.init(title: b.title, submit: "\(b.previous.opensOn.adding(days: 1)) 至 \(b.opensOn)", opens: b.opensOn.description,
                              due: b.reviewDue.description, praise: b.praiseMeeting.description,
                              orders: b.implementationOrdersDue.description, plans: b.implementationPlanDue.description,
                              award: SuggestionCalendar.awardMeeting(afterQuarterOf: b).description))
            b = b.next
        }
        return ctx.render(CalendarPage(today: ctx.today.description, rows: rows), title: "建议评审日程")
    }

    /// §24 and RULES §6 "Suggestions": the adopted and awarded suggestions with their proposers
    /// for everyone; the rejected ones with the committee's reasons for the committee (all of
    /// them) and for each proposer (own only); nobody else learns of them. `?format=csv` exports
    /// what the user sees, under the same rule.
    static let bulletin: Handler = { req, ctx in
        let b = try ReviewPages.batchParam(req)
        guard let fin = try ctx.db.first("SELECT finalized_at FROM ideas_batches WHERE batch = \(b.description) AND finalized_at IS NOT NULL") else {
            throw HTTPError.notFound
        }
        let user = try ctx.requireUser()
        let member = try user.can(SuggestionsModule.review) && Committee.position(user.id, ctx) != nil
        let rows = try ctx.db.query("""
            SELECT s.id, s.title, s.outcome, s.department, COALESCE(u.display_name, '') AS proposer, a.amount_fen, a.prize
            FROM ideas_suggestions s LEFT JOIN users u ON u.id = s.proposer_id LEFT JOIN ideas_awards a ON a.outcome = s.outcome
            WHERE s.published = 1 AND s.batch = \(b.description) AND s.outcome IN (\(list: Array(ReviewPages.publicOutcomes).sorted()))
            ORDER BY COALESCE(a.position, 99), s.id
            """)
        // Rejected: the committee sees all, a proposer own ones, everyone else none (not even a count).
        let own: SQL = member ? "1 = 1" : "s.proposer_id = \(user.id)"
        let rejected = try ctx.db.query("""
            SELECT s.id, s.title, s.department, s.reason, s.could_work, s.help_department, COALESCE(u.display_name, '') AS proposer
            FROM ideas_suggestions s LEFT JOIN users u ON u.id = s.proposer_id
            WHERE s.published = 1 AND s.batch = \(b.description) AND s.outcome = 'rejected' AND (\(own))
            ORDER BY s.id
            """)
        let items: [BulletinPage.Item] = rows.map { r in
            .init(href: "/ideas/\(r.int("id") ?? 0)", title: r.string("title") ?? "", proposer: r.string("proposer") ?? "",
                  department: r.string("department") ?? "", outcome: SubmitPages.outcomeTitles[r.string("outcome") ?? ""] ?? "",
                  award: (r.int("amount_fen") ?? 0) > 0 ? Money.yuan(r.int("amount_fen") ?? 0) : (r.string("prize") ?? ""),
                  awardUpper: (r.int("amount_fen") ?? 0) > 0 ? Money.uppercase(r.int("amount_fen") ?? 0) : "")
        }
        // The cash awarded in the batch, with its 人民币大写 (the bulletin is printed, #16).
        var cash: Int64 = 0
        for r in rows {
            let (sum, overflow) = cash.addingReportingOverflow(max(0, r.int("amount_fen") ?? 0))
            cash = overflow ? .max : sum
        }
        let notAdopted: [BulletinPage.Rejected] = rejected.map { r in
            .init(href: "/ideas/\(r.int("id") ?? 0)", title: r.string("title") ?? "", proposer: r.string("proposer") ?? "",
                  department: r.string("department") ?? "", reason: r.string("reason") ?? "",
                  advice: r.bool("could_work") ? "再稍加研究即可采用，\(IdeasDepartments.title(r.string("help_department") ?? "", ctx))协助" : "")
        }
        if req.query["format"] == "csv" {
            return .csv(filename: "建议评审结果-\(b.description).csv", CSVTable(
                header: ["批次", "建议", "建议人", "部门", "评定", "奖励", "理由", "建议人可获协助"],
                rows: items.map { [b.description, $0.title, $0.proposer, $0.department, $0.outcome, $0.award, "", ""] }
                    + notAdopted.map { [b.description, $0.title, $0.proposer, $0.department, "不采用", "", $0.reason, $0.advice] }))
        }
        return ctx.render(BulletinPage(
            empty: false, title: b.title, csvHref: "/ideas/bulletin/\(b.description)?format=csv",
            published: ctx.display(Date(timeIntervalSince1970: Double(fin.int("finalized_at") ?? 0)), pattern: "yyyy-MM-dd"),
            items: items, cashTotal: Money.yuan(cash), cashTotalUpper: Money.uppercase(cash),
            praise: b.praiseMeeting.description,
            awardMeeting: SuggestionCalendar.awardMeeting(afterQuarterOf: b).description,
            ordersDue: b.implementationOrdersDue.description,
            rejected: notAdopted, hasRejected: !notAdopted.isEmpty, committeeView: member
        ), title: "\(b.title)建议评审结果")
    }
}

/// 建议评审日程 (`calendar`): this and the next two batches' dates.
struct CalendarPage: PageModel {
    static let template = "calendar"

    struct Row: TemplateModel {
        var title: String
        var submit: String
        var opens: String
        var due: String
        var praise: String
        var orders: String
        var plans: String
        var award: String
    }

    var today: String
    var rows: [Row]
}

/// The published results of a batch, printable (`bulletin`); `empty` when none was published yet.
struct BulletinPage: PageModel {
    static let template = "bulletin"

    struct Item: TemplateModel {
        var href: String
        var title: String
        var proposer: String
        var department: String
        var outcome: String
        var award: String
        /// 人民币大写 of a cash award ("" for a prize).
        var awardUpper: String
    }

    /// A rejected suggestion with the committee's reason (proposer and committee only).
    struct Rejected: TemplateModel {
        var href: String
        var title: String
        var proposer: String
        var department: String
        var reason: String
        /// §25: "a little more study would make it work", and the department that helps.
        var advice: String
    }

    var empty: Bool
    var title = ""
    var csvHref = ""
    var published = ""
    var items: [Item] = []
    var cashTotal = ""
    var cashTotalUpper = ""
    var praise = ""
    var awardMeeting = ""
    var ordersDue = ""
    var rejected: [Rejected] = []
    var hasRejected = false
    /// The committee sees every rejected suggestion; a proposer only own ones.
    var committeeView = false
}

/// The committee (§22), set up by admin: chair 营销总监, vice chairs 市场部经理 and 销售部经理,
/// members at supervisor level.
enum CommitteePages {
    static let positions = [Choice("", "—"), Choice("chair", "主任委员（营销总监）"), Choice("vice", "副主任委员"), Choice("member", "委员")]

    static let edit: Handler = { req, ctx in
        let users = try ctx.db.query("SELECT u.id, u.display_name, u.department, c.position FROM users u LEFT JOIN ideas_committee c ON c.user_id = u.id WHERE u.active = 1 ORDER BY u.id")
            .sortedByPinyin { $0.string("display_name") ?? "" }
        if req.method == "POST" {
            var chairs = 0
            for u in users where req.form["p:\(u.int("id") ?? 0)"] == "chair" { chairs += 1 }
            if chairs > 1 { throw HTTPError.conflict("主任委员只能有一位。") }
            try ctx.db.transaction {
                for u in users {
                    let id = u.int("id") ?? 0
                    let new = req.form["p:\(id)"] ?? ""
                    guard positions.contains(where: { $0.value == new }) else { continue }
                    let old = u.string("position") ?? ""
                    guard new != old else { continue }
                    if new.isEmpty {
                        try ctx.db.execute("DELETE FROM ideas_committee WHERE user_id = \(id)")
                    } else {
                        try ctx.db.execute("INSERT INTO ideas_committee (user_id, position) VALUES (\(id), \(new)) ON CONFLICT (user_id) DO UPDATE SET position = excluded.position")
                    }
                    try ctx.audit(AuditEntry(entity: "ideas.committee", entityID: String(id), action: "position", from: old, to: new))
                }
            }
            return .redirect(to: "/ideas/committee", flash: .ok("评定委员会已保存。"))
        }
        return ctx.render(CommitteePage(
            users: users.map { u in
                let p = u.string("position") ?? ""
                return .init(id: u.int("id") ?? 0, name: u.string("display_name") ?? "", department: u.string("department") ?? "",
                             options: positions.map { .init(value: $0.value, label: $0.label, selected: $0.value == p) })
            }), title: "评定委员会")
    }
}

/// 评定委员会 (`committee`): every active user with a seat to choose.
struct CommitteePage: PageModel {
    static let template = "committee"

    struct User: TemplateModel {
        var id: Int64
        var name: String
        var department: String
        var options: [Option]
    }

    struct Option: TemplateModel {
        var value: String
        var label: String
        var selected: Bool
    }

    var users: [User]
}

/// Inbox reminders: the committee sees "batch opened" and "review due"; proposers see results;
/// department managers see implementation plans due.
enum SuggestionInbox {
    static func items(for user: User, _ ctx: Context) throws -> [InboxItem] {
        var items: [InboxItem] = []
        let today = ctx.today
        if user.can(SuggestionsModule.review), try Committee.position(user.id, ctx) != nil {
            for r in try ctx.db.query("""
                SELECT s.batch, COUNT(*) AS n FROM ideas_suggestions s LEFT JOIN ideas_batches b ON b.batch = s.batch
                WHERE b.finalized_at IS NULL GROUP BY s.batch ORDER BY s.batch
                """) {
                guard let b = SuggestionCalendar.Batch(r.string("batch") ?? "") else { continue }
                let phase = SuggestionCalendar.phase(of: b, on: today)
                guard phase != .collecting else { continue }
                items.append(InboxItem(title: "\(b.title)建议箱已开箱：\(r.int("n") ?? 0) 条待评审",
                                       detail: phase == .overdue ? "评审已逾期（应于 \(b.reviewDue) 前完成）" : "请于 \(b.reviewDue) 前完成评审",
                                       url: "/ideas/batches/\(b.description)", due: b.reviewDue.start(in: ctx.timeZone).addingTimeInterval(86400),
                                       urgent: phase == .overdue))
            }
        }
        // Proposers: results published within the last 30 days.
        for r in try ctx.db.query("""
            SELECT id, title, outcome FROM ideas_suggestions WHERE proposer_id = \(user.id) AND published = 1
            AND updated_at >= \(ctx.epoch - 30 * 86400) ORDER BY id DESC LIMIT 20
            """) {
            items.append(InboxItem(title: "建议评审结果：\(r.string("title") ?? "")",
                                   detail: SubmitPages.outcomeTitles[r.string("outcome") ?? ""] ?? "", url: "/ideas/\(r.int("id") ?? 0)"))
        }
        // The department manager (RULES §6: the head of the order's department in the directory, or
        // a member holding `ideas.implement`): implementation plans due for the department (§26.2),
        // linked to the order where they fill them in.
        let codes = try IdeasDepartments.org(ctx).departments(ofUser: user.id, ctx)
            .filter { $0.headID == user.id || user.can(SuggestionsModule.implement) }.map(\.code)
        if user.can(SuggestionsModule.orderDepartment), !codes.isEmpty {
            for r in try ctx.db.query("""
                SELECT o.id, o.plan_due, o.department, s.title, s.id AS sid FROM ideas_orders o JOIN ideas_suggestions s ON s.id = o.suggestion_id
                WHERE o.department IN (\(list: codes)) AND o.state = 'issued' ORDER BY o.plan_due, o.id
                """) {
                let due = LocalDate(r.string("plan_due") ?? "")
                items.append(InboxItem(title: "建议实施计划待填报：\(r.string("title") ?? "")",
                                       detail: "\(IdeasDepartments.title(r.string("department") ?? "", ctx))：请于 \(r.string("plan_due") ?? "") 前填写实施日期与方法",
                                       url: ImplPages.managerPath(r.int("id") ?? 0), due: due?.start(in: ctx.timeZone).addingTimeInterval(86400),
                                       urgent: due.map { $0 < today } ?? false))
            }
        }
        items += try ImplInbox.items(for: user, ctx)
        return items
    }
}
