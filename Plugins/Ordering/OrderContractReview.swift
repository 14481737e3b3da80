import Foundation
import SalesKit

// Contract review (003 §3.2–§3.8; RULES §6 "Contracts carry their terms").
//
// 销售部 registers the contract text — product lines with agreed prices and quantities, delivery
// terms, attachments — and organises the review (§3.2). The review tasks go to the members of
// 技术部 (technical standard and state, the 技术协议 as an attachment, §3.3), 品质部 (quality
// standard, 质量保证协议 and 出厂检验标准, §3.4) and 生产部 (capacity for the quantities and delivery
// dates, §3.5) through the department directory (`OrgDirectory`). Each records 同意 or 不同意 with
// its opinion (a refusal with its reason), who and when, audited.
//
// - Only when all three agreed in the current round does the GM's price review and approval
//   (§3.6–§3.7) become possible (state `pending_gm`).
// - A refusal by a department, or by the GM, returns the contract to sales (`returned`); sales
//   revises it and submits it again: a new review round, all three departments again.
// - An approved contract is in force: sales keeps it to execute, finance to supervise (§3.8): both
//   see it (order `view` permission). Orders are checked against approved contracts only (002 §3.3).
// - **Decision — review deadline:** each department reviews within `reviewDays` (3 days) of the
//   registration or revision; past it the review is overdue (`overdue`), responsible the
//   department's head (or, without a head, its first member).

enum ContractState: String, Sendable, CaseIterable {
    case review, pendingGM = "pending_gm", approved, returned

    var title: String {
        switch self {
        case .review: "评审中（技术部、品质部、生产部）"
        case .pendingGM: "评审通过，待总经理价格评审及批准"
        case .approved: "已批准生效"
        case .returned: "已退回销售部修改"
        }
    }
}

enum ContractFlow {
    /// Review contracts for one's department (技术部、品质部、生产部, 003 §3.3–§3.5); whose department
    /// is checked per record through the directory.
    static let review = Permission("order", "contract_review", title: "合同评审（技术部、品质部、生产部，003 §3.3–§3.5）",
                                   defaultRoles: [.technical, .quality, .production])

    /// Days a department has for its review (see the file comment).
    static let reviewDays: Int64 = 3

    /// The GM's decision once the three departments agreed (003 §3.7); revising a returned contract
    /// is its own form (`revise`).
    static let machine = StateMachine<ContractState>(entity: "order.contract", transitions: [
        .init("approve", from: [.pendingGM], to: .approved, permission: OrderPages.approve, title: "总经理价格评审并批准合同"),
        .init("return", from: [.pendingGM], to: .returned, permission: OrderPages.approve, requiresReason: true,
              title: "总经理退回销售部修改"),
    ])

    /// The reviewing departments, in order, with what each reviews and the agreement it names.
    struct Reviewer: Sendable {
        var code: String
        var article: String
        var subject: String
        var document: String
    }

    static let reviewers: [Reviewer] = [
        Reviewer(code: StandardDepartment.technical.rawValue, article: "003 §3.3",
                 subject: "产品技术标准和技术状态", document: "技术协议（编号/名称）"),
        Reviewer(code: StandardDepartment.quality.rawValue, article: "003 §3.4",
                 subject: "品质质量标准、质量保证协议、出厂检验标准", document: "质量保证协议与出厂检验标准（编号/名称）"),
        Reviewer(code: StandardDepartment.production.rawValue, article: "003 §3.5",
                 subject: "生产能力：能否满足约定数量和交货期限", document: "可满足的数量与交货期"),
    ]

    static let decisions = [Choice("agree", "同意"), Choice("refuse", "不同意")]

    /// A department's review (003 §3.3–§3.5).
    static let reviewForm = FormSchema([
        FormField("decision", "评审结论", .select(decisions), required: true),
        FormField("opinion", "评审意见", .textarea, required: true, rules: [.length(min: 2, max: 2000)]),
        FormField("document", "签订的协议 / 确认的内容", rules: [.length(min: nil, max: 200)],
                  help: "技术部：技术协议；品质部：质量保证协议与出厂检验标准；生产部：可满足的数量与交货期"),
        FormField("reason", "不同意的理由", .textarea, rules: [.length(min: nil, max: 2000)], help: "不同意时必填：合同退回销售部修改"),
    ], checks: [{ v in
        if v.string("decision") == "refuse" && v.optionalString("reason") == nil {
            return [FormError(field: "reason", "不同意时须写明理由（合同将退回销售部修改）")]
        }
        return []
    }])

    /// Sales revises a returned contract and submits it for a new review round.
    static let reviseForm = FormSchema([
        FormField("title", "合同名称/内容", required: true, rules: [.length(min: 2, max: 200)]),
        FormField("signed_on", "签订日期", .date, rules: [.notInFuture]),
        FormField("valid_from", "有效期自", .date),
        FormField("valid_to", "有效期至", .date),
        FormField("delivery_terms", "交货条款", .textarea, rules: [.length(min: nil, max: 2000)]),
        FormField("attachments", "附件（技术协议、质量保证协议等）", .textarea, rules: [.length(min: nil, max: 2000)]),
        FormField("lines", "合同产品与约定价格", .rows(FormSchema([
            FormField("product", "品名", required: true, rules: [.length(min: 1, max: 100)]),
            FormField("spec", "规格", rules: [.length(min: nil, max: 100)]),
            FormField("qty", "约定数量", .integer, rules: [.range(1, 100_000_000)]),
            FormField("price", "约定单价（元）", .money, required: true, rules: [.range(0, 100_000_000_000)]),
        ]), minRows: 0, blankRows: 3)),
        FormField("revision_note", "修改说明", .textarea, required: true, rules: [.length(min: 2, max: 2000)],
                  help: "针对退回理由作了哪些修改"),
    ], checks: [{ v in
        if let a = v.date("valid_from"), let b = v.date("valid_to"), b < a { return [FormError(field: "valid_to", "有效期至不能早于有效期自")] }
        return []
    }])

    static func state(_ c: Row) -> ContractState { ContractState(rawValue: c.string("state") ?? "") ?? .review }

    static func reviewer(_ code: String?) -> Reviewer? { reviewers.first { $0.code == code } }

    /// The directory's name of a department (the code when the directory lacks it).
    static func deptName(_ code: String, _ ctx: Context) throws -> String {
        try ctx.optionalService(OrgDirectory.self)?.name(code: code, ctx) ?? code
    }

    /// Whether the user reviews for `code`: holds the review permission and is a member (or the
    /// head) of that department in the directory.
    static func mayReview(_ code: String, _ ctx: Context) throws -> Bool {
        guard let user = ctx.user, ctx.can(review) else { return false }
        guard let org = ctx.optionalService(OrgDirectory.self), let d = try org.department(code: code, ctx) else { return false }
        return d.inboxUserIDs.contains(user.id)
    }

    /// The contract row (404); who may see it: order viewers of its customer (sales, finance,
    /// managers, §3.8) and the reviewing departments (§3.3–§3.5).
    static func load(_ id: Int64, _ ctx: Context) throws -> Row {
        guard let c = try ctx.db.first("SELECT * FROM order_contracts WHERE id = \(id)") else { throw HTTPError.notFound }
        if ctx.can(OrderPages.view), try OrderUtil.maySee(customer: c.int("customer_id") ?? 0, ctx) { return c }
        if ctx.can(review) { return c }
        throw HTTPError.forbidden
    }

    /// Reviews of the contract's current round, by department code.
    static func currentReviews(_ c: Row, _ ctx: Context) throws -> [String: Row] {
        var out: [String: Row] = [:]
        for r in try ctx.db.query("""
            SELECT * FROM order_contract_reviews WHERE contract_id = \(c.int("id") ?? 0) AND round = \(c.int("review_round") ?? 1)
            """) { out[r.text("dept")] = r }
        return out
    }

    /// The agreed lines as one text: "阀门 φ20 × 1000 @¥90.00；…".
    static func linesText(_ contractID: Int64, _ ctx: Context) throws -> String {
        try ctx.db.query("SELECT * FROM order_contract_lines WHERE contract_id = \(contractID) ORDER BY line_no").map { l in
            "\(l.text("product")) \(l.text("spec"))" + (l.int("qty").map { " × \($0)" } ?? "") + " @¥\(Money.format(l.int("unit_price_fen") ?? 0))"
        }.joined(separator: "；")
    }

    /// Inserts a contract's product lines (registration and revision); returns the agreed-price text.
    static func insertLines(_ contractID: Int64, _ rows: [FormValues], _ ctx: Context) throws -> [String] {
        var agreed: [String] = []
        for (n, l) in rows.enumerated() {
            let product = try ProductPages.lookup(name: l.string("product"), spec: l.string("spec"), ctx)
            let price = l.money("price") ?? 0
            try ctx.db.execute("""
                INSERT INTO order_contract_lines (contract_id, line_no, product_id, product, spec, qty, unit_price_fen)
                VALUES (\(contractID), \(n + 1), \(product?.id), \(l.string("product")), \(l.string("spec")), \(l.int("qty")), \(price))
                """)
            agreed.append("\(l.string("product")) \(l.string("spec")) @¥\(Money.format(price))")
        }
        return agreed
    }

    /// The deadline of a review round started now.
    static func reviewDue(_ ctx: Context) -> Int64 {
        let (v, overflow) = ctx.epoch.addingReportingOverflow(reviewDays * 86_400)
        return overflow ? .max : v
    }

    // MARK: Pages

    /// One contract: terms, lines, the departments' reviews, the GM's decision, history; printable.
    struct ContractPage: PageModel {
        static let template = "order-contract"

        struct Line: TemplateModel {
            var lineNo: Int64
            var product: String
            var spec: String
            var qty: String
            var price: String
            var amount: String
        }

        struct Review: TemplateModel {
            var dept: String
            var article: String
            var subject: String
            /// Nil until the department has reviewed in this round.
            var decision: String?
            var agreed: Bool
            var opinion: String
            var document: String?
            var reason: String?
            var by: String
            var due: String
            var overdue: Bool
            var canReview: Bool
            var href: String
        }

        var id: Int64
        var contractNo: String
        var customer: String
        var title: String
        var signedOn: String
        var validFrom: String
        var validTo: String
        var deliveryTerms: String
        var attachments: String
        var stateText: String
        var isApproved: Bool
        var round: Int64
        var lines: [Line]
        var total: String
        var totalUpper: String
        var reviews: [Review]
        var approvedText: String?
        var priceOpinion: String?
        var returnedReason: String?
        var canApprove: Bool
        var canReturn: Bool
        var canRevise: Bool
        var printedAt: String
        var history: History
    }

    /// A contract form (a department's review, a revision) with the contract's summary.
    struct ContractFormPage: PageModel {
        static let template = "order-contract-form"
        var heading: String
        var intro: String
        var contractNo: String
        var customer: String
        var lines: String
        var deliveryTerms: String
        var button: String
        var back: String
        var form: FormView
    }

    static func customerName(_ c: Row, _ ctx: Context) throws -> String {
        try OrderUtil.directory(ctx).customer(id: c.int("customer_id") ?? 0, ctx).map { "\($0.name)（\($0.code ?? "")）" } ?? ""
    }

    static let detail: Handler = { req, ctx in
        let c = try load(try req.id(), ctx)
        let id = try c.requireInt("id")
        let st = state(c)
        let reviews = try currentReviews(c, ctx)
        let due = c.int("review_due_at")
        var lines: [ContractPage.Line] = []
        var amounts: [Int64] = []
        for l in try ctx.db.query("SELECT * FROM order_contract_lines WHERE contract_id = \(id) ORDER BY line_no") {
            let price = l.int("unit_price_fen") ?? 0
            let amount = l.int("qty").flatMap { Money.times(price, $0) }
            if let amount { amounts.append(amount) }
            lines.append(ContractPage.Line(lineNo: l.int("line_no") ?? 0, product: l.text("product"), spec: l.text("spec"),
                                           qty: l.int("qty").map(String.init) ?? "", price: Money.format(price),
                                           amount: amount.map { Money.format($0) } ?? ""))
        }
        let total = Money.sum(amounts) ?? 0
        let ownCustomer = try OrderUtil.maySee(customer: c.int("customer_id") ?? 0, ctx)
        let page = ContractPage(
            id: id, contractNo: c.text("contract_no"), customer: try customerName(c, ctx), title: c.text("title"),
            signedOn: c.text("signed_on"), validFrom: c.text("valid_from"), validTo: c.text("valid_to"),
            deliveryTerms: c.text("delivery_terms"), attachments: c.text("attachments"), stateText: st.title,
            isApproved: st == .approved, round: c.int("review_round") ?? 1, lines: lines,
            total: Money.format(total), totalUpper: Money.uppercase(total),
            reviews: try reviewers.map { r in
                let row = reviews[r.code]
                let may = try mayReview(r.code, ctx)
                return ContractPage.Review(
                    dept: try deptName(r.code, ctx), article: r.article, subject: r.subject,
                    decision: row.map { title(decisions, $0.string("decision")) }, agreed: row?.string("decision") == "agree",
                    opinion: row?.text("opinion") ?? "", document: row?.nonEmpty("document"), reason: row?.nonEmpty("reason"),
                    by: row.map { "\($0.text("user_name"))，\(ctx.displayEpoch($0.int("at")))" } ?? "",
                    due: ctx.displayEpoch(due), overdue: row == nil && st == .review && (due.map { $0 < ctx.epoch } ?? false),
                    canReview: row == nil && st == .review && may,
                    href: "/order/contracts/\(id)/review/\(r.code)")
            },
            approvedText: c.bool("approved") ? "\(c.text("approved_name"))，\(ctx.displayEpoch(c.int("approved_at")))" : nil,
            priceOpinion: c.nonEmpty("price_opinion"), returnedReason: st == .returned ? c.nonEmpty("returned_reason") : nil,
            canApprove: st == .pendingGM && ctx.can(OrderPages.approve), canReturn: st == .pendingGM && ctx.can(OrderPages.approve),
            canRevise: st == .returned && ctx.can(OrderPages.register) && ownCustomer,
            printedAt: ctx.display(ctx.now), history: try ctx.history(entity: "order.contract", id: id))
        return ctx.render(page, title: "销售合同 \(c.text("contract_no"))")
    }

    static func title(_ choices: [Choice], _ v: String?) -> String { choices.first { $0.value == v }?.label ?? "" }

    /// A department's review (003 §3.3–§3.5): only its members, only while the contract is in
    /// review, once per round. A refusal returns the contract to sales; the third agreement passes
    /// it to the GM.
    static let reviewPage: Handler = { req, ctx in
        let c = try load(try req.id(), ctx)
        let id = try c.requireInt("id")
        guard let r = reviewer(req.parameters["dept"]) else { throw HTTPError.notFound }
        guard try mayReview(r.code, ctx) else { throw HTTPError.forbidden }
        let dept = try deptName(r.code, ctx)
        guard state(c) == .review else { throw HTTPError.conflict("合同不在评审中（当前：\(state(c).title)），\(dept)不能评审。") }
        if try currentReviews(c, ctx)[r.code] != nil { throw HTTPError.conflict("\(dept)已评审过本轮合同。") }
        return try ctx.handleForm(reviewForm, title: "\(dept)评审合同", page: { form in
            ContractFormPage(heading: "\(dept)评审合同 \(c.text("contract_no"))",
                             intro: "\(r.article)：\(dept)评审\(r.subject)。同意后记录签订的协议；不同意须写明理由，合同退回销售部修改。",
                             contractNo: c.text("contract_no"), customer: try customerName(c, ctx), lines: try linesText(id, ctx),
                             deliveryTerms: c.text("delivery_terms"), button: "提交评审意见", back: "/order/contract-reviews/\(id)", form: form)
        }) { v in
            let user = try ctx.requireUser()
            let agree = v.string("decision") == "agree"
            let flash: String = try ctx.db.transaction {
                guard let fresh = try ctx.db.first("SELECT * FROM order_contracts WHERE id = \(id)"), state(fresh) == .review else {
                    throw HTTPError.conflict("合同已不在评审中，请刷新后查看。")
                }
                let round = fresh.int("review_round") ?? 1
                let inserted = try ctx.db.execute("""
                    INSERT INTO order_contract_reviews (contract_id, round, dept, decision, opinion, reason, document, user_id, user_name, at)
                    VALUES (\(id), \(round), \(r.code), \(agree ? "agree" : "refuse"), \(v.string("opinion")),
                        \(v.optionalString("reason")), \(v.optionalString("document")), \(user.id), \(user.displayName), \(ctx.epoch))
                    ON CONFLICT (contract_id, round, dept) DO NOTHING
                    """)
                guard inserted == 1 else { throw HTTPError.conflict("\(dept)已评审过本轮合同。") }
                let agreed = try ctx.db.scalar("""
                    SELECT COUNT(*) FROM order_contract_reviews WHERE contract_id = \(id) AND round = \(round) AND decision = 'agree'
                    AND dept IN (\(list: reviewers.map(\.code)))
                    """) ?? 0
                let to: ContractState = !agree ? .returned : (agreed >= Int64(reviewers.count) ? .pendingGM : .review)
                if to != .review {
                    let changed = try ctx.db.execute("""
                        UPDATE order_contracts SET state = \(to.rawValue), updated_at = \(ctx.epoch),
                            returned_reason = \(agree ? nil : "\(dept)不同意：" + v.string("reason"))
                        WHERE id = \(id) AND state = 'review'
                        """)
                    guard changed == 1 else { throw HTTPError.conflict("合同已被他人办理，请刷新后重试。") }
                }
                try ctx.audit(AuditEntry(entity: "order.contract", entityID: String(id), action: agree ? "review_agree" : "review_refuse",
                                         from: ContractState.review.rawValue, to: to.rawValue,
                                         reason: "\(dept)（\(r.article)）第 \(round) 轮：" + (agree ? "同意" : "不同意") + "。意见：" + v.string("opinion")
                                            + (v.optionalString("document").map { "；\(r.document)：\($0)" } ?? "")
                                            + (agree ? "" : "；理由：" + v.string("reason"))))
                switch to {
                case .returned: return "\(dept)不同意，合同已退回销售部修改。"
                case .pendingGM: return "三个部门均已同意，合同转总经理价格评审及批准。"
                default: return "已记录\(dept)的评审意见。"
                }
            }
            return .redirect(to: "/order/contract-reviews/\(id)", flash: .ok(flash))
        }
    }

    /// The GM's price review: approve (the contract is in force, §3.7–§3.8) or return to sales.
    static let act: Handler = { req, ctx in
        let c = try load(try req.id(), ctx)
        let id = try c.requireInt("id")
        let from = state(c)
        let action = req.form["action"] ?? "approve"
        let reason = req.form["reason"]
        let note = (reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let path = "/order/contracts/\(id)"
        let user = try ctx.requireUser()
        if from == .approved { return OrderUtil.back(path, error: "合同已批准。") }
        if from != .pendingGM {
            // 003 §3.7 after §3.3–§3.5: the GM decides only once 技术部、品质部、生产部 all agreed.
            throw HTTPError.conflict("合同须经技术部、品质部、生产部评审全部同意后，总经理方可价格评审及批准（当前：\(from.title)）。")
        }
        do {
            try ctx.db.transaction {
                let to = try machine.apply(action, from: from, id: String(id), reason: reason, ctx)
                let changed: Int
                if to == .approved {
                    changed = try ctx.db.execute("""
                        UPDATE order_contracts SET state = 'approved', approved = 1, approved_by = \(user.id), approved_name = \(user.displayName),
                            approved_at = \(ctx.epoch), price_opinion = \(note.isEmpty ? nil : note), updated_at = \(ctx.epoch)
                        WHERE id = \(id) AND state = \(from.rawValue)
                        """)
                } else {
                    changed = try ctx.db.execute("""
                        UPDATE order_contracts SET state = \(to.rawValue), returned_reason = \("总经理退回：" + note), updated_at = \(ctx.epoch)
                        WHERE id = \(id) AND state = \(from.rawValue)
                        """)
                }
                guard changed == 1 else { throw HTTPError.conflict("合同已被他人办理，请刷新后重试。") }
                if to == .approved {
                    // 003 §3.8: in force — sales keeps a copy to execute it, finance one to supervise it.
                    try ctx.audit(AuditEntry(entity: "order.contract", entityID: String(id), action: "copies",
                                             reason: "合同生效：销售部留存一份负责执行，财务部留存一份负责财务监督（003 §3.8）"))
                    // 002 §3.3: orders that waited for this contract are checked again.
                    for o in try ctx.db.query("SELECT * FROM order_orders WHERE customer_id = \(c.int("customer_id") ?? 0) AND state = \(OrderState.contractPending.rawValue)") {
                        _ = try OrderIntake.recheck(o, ctx)
                    }
                }
            }
        } catch let refusal as StateMachine<ContractState>.Refusal {
            if case .forbidden = refusal { throw HTTPError.forbidden }
            return OrderUtil.back(path, error: refusal.description)
        }
        return .redirect(to: path)
    }

    /// Sales revises a returned contract: terms and lines replaced, a new review round (all three
    /// departments again, §3.2).
    static let revise: Handler = { req, ctx in
        let c = try load(try req.id(), ctx)
        let id = try c.requireInt("id")
        guard try OrderUtil.maySee(customer: c.int("customer_id") ?? 0, ctx) else { throw HTTPError.forbidden }
        guard state(c) == .returned else { throw HTTPError.conflict("只有退回销售部的合同才能修改后重新提交评审（当前：\(state(c).title)）。") }
        var initial = FormData([("title", c.text("title")), ("signed_on", c.text("signed_on")), ("valid_from", c.text("valid_from")),
                                ("valid_to", c.text("valid_to")), ("delivery_terms", c.text("delivery_terms")),
                                ("attachments", c.text("attachments"))])
        for (n, l) in try ctx.db.query("SELECT * FROM order_contract_lines WHERE contract_id = \(id) ORDER BY line_no").enumerated() {
            initial.append("lines.\(n).product", l.text("product"))
            initial.append("lines.\(n).spec", l.text("spec"))
            initial.append("lines.\(n).qty", l.int("qty").map(String.init) ?? "")
            initial.append("lines.\(n).price", Money.format(l.int("unit_price_fen") ?? 0))
        }
        return try ctx.handleForm(reviseForm, title: "修改合同", initial: initial, page: { form in
            ContractFormPage(heading: "修改合同 \(c.text("contract_no"))",
                             intro: "退回理由：\(c.text("returned_reason"))。修改后重新提交技术部、品质部、生产部评审（003 §3.2–§3.5）。",
                             contractNo: c.text("contract_no"), customer: try customerName(c, ctx), lines: try linesText(id, ctx),
                             deliveryTerms: c.text("delivery_terms"), button: "修改并重新提交评审", back: "/order/contracts/\(id)", form: form)
        }) { v in
            try ctx.db.transaction {
                let round = try Stored.add(c.int("review_round") ?? 1, 1)
                let changed = try ctx.db.execute("""
                    UPDATE order_contracts SET title = \(v.string("title")), signed_on = \(v.optionalString("signed_on")),
                        valid_from = \(v.optionalString("valid_from")), valid_to = \(v.optionalString("valid_to")),
                        delivery_terms = \(v.optionalString("delivery_terms") ?? ""), attachments = \(v.optionalString("attachments") ?? ""),
                        state = 'review', review_round = \(round), review_due_at = \(reviewDue(ctx)), returned_reason = NULL,
                        updated_at = \(ctx.epoch)
                    WHERE id = \(id) AND state = 'returned'
                    """)
                guard changed == 1 else { throw HTTPError.conflict("合同已被他人办理，请刷新后重试。") }
                try ctx.db.execute("DELETE FROM order_contract_lines WHERE contract_id = \(id)")
                let agreed = try insertLines(id, v.rows("lines"), ctx)
                try ctx.audit(AuditEntry(entity: "order.contract", entityID: String(id), action: "revise", from: ContractState.returned.rawValue,
                                         to: ContractState.review.rawValue,
                                         reason: "第 \(round) 轮评审：" + v.string("revision_note") + (agreed.isEmpty ? "" : "；约定价格：" + agreed.joined(separator: "；"))))
            }
            return .redirect(to: "/order/contracts/\(id)", flash: .ok("合同已修改，重新提交技术部、品质部、生产部评审。"))
        }
    }

    /// Contracts waiting for a department's review (the reviewers' list; their inbox links here).
    static let reviewsPage = ListPage(
        title: "待评审合同", path: "/order/contract-reviews",
        select: "c.*", from: "order_contracts c",
        scope: { _ in "c.state = 'review'" },
        columns: [
            .init("no", "合同编号", sql: "c.contract_no") { r, _ in ListCell(r.text("contract_no"), href: "/order/contract-reviews/\(r.int("id") ?? 0)") },
            .text("title", "合同名称/内容", sql: "c.title"),
            .init("round", "评审轮次", sql: "c.review_round") { r, _ in ListCell(String(r.int("review_round") ?? 1)) },
            .init("due", "评审期限", sql: "c.review_due_at") { r, ctx in ListCell(ctx.displayEpoch(r.int("review_due_at"))) },
        ],
        defaultSort: "no", defaultDescending: false, tiebreaker: "c.id", empty: "没有待评审的合同。", csvName: "待评审合同.csv",
        intro: "销售部组织合同评审（003 §3.2）：技术部评审技术标准、品质部评审质量标准与检验标准、生产部评审生产能力与交货期（003 §3.3–§3.5）。")

    static let reviews: Handler = { req, ctx in try reviewsPage.respond(req, ctx) }

    // MARK: Inbox and overdue

    /// A department's pending reviews land in its members' inboxes (through the directory).
    static func inbox(for user: User, _ ctx: Context) throws -> [InboxItem] {
        var out: [InboxItem] = []
        // A refusal returns the contract to sales: the rep who registered it revises it.
        if user.can(OrderPages.register) {
            for c in try ctx.db.query("""
                SELECT id, contract_no, title, returned_reason FROM order_contracts WHERE state = 'returned' AND created_by = \(user.id) ORDER BY id
                """) {
                out.append(InboxItem(title: "销售合同已退回，请修改后重新提交评审：\(c.text("contract_no")) \(c.text("title"))",
                                     detail: c.text("returned_reason"), url: "/order/contracts/\(c.int("id") ?? 0)", urgent: true))
            }
        }
        guard user.can(review), let org = ctx.optionalService(OrgDirectory.self) else { return out }
        var mine: [Reviewer] = []
        for r in reviewers { if let d = try org.department(code: r.code, ctx), d.inboxUserIDs.contains(user.id) { mine.append(r) } }
        guard !mine.isEmpty else { return out }
        for c in try ctx.db.query("""
            SELECT c.id, c.contract_no, c.title, c.review_due_at FROM order_contracts c WHERE c.state = 'review' ORDER BY c.id
            """) {
            let id = c.int("id") ?? 0
            let done = Set(try ctx.db.query("""
                SELECT r.dept FROM order_contract_reviews r JOIN order_contracts k ON k.id = r.contract_id AND k.review_round = r.round
                WHERE r.contract_id = \(id)
                """).map { $0.text("dept") })
            for r in mine where !done.contains(r.code) {
                let due = c.int("review_due_at")
                out.append(InboxItem(title: "\(try deptName(r.code, ctx))评审合同：\(c.text("contract_no")) \(c.text("title"))",
                                     detail: "\(r.article) \(r.subject)", url: "/order/contract-reviews/\(id)",
                                     due: due.map { Date(timeIntervalSince1970: Double($0)) }, urgent: due.map { $0 < ctx.epoch } ?? false))
            }
        }
        return out
    }

    /// Reviews past their deadline: the department's head (or first member) is responsible.
    static func overdue(_ ctx: Context) throws -> [OverdueItem] {
        guard let org = ctx.optionalService(OrgDirectory.self) else { return [] }
        let rows = try ctx.db.query("""
            SELECT c.id, c.contract_no, c.title, c.review_due_at, c.review_round,
                   (SELECT COUNT(*) FROM order_contract_reviews r WHERE r.contract_id = c.id AND r.round = c.review_round AND r.dept = 'technical') AS technical,
                   (SELECT COUNT(*) FROM order_contract_reviews r WHERE r.contract_id = c.id AND r.round = c.review_round AND r.dept = 'quality') AS quality,
                   (SELECT COUNT(*) FROM order_contract_reviews r WHERE r.contract_id = c.id AND r.round = c.review_round AND r.dept = 'production') AS production
            FROM order_contracts c WHERE c.state = 'review' AND c.review_due_at < \(ctx.epoch) ORDER BY c.review_due_at, c.id
            """)
        var out: [OverdueItem] = []
        var heads: [String: Int64?] = [:]
        for c in rows {
            for r in reviewers where (c.int(r.code) ?? 0) == 0 {
                if heads[r.code] == nil {
                    let d = try org.department(code: r.code, ctx)
                    heads[r.code] = .some(d?.headID ?? d?.memberIDs.first)
                }
                guard let who = heads[r.code] ?? nil, let due = c.int("review_due_at") else { continue }
                out.append(OverdueItem(InboxItem(title: "合同评审逾期：\(try deptName(r.code, ctx))未评审 \(c.text("contract_no")) \(c.text("title"))",
                                                 detail: "\(r.article)；评审期限 \(reviewDays) 天", url: "/order/contract-reviews/\(c.int("id") ?? 0)",
                                                 due: Date(timeIntervalSince1970: Double(due)), urgent: true),
                                       responsibleUserID: who, due: Date(timeIntervalSince1970: Double(due))))
            }
        }
        return out
    }
}
