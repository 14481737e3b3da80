import Foundation
import SalesKit

/// Price control (001 篇一 1.6, 第十三条; RULES §6 "Price cuts need consent"): an order line priced
/// below its reference — the agreed price of the order's contract for that product, or where the
/// contract has none the product master's list price — by more than the allowed floating
/// percentage (a policy value, default 0 %) needs the 销售经理's approval with a reason, recorded
/// like the GM's warning-line approval. A line outside the master and the contract has no
/// reference and is not checked (it is marked 目录外 and may go to 技术部, 001 篇二 §6.2).
///
/// **Decision:** the floor is reference × (100 − float %) ÷ 100, rounded up to the 分; a price equal
/// to the floor passes. The float is a whole percentage 0–100.
enum PriceControl {
    /// Approve a line below the contract or list price (001 篇一 1.6: no price cut without the manager's consent).
    static let approve = Permission("order", "price_approve", title: "销售经理：批准低于合同价/价格表的订单（001 篇一 1.6）",
                                    defaultRoles: [.salesManager])
    /// Keep the order module's policy values (the allowed floating percentage).
    static let policy = Permission("order", "policy", title: "订货政策（价格允许下浮比例）", defaultRoles: [.admin])

    static let policyForm = FormSchema([
        FormField("price_float_pct", "允许下浮比例（%）", .integer, required: true, rules: [.range(0, 100)],
                  help: "订单单价低于合同价（无合同价时为价格表单价）超过此比例，须销售经理批准；0 表示不得低于"),
    ])

    /// A line as the check sees it.
    struct Line {
        var lineNo: Int
        var product: String
        var spec: String
        var priceFen: Int64
    }

    /// A line's reference and verdict.
    struct Checked {
        var refFen: Int64?
        /// `contract` or `list`.
        var source: String?
        var below: Bool
    }

    struct Result {
        var lines: [Checked]
        var below: Bool
        var text: String
    }

    static func sourceTitle(_ s: String?) -> String { s == "contract" ? "合同价" : "价格表" }

    /// The allowed floating percentage (policy row 1).
    static func floatPercent(_ ctx: Context) throws -> Int64 {
        min(100, max(0, try ctx.db.scalar("SELECT price_float_pct FROM order_policy WHERE id = 1") ?? 0))
    }

    /// The agreed price of a contract for a product (RULES §6 "Contracts carry their terms"), if any.
    static func contractPrice(_ contractID: Int64, product: String, spec: String, _ ctx: Context) throws -> Int64? {
        try ctx.db.scalar("""
            SELECT unit_price_fen FROM order_contract_lines WHERE contract_id = \(contractID) AND product = \(product) AND spec = \(spec)
            ORDER BY id LIMIT 1
            """)
    }

    static func check(_ lines: [Line], contractID: Int64?, _ ctx: Context) throws -> Result {
        let pct = try floatPercent(ctx)
        var out: [Checked] = []
        var notes: [String] = []
        var referenced = 0
        for l in lines {
            var ref: Int64?, source: String?
            if let contractID, let c = try contractPrice(contractID, product: l.product, spec: l.spec, ctx) {
                ref = c
                source = "contract"
            } else if let p = try ProductPages.lookup(name: l.product, spec: l.spec, ctx) {
                ref = p.listPriceFen
                source = "list"
            }
            guard let ref else {
                out.append(Checked(refFen: nil, source: nil, below: false))
                continue
            }
            referenced += 1
            // price × 100 < ref × (100 − pct): checked products, never a trap on stored values.
            let scaledFloor = try Stored.multiply(ref, 100 - pct)
            let below = try Stored.multiply(l.priceFen, 100) < scaledFloor
            out.append(Checked(refFen: ref, source: source, below: below))
            if below {
                let floor = try Stored.add(scaledFloor, 99) / 100
                notes.append("第\(l.lineNo)行 \(l.product)\(l.spec.isEmpty ? "" : " " + l.spec) 单价 ¥\(Money.format(l.priceFen)) "
                             + "低于\(sourceTitle(source)) ¥\(Money.format(ref))（允许下浮 \(pct)%，最低 ¥\(Money.format(floor))）")
            }
        }
        let text: String
        if !notes.isEmpty {
            text = notes.joined(separator: "；")
        } else if referenced > 0 {
            text = "各行单价不低于合同价/价格表（允许下浮 \(pct)%）"
        } else {
            text = "明细均不在合同或产品目录中，无参考价格，未核查（目录外品种）"
        }
        return Result(lines: out, below: !notes.isEmpty, text: text)
    }

    /// The text a recorded approval adds to the check ("已经销售经理 王经理 批准：理由"), if the order has one.
    static func approval(orderID: Int64, _ ctx: Context) throws -> String? {
        guard let a = try ctx.db.first("""
            SELECT approver_name, reason FROM order_approvals WHERE order_id = \(orderID) AND kind = 'price' AND decision = 'approved'
            ORDER BY id DESC LIMIT 1
            """) else { return nil }
        return "低价已经销售经理 \(a.text("approver_name")) 批准：\(a.text("reason"))"
    }

    /// The policy page (admin).
    static let policyPage: Handler = { req, ctx in
        let pct = try floatPercent(ctx)
        return try ctx.handleForm(policyForm, title: "订货政策", initial: FormData([("price_float_pct", String(pct))]), page: {
            OrderLedgerPages.EntryFormPage(heading: "订货政策",
                                           intro: "价格控制（001 篇一 1.6、第十三条）：订单单价低于合同价（无合同价时为价格表单价）超过允许下浮比例的，须销售经理批准并写明理由。",
                                           button: "保存", back: "/order/products", form: $0)
        }) { v in
            let to = try v.requireInt("price_float_pct")
            try ctx.db.transaction {
                try ctx.db.execute("""
                    UPDATE order_policy SET price_float_pct = \(to), updated_by = \(try ctx.requireUser().id), updated_at = \(ctx.epoch) WHERE id = 1
                    """)
                try ctx.audit(AuditEntry(entity: "order.policy", entityID: "1", action: "edit", from: "允许下浮 \(pct)%", to: "允许下浮 \(to)%"))
            }
            return .redirect(to: "/order/policy")
        }
    }
}
