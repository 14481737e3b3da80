import CustomerDevelopmentAPI
import Foundation
import SalesKit

/// Returns (RULES §3.2, 003 第六章). Migration version 2 (after ComplaintPages' version 1).
/// register (written or oral reason) → return list checked with the customer → 品质部 issues
/// the 准予退回通知单 → 退货库 records what arrived per line → finance settles the received
/// quantities. Each step refuses to run out of order and then changes nothing.
enum ReturnPages {
    static let view = Permission("service", "return_view", title: "查看退货",
                                 defaultRoles: [.salesRep, .salesSupervisor, .salesManager, .marketingDirector, .generalManager,
                                                .quality, .production, .finance, .serviceRep, .serviceSupervisor])
    static let register = Permission("service", "return_register", title: "登记退货、编制退货清单",
                                     defaultRoles: [.salesRep, .salesSupervisor, .salesManager, .serviceRep, .serviceSupervisor])
    static let verify = Permission("service", "return_verify", title: "品质部核实、签发准予退回通知单", defaultRoles: [.quality])
    /// 退货库 — the return warehouse (under 生产部 by default; admin may grant it elsewhere).
    static let receive = Permission("service", "return_receive", title: "退货库验收入库", defaultRoles: [.production])
    static let settle = Permission("service", "return_settle", title: "退货结算", defaultRoles: [.finance])
    /// 003 §6.2: a return whose rep has not reached the customer in time reaches the supervisor's
    /// inbox too (for the customers the holder may see).
    static let oversee = Permission("service", "return_oversee", title: "督办退货到达时限",
                                    defaultRoles: [.salesSupervisor, .salesManager, .serviceSupervisor])

    static let permissions: [Permission] = [view, register, verify, receive, settle, oversee]
    static let menu: [MenuItem] = [
        MenuItem("退货", path: "returns", access: .permission(view)),
        MenuItem("登记退货", path: "returns/new", access: .permission(register)),
    ]


    enum State: String, Sendable, CaseIterable { case registered, listed, approved, refused, received, settled }
    static let stateTitles = ["registered": "已登记", "listed": "退货清单已核对", "approved": "已签发准予退回通知单",
                              "refused": "品质部拒绝退回", "received": "已入退货库", "settled": "已结算"]
    static let reasons = [
        Choice("6.1.1", "6.1.1 交货验收时发现与订货不符"), Choice("6.1.2", "6.1.2 组装时发现质量问题"),
        Choice("6.1.3", "6.1.3 清仓／存放过久／已不适用"), Choice("6.1.4", "6.1.4 客户停业、合并或转业"),
        Choice("6.1.5", "6.1.5 三包退货"),
    ]
    static func reasonTitle(_ code: String) -> String { reasons.first { $0.value == code }?.label ?? code }

    /// 品质部's outcomes on the verification step (003 §6.3.1; RULES §6 "Returns": 品质部 may
    /// refuse or partly accept). 准予 and 部分准予 both issue the 准予退回通知单 (state `approved`,
    /// with the accepted quantity per line); 拒绝 ends the return (`refused`): nothing is received
    /// or credited.
    enum Outcome: String, Sendable, CaseIterable {
        case approve, partial, refuse

        var title: String {
            switch self {
            case .approve: "准予退回"
            case .partial: "部分准予"
            case .refuse: "拒绝退回"
            }
        }
    }

    static func outcomeTitle(_ key: String?) -> String {
        switch key {
        case "approved": Outcome.approve.title
        case "partial": Outcome.partial.title
        case "refused": Outcome.refuse.title
        default: ""
        }
    }

    static let flow = StateMachine<State>(entity: "service.return", transitions: [
        .init("list", from: [.registered, .listed], to: .listed, permission: register, title: "编制退货清单并与客户核对"),
        .init("notice", from: [.listed], to: .approved, permission: verify, title: "签发准予退回通知单"),
        .init("refuse", from: [.listed], to: .refused, permission: verify, requiresReason: true, title: "拒绝退回"),
        .init("receive", from: [.approved], to: .received, permission: receive, title: "验收入库"),
        .init("settle", from: [.received], to: .settled, permission: settle, title: "结算"),
    ])

    static func registerForm(customers: [Choice]) -> FormSchema {
        FormSchema([
            FormField("customer", "客户", .select(customers), required: true),
            FormField("reason_code", "退货原因（003 §6.1）", .select(reasons), required: true),
            FormField("reason_form", "客户退货理由", .select([Choice("written", "书面理由"), Choice("oral", "口头理由（已记录）")]), required: true),
            FormField("reason_text", "理由内容（书面理由摘要，或口头理由的记录）", .textarea, required: true, rules: [.length(min: 2, max: 2000)]),
        ])
    }

    static let listForm = FormSchema([
        FormField("lines", "退货清单", .rows(FormSchema([
            FormField("product", "品名", required: true, rules: [.length(min: 1, max: 100)]),
            FormField("spec", "规格", required: true, rules: [.length(min: 1, max: 100)]),
            FormField("quantity", "数量", .integer, required: true, rules: [.range(1, 10_000_000)]),
            FormField("price", "单价（元）", .money, required: true, rules: [.range(0, nil)]),
        ]), minRows: 1, blankRows: 3)),
        FormField("checked", "已与客户逐项核对（003 §6.2.2）", .checkbox),
    ], checks: [{ v in v.bool("checked") ? [] : [FormError(field: "checked", "退货清单须与客户核对后提交")] }])

    /// The field of a line's accepted quantity on the notice form, and of its received quantity
    /// on the receipt.
    static func acceptedField(_ line: Row) -> String { "acc_\(line.int("id") ?? 0)" }
    static func receivedField(_ line: Row) -> String { "recv_\(line.int("id") ?? 0)" }
    static func lineTitle(_ l: Row) -> String { "\(l.string("product") ?? "") \(l.string("spec") ?? "")" }

    /// The quantity a line may be received and credited for: what 品质部 accepted (the listed
    /// quantity for a return noticed before partial acceptance existed).
    static func acceptedQuantity(_ l: Row) -> Int64 { l.int("accepted") ?? l.int("quantity") ?? 0 }

    /// 003 §6.3.1: 品质部 verifies — 准予退回, 部分准予 with the accepted quantity of each line
    /// (0 … listed), or 拒绝退回 with the reason.
    static func noticeForm(lines: [Row]) -> FormSchema {
        let listed = lines.map { (acceptedField($0), $0.int("quantity") ?? 0) }
        let fields = lines.map { l in
            FormField(acceptedField(l), "\(lineTitle(l))（清单 \(l.int("quantity") ?? 0)）准予数量", .integer,
                      rules: [.range(0, 10_000_000)], help: "部分准予时填写；准予退回时按清单数量")
        }
        return FormSchema([
            FormField("outcome", "核实结果", .select(Outcome.allCases.map { Choice($0.rawValue, $0.title) }), required: true),
        ] + fields + [
            FormField("opinion", "品质部核实意见（部分准予、拒绝退回须写明理由）", .textarea, rules: [.length(min: nil, max: 2000)]),
        ], checks: [{ v in
            var errors: [FormError] = []
            let opinion = v.string("opinion").trimmingCharacters(in: .whitespacesAndNewlines)
            switch Outcome(rawValue: v.string("outcome")) {
            case .approve:
                if opinion.isEmpty { errors.append(FormError(field: "opinion", "请填写核实意见")) }
            case .refuse:
                if opinion.count < 2 { errors.append(FormError(field: "opinion", "拒绝退回须填写拒绝理由（至少 2 个字）")) }
            case .partial:
                if opinion.count < 2 { errors.append(FormError(field: "opinion", "部分准予须写明理由（至少 2 个字）")) }
                var any = false, less = false
                for (name, qty) in listed {
                    guard let a = v.int(name) else {
                        errors.append(FormError(field: name, "部分准予须填写每一行的准予数量"))
                        continue
                    }
                    if a > qty { errors.append(FormError(field: name, "准予数量不能多于退货清单数量（\(qty)）")) }
                    if a > 0 { any = true }
                    if a < qty { less = true }
                }
                if errors.isEmpty && !any { errors.append(FormError(field: "outcome", "各行准予数量均为 0：请选择「拒绝退回」")) }
                if errors.isEmpty && !less { errors.append(FormError(field: "outcome", "各行均按清单数量准予：请选择「准予退回」")) }
            case nil:
                break
            }
            return errors
        }])
    }

    /// 003 §6.3.2 (RULES §6 "Returns": the warehouse cannot receive more than listed): each line's
    /// received quantity is at most what 品质部 accepted; a larger one is refused next to its line.
    static func receiveForm(lines: [Row]) -> FormSchema {
        let fields = lines.map { l in
            let qty = l.int("quantity") ?? 0, acc = acceptedQuantity(l)
            let limit = acc == qty ? "清单 \(qty)" : "清单 \(qty)，准予 \(acc)"
            return FormField(receivedField(l), "\(lineTitle(l))（\(limit)）实收", .integer, required: true, rules: [.range(0, 10_000_000)])
        }
        let limits = lines.map { l in (receivedField(l), acceptedQuantity(l), acceptedQuantity(l) != (l.int("quantity") ?? 0)) }
        return FormSchema(fields + [FormField("discrepancy_note", "差异说明（实收少于准予数量时填写）", .textarea,
                                              rules: [.length(min: nil, max: 2000)])],
                          checks: [{ v in
            limits.compactMap { name, limit, partial in
                guard (v.int(name) ?? 0) > limit else { return nil }
                return FormError(field: name, partial ? "实收数量不能多于品质部准予退回的数量（\(limit)）"
                                                      : "实收数量不能多于退货清单数量（\(limit)）")
            }
        }])
    }

    /// 003 §6.2: the rep records when they reached the customer.
    static let arrivalForm = FormSchema([
        FormField("arrived_date", "到达客户日期", .date, required: true, rules: [.notInFuture]),
        FormField("arrived_hour", "到达时间：时（0–23）", .integer, required: true, rules: [.range(0, 23)]),
        FormField("arrived_minute", "到达时间：分（0–59）", .integer, required: true, rules: [.range(0, 59)]),
        FormField("note", "到达情况说明", .textarea, rules: [.length(min: nil, max: 1000)]),
    ])

    static let settleForm = FormSchema([
        FormField("note", "结算说明", .textarea, rules: [.length(min: nil, max: 1000)]),
    ])

    static let forms: [String: FormSchema] = [
        "return": registerForm(customers: []), "return-list": listForm, "return-notice": noticeForm(lines: []),
        "return-receive": receiveForm(lines: []), "return-settle": settleForm, "return-arrival": arrivalForm,
    ]

    static func routes(_ r: inout RouteBuilder) {
        r.get("returns", .permission(view), ReturnViews.list)
        r.form("returns/new", .permission(register), ReturnViews.create)
        r.get("returns/:id", .permission(view), ReturnViews.detail)
        r.get("returns/:id/print", .permission(view), ReturnViews.print)
        r.form("returns/:id/arrival", .permission(register), ReturnViews.arrivalStep)
        r.form("returns/:id/list", .permission(register), ReturnViews.listStep)
        r.form("returns/:id/notice", .permission(verify), ReturnViews.noticeStep)
        r.form("returns/:id/receive", .permission(receive), ReturnViews.receiveStep)
        r.form("returns/:id/settle", .permission(settle), ReturnViews.settleStep)
    }

    static func inbox(for user: User, _ ctx: Context) throws -> [InboxItem] {
        var items: [InboxItem] = []
        for (perm, state, title) in [(verify, "listed", "退货待品质部核实"), (receive, "approved", "退货待验收入库"), (settle, "received", "退货待结算")]
        where user.can(perm) {
            for r in try ctx.db.query("SELECT id, customer_name FROM service_returns WHERE state = \(state) ORDER BY id LIMIT 200") {
                items.append(InboxItem(title: "\(title)：\(r.string("customer_name") ?? "") \(DocNo.returnOrder(r.int("id") ?? 0))",
                                       url: "/service/returns/\(r.int("id") ?? 0)"))
            }
        }
        // 003 §6.2: the rep (who registered it, or the customer's rep) until the arrival is recorded,
        // marked overdue past the deadline; overdue ones also reach whoever oversees the customer.
        let now = ctx.epoch
        func arrivalItem(_ r: Row) -> InboxItem {
            let due = r.int("arrival_due_at") ?? 0
            let left = ServiceDeadline.timeLeft(due: due, now: now)
            return InboxItem(title: (left.overdue ? "【超时】退货未按时到达客户处" : "退货待到达客户处") + "：\(r.string("customer_name") ?? "") \(DocNo.returnOrder(r.int("id") ?? 0))",
                             detail: "003 §6.2 到达时限 " + left.text, url: "/service/returns/\(r.int("id") ?? 0)",
                             due: Date(timeIntervalSince1970: TimeInterval(due)), urgent: left.overdue)
        }
        var mine = Set<Int64>()
        if user.can(register) {
            for r in try ctx.db.query("""
                SELECT id, customer_name, arrival_due_at FROM service_returns
                WHERE (created_by = \(user.id) OR owner_id = \(user.id)) AND \(awaitingArrival) ORDER BY arrival_due_at, id LIMIT 200
                """) {
                mine.insert(r.int("id") ?? 0)
                items.append(arrivalItem(r))
            }
        }
        if user.can(oversee) {
            let dir = try ServiceUtil.directory(ctx)
            for r in try ctx.db.query("""
                SELECT id, customer_id, customer_name, arrival_due_at FROM service_returns
                WHERE \(awaitingArrival) AND arrival_due_at < \(now) ORDER BY arrival_due_at, id LIMIT 200
                """) where !mine.contains(r.int("id") ?? 0) {
                guard try dir.maySee(customerID: r.int("customer_id") ?? 0, ctx) else { continue }
                items.append(arrivalItem(r))
            }
        }
        return items
    }

    /// Returns (alias-free) whose rep has a deadline and has not recorded the arrival, still open.
    static let awaitingArrival: SQL = "arrived_at IS NULL AND arrival_due_at IS NOT NULL AND state NOT IN ('refused', 'settled')"

    /// 003 §6.2: the arrival is recorded by a holder of `return_register` who registered the
    /// return or may see its customer (not by the departments that see every return).
    static func mayRecordArrival(_ r: Row, _ ctx: Context) throws -> Bool {
        guard ctx.can(register), let user = ctx.user else { return false }
        if r.int("created_by") == user.id || r.int("owner_id") == user.id { return true }
        return try ServiceUtil.directory(ctx).maySee(customerID: r.int("customer_id") ?? 0, ctx)
    }

    /// The return, if the user may see it: the departments in the flow and holders of
    /// `complaint_view_all` see all; others through the customer (CustomerDirectory) or as registrant.
    static func load(_ id: Int64, _ ctx: Context) throws -> Row {
        guard let r = try ctx.db.first("SELECT * FROM service_returns WHERE id = \(id)") else { throw HTTPError.notFound }
        let user = try ctx.requireUser()
        if seesAll(ctx) || r.int("created_by") == user.id { return r }
        guard try ServiceUtil.directory(ctx).maySee(customerID: r.int("customer_id") ?? 0, ctx) else { throw HTTPError.forbidden }
        return r
    }

    static func seesAll(_ ctx: Context) -> Bool {
        ctx.can(ComplaintPages.viewAll) || ctx.can(verify) || ctx.can(receive) || ctx.can(settle)
    }
}
