import CustomerDevelopmentAPI
import Foundation
import OrderingAPI
import SalesKit

/// Intake (002 §3.1–§3.2, 003 §4.3.1): the 订货登记表 with its 订货单 lines, recorded with the
/// channel; the checks run and the order is inserted in one transaction.
enum OrderIntake {
    struct Line {
        var index: Int64
        var values: FormValues
        var qty: Int64
        var priceFen: Int64
        var amountFen: Int64
        /// The product master entry the line names (品名 + 规格), nil for free text.
        var product: ProductInfo?
    }

    /// The lines with their amounts and their product (looked up by the UNIQUE 品名 + 规格, so no
    /// scan on the write path). An inactive product is refused on its line; a line outside the
    /// master stays possible (a variant never made, 001 篇二 §6.2) and is shown as 目录外.
    static func lines(_ v: FormValues, _ ctx: Context) throws -> [Line] {
        var errors: [FormError] = []
        let ls = try v.rows("lines").map { row in
            let qty = row.int("qty") ?? 0, price = row.money("price") ?? 0, index = row.int("_index") ?? 0
            // qty ≤ 10⁸ and price ≤ ¥10⁹: the product can pass Int64 — a field error, never a trap.
            guard let amount = Money.times(price, qty) else {
                throw FormRejection(field: "lines.\(index).qty", "金额（数量 × 单价）超出范围")
            }
            let product = try ProductPages.lookup(name: row.string("product"), spec: row.string("spec"), ctx)
            if let product, !product.active {
                errors.append(FormError(field: "lines.\(index).product", "产品目录中「\(product.name) \(product.spec)」已停用，不能订货"))
            }
            return Line(index: index, values: row, qty: qty, priceFen: price, amountFen: amount, product: product)
        }
        if !errors.isEmpty { throw FormRejection(errors) }
        return ls
    }

    /// The customer behind a code, if this user may order for it (an approved customer they may see).
    static func customer(code: String, field: String, _ ctx: Context) throws -> CustomerInfo {
        let dir = try OrderUtil.directory(ctx)
        guard let c = try dir.customer(code: code, ctx), try dir.maySee(customerID: c.id, ctx) else {
            throw FormRejection(field: field, "没有此客户代码，或不是您负责的客户")
        }
        guard c.status == "customer" else { throw FormRejection(field: field, "该客户尚未通过认定，不能订货（002 §7）") }
        return c
    }

    /// 订货登记表 / 订货单, with the customers this user may order for. The lines are laid out here
    /// (not by `form/fields`) so that 品名 and 规格 offer the product master as a `<datalist>` —
    /// plain HTML, no JavaScript; free text stays possible.
    struct OrderFormPage: PageModel {
        static let template = "order-form"

        struct Product: TemplateModel {
            var name: String
            var label: String
        }

        /// One cell of a line: 品名 and 规格 get the product lists, the rest the shared input.
        struct LineCell: TemplateModel {
            var cell: CellView
            var isProduct: Bool
            var isSpec: Bool
            var plain: Bool
        }

        struct LineRow: TemplateModel {
            var number: Int
            var cells: [LineCell]
        }

        struct Lines: TemplateModel {
            var label: String
            var error: String
            var hasError: Bool
            var columns: [FieldView.Column]
            var rows: [LineRow]
            /// Some cell has an error: the form's top lists them, each linking to its cell.
            var hasCellErrors: Bool
        }

        /// Every field but the lines.
        var form: FormView
        var lines: Lines
        var products: [Product]
        var specs: [String]

        init(form full: FormView, products: [ProductInfo]) {
            var head = full
            head.fields = full.fields.filter { !$0.isRows }
            form = head
            let l = full.fields.first { $0.isRows }
            lines = Lines(label: l?.label ?? "订货单明细", error: l?.error ?? "", hasError: l?.hasError ?? false, columns: l?.columns ?? [],
                          rows: (l?.rows ?? []).map { r in
                              LineRow(number: r.number, cells: r.cells.map { c in
                                  let product = c.name.hasSuffix(".product"), spec = c.name.hasSuffix(".spec")
                                  return LineCell(cell: c, isProduct: product, isSpec: spec, plain: !product && !spec)
                              })
                          },
                          hasCellErrors: (l?.rows ?? []).contains { $0.cells.contains(where: \.hasError) })
            self.products = products.map {
                Product(name: $0.name, label: [$0.spec, $0.unit, "¥" + Money.format($0.listPriceFen)].filter { !$0.isEmpty }.joined(separator: " "))
            }
            var seen = Set<String>()
            specs = products.map(\.spec).filter { !$0.isEmpty && seen.insert($0).inserted }
        }
    }

    static let create: Handler = { req, ctx in
        let dir = try OrderUtil.directory(ctx)
        var initial = FormData([("received_on", ctx.today.description), ("pay_days", "30")])
        if let code = req.query["customer"] { initial.append("customer_code", code) }
        return try ctx.handleForm(OrderForms.order, title: "登记订单（订货登记表）", initial: initial, page: { form in
            // Read only when the page is shown: a valid submit runs under the write lock.
            let choices = try OrderUtil.customerPicker(dir, ctx)
            return OrderFormPage(form: form.suggesting("customer_code", choices, none: OrderUtil.noCustomers),
                                 products: try ProductPages.picker(ctx))
        }) { v in
            let user = try ctx.requireUser()
            let c = try customer(code: v.string("customer_code"), field: "customer_code", ctx)
            // 003 §4.1.2: E class (and an unrated customer) has no warning line: no supply.
            let cls = c.ratingClass ?? ""
            let line = cls.isEmpty ? nil : try dir.classPolicy(cls, ctx)?.warningLineFen
            if line == nil {
                throw FormRejection(field: "customer_code", "该客户类别为「\(cls.isEmpty ? "未评定" : cls)」，无销售警戒线，不予供货（003 §4.1.2）")
            }
            let ls = try lines(v, ctx)
            guard let total = Money.sum(ls.map(\.amountFen)) else { throw FormRejection(field: "lines", "订单总金额超出范围") }
            let qty = ls.reduce(Int64(0)) { $0 + $1.qty }   // ≤ 1000 rows × 10⁸: cannot overflow
            let sporadic = v.bool("sporadic")
            let prepaid = v.money("prepaid") ?? 0
            if sporadic {
                // 003 §4.1.3: list prices and full prepayment.
                var errors: [FormError] = []
                for l in ls {
                    if let p = l.product {
                        if p.listPriceFen != l.priceFen {
                            errors.append(FormError(field: "lines.\(l.index).price", "零星客户须按价格表售价 ¥\(Money.format(p.listPriceFen))"))
                        }
                    } else {
                        errors.append(FormError(field: "lines.\(l.index).product", "产品目录（价格表）中没有此品名规格，零星客户须按价格表售价"))
                    }
                }
                if prepaid < total {
                    errors.append(FormError(field: "prepaid", "零星客户须全额预付货款 ¥\(Money.format(total))（003 §4.1.3）"))
                }
                if !errors.isEmpty { throw FormRejection(errors) }
            }
            let receivedOn = v.date("received_on") ?? ctx.today
            let now = ctx.epoch
            let (id, no, state): (Int64, String, OrderState) = try ctx.db.transaction {
                // The credit check reads the committed orders inside this write transaction.
                let priceLines = ls.enumerated().map { n, l in
                    PriceControl.Line(lineNo: n + 1, product: l.values.string("product"), spec: l.values.string("spec"), priceFen: l.priceFen)
                }
                let check = try OrderChecks.run(customer: c, orderFen: total, receivedOn: receivedOn, sporadic: sporadic,
                                                prepaidFen: prepaid, lines: priceLines, priceApproval: nil, excluding: nil, ctx)
                let state = check.state(sporadic: sporadic)
                let no = try OrderUtil.nextNumber(prefix: "DH", ctx)
                let id = try ctx.db.insert("""
                    INSERT INTO order_orders (order_no, customer_id, customer_code, customer_name, customer_address, customer_class,
                        channel, phone_record, written_pending, filled_on, received_on, make_no, planned_delivery, production_from,
                        production_to, ship_date, bill_date, insurance_no, tax_refund, pay_days, sporadic, prepaid_fen,
                        total_qty, total_fen, state, contract_id, contract_ok, contract_result, settlement_ok, settlement_result,
                        credit_ok, credit_result, price_ok, price_result, line_fen, exposure_fen, over_fen, checked_at, remarks,
                        created_by, created_name, created_at, updated_at)
                    VALUES (\(no), \(c.id), \(c.code ?? ""), \(c.name), \(c.address), \(cls),
                        \(v.string("channel")), \(v.optionalString("phone_record")), \(v.string("channel") == "phone"),
                        \(ctx.today.description), \(receivedOn.description), \(v.optionalString("make_no")),
                        \(v.optionalString("planned_delivery")), \(v.optionalString("production_from")), \(v.optionalString("production_to")),
                        \(v.optionalString("ship_date")), \(v.optionalString("bill_date")), \(v.optionalString("insurance_no")),
                        \(v.optionalString("tax_refund")), \(v.int("pay_days") ?? 30), \(sporadic), \(prepaid),
                        \(qty), \(total), \(state.rawValue), \(check.contractID), \(check.contractOK), \(check.contractText),
                        \(check.settlementOK), \(check.settlementText), \(check.creditOK), \(check.creditText), \(check.priceOK),
                        \(check.priceText), \(check.lineFen),
                        \(check.exposureFen), \(check.overFen), \(now), \(v.optionalString("remarks")),
                        \(user.id), \(user.displayName), \(now), \(now))
                    RETURNING id
                    """)
                for (n, l) in ls.enumerated() {
                    let r = l.values
                    let ref = n < check.priceLines.count ? check.priceLines[n] : PriceControl.Checked(refFen: nil, source: nil, below: false)
                    try ctx.db.execute("""
                        INSERT INTO order_lines (order_id, line_no, product, spec, product_id, ref_price_fen, ref_source, below_ref, grade, qty,
                            unit_price_fen, amount_fen, usage, packing, volume, finish_date, ship_date, color, cartons, carton_no, weight,
                            tail_weight)
                        VALUES (\(id), \(n + 1), \(r.string("product")), \(r.string("spec")), \(l.product?.id), \(ref.refFen), \(ref.source),
                            \(ref.below), \(r.optionalString("grade")), \(l.qty),
                            \(l.priceFen), \(l.amountFen), \(r.optionalString("usage")), \(r.optionalString("packing")),
                            \(r.optionalString("volume")), \(r.optionalString("finish_date")), \(r.optionalString("ship_date")),
                            \(r.optionalString("color")), \(r.int("cartons")), \(r.optionalString("carton_no")),
                            \(r.optionalString("weight")), \(r.optionalString("tail_weight")))
                        """)
                }
                try ctx.audit(AuditEntry(entity: "order.order", entityID: String(id), action: "create", to: state.rawValue,
                                         reason: "\(no) ¥\(Money.format(total))；" + check.summary))
                return (id, no, state)
            }
            return .redirect(to: "/order/orders/\(id)", flash: .ok("订单 \(no) 已登记，核查结果：\(state.title)。"))
        }
    }

    /// Re-runs the checks of an order waiting for a contract, a settlement or the GM over the line
    /// (same transaction as the update): after a payment an over-line order may now fit its line
    /// (003 §4.1.2, RULES §6 "re-check instead of dead ends"); a customer re-rated E is refused.
    static func recheck(_ o: Row, _ ctx: Context) throws -> OrderState {
        let id = try o.requireInt("id")
        let from = OrderUtil.state(o)
        guard let c = try OrderUtil.directory(ctx).customer(id: o.int("customer_id") ?? 0, ctx) else { throw HTTPError.notFound }
        let lines = try ctx.db.query("SELECT id, line_no, product, spec, unit_price_fen FROM order_lines WHERE order_id = \(id) ORDER BY line_no")
        let priceLines = lines.map { l in
            PriceControl.Line(lineNo: Int(l.int("line_no") ?? 0), product: l.text("product"), spec: l.text("spec"), priceFen: l.int("unit_price_fen") ?? 0)
        }
        let approval = o.bool("price_approved") ? try PriceControl.approval(orderID: id, ctx) : nil
        let check = try OrderChecks.run(customer: c, orderFen: o.int("total_fen") ?? 0,
                                        receivedOn: LocalDate(o.string("received_on") ?? "") ?? ctx.today,
                                        sporadic: o.bool("sporadic"), prepaidFen: o.int("prepaid_fen") ?? 0, lines: priceLines,
                                        priceApproval: approval, excluding: id, ctx)
        let to = check.state(sporadic: o.bool("sporadic"))
        let changed = try ctx.db.execute("""
            UPDATE order_orders SET state = \(to.rawValue), contract_id = \(check.contractID), contract_ok = \(check.contractOK),
                contract_result = \(check.contractText), settlement_ok = \(check.settlementOK), settlement_result = \(check.settlementText),
                credit_ok = \(check.creditOK), credit_result = \(check.creditText), price_ok = \(check.priceOK),
                price_result = \(check.priceText), line_fen = \(check.lineFen),
                exposure_fen = \(check.exposureFen), over_fen = \(check.overFen), checked_at = \(ctx.epoch),
                updated_at = \(ctx.epoch)
            WHERE id = \(id) AND state = \(from.rawValue)
            """)
        guard changed == 1 else { throw HTTPError.conflict("订单状态已被他人修改，请刷新后重试。") }
        for (l, ref) in zip(lines, check.priceLines) {
            try ctx.db.execute("""
                UPDATE order_lines SET ref_price_fen = \(ref.refFen), ref_source = \(ref.source), below_ref = \(ref.below) WHERE id = \(l.int("id") ?? 0)
                """)
        }
        // An E-class customer's order is refused by the check itself (RULES §6), recorded as such.
        try ctx.audit(AuditEntry(entity: "order.order", entityID: String(id), action: check.noSupply ? "refuse" : "recheck",
                                 from: from.rawValue, to: to.rawValue,
                                 reason: check.noSupply ? check.creditText : check.summary))
        return to
    }
}
