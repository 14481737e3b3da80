import Foundation
import SalesKit

// Page-model pieces shared by the order pages (RULES §2.1, §2.3): the order row, its lines,
// the check results, approvals, actions and the history as templates show them.

extension Row {
    /// A column as display text (`NULL` is empty).
    func text(_ name: String) -> String { string(name) ?? "" }

    /// A column tested for presence by a template (`{{#x}}…{{/x}}`): nil when `NULL` or empty.
    func nonEmpty(_ name: String) -> String? {
        guard let s = string(name), !s.isEmpty else { return nil }
        return s
    }
}

/// An order (`order_orders`) as its pages show it: the 订货登记表 fields.
struct OrderRecord: TemplateModel {
    var id: Int64
    var orderNo: String
    var customerName: String
    var customerCode: String
    var customerClass: String
    var customerAddress: String
    var createdName: String
    var filledOn: String
    var receivedOn: String
    var makeNo: String
    var totalQty: Int64
    var plannedDelivery: String
    var creditResult: String
    var productionFrom: String
    var productionTo: String
    /// Tested for presence (the change form shows the planned start when there is one).
    var schedStart: String?
    var schedEnd: String
    var shipDate: String
    var billDate: String
    var insuranceNo: String
    var taxRefund: String
    var payDays: Int64
    var remarks: String
    var phoneRecord: String
    var planNo: String
    var planSignedName: String

    init(_ o: Row) {
        id = o.int("id") ?? 0
        orderNo = o.text("order_no")
        customerName = o.text("customer_name")
        customerCode = o.text("customer_code")
        customerClass = o.text("customer_class")
        customerAddress = o.text("customer_address")
        createdName = o.text("created_name")
        filledOn = o.text("filled_on")
        receivedOn = o.text("received_on")
        makeNo = o.text("make_no")
        totalQty = o.int("total_qty") ?? 0
        plannedDelivery = o.text("planned_delivery")
        creditResult = o.text("credit_result")
        productionFrom = o.text("production_from")
        productionTo = o.text("production_to")
        schedStart = o.nonEmpty("sched_start")
        schedEnd = o.text("sched_end")
        shipDate = o.text("ship_date")
        billDate = o.text("bill_date")
        insuranceNo = o.text("insurance_no")
        taxRefund = o.text("tax_refund")
        payDays = o.int("pay_days") ?? 0
        remarks = o.text("remarks")
        phoneRecord = o.text("phone_record")
        planNo = o.text("plan_no")
        planSignedName = o.text("plan_signed_name")
    }
}

/// One 订货单 line with what remains to deliver (`order/order-lines`).
struct OrderLineView: TemplateModel {
    var lineNo: Int64
    var product: String
    var spec: String
    /// Typed as free text, not picked from the product master.
    var outOfCatalog: Bool
    var grade: String
    var qty: Int64
    var deliveredQty: Int64
    var remaining: Int64
    var price: String
    /// Below the contract or list price it was checked against (001 篇一 1.6): the reference.
    var belowRef: String?
    var amount: String
    var usage: String
    var packing: String
    var volume: String
    var finishDate: String
    var shipDate: String
    var color: String
    var cartons: Int64?
    var cartonNo: String
    var weight: String
    var tailWeight: String

    static func all(_ orderID: Int64, _ ctx: Context) throws -> [OrderLineView] {
        try ctx.db.query("SELECT * FROM order_lines WHERE order_id = \(orderID) ORDER BY line_no").map { l in
            OrderLineView(lineNo: l.int("line_no") ?? 0, product: l.text("product"), spec: l.text("spec"),
                          outOfCatalog: l.int("product_id") == nil, grade: l.text("grade"),
                          qty: l.int("qty") ?? 0, deliveredQty: l.int("delivered_qty") ?? 0,
                          remaining: try Stored.subtract(l.int("qty") ?? 0, l.int("delivered_qty") ?? 0),
                          price: OrderUtil.yuan(l.int("unit_price_fen")),
                          belowRef: l.bool("below_ref") ? "低于\(PriceControl.sourceTitle(l.string("ref_source"))) ¥\(OrderUtil.yuan(l.int("ref_price_fen")))" : nil,
                          amount: OrderUtil.yuan(l.int("amount_fen")),
                          usage: l.text("usage"), packing: l.text("packing"), volume: l.text("volume"),
                          finishDate: l.text("finish_date"), shipDate: l.text("ship_date"), color: l.text("color"),
                          cartons: l.int("cartons"), cartonNo: l.text("carton_no"), weight: l.text("weight"),
                          tailWeight: l.text("tail_weight"))
        }
    }
}

/// One of the three checks of an order (`order/order-checks`).
struct OrderCheckView: TemplateModel {
    var n: Int
    var title: String
    var ok: Bool
    var result: String
    /// Failed, then approved by the person the rule names (the 总经理 over the warning line,
    /// 003 §4.2; a sporadic customer's order, 003 §4.1.3): 「已批准」 instead of 「未通过」.
    var approved = false

    static func all(_ o: Row, _ ctx: Context) throws -> [OrderCheckView] {
        var checks = [
            OrderCheckView(n: 1, title: "合同核查（002 §3.3）", ok: o.bool("contract_ok"), result: o.text("contract_result")),
            OrderCheckView(n: 2, title: "结算核查（002 §3.4）", ok: o.bool("settlement_ok"), result: o.text("settlement_result")),
            OrderCheckView(n: 3, title: "价格核查（001 篇一 1.6、第十三条）", ok: o.bool("price_ok"),
                           result: o.nonEmpty("price_result") ?? "本规则实施前登记，未核查"),
            OrderCheckView(n: 4, title: "销售警戒线（003 §4.1.2）", ok: o.bool("credit_ok"), result: o.text("credit_result"))]
        // Approvals given since the last check (a re-check starts over). The sales manager's price
        // approval is part of the price check's own text already (the order is checked again).
        let since = o.int("checked_at") ?? 0
        for a in try ctx.db.query("""
            SELECT kind, approver_name, at FROM order_approvals
            WHERE order_id = \(try o.requireInt("id")) AND decision = 'approved' AND at >= \(since) ORDER BY at, id
            """) {
            guard let i = ["sporadic": 0, "credit": 3][a.text("kind")], !checks[i].ok else { continue }
            checks[i].approved = true
            checks[i].result += "；总经理 \(a.text("approver_name")) 已于 \(ctx.displayEpoch(a.int("at"))) 批准"
        }
        return checks
    }
}

/// A GM decision recorded on an order (`order/order-approvals`).
struct OrderApprovalView: TemplateModel {
    var kindTitle: String
    var decisionTitle: String
    var approverName: String
    var at: String
    var isCredit: Bool
    var line: String
    var exposure: String
    var over: String
    var reason: String

    static func all(_ orderID: Int64, _ ctx: Context) throws -> [OrderApprovalView] {
        try ctx.db.query("SELECT * FROM order_approvals WHERE order_id = \(orderID) ORDER BY at, id").map { a in
            OrderApprovalView(kindTitle: ["credit": "总经理：超销售警戒线审批（003 §4.2）", "sporadic": "总经理：零星客户审批（003 §4.1.3）",
                                          "price": "销售经理：低于合同价/价格表审批（001 篇一 1.6）"][a.text("kind")] ?? "",
                              decisionTitle: a.string("decision") == "approved" ? "批准" : "驳回",
                              approverName: a.text("approver_name"), at: ctx.displayEpoch(a.int("at")),
                              isCredit: a.string("kind") == "credit", line: OrderUtil.yuan(a.int("line_fen")),
                              exposure: OrderUtil.yuan(a.int("exposure_fen")), over: OrderUtil.yuan(a.int("over_fen")),
                              reason: a.text("reason"))
        }
    }
}

/// A row of a plain table whose cells are text.
struct Cells: TemplateModel {
    var cells: [String]
}
