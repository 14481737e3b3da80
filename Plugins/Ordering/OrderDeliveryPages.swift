import Foundation
import SalesKit

/// Production scheduling (002 §4 生产部) and partial deliveries (分批交货) with the 24-hour
/// delivery/acceptance paperwork (003 §4.3.5–§4.3.6). Shipped value goes into receivables.
enum OrderDeliveryPages {
    static func addDays(_ d: LocalDate, _ days: Int, _ ctx: Context) -> LocalDate {
        // Noon avoids any daylight-saving edge in the company zone.
        LocalDate(date: d.start(in: ctx.timeZone).addingTimeInterval(Double(days) * 86_400 + 43_200), timeZone: ctx.timeZone)
    }

    /// 生产部 schedules a released order.
    struct SchedulePage: PageModel {
        static let template = "order-schedule"
        var o: OrderRecord
        var form: FormView
    }

    /// A partial delivery: the header fields, then one quantity per order line with what remains.
    struct DeliveryPage: PageModel {
        static let template = "order-delivery"

        /// The form's fields laid out by hand (`{{#field.deliveredOn}}{{>form/field}}…`).
        struct Fields: TemplateModel {
            var deliveredOn: FieldView
            var arrivedAt: FieldView
            var note: FieldView
            var lines: FieldView

            init(_ form: FormView) throws {
                deliveredOn = try form.field("delivered_on")
                arrivedAt = try form.field("arrived_at")
                note = try form.field("note")
                lines = try form.field("lines")
            }
        }

        struct Line: TemplateModel {
            var index: Int
            var lineID: Int64
            var lineNo: Int64
            var product: String
            var spec: String
            var qty: Int64
            var remaining: Int64
            var value: String
            var error: String
            var hasError: Bool
        }

        var o: OrderRecord
        var form: FormView
        var field: Fields
        var rows: [Line]
    }

    static let schedule: Handler = { req, ctx in
        let o = try OrderUtil.load(try req.id(), ctx)
        let id = try o.requireInt("id")
        let state = OrderUtil.state(o)
        guard [.released, .scheduled, .delivering].contains(state) else {
            throw HTTPError.conflict("只有已下达的订单才能排产（销售计划下达表是生产的唯一指令，003 §4.3.3）。")
        }
        let initial = FormData([("sched_start", o.string("sched_start") ?? ""), ("sched_end", o.string("sched_end") ?? "")])
        return try ctx.handleForm(OrderForms.schedule, title: "排产", initial: initial,
                                  page: { SchedulePage(o: OrderRecord(o), form: $0) }) { v in
            let to: OrderState = state == .released ? .scheduled : state
            try ctx.db.transaction {
                let changed = try ctx.db.execute("""
                    UPDATE order_orders SET sched_start = \(v.string("sched_start")), sched_end = \(v.string("sched_end")),
                        state = \(to.rawValue), updated_at = \(ctx.epoch)
                    WHERE id = \(id) AND state = \(state.rawValue)
                    """)
                guard changed == 1 else { throw HTTPError.conflict("订单状态已被他人修改，请刷新后重试。") }
                try ctx.audit(AuditEntry(entity: "order.order", entityID: String(id), action: "schedule", from: state.rawValue, to: to.rawValue,
                                         reason: "排产 \(v.string("sched_start")) 至 \(v.string("sched_end"))"))
            }
            return .redirect(to: "/order/orders/\(id)")
        }
    }

    static let create: Handler = { req, ctx in
        let o = try OrderUtil.load(try req.id(), ctx)
        let id = try o.requireInt("id")
        let state = OrderUtil.state(o)
        guard [.released, .scheduled, .delivering].contains(state) else {
            throw HTTPError.conflict("只有已下达、未全部交货的订单才能登记交货。")
        }
        let lines = try ctx.db.query("SELECT * FROM order_lines WHERE order_id = \(id) ORDER BY line_no")
        let remainingByLine = try lines.map { try Stored.subtract($0.int("qty") ?? 0, $0.int("delivered_qty") ?? 0) }
        var initial = FormData([("delivered_on", ctx.today.description)])
        for (i, l) in lines.enumerated() { initial.append("lines.\(i).line_id", String(l.int("id") ?? 0)) }
        var bound = req.method == "POST" ? OrderForms.delivery.bind(req.form, today: ctx.today) : OrderForms.delivery.blank(initial, today: ctx.today)
        let raw = bound.raw

        func page(_ b: BoundForm, status: Int) throws -> Response {
            let rows = lines.enumerated().map { (i, l) in
                let key = "lines.\(i).qty"
                return DeliveryPage.Line(index: i, lineID: l.int("id") ?? 0, lineNo: l.int("line_no") ?? 0, product: l.text("product"),
                                         spec: l.text("spec"), qty: l.int("qty") ?? 0, remaining: remainingByLine[i],
                                         value: raw[key] ?? "", error: b.errors[key] ?? "", hasError: b.errors[key] != nil)
            }
            let form = b.view()
            return ctx.render(DeliveryPage(o: OrderRecord(o), form: form, field: try DeliveryPage.Fields(form), rows: rows),
                              title: "登记分批交货", status: status)
        }
        guard req.method == "POST" else { return try page(bound, status: 200) }
        guard let v = bound.values else { return try page(bound, status: 422) }

        // Each quantity against what remains of its line (a delivery exceeding it → 422 on that line).
        var picked: [(line: Row, qty: Int64)] = []
        for row in v.rows("lines") {
            let index = row.int("_index") ?? 0
            guard let line = lines.first(where: { $0.int("id") == row.int("line_id") }) else {
                bound.addError(FormError(field: "lines.\(index).qty", "不是本订单的明细行"))
                continue
            }
            let qty = row.int("qty") ?? 0
            let remaining = try Stored.subtract(line.int("qty") ?? 0, line.int("delivered_qty") ?? 0)
            if qty > remaining {
                bound.addError(FormError(field: "lines.\(index).qty", "超过剩余数量 \(remaining)"))
            } else if qty > 0 {
                picked.append((line, qty))
            }
        }
        if bound.errors.isEmpty && picked.isEmpty { bound.addError(FormError("请至少填写一行本批交货数量")) }
        var arrived: Int64?
        if let text = v.optionalString("arrived_at") {
            arrived = OrderUtil.parseLocalTime(text, ctx)
            if arrived == nil { bound.addError(FormError(field: "arrived_at", "格式为 YYYY-MM-DD HH:MM")) }
        }
        if !bound.errors.isEmpty || !bound.formErrors.isEmpty { return try page(bound, status: 422) }

        let deliveredOn = v.date("delivered_on") ?? ctx.today
        let now = ctx.epoch
        // Quantity (form, ≤ 10⁸) × stored unit price: checked, never a trap.
        let value = try Stored.total(try picked.map { try Stored.multiply($0.qty, $0.line.int("unit_price_fen") ?? 0) })
        do {
            try ctx.db.transaction {
                let did = try ctx.db.insert("""
                    INSERT INTO order_deliveries (order_id, delivered_on, arrived_at, value_fen, note, created_by, created_at)
                    VALUES (\(id), \(deliveredOn.description), \(arrived), \(value), \(v.optionalString("note")), \(try ctx.requireUser().id), \(now))
                    RETURNING id
                    """)
                for p in picked {
                    // The guard in WHERE keeps a concurrent delivery from exceeding the line.
                    let ok = try ctx.db.execute("""
                        UPDATE order_lines SET delivered_qty = delivered_qty + \(p.qty)
                        WHERE id = \(p.line.int("id") ?? 0) AND delivered_qty + \(p.qty) <= qty
                        """)
                    guard ok == 1 else { throw FormRejection(field: "lines", "交货数量已被他人登记，超过剩余数量，请刷新后重试") }
                    try ctx.db.execute("INSERT INTO order_delivery_lines (delivery_id, line_id, qty) VALUES (\(did), \(p.line.int("id") ?? 0), \(p.qty))")
                }
                let left = try ctx.db.scalar("SELECT COALESCE(SUM(qty - delivered_qty), 0) FROM order_lines WHERE order_id = \(id)") ?? 0
                guard let fresh = try ctx.db.first("SELECT state FROM order_orders WHERE id = \(id)") else { throw HTTPError.notFound }
                let current = OrderUtil.state(fresh)
                let to: OrderState = left == 0 ? .delivered : .delivering
                try ctx.db.execute("""
                    UPDATE order_orders SET delivered_fen = delivered_fen + \(value), state = \(to.rawValue), updated_at = \(now) WHERE id = \(id)
                    """)
                // Shipped value is a receivable, due after the order's payment term; advances
                // (a sporadic customer's prepayment) are settled against it at once (RULES §6).
                let due = addDays(deliveredOn, Int(o.int("pay_days") ?? 30), ctx)
                try Ledger.ship(customer: o.int("customer_id") ?? 0, orderID: id, orderNo: o.string("order_no") ?? "", deliveryID: did,
                                amountFen: value, on: deliveredOn, due: due, ctx)
                try ctx.audit(AuditEntry(entity: "order.order", entityID: String(id), action: "deliver", from: current.rawValue, to: to.rawValue,
                                         reason: "分批交货 \(OrderDocNo.delivery(did))：" + picked.map { "第\($0.line.int("line_no") ?? 0)行 \($0.qty)" }.joined(separator: "，")
                                            + "，金额 ¥\(Money.format(value))"))
            }
        } catch let r as FormRejection {
            for e in r.errors { bound.addError(e) }
            return try page(bound, status: 422)
        }
        return .redirect(to: "/order/orders/\(id)")
    }

    /// Completes the delivery/acceptance paperwork; more than 24 hours after arrival is late (003 §4.3.6).
    static let accept: Handler = { req, ctx in
        let o = try OrderUtil.load(try req.id(), ctx)
        let id = try o.requireInt("id")
        let did = try req.id("did")
        let path = "/order/orders/\(id)"
        guard let d = try ctx.db.first("SELECT * FROM order_deliveries WHERE id = \(did) AND order_id = \(id)") else { throw HTTPError.notFound }
        guard d.int("accepted_at") == nil else { return OrderUtil.back(path, error: "该批交货的手续已完成。") }
        var arrived = d.int("arrived_at")
        if arrived == nil {
            guard let text = req.form["arrived_at"], let t = OrderUtil.parseLocalTime(text, ctx) else {
                return OrderUtil.back(path, error: "请填写到货时间（YYYY-MM-DD HH:MM）。")
            }
            arrived = t
        }
        let now = ctx.epoch
        guard let arrivedAt = arrived, arrivedAt <= now else { return OrderUtil.back(path, error: "到货时间不能晚于现在。") }
        let late = arrivedAt < now - 86_400   // now is the clock: no overflow on a stored value
        try ctx.db.transaction {
            let changed = try ctx.db.execute("""
                UPDATE order_deliveries SET arrived_at = \(arrivedAt), accepted_at = \(now), late = \(late)
                WHERE id = \(did) AND accepted_at IS NULL
                """)
            guard changed == 1 else { throw HTTPError.conflict("该批交货的手续已被他人完成。") }
            try ctx.audit(AuditEntry(entity: "order.delivery", entityID: String(did), action: "accept", to: late ? "late" : "on_time",
                                     reason: "订单 \(o.string("order_no") ?? "")：交、验货手续完成" + (late ? "（超过到货后 24 小时）" : "")))
        }
        return .redirect(to: path)
    }
}
