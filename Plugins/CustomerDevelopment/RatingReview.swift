import Foundation
import SalesKit

/// A rating counts once reviewed (RULES §6; 003 §2.4: the 客户评定报告 goes to the department
/// head and the company before it counts). Every rating — in a qualification's investigation, a
/// quarterly re-review (003 §2.3) or any other re-rating — is stored as a proposal:
///
/// 1. `proposed`: the 销售主管 (`crm.rating_review`) approves or rejects it with an 审批意见;
/// 2. `reviewed`: when the new class raises the warning line against the class in force (the
///    class policy's lines, E and "no line" counting as 0), the 销售经理 (`crm.rating_upgrade`)
///    approves or rejects it too;
/// 3. `approved`: only now does `crm_customers.rating_class` — what every page and 订货's
///    warning-line check (`CustomerDirectory`) read — change. `rejected` / `superseded` never do.
///
/// Nobody reviews their own proposal, and the manager's step is someone other than the proposer
/// and the supervisor who reviewed it.
///
/// **Decision** (one pending proposal per customer): a new rating *replaces* a pending one for the
/// same customer (the old one becomes `superseded`, audited with the new one's number). A rep who
/// finds a mistake simply rates again; the approvers always see one, current proposal.
///
/// **Decision** (first class): a customer with no class in force has no warning line to raise;
/// its first class is set by the 销售主管's approval alone — for a prospect, normally by the
/// approval of its 认定申请 (002 §8–§12: the supervisor approves new customers), which reviews the
/// pending 评定报告 in the same step. Later upgrades of the line go to the 销售经理 as well.
enum RatingReview {
    enum State: String, Sendable, CaseIterable {
        case proposed, reviewed, approved, rejected, superseded
    }

    static let stateTitles = ["proposed": "待销售主管审核", "reviewed": "待销售经理批准", "approved": "已批准（生效）",
                              "rejected": "已驳回", "superseded": "已被新的评定替代"]

    static let flow = StateMachine<State>(entity: "crm.rating", transitions: [
        .init("approve", from: [.proposed], to: .approved, permission: CustomerDevelopmentModule.reviewRating, title: "批准评级"),
        .init("forward", from: [.proposed], to: .reviewed, permission: CustomerDevelopmentModule.reviewRating,
              title: "主管批准（提高警戒线，报销售经理）"),
        .init("reject", from: [.proposed], to: .rejected, permission: CustomerDevelopmentModule.reviewRating, requiresReason: true,
              title: "驳回评级"),
        .init("confirm", from: [.reviewed], to: .approved, permission: CustomerDevelopmentModule.approveUpgrade,
              title: "经理批准（提高警戒线）"),
        .init("reject_upgrade", from: [.reviewed], to: .rejected, permission: CustomerDevelopmentModule.approveUpgrade,
              requiresReason: true, title: "驳回评级"),
        .init("supersede", from: [.proposed, .reviewed], to: .superseded, permission: CustomerDevelopmentModule.use,
              requiresReason: true, title: "被新的评定替代"),
    ])

    /// The 审批 form of a pending proposal (the supervisor's, then the manager's).
    static let decisions = [Choice("approve", "批准"), Choice("reject", "驳回")]
    static let form = FormSchema([
        FormField("decision", "审批结果", .select(decisions), required: true),
        FormField("opinion", "审批意见", .textarea, rules: [.length(min: nil, max: 500)]),
    ], checks: [{ v in
        v.string("decision") == "reject" && v.string("opinion").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
            ? [FormError(field: "opinion", "驳回须填写审批意见")] : []
    }])

    // MARK: Warning lines

    /// The warning line of a class in 分 (003 §4.1.2); a class without one (E: no supply) is 0.
    static func line(_ cls: String?, _ ctx: Context) throws -> Int64 {
        guard let cls else { return 0 }
        return try ctx.db.first("SELECT warning_line_fen FROM crm_class_policy WHERE rating_class = \(cls)")?.int("warning_line_fen") ?? 0
    }

    /// Whether putting `new` in force instead of `old` raises the warning line, so the 销售经理
    /// approves too (RULES §6). A first class (`old` nil) is no raise (**Decision** above).
    static func raisesLine(from old: String?, to new: String, _ ctx: Context) throws -> Bool {
        guard let old else { return false }
        return try line(new, ctx) > line(old, ctx)
    }

    // MARK: Proposing

    /// Stores a rating as a proposal, replacing a pending one of the same customer. Call inside
    /// the request's transaction.
    static func propose(customerID cid: Int64, applicationID: Int64?, data: String, levels: String, total: Int, cls: String,
                        note: String, _ ctx: Context) throws -> Int64 {
        let user = try ctx.requireUser()
        let inForce = try ctx.db.first("SELECT rating_class FROM crm_customers WHERE id = \(cid)")?.string("rating_class")
        let pending = try ctx.db.query("""
            SELECT id, state FROM crm_ratings WHERE customer_id = \(cid) AND state IN ('proposed', 'reviewed')
            """)
        let rid = try ctx.db.insert("""
            INSERT INTO crm_ratings (customer_id, application_id, data, levels, total, rating_class, note, rated_by, rated_at,
                                     state, previous_class)
            VALUES (\(cid), \(applicationID), \(data), \(levels), \(total), \(cls), \(note), \(user.id), \(ctx.epoch),
                    'proposed', \(inForce)) RETURNING id
            """)
        for p in pending {
            let pid = try p.requireInt("id")
            let from = State(rawValue: p.string("state") ?? "") ?? .proposed
            try flow.apply("supersede", from: from, id: String(pid), reason: "被评定 #\(rid) 替代", ctx)
            try ctx.db.execute("""
                UPDATE crm_ratings SET state = 'superseded', decided_at = \(ctx.epoch) WHERE id = \(pid) AND state = \(from.rawValue)
                """)
        }
        try ctx.audit(AuditEntry(entity: "crm.rating", entityID: String(rid), action: "propose", to: State.proposed.rawValue,
                                 reason: "\(cls) 类，\(total) 分（现行 \(inForce ?? "未评定")）"))
        return rid
    }

    // MARK: Deciding

    /// Why this user may not decide this rating now, or nil. `forbidden`: the step is not theirs
    /// by permission (403); otherwise a refusal of the state change (409).
    static func refusal(_ r: Row, _ ctx: Context) -> (message: String, forbidden: Bool)? {
        guard let user = ctx.user else { return ("请先登录。", true) }
        switch State(rawValue: r.string("state") ?? "") {
        case .proposed?:
            guard user.can(CustomerDevelopmentModule.reviewRating) else { return ("评级提议须由销售主管审核。", true) }
            if r.int("rated_by") == user.id { return ("不能审核本人提出的评级，请由其他销售主管审核。", false) }
            return nil
        case .reviewed?:
            guard user.can(CustomerDevelopmentModule.approveUpgrade) else { return ("提高警戒线的评级须由销售经理批准。", true) }
            if r.int("rated_by") == user.id || r.int("supervisor_id") == user.id {
                return ("销售经理的批准须由提议人和主管审核人以外的人作出。", false)
            }
            return nil
        default:
            return ("该评级已处理（\(stateTitles[r.string("state") ?? ""] ?? "")），不能再审批。", false)
        }
    }

    /// The 销售主管's or 销售经理's decision on a pending proposal, with its 审批意见. Approving
    /// the last step puts the class in force. Throws 403 / 409 as `refusal` says.
    static func decide(_ r: Row, approve: Bool, opinion: String, _ ctx: Context) throws {
        if let refused = refusal(r, ctx) {
            throw refused.forbidden ? HTTPError.forbidden : HTTPError.conflict(refused.message)
        }
        let user = try ctx.requireUser()
        let rid = try r.requireInt("id")
        let cid = try r.requireInt("customer_id")
        let note: String? = opinion.isEmpty ? nil : opinion
        try ctx.db.transaction {
            let inForce = try ctx.db.first("SELECT rating_class FROM crm_customers WHERE id = \(cid)")?.string("rating_class")
            let changed: Int
            let next: State
            if r.string("state") == State.proposed.rawValue {
                let action = !approve ? "reject" : try raisesLine(from: inForce, to: r.string("rating_class") ?? "", ctx) ? "forward" : "approve"
                next = try flow.apply(action, from: .proposed, id: String(rid), reason: note, ctx)
                let decidedAt: Int64? = next == .reviewed ? nil : ctx.epoch
                changed = try ctx.db.execute("""
                    UPDATE crm_ratings SET state = \(next.rawValue), supervisor_id = \(user.id), supervisor_at = \(ctx.epoch),
                        supervisor_note = \(opinion), needs_manager = \(next == .reviewed ? 1 : 0), decided_at = \(decidedAt)
                    WHERE id = \(rid) AND state = 'proposed'
                    """)
            } else {
                next = try flow.apply(approve ? "confirm" : "reject_upgrade", from: .reviewed, id: String(rid), reason: note, ctx)
                changed = try ctx.db.execute("""
                    UPDATE crm_ratings SET state = \(next.rawValue), manager_id = \(user.id), manager_at = \(ctx.epoch),
                        manager_note = \(opinion), decided_at = \(ctx.epoch)
                    WHERE id = \(rid) AND state = 'reviewed'
                    """)
            }
            guard changed == 1 else { throw HTTPError.conflict("该评级提议已被他人处理，请刷新后重试。") }
            if next == .approved { try putInForce(r, from: inForce, ctx) }
        }
    }

    /// The approved class becomes the customer's class in force (what 订货 checks orders
    /// against), audited on the customer with from → to.
    static func putInForce(_ r: Row, from old: String?, _ ctx: Context) throws {
        let cid = try r.requireInt("customer_id")
        let cls = r.string("rating_class") ?? ""
        try ctx.db.execute("""
            UPDATE crm_customers SET rating_class = \(cls), rated_at = \(ctx.epoch), updated_at = \(ctx.epoch) WHERE id = \(cid)
            """)
        try ctx.audit(AuditEntry(entity: "crm.customer", entityID: String(cid), action: "rate", from: old, to: cls,
                                 reason: "评定 #\(r.int("id") ?? 0)，\(r.int("total") ?? 0) 分，审核通过"))
    }

    // MARK: Application approval

    /// The class a 认定申请 is approved with (RULES §6: the customer's class in force, not the
    /// rating attached to the application), or why it cannot be approved. A customer with no
    /// class in force has its pending proposal reviewed by this approval (the approver acts as
    /// the 销售主管 reviewing the 客户评定报告): `pending` is that proposal.
    enum ApprovalClass {
        case inForce(String)
        case withPending(Row)
        case refused(String)
    }

    static func applicationClass(customer c: Row, _ ctx: Context) throws -> ApprovalClass {
        let cid = try c.requireInt("id")
        if let cls = c.string("rating_class") {
            if cls == "E" { return .refused("客户现行评级为 E 类（不予发展客户），不能批准。") }
            return .inForce(cls)
        }
        guard let p = try ctx.db.first("""
            SELECT * FROM crm_ratings WHERE customer_id = \(cid) AND state IN ('proposed', 'reviewed') ORDER BY id DESC LIMIT 1
            """) else {
            return .refused("该客户没有经审核的评级（客户评定报告），不能批准。")
        }
        if p.string("rating_class") == "E" {
            return .refused("评定为 E 类（不予发展客户，\(p.int("total") ?? 0) 分），不能批准。")
        }
        if let refused = refusal(p, ctx) {
            return .refused("客户评定报告尚未审核：\(refused.message)")
        }
        return .withPending(p)
    }

    /// Approves the pending proposal with the application (inside its transaction).
    static func approveWithApplication(_ p: Row, applicationID: Int64, _ ctx: Context) throws {
        let user = try ctx.requireUser()
        let rid = try p.requireInt("id")
        try flow.apply("approve", from: .proposed, id: String(rid), reason: "随认定申请 #\(applicationID) 审核", ctx)
        let changed = try ctx.db.execute("""
            UPDATE crm_ratings SET state = 'approved', supervisor_id = \(user.id), supervisor_at = \(ctx.epoch),
                supervisor_note = \("随认定申请 #\(applicationID) 审核"), decided_at = \(ctx.epoch)
            WHERE id = \(rid) AND state = 'proposed'
            """)
        guard changed == 1 else { throw HTTPError.conflict("该评级提议已被他人处理，请刷新后重试。") }
        try putInForce(p, from: nil, ctx)
    }

    // MARK: Lists and inbox

    /// 评级审核: every rating of the customers the user may see, newest first; the state filter
    /// narrows to what waits for whom.
    static let listPage = ListPage(
        title: "评级审核", path: "/crm/ratings",
        select: """
            r.id, r.customer_id, r.rating_class, r.previous_class, r.total, r.state, r.rated_at, c.name, c.name_sort,
                   COALESCE(u.display_name, '') AS rater
            """,
        from: "crm_ratings r JOIN crm_customers c ON c.id = r.customer_id LEFT JOIN users u ON u.id = r.rated_by",
        scope: { ctx in try Visibility.filter(ctx) },
        columns: [
            .time("rated", "评定时间", sql: "r.rated_at"),
            .init("customer", "客户", sql: "c.name_sort") { r, _ in   // 拼音 order (#16 point 10)
                ListCell(r.string("name") ?? "", href: "/crm/customers/\(r.int("customer_id") ?? 0)/ratings/\(r.int("id") ?? 0)")
            },
            .init("change", "现行 → 评定", sql: "r.rating_class") { r, _ in
                ListCell("\(r.string("previous_class") ?? "未评定") → \(r.string("rating_class") ?? "")")
            },
            .text("total", "总分", sql: "r.total"),
            // The expression, not its alias: keyset paging puts it in WHERE, where PostgreSQL knows no aliases (#17).
            .init("rater", "评定人", sql: "COALESCE(u.display_name, '')", rowKey: "rater") { r, _ in ListCell(r.string("rater") ?? "") },
            .init("state", "状态", sql: "r.state") { r, _ in ListCell(stateTitles[r.string("state") ?? ""] ?? "") },
        ],
        filters: [
            .search("q", "客户名称") { s, _ in "c.name LIKE \("%" + s + "%")" },
            .choice("state", "状态", all: "全部状态", State.allCases.map { Choice($0.rawValue, stateTitles[$0.rawValue] ?? "") }) { s, _ in
                "r.state = \(s)"
            },
        ],
        defaultSort: "rated", defaultDescending: true, tiebreaker: "r.id", empty: "没有评定记录。", csvName: "客户评级.csv",
        intro: "评定提交后为评级提议：经销售主管审核后生效；提高销售警戒线的，还须销售经理批准（003 第2.4条）。订单按已生效的类别检查警戒线。")

    /// Proposals waiting for this user's decision, and the proposer's rejected ones.
    static func inbox(for user: User, _ ctx: Context) throws -> [InboxItem] {
        var items: [InboxItem] = []
        func item(_ r: Row, _ title: String, _ detail: String, urgent: Bool = false) -> InboxItem {
            InboxItem(title: title + (r.string("name") ?? ""), detail: detail,
                      url: "/crm/customers/\(r.int("customer_id") ?? 0)/ratings/\(r.int("id") ?? 0)", urgent: urgent)
        }
        func change(_ r: Row) -> String { "\(r.string("previous_class") ?? "未评定") → \(r.string("rating_class") ?? "") 类，\(r.int("total") ?? 0) 分" }
        if user.can(CustomerDevelopmentModule.reviewRating) {
            for r in try ctx.db.query("""
                SELECT r.id, r.customer_id, r.rating_class, r.previous_class, r.total, c.name FROM crm_ratings r
                JOIN crm_customers c ON c.id = r.customer_id
                WHERE r.state = 'proposed' AND r.rated_by <> \(user.id) AND \(try Visibility.filter(ctx)) ORDER BY r.rated_at LIMIT 50
                """) {
                items.append(item(r, "待审核评级：", change(r)))
            }
        }
        if user.can(CustomerDevelopmentModule.approveUpgrade) {
            for r in try ctx.db.query("""
                SELECT r.id, r.customer_id, r.rating_class, r.previous_class, r.total, c.name FROM crm_ratings r
                JOIN crm_customers c ON c.id = r.customer_id
                WHERE r.state = 'reviewed' AND r.rated_by <> \(user.id) AND r.supervisor_id <> \(user.id) AND \(try Visibility.filter(ctx))
                ORDER BY r.rated_at LIMIT 50
                """) {
                items.append(item(r, "待批准评级升级：", change(r) + "，提高销售警戒线"))
            }
        }
        // The proposer's rejections this quarter that no later rating has answered.
        for r in try ctx.db.query("""
            SELECT r.id, r.customer_id, r.rating_class, r.previous_class, r.total, COALESCE(r.manager_note, r.supervisor_note, '') AS note,
                   c.name FROM crm_ratings r JOIN crm_customers c ON c.id = r.customer_id
            WHERE r.rated_by = \(user.id) AND r.state = 'rejected' AND r.decided_at >= \(CustomerPages.quarterStart(ctx))
              AND NOT EXISTS (SELECT 1 FROM crm_ratings n WHERE n.customer_id = r.customer_id AND n.id > r.id)
            ORDER BY r.decided_at LIMIT 50
            """) {
            items.append(item(r, "评级被驳回：", change(r) + (r.string("note").map { $0.isEmpty ? "" : "；审批意见：" + $0 } ?? "")))
        }
        return items
    }
}
