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

    static let permissions: [Permission] = [view, register, verify, receive, settle]
    static let menu: [MenuItem] = [
        MenuItem("退货", path: "returns", access: .permission(view)),
        MenuItem("登记退货", path: "returns/new", access: .permission(register)),
    ]


    enum State: String, Sendable, CaseIterable { case registered, listed, approved, received, settled }
    static let stateTitles = ["registered": "已登记", "listed": "退货清单已核对", "approved": "已签发准予退回通知单",
                              "received": "已入退货库", "settled": "已结算"]
    static let reasons = [
        Choice("6.1.1", "6.1.1 交货验收时发现与订货不符"), Choice("6.1.2", "6.1.2 组装时发现质量问题"),
        Choice("6.1.3", "6.1.3 清仓／存放过久／已不适用"), Choice("6.1.4", "6.1.4 客户停业、合并或转业"),
        Choice("6.1.5", "6.1.5 三包退货"),
    ]
    static func reasonTitle(_ code: String) -> String { reasons.first { $0.value == code }?.label ?? code }

    static let flow = StateMachine<State>(entity: "service.return", transitions: [
        .init("list", from: [.registered, .listed], to: .listed, permission: register, title: "编制退货清单并与客户核对"),
        .init("notice", from: [.listed], to: .approved, permission: verify, title: "签发准予退回通知单"),
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

    static let noticeForm = FormSchema([
        FormField("opinion", "品质部核实意见", .textarea, required: true, rules: [.length(min: 2, max: 2000)]),
    ])

    static func receiveForm(lines: [Row]) -> FormSchema {
        let fields = lines.map { l in
            FormField("recv_\(l.int("id") ?? 0)", "\(l.string("product") ?? "") \(l.string("spec") ?? "")（清单 \(l.int("quantity") ?? 0)）实收",
                      .integer, required: true, rules: [.range(0, 10_000_000)])
        }
        let listed = lines.map { ("recv_\($0.int("id") ?? 0)", $0.int("quantity") ?? 0) }
        return FormSchema(fields + [FormField("discrepancy_note", "差异说明（实收多于清单时必填）", .textarea, rules: [.length(min: nil, max: 2000)])],
                          checks: [{ v in
            guard v.string("discrepancy_note").isEmpty else { return [] }
            return listed.compactMap { name, qty in
                (v.int(name) ?? 0) > qty ? FormError(field: name, "实收多于退货清单（\(qty)），须填写差异说明") : nil
            }
        }])
    }

    static let settleForm = FormSchema([
        FormField("note", "结算说明", .textarea, rules: [.length(min: nil, max: 1000)]),
    ])

    static let forms: [String: FormSchema] = [
        "return": registerForm(customers: []), "return-list": listForm, "return-notice": noticeForm,
        "return-receive": receiveForm(lines: []), "return-settle": settleForm,
    ]

    static func routes(_ r: inout RouteBuilder) {
        r.get("returns", .permission(view), ReturnViews.list)
        r.form("returns/new", .permission(register), ReturnViews.create)
        r.get("returns/:id", .permission(view), ReturnViews.detail)
        r.get("returns/:id/print", .permission(view), ReturnViews.print)
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
                items.append(InboxItem(title: "\(title)：\(r.string("customer_name") ?? "") #\(r.int("id") ?? 0)",
                                       url: "/service/returns/\(r.int("id") ?? 0)"))
            }
        }
        return items
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
