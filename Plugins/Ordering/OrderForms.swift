import Foundation
import SalesKit

/// The module's forms, declared once.
enum OrderForms {
    static let text100: [FieldRule] = [.length(min: nil, max: 100)]

    /// 订货单 lines (002 第三节 三.1) with the price; totals are computed from quantity × price.
    static let lineSchema = FormSchema([
        FormField("product", "品名", required: true, rules: text100),
        FormField("spec", "规格", rules: text100),
        FormField("grade", "批号等级", rules: text100),
        FormField("qty", "订货数量", .integer, required: true, rules: [.range(1, 100_000_000)]),
        FormField("price", "单价（元）", .money, required: true, rules: [.range(0, 100_000_000_000)]),
        FormField("usage", "用途", rules: text100),
        FormField("packing", "包装", rules: text100),
        FormField("volume", "体积", rules: text100),
        FormField("finish_date", "完成日期", .date),
        FormField("ship_date", "出货日期", .date),
        FormField("color", "色号", rules: text100),
        FormField("cartons", "箱数", .integer, rules: [.range(0, 10_000_000)]),
        FormField("carton_no", "箱号", rules: text100),
        FormField("weight", "毛重/净重", rules: text100),
        FormField("tail_weight", "尾箱重", rules: text100),
    ])

    /// 订货登记表 (002 第三节) + channel (002 §3.1, 003 §4.3.1) + the 订货单 lines.
    static let order = FormSchema([
        FormField("customer_code", "客户代码", required: true, rules: [.length(min: 1, max: 40)],
                  help: "已认定客户的客户代码，如 KH-2026-0001"),
        FormField("channel", "订货方式", .select(OrderChannel.choices), required: true),
        FormField("phone_record", "电话记录", .textarea, rules: [.length(min: nil, max: 2000)],
                  help: "电话订货必填：来电人、时间、内容（003 §4.3.1）"),
        FormField("received_on", "接单日期", .date, required: true, rules: [.notInFuture]),
        FormField("make_no", "制造单号", rules: text100).foldedAway(),
        FormField("planned_delivery", "预定交货日期", .date),
        FormField("production_from", "生产日期（自）", .date).foldedAway(),
        FormField("production_to", "生产日期（至）", .date).foldedAway(),
        FormField("ship_date", "装运日期", .date).foldedAway(),
        FormField("bill_date", "押汇日期", .date).foldedAway(),
        FormField("insurance_no", "运费保险单", rules: text100).foldedAway(),
        FormField("tax_refund", "退税凭证", rules: text100).foldedAway(),
        FormField("pay_days", "付款期限（天）", .integer, required: true, rules: [.range(0, 365)]),
        FormField("sporadic", "零星客户（未签合同，003 §4.1.3）", .checkbox),
        // Bounds above FormSchema's default (¥1000 万): an order's total can be larger (see OrderIntake).
        FormField("prepaid", "已收预付款（元）", .money, rules: [.range(0, 100_000_000_000_000)]),
        FormField("remarks", "备注", .textarea, rules: [.length(min: nil, max: 2000)]),
        FormField("lines", "订货单明细", .rows(lineSchema, minRows: 1, blankRows: 3)),
    ], checks: [{ v in
        var errors: [FormError] = []
        if v.string("channel") == "phone" && v.optionalString("phone_record") == nil {
            errors.append(FormError(field: "phone_record", "电话订货必须做好电话记录（003 §4.3.1）"))
        }
        if let from = v.date("production_from"), let to = v.date("production_to"), to < from {
            errors.append(FormError(field: "production_to", "生产日期（至）不能早于（自）"))
        }
        return errors
    }])

    /// A partial delivery (分批交货): quantity per order line; blank means none of that line.
    static let delivery = FormSchema([
        FormField("delivered_on", "发货日期", .date, required: true, rules: [.notInFuture]),
        FormField("arrived_at", "到货时间", rules: [.pattern("[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{1,2}:[0-9]{2}",
                                                            message: "格式为 YYYY-MM-DD HH:MM")],
                  help: "送达客户的时间；交、验货手续须在到货后 24 小时内完成（003 §4.3.6）"),
        FormField("note", "备注", rules: [.length(min: nil, max: 500)]),
        FormField("lines", "本批交货数量", .rows(FormSchema([
            FormField("line_id", "行", .integer, required: true),
            FormField("qty", "分批交货数量", .integer, rules: [.range(0, 100_000_000)]),
        ]), minRows: 1, blankRows: 0)),
    ])

    /// A sales contract with the customer (002 §3.3; reviewed by 技术部、品质部、生产部 and approved by the GM, 003 §3.2–§3.7).
    static let contract = FormSchema([
        FormField("customer_code", "客户代码", required: true, rules: [.length(min: 1, max: 40)]),
        FormField("contract_no", "合同编号", required: true, rules: [.length(min: 2, max: 40)]),
        FormField("title", "合同名称/内容", required: true, rules: [.length(min: 2, max: 200)]),
        FormField("signed_on", "签订日期", .date, rules: [.notInFuture]),
        FormField("valid_from", "有效期自", .date),
        FormField("valid_to", "有效期至", .date),
        // RULES §6 "Contracts carry their terms": delivery terms and attachments (the agreements of 003 §3.3–§3.4).
        FormField("delivery_terms", "交货条款", .textarea, rules: [.length(min: nil, max: 2000)], help: "交货期限、地点、方式、分批交货等"),
        FormField("attachments", "附件（技术协议、质量保证协议等）", .textarea, rules: [.length(min: nil, max: 2000)]),
        // 003 §3.2, RULES §6: the products with their agreed prices — the reference of the price control.
        FormField("lines", "合同产品与约定价格", .rows(FormSchema([
            FormField("product", "品名", required: true, rules: text100),
            FormField("spec", "规格", rules: text100),
            FormField("qty", "约定数量", .integer, rules: [.range(1, 100_000_000)]),
            FormField("price", "约定单价（元）", .money, required: true, rules: [.range(0, 100_000_000_000)]),
        ]), minRows: 0, blankRows: 3)),
    ], checks: [{ v in
        if let a = v.date("valid_from"), let b = v.date("valid_to"), b < a { return [FormError(field: "valid_to", "有效期至不能早于有效期自")] }
        return []
    }])

    /// Cash received (finance): a payment against the receivable, or a prepayment held as an
    /// advance (earmarked for an order when one is named) and settled against its shipments.
    static let payment = FormSchema([
        FormField("customer_code", "客户代码", required: true, rules: [.length(min: 1, max: 40)]),
        FormField("kind", "款项类型", .select([Choice(LedgerKind.payment.rawValue, "收款（冲减应收）"),
                                           Choice(LedgerKind.prepayment.rawValue, "预收款（先款后货，发货时冲抵）")]), required: true),
        FormField("order_no", "订单号码", rules: [.length(min: nil, max: 40)], help: "预收款所对应的订单（如零星客户订单）；发货时先冲抵该订单"),
        FormField("amount", "金额（元）", .money, required: true, rules: [.range(1, 100_000_000_000_000)]),
        FormField("paid_on", "收款日期", .date, required: true, rules: [.notInFuture]),
        FormField("note", "摘要（票据号等）", rules: [.length(min: nil, max: 200)]),
    ])

    /// An adjustment of the receivable, with its reason (finance).
    static let adjustment = FormSchema([
        FormField("customer_code", "客户代码", required: true, rules: [.length(min: 1, max: 40)]),
        FormField("direction", "调整方向", .select([Choice("up", "增加应收"), Choice("down", "减少应收")]), required: true),
        FormField("amount", "金额（元）", .money, required: true, rules: [.range(1, 100_000_000_000_000)]),
        FormField("entry_date", "日期", .date, required: true, rules: [.notInFuture]),
        FormField("reason", "调整理由", .textarea, required: true, rules: [.length(min: 2, max: 500)]),
    ])

    /// A bad-debt write-off proposed by finance, booked when the GM approves (RULES §6).
    static let writeoff = FormSchema([
        FormField("customer_code", "客户代码", required: true, rules: [.length(min: 1, max: 40)]),
        FormField("amount", "核销金额（元）", .money, required: true, rules: [.range(1, 100_000_000_000_000)]),
        FormField("reason", "核销理由（无法收回的原因、依据）", .textarea, required: true, rules: [.length(min: 2, max: 1000)]),
    ])

    /// Production schedule (生产部).
    static let schedule = FormSchema([
        FormField("sched_start", "计划开工日期", .date, required: true),
        FormField("sched_end", "计划完工日期", .date, required: true),
    ], checks: [{ v in
        if let a = v.date("sched_start"), let b = v.date("sched_end"), b < a { return [FormError(field: "sched_end", "完工日期不能早于开工日期")] }
        return []
    }])
}
