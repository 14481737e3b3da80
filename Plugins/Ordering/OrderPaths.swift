import Foundation
import SalesKit

/// Other order paths (001 篇二 §6.1–§6.2), marked per order line after registration:
///
/// - **Stock check (§6.1).** The sales side enters the stock on hand for a line. **Decision:** a
///   line whose stock on hand is below its ordered quantity has no stock for the order and is
///   flagged "转生产部排产"; such orders appear as a notice in the 生产部 queue so production can
///   plan before the order is released (the 销售计划下达表 remains the one instruction to produce).
///   A line without a stock figure is not checked.
/// - **Never-made variant (§6.2).** A line marked as a variant the company has never produced goes
///   to 技术部 for a trial sample: a trial record in the 技术部 queue, whose result (合格 / 不合格,
///   date, note) 技术部 records; every step is audited.
enum OrderPaths {
    /// 技术部: the trial-sample queue and results (RULES §5 技术部 "trial samples").
    static let technical = Permission("order", "technical", title: "技术部：新品种试制样品", defaultRoles: [.technical])

    /// Order states in which the lines' paths can still be marked (before production is scheduled).
    static let editable: [OrderState] = [.contractPending, .settlementPending, .pricePending, .creditBlocked, .sporadicPending, .accepted, .released]

    static let form = FormSchema([
        FormField("lines", "明细行", .rows(FormSchema([
            FormField("line_id", "行", .integer, required: true),
            FormField("on_hand", "现有库存", .integer, rules: [.range(0, 100_000_000)]),
            FormField("new_variant", "未生产过的品种", .checkbox),
        ]), minRows: 1, blankRows: 0)),
    ])

    static func trialState(_ r: Row) -> TrialState { TrialState(rawValue: r.string("state") ?? "") ?? .requested }

    /// The stock check and trial form of an order's lines (one row per line, laid out by hand).
    struct PathsPage: PageModel {
        static let template = "order-change-paths"

        struct Line: TemplateModel {
            var index: Int
            var lineID: Int64
            var lineNo: Int64
            var product: String
            var spec: String
            var qty: Int64
            var value: String
            var checked: Bool
            var hasTrial: Bool
            /// Not in the product master (typed as free text).
            var outOfCatalog: Bool
            var error: String
            var hasError: Bool
        }

        var o: OrderRecord
        var form: FormView
        var rows: [Line]
    }

    /// One trial sample and its result.
    struct TrialPage: PageModel {
        static let template = "order-change-trial"

        struct Trial: TemplateModel {
            /// `OrderDocNo.trial` (SZ…).
            var number: String
            var product: String
            var spec: String
            var orderNo: String
            var customerName: String
            var qty: Int64
            var color: String?
            var grade: String?
            var usage: String?
            var resultNote: String
            var sampleOn: String
            var decidedName: String
        }

        var t: Trial
        var stateText: String
        var open: Bool
        var decided: String
        var form: FormView
        var history: History
    }

    /// Per line: stock, the production flag and the trial, for the order page.
    static func lineFlags(_ orderID: Int64, _ ctx: Context) throws -> [OrderDetailPages.OrderDetailPage.Path] {
        try ctx.db.query("""
            SELECT l.*, t.id AS trial_id, t.state AS trial_state, t.result_note FROM order_lines l
            LEFT JOIN order_trials t ON t.line_id = l.id WHERE l.order_id = \(orderID) ORDER BY l.line_no
            """).compactMap { l in
            guard l.int("stock_on_hand") != nil || l.bool("new_variant") else { return nil }
            return .init(lineNo: l.int("line_no") ?? 0, product: l.text("product"), spec: l.text("spec"), qty: l.int("qty") ?? 0,
                         onHand: l.int("stock_on_hand").map(String.init) ?? "未核对", toProduction: l.bool("to_production"),
                         newVariant: l.bool("new_variant"),
                         trialText: l.string("trial_state").map { (TrialState(rawValue: $0) ?? .requested).title } ?? "",
                         trialNote: l.nonEmpty("result_note"))
        }
    }

    /// The 生产部 queue's notices: open orders with lines that have no stock (§6.1).
    static func productionNotices(_ ctx: Context) throws -> [ListNotes.Item] {
        // Portable SQL (issue #17): the short lines are joined here, not with GROUP_CONCAT.
        let rows = try ctx.db.query("""
            SELECT o.id, o.order_no, o.customer_name, o.state, l.product, l.spec, l.qty, l.stock_on_hand
            FROM order_orders o JOIN order_lines l ON l.order_id = o.id
            WHERE l.to_production = 1 AND o.state IN (\(list: editable.map(\.rawValue))) AND \(try OrderUtil.visibleFilter(ctx))
            ORDER BY o.id, l.line_no
            """)
        var out: [ListNotes.Item] = []
        var short: [String] = []
        for (i, r) in rows.enumerated() {
            let missing = (r.int("qty") ?? 0).subtractingReportingOverflow(r.int("stock_on_hand") ?? 0)
            short.append("\(r.text("product")) \(r.text("spec")) 缺 \(missing.overflow ? 0 : missing.partialValue)")
            // The last line of an order: one notice with all its short lines.
            if i + 1 == rows.count || rows[i + 1].int("id") != r.int("id") {
                out.append(ListNotes.Item(
                    "大宗订货无库存，转生产部排产：\(r.text("order_no")) \(r.text("customer_name"))（\(OrderUtil.state(r).title)）— "
                        + short.joined(separator: "；"),
                    href: "/order/orders/\(r.int("id") ?? 0)"))
                short = []
            }
        }
        return out
    }

    static let paths: Handler = { req, ctx in
        let o = try OrderUtil.load(try req.id(), ctx)
        let id = try o.requireInt("id")
        let st = OrderUtil.state(o)
        guard editable.contains(st) else { throw HTTPError.conflict("订单已排产或已完成，不能再标记库存与试制（当前：\(st.title)）。") }
        let lines = try ctx.db.query("""
            SELECT l.*, t.id AS trial_id FROM order_lines l LEFT JOIN order_trials t ON t.line_id = l.id
            WHERE l.order_id = \(id) ORDER BY l.line_no
            """)
        var initial = FormData()
        for (i, l) in lines.enumerated() {
            initial.append("lines.\(i).line_id", String(l.int("id") ?? 0))
            if let n = l.int("stock_on_hand") { initial.append("lines.\(i).on_hand", String(n)) }
            if l.bool("new_variant") { initial.append("lines.\(i).new_variant", "1") }
        }
        var bound = req.method == "POST" ? form.bind(req.form, today: ctx.today) : form.blank(initial, today: ctx.today)
        let raw = bound.raw

        func page(_ b: BoundForm, status: Int) -> Response {
            let rows = lines.enumerated().map { (i, l) in
                let key = "lines.\(i).on_hand"
                // As the form binds a checkbox (row.bool): "0" and "off" are unchecked, shown as saved.
                let sent = raw["lines.\(i).new_variant"] ?? ""
                let checked = req.method == "POST" ? !sent.isEmpty && sent != "0" && sent != "off" : l.bool("new_variant")
                return PathsPage.Line(index: i, lineID: l.int("id") ?? 0, lineNo: l.int("line_no") ?? 0, product: l.text("product"),
                                      spec: l.text("spec"), qty: l.int("qty") ?? 0, value: raw[key] ?? "", checked: checked,
                                      hasTrial: l.int("trial_id") != nil, outOfCatalog: l.int("product_id") == nil,
                                      error: b.errors[key] ?? "", hasError: b.errors[key] != nil)
            }
            return ctx.render(PathsPage(o: OrderRecord(o), form: b.view(), rows: rows), title: "库存核对与新品种试制", status: status)
        }
        guard req.method == "POST" else { return page(bound, status: 200) }
        guard let v = bound.values else { return page(bound, status: 422) }
        var picked: [(line: Row, onHand: Int64?, newVariant: Bool)] = []
        for row in v.rows("lines") {
            let index = row.int("_index") ?? 0
            guard let line = lines.first(where: { $0.int("id") == row.int("line_id") }) else {
                bound.addError(FormError(field: "lines.\(index).on_hand", "不是本订单的明细行"))
                continue
            }
            // A trial once requested stays: the line remains a new variant.
            picked.append((line, row.int("on_hand"), row.bool("new_variant") || line.int("trial_id") != nil))
        }
        if !bound.errors.isEmpty { return page(bound, status: 422) }
        let user = try ctx.requireUser()
        let now = ctx.epoch
        try ctx.db.transaction {
            var notes: [String] = []
            for p in picked {
                let lid = p.line.int("id") ?? 0
                let qty = p.line.int("qty") ?? 0
                let toProduction = p.onHand.map { $0 < qty } ?? false
                try ctx.db.execute("""
                    UPDATE order_lines SET stock_on_hand = \(p.onHand), to_production = \(toProduction), new_variant = \(p.newVariant)
                    WHERE id = \(lid)
                    """)
                let n = p.line.int("line_no") ?? 0
                if toProduction { notes.append("第\(n)行库存 \(p.onHand ?? 0) < 订货数量 \(qty)，转生产部排产") }
                if p.newVariant && p.line.int("trial_id") == nil {
                    let tid = try ctx.db.insert("""
                        INSERT INTO order_trials (order_id, line_id, state, created_by, created_at)
                        VALUES (\(id), \(lid), \(TrialState.requested.rawValue), \(user.id), \(now)) RETURNING id
                        """)
                    try ctx.audit(AuditEntry(entity: "order.trial", entityID: String(tid), action: "create", to: TrialState.requested.rawValue,
                                             reason: "订单 \(o.string("order_no") ?? "") 第\(n)行 \(p.line.string("product") ?? "") \(p.line.string("spec") ?? "")：未生产过的品种，送技术部试制（001 篇二 §6.2）"))
                    notes.append("第\(n)行为未生产过的品种，送技术部试制")
                }
            }
            try ctx.audit(AuditEntry(entity: "order.order", entityID: String(id), action: "paths",
                                     reason: notes.isEmpty ? "库存核对：有库存" : notes.joined(separator: "；")))
        }
        return .redirect(to: "/order/orders/\(id)")
    }

    /// 技术部's queue of trial samples (001 篇二 §6.2), open ones first.
    static let trialsPage = ListPage(
        title: "技术部试制队列", path: "/order/queues/technical",
        select: "t.*, o.order_no, o.customer_name, l.product, l.spec, l.qty, l.color, (t.state <> 'requested') AS done",
        from: "order_trials t JOIN order_orders o ON o.id = t.order_id JOIN order_lines l ON l.id = t.line_id",
        scope: { _ in "1 = 1" },
        columns: [
            .init("no", "试制编号", sql: "t.id") { r, _ in ListCell(OrderDocNo.trial(r.int("id") ?? 0), href: "/order/trials/\(r.int("id") ?? 0)") },
            .text("order", "订单号码", sql: "o.order_no"),
            .text("customer", "客户名称", sql: "o.customer_name"),
            .text("product", "品名", sql: "l.product"),
            .text("spec", "规格", sql: "l.spec"),
            .text("color", "色号", sql: "l.color", sortable: false),
            .init("qty", "数量", sql: "l.qty") { r, _ in ListCell(String(r.int("qty") ?? 0), cls: "num") },
            .init("done", "状态", sql: "(t.state <> 'requested')", rowKey: "done") { r, _ in ListCell(trialState(r).title) },
            .text("sample", "样品完成日期", sql: "t.sample_on"),
            .text("note", "试制说明", sql: "t.result_note", sortable: false),
        ],
        filters: [
            .choice("state", "状态", all: "全部状态", [TrialState.requested, .passed, .failed].map { Choice($0.rawValue, $0.title) }) { v, _ in
                "t.state = \(v)"
            },
        ],
        defaultSort: "done", tiebreaker: "t.id", empty: "队列为空。", csvName: "技术部试制.csv",
        intro: "客户需要、公司尚未生产过的花色品种：销售部索取样板送技术部试制，技术部在最短时间内完成试制（001 篇二 §6.2）。",
        rowClass: { r, _ in trialState(r) == .requested ? "urgent" : nil })

    static let technicalQueue: Handler = { req, ctx in try trialsPage.respond(req, ctx) }

    /// One trial: 技术部 records the result (§6.2). Only this queue's permission is needed: the
    /// page shows the line, not the customer's order.
    static let trial: Handler = { req, ctx in
        let tid = try req.id()
        guard let t = try ctx.db.first("""
            SELECT t.*, o.order_no, o.customer_name, l.product, l.spec, l.qty, l.color, l.grade, l.usage FROM order_trials t
            JOIN order_orders o ON o.id = t.order_id JOIN order_lines l ON l.id = t.line_id WHERE t.id = \(tid)
            """) else { throw HTTPError.notFound }
        let st = trialState(t)
        let trial = TrialPage.Trial(number: OrderDocNo.trial(t.int("id") ?? 0), product: t.text("product"), spec: t.text("spec"), orderNo: t.text("order_no"),
                                    customerName: t.text("customer_name"), qty: t.int("qty") ?? 0, color: t.nonEmpty("color"),
                                    grade: t.nonEmpty("grade"), usage: t.nonEmpty("usage"), resultNote: t.text("result_note"),
                                    sampleOn: t.text("sample_on"), decidedName: t.text("decided_name"))
        if req.method == "POST" && st != .requested { throw HTTPError.conflict("试制结果已登记。") }
        return try ctx.handleForm(OrderChangeFlow.trialForm, title: "试制样品 \(OrderDocNo.trial(tid))", initial: FormData([("sample_on", ctx.today.description)]),
                                  page: { form in
            TrialPage(t: trial, stateText: st.title, open: st == .requested, decided: ctx.displayEpoch(t.int("decided_at")), form: form,
                      history: try ctx.history(entity: "order.trial", id: tid))
        }) { v in
            let user = try ctx.requireUser()
            try ctx.db.transaction {
                let to = try TrialFlow.machine.apply(v.string("result"), from: st, id: String(tid), reason: v.string("note"), ctx)
                let changed = try ctx.db.execute("""
                    UPDATE order_trials SET state = \(to.rawValue), sample_on = \(v.date("sample_on")?.description), result_note = \(v.string("note")),
                        decided_by = \(user.id), decided_name = \(user.displayName), decided_at = \(ctx.epoch)
                    WHERE id = \(tid) AND state = \(st.rawValue)
                    """)
                guard changed == 1 else { throw HTTPError.conflict("试制结果已被他人登记。") }
            }
            return .redirect(to: "/order/trials/\(tid)")
        }
    }
}
