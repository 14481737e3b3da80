import CustomerDevelopmentAPI
import Foundation
import SalesKit

/// Applying an approved contract change (003 §3.9–§3.12, RULES §6 "Contract changes are applied"):
/// the decisions are in the comment of `OrderChange.swift`.
enum OrderChangeApply {
    /// A line change as the form gives it, checked against the order.
    struct LineChange {
        var lineID: Int64
        var lineNo: Int64
        var product: String
        var oldQty: Int64
        var oldPriceFen: Int64
        var oldSpec: String
        var newQty: Int64?
        var newPriceFen: Int64?
        var newSpec: String?
    }

    /// The form's line rows against the order's lines: each names an existing, not fully delivered
    /// line once, changes at least one of quantity, price, specification, and keeps the quantity at
    /// or above what was delivered (422 on the field otherwise).
    static func lines(_ v: FormValues, orderID: Int64, _ ctx: Context) throws -> [LineChange] {
        var errors: [FormError] = []
        var out: [LineChange] = []
        var seen = Set<Int64>()
        for row in v.rows("lines") {
            let index = row.int("_index") ?? 0
            let field = "lines.\(index)"
            guard let no = row.int("line_no") else { continue }
            guard let l = try ctx.db.first("SELECT * FROM order_lines WHERE order_id = \(orderID) AND line_no = \(no)") else {
                errors.append(FormError(field: "\(field).line_no", "订单没有第 \(no) 行"))
                continue
            }
            guard seen.insert(no).inserted else {
                errors.append(FormError(field: "\(field).line_no", "第 \(no) 行重复"))
                continue
            }
            let qty = l.int("qty") ?? 0, delivered = l.int("delivered_qty") ?? 0
            let newQty = row.int("qty"), newPrice = row.money("price"), newSpec = row.optionalString("spec")
            if newQty == nil && newPrice == nil && newSpec == nil {
                errors.append(FormError(field: "\(field).qty", "请填写第 \(no) 行变更后的数量、单价或规格"))
                continue
            }
            if delivered >= qty {
                errors.append(FormError(field: "\(field).line_no", "第 \(no) 行已全部交货，不能变更"))
                continue
            }
            if let newQty, newQty < delivered {
                errors.append(FormError(field: "\(field).qty", "第 \(no) 行已交货 \(delivered)，变更后数量不能少于已交货数量"))
                continue
            }
            out.append(LineChange(lineID: try l.requireInt("id"), lineNo: no, product: l.text("product"), oldQty: qty,
                                  oldPriceFen: l.int("unit_price_fen") ?? 0, oldSpec: l.text("spec"),
                                  newQty: newQty, newPriceFen: newPrice, newSpec: newSpec))
        }
        if !errors.isEmpty { throw FormRejection(errors) }
        return out
    }

    static func insert(_ changeID: Int64, _ lines: [LineChange], _ ctx: Context) throws {
        for l in lines {
            try ctx.db.execute("""
                INSERT INTO order_change_lines (change_id, line_id, new_qty, new_price_fen, new_spec, old_qty, old_price_fen, old_spec)
                VALUES (\(changeID), \(l.lineID), \(l.newQty), \(l.newPriceFen), \(l.newSpec), \(l.oldQty), \(l.oldPriceFen), \(l.oldSpec))
                """)
        }
    }

    /// "第1行 阀门：数量 10 → 12；单价 ¥100.00 → ¥95.00" for each line of a change.
    static func describe(_ changeID: Int64, _ ctx: Context) throws -> [String] {
        try ctx.db.query("""
            SELECT c.*, l.line_no, l.product FROM order_change_lines c JOIN order_lines l ON l.id = c.line_id
            WHERE c.change_id = \(changeID) ORDER BY l.line_no
            """).map { r in
            var parts: [String] = []
            if let q = r.int("new_qty") { parts.append("数量 \(r.int("old_qty") ?? 0) → \(q)") }
            if let p = r.int("new_price_fen") { parts.append("单价 ¥\(Money.format(r.int("old_price_fen") ?? 0)) → ¥\(Money.format(p))") }
            if let s = r.nonEmpty("new_spec") { parts.append("规格 \(r.text("old_spec")) → \(s)") }
            return "第\(r.int("line_no") ?? 0)行 \(r.text("product"))：" + parts.joined(separator: "；")
        }
    }

    /// Applies an approved change to the open order lines, the order's totals and planned
    /// delivery, and the contract's matching lines; re-checks the warning line when the order's
    /// value rises (409 over it). Runs inside the approving transaction; returns what changed.
    static func apply(_ change: Row, _ ctx: Context) throws -> String {
        let cid = try change.requireInt("id")
        guard let o = try ctx.db.first("SELECT * FROM order_orders WHERE id = \(change.int("order_id") ?? 0)") else { throw HTTPError.notFound }
        let oid = try o.requireInt("id")
        let orderState = OrderUtil.state(o)
        guard OrderChangeFlow.changeable.contains(orderState) else {
            throw HTTPError.conflict("订单已是「\(orderState.title)」，变更不能再执行，请驳回。")
        }
        let contractID = o.int("contract_id")
        var notes: [String] = []
        let changes = try ctx.db.query("SELECT * FROM order_change_lines WHERE change_id = \(cid) ORDER BY id")
        for ch in changes {
            guard let l = try ctx.db.first("SELECT * FROM order_lines WHERE id = \(ch.int("line_id") ?? 0) AND order_id = \(oid)") else { continue }
            let lineNo = l.int("line_no") ?? 0
            let oldQty = l.int("qty") ?? 0, oldPrice = l.int("unit_price_fen") ?? 0, oldSpec = l.text("spec")
            let delivered = l.int("delivered_qty") ?? 0
            let newQty = ch.int("new_qty") ?? oldQty
            let newPrice = ch.int("new_price_fen") ?? oldPrice
            let newSpec = ch.nonEmpty("new_spec") ?? oldSpec
            guard newQty >= delivered else {
                throw HTTPError.conflict("第\(lineNo)行已交货 \(delivered)，多于变更后数量 \(newQty)：变更不能执行，请驳回后重新申请。")
            }
            // The delivered part keeps its price; what remains is at the new price.
            guard let deliveredValue = Money.times(oldPrice, delivered), let open = Money.times(newPrice, newQty - delivered),
                  let amount = Money.sum([deliveredValue, open]) else {
                throw HTTPError.conflict("第\(lineNo)行变更后金额超出范围。")
            }
            try ctx.db.execute("""
                UPDATE order_lines SET qty = \(newQty), unit_price_fen = \(newPrice), spec = \(newSpec), amount_fen = \(amount)
                WHERE id = \(l.int("id") ?? 0)
                """)
            var parts: [String] = []
            if newQty != oldQty { parts.append("数量 \(oldQty) → \(newQty)") }
            if newPrice != oldPrice { parts.append("单价 ¥\(Money.format(oldPrice)) → ¥\(Money.format(newPrice))（未交货部分）") }
            if newSpec != oldSpec { parts.append("规格 \(oldSpec) → \(newSpec)") }
            notes.append("第\(lineNo)行 \(l.text("product"))：" + (parts.isEmpty ? "无变化" : parts.joined(separator: "；")))
            // The contract's line for that product (RULES §6: the change updates the contract too).
            if let contractID, let k = try ctx.db.first("""
                SELECT * FROM order_contract_lines WHERE contract_id = \(contractID) AND product = \(l.text("product")) AND spec = \(oldSpec)
                ORDER BY id LIMIT 1
                """) {
                let agreed = try k.int("qty").map { max(1, try Stored.add($0, try Stored.subtract(newQty, oldQty))) }
                try ctx.db.execute("""
                    UPDATE order_contract_lines SET unit_price_fen = \(newPrice), spec = \(newSpec), qty = \(agreed) WHERE id = \(k.int("id") ?? 0)
                    """)
            }
        }
        // The order's totals from its lines.
        let oldTotal = o.int("total_fen") ?? 0
        let sums = try ctx.db.first("SELECT COALESCE(SUM(qty), 0) AS q, COALESCE(SUM(amount_fen), 0) AS a FROM order_lines WHERE order_id = \(oid)")
        let newTotal = sums?.int("a") ?? 0
        try ctx.db.execute("""
            UPDATE order_orders SET total_qty = \(sums?.int("q") ?? 0), total_fen = \(newTotal),
                planned_delivery = COALESCE(\(change.string("new_planned_delivery")), planned_delivery), updated_at = \(ctx.epoch)
            WHERE id = \(oid)
            """)
        if let d = change.string("new_planned_delivery") { notes.append("预定交货日期 \(o.text("planned_delivery")) → \(d)") }
        if newTotal != oldTotal { notes.append("订单金额 ¥\(Money.format(oldTotal)) → ¥\(Money.format(newTotal))") }
        // 003 §4.1.2 / §4.2: a higher value is checked against the warning line in this transaction.
        if newTotal > oldTotal {
            notes.append(try recheckLine(o, newTotal: newTotal, changeID: cid, ctx))
        }
        let text = notes.joined(separator: "；")
        try ctx.db.execute("UPDATE order_changes SET applied_text = \(text) WHERE id = \(cid)")
        if let contractID, !changes.isEmpty {
            try ctx.audit(AuditEntry(entity: "order.contract", entityID: String(contractID), action: "change",
                                     reason: "合同变更 \(OrderDocNo.change(cid))（订单 \(o.text("order_no"))）经总经理批准：" + text))
        }
        return text
    }

    /// The warning line after the change: refused (409) over it, or for a customer without one.
    static func recheckLine(_ o: Row, newTotal: Int64, changeID: Int64, _ ctx: Context) throws -> String {
        let oid = try o.requireInt("id")
        let customerID = o.int("customer_id") ?? 0
        let dir = try OrderUtil.directory(ctx)
        let c = try dir.customer(id: customerID, ctx)
        let cls = c?.ratingClass ?? ""
        guard let line = cls.isEmpty ? nil : try dir.classPolicy(cls, ctx)?.warningLineFen else {
            throw HTTPError.conflict("客户类别为「\(cls.isEmpty ? "未评定" : cls)」，无销售警戒线，不予供货：增加订单金额的变更不能批准（003 §4.1.2）。")
        }
        let bal = try OrderChecks.balance(customer: customerID, today: ctx.today, ctx)
        // Committed orders not yet shipped, this one at its new value, less its earmarked advance.
        let open = try OrderChecks.openOrdersFen(customer: customerID, excluding: nil, ctx)
        let advance = max(0, try Ledger.orderAdvance(oid, ctx))
        let exposure = try Stored.subtract(try Stored.add(bal.outstandingFen, open), advance)
        let text = "应收余额 ¥\(Money.format(bal.outstandingFen)) + 未发货订单（含变更后本单）¥\(Money.format(open))"
            + (advance > 0 ? " − 预收 ¥\(Money.format(advance))" : "") + " = ¥\(Money.format(exposure))；\(cls) 类警戒线 ¥\(Money.format(line))"
        if exposure > line {
            let over = try Stored.subtract(exposure, line)
            throw HTTPError.conflict("变更后\(text)，超出 ¥\(Money.format(over))：批准变更不等于超警戒线审批，变更不能批准。"
                                     + "请待客户回款后再批准，或驳回变更（003 §4.1.2、§4.2）。")
        }
        try ctx.db.execute("""
            UPDATE order_orders SET exposure_fen = \(exposure), line_fen = \(line), over_fen = 0,
                credit_result = \(o.text("credit_result") + "；合同变更 \(OrderDocNo.change(changeID)) 后：\(text)，未超出") WHERE id = \(oid)
            """)
        return "警戒线复核：\(text)，未超出"
    }
}
