import Foundation
import SalesKit

/// Branch orders against the capital occupancy limit (002 §8): within the limit they are
/// released at once (营销本部 guarantees supply); beyond it they wait for the 营销总监.
/// Finance records the branch's payment (回款), which frees the occupied capital.
enum BranchOrderPages {
    enum State: String, Sendable, CaseIterable {
        case pending, released, rejected, settled
    }

    static let stateTitles = ["pending": "超限额，待营销总监审批", "released": "已放行供货", "rejected": "已驳回", "settled": "已回款"]

    static let flow = StateMachine<State>(entity: "order.branch_order", transitions: [
        .init("approve", from: [.pending], to: .released, permission: BranchPages.approve, title: "批准供货"),
        .init("reject", from: [.pending], to: .rejected, permission: BranchPages.approve, requiresReason: true, title: "驳回"),
        .init("settle", from: [.released], to: .settled, permission: BranchPages.settle, title: "确认回款"),
    ])

    static let form = FormSchema([
        FormField("order_date", "订货日期", .date, required: true, rules: [.notInFuture]),
        FormField("lines", "订货明细", .rows(FormSchema([
            FormField("product", "品名规格", required: true, rules: [BranchAdminPages.productRule]),
            FormField("quantity", "数量", .integer, required: true, rules: [.range(1, 1_000_000_000)]),
            FormField("unit_price", "单价（元）", .money, required: true, rules: [.range(0, 10_000_000_000)]),
        ]), minRows: 1, blankRows: 4)),
        FormField("note", "备注", .textarea, rules: [.length(min: nil, max: 500)]),
    ])

    static let create: Handler = { req, ctx in
        let b = try BranchData.branch(try req.id(), ctx)
        let bid = try b.requireInt("id")
        let occupancy = try BranchData.occupancy(bid, ctx)
        let limit = b.int("capital_limit") ?? 0
        return try ctx.handleForm(form, template: "branch-order-form", title: "分支机构订货单",
                                  data: ["b": b.dictionary, "limit": Money.format(limit), "occupancy": Money.format(occupancy),
                                         "available": Money.format(max(0, try Stored.subtract(limit, occupancy)))],
                                  initial: FormData([("order_date", ctx.today.description)])) { v in
            let user = try ctx.requireUser()
            let lines = v.rows("lines").map { l -> (String, Int64, Int64) in
                (l.string("product").trimmingCharacters(in: .whitespaces), l.int("quantity") ?? 0, l.money("unit_price") ?? 0)
            }
            let (total, overflow) = lines.reduce((Int64(0), false)) { acc, l in
                let (line, o1) = l.1.multipliedReportingOverflow(by: l.2)
                let (sum, o2) = acc.0.addingReportingOverflow(line)
                return (sum, acc.1 || o1 || o2)
            }
            guard !overflow, total <= 100_000_000_000 else { throw FormRejection(field: "lines", "订单金额过大，请拆分订单") }
            let id: Int64 = try ctx.db.transaction {
                // Occupancy is read again inside the write transaction, so two orders at the same
                // moment cannot both fit into a limit only one fits.
                let current = try BranchData.occupancy(bid, ctx)
                let cap = try ctx.db.scalar("SELECT capital_limit FROM order_branch_branches WHERE id = \(bid)") ?? 0
                let within = BranchMath.withinLimit(occupancy: current, order: total, limit: cap)
                let state: State = within ? .released : .pending
                let now = BranchData.epoch(ctx)
                let id = try ctx.db.insert("""
                    INSERT INTO order_branch_orders (branch_id, state, order_date, amount, occupancy_before, capital_limit, note,
                        created_by, created_at, updated_at)
                    VALUES (\(bid), \(state.rawValue), \(v.string("order_date")), \(total), \(current), \(cap), \(v.string("note")),
                        \(user.id), \(now), \(now)) RETURNING id
                    """)
                for (i, l) in lines.enumerated() {
                    try ctx.db.execute("""
                        INSERT INTO order_branch_order_lines (order_id, line_no, product, quantity, unit_price, amount)
                        VALUES (\(id), \(i + 1), \(l.0), \(l.1), \(l.2), \(Money.times(l.2, l.1) ?? 0))
                        """)
                }
                let why = "资金占用 \(Money.yuan(current)) + 本单 \(Money.yuan(total)) " + (within ? "≤" : ">") + " 限额 \(Money.yuan(cap))"
                try ctx.audit(AuditEntry(entity: "order.branch_order", entityID: String(id), action: "create", to: state.rawValue, reason: why))
                return id
            }
            return .redirect(to: "/order/branch-orders/\(id)")
        }
    }

    static let listSpec = ListSpec(columns: [
        .init("id", "编号", sql: "o.id"),
        .init("branch", "分支机构", sql: "b.name"),
        .init("date", "订货日期", sql: "o.order_date"),
        .init("amount", "金额（元）", sql: "o.amount"),
        .init("state", "状态", sql: "o.state"),
        .init("creator", "填单人", sql: "creator"),
    ], defaultSort: "date", defaultDescending: true, filters: ["state", "branch"], pageSize: 50, tiebreaker: "o.id")

    static let list: Handler = { req, ctx in
        let q = listSpec.parse(req.query)
        var w: SQL = "WHERE 1 = 1"
        if let s = q.filters["state"] { w = w + " AND o.state = \(s)" }
        if let b = q.filters["branch"], let bid = Int64(b) { w = w + " AND o.branch_id = \(bid)" }
        let rows = try ctx.db.query("""
            SELECT o.id, o.order_date, o.amount, o.state, b.name, COALESCE(u.display_name, '') AS creator
            FROM order_branch_orders o JOIN order_branch_branches b ON b.id = o.branch_id LEFT JOIN users u ON u.id = o.created_by
            \(w) ORDER BY \(raw: q.orderBy) LIMIT \(q.limit) OFFSET \(q.offset)
            """)
        func cells(_ r: Row) -> [String] {
            [String(r.int("id") ?? 0), r.string("name") ?? "", r.string("order_date") ?? "", Money.format(r.int("amount") ?? 0),
             stateTitles[r.string("state") ?? ""] ?? "", r.string("creator") ?? ""]
        }
        if q.export { return .csv(filename: "分支机构订单.csv", CSVTable(header: listSpec.columns.map(\.title), rows: rows.map(cells))) }
        let branches = try ctx.db.query("SELECT id, name FROM order_branch_branches ORDER BY name, id")
        return ctx.render("branch-orders", [
            "orders": rows.prefix(listSpec.pageSize).map { r -> [String: Any] in ["id": r.int("id") ?? 0, "cells": cells(r)] },
            "list": q.viewModel(rowsFetched: rows.count, basePath: "/order/branch-orders"),
            "states": State.allCases.map { ["value": $0.rawValue, "title": stateTitles[$0.rawValue] ?? "", "selected": q.filters["state"] == $0.rawValue] },
            "branches": branches.map { ["id": $0.int("id") ?? 0, "name": $0.string("name") ?? "",
                                        "selected": q.filters["branch"] == String($0.int("id") ?? 0)] as [String: Any] },
        ], title: "分支机构订单")
    }

    static func load(_ id: Int64, _ ctx: Context) throws -> Row {
        guard let o = try ctx.db.first("""
            SELECT o.*, b.name AS branch, COALESCE(u.display_name, '') AS creator, COALESCE(d.display_name, '') AS decider
            FROM order_branch_orders o JOIN order_branch_branches b ON b.id = o.branch_id
            LEFT JOIN users u ON u.id = o.created_by LEFT JOIN users d ON d.id = o.decided_by WHERE o.id = \(id)
            """) else { throw HTTPError.notFound }
        return o
    }

    static let detail: Handler = { req, ctx in
        let o = try load(try req.id(), ctx)
        let id = try o.requireInt("id")
        let state = State(rawValue: o.string("state") ?? "") ?? .pending
        let lines = try ctx.db.query("SELECT * FROM order_branch_order_lines WHERE order_id = \(id) ORDER BY line_no")
        let history = try ctx.db.query("""
            SELECT at, username, action, from_state, to_state, reason FROM audit_log
            WHERE entity = 'order.branch_order' AND entity_id = \(String(id)) ORDER BY at, id
            """)
        let actions = flow.available(from: state, for: ctx.user).map { t -> [String: Any] in
            ["action": t.action, "title": t.title, "needsReason": t.requiresReason]
        }
        let amount = o.int("amount") ?? 0, before = o.int("occupancy_before") ?? 0, cap = o.int("capital_limit") ?? 0
        return ctx.render("branch-order", [
            "o": o.dictionary, "stateText": stateTitles[state.rawValue] ?? "",
            "amount": Money.format(amount), "before": Money.format(before), "cap": Money.format(cap),
            "over": Money.format(max(0, before + amount - cap)), "isOver": before + amount > cap,
            "decided": BranchData.time(o.int("decided_at"), ctx),
            "lines": lines.map { r -> [String: Any] in
                ["no": r.int("line_no") ?? 0, "product": r.string("product") ?? "", "quantity": r.int("quantity") ?? 0,
                 "price": Money.format(r.int("unit_price") ?? 0), "amount": Money.format(r.int("amount") ?? 0)]
            },
            "actions": actions, "hasActions": !actions.isEmpty,
            "history": history.map { r -> [String: Any] in
                var d = r.dictionary
                d["at"] = BranchData.time(r.int("at"), ctx)
                d["from"] = stateTitles[r.string("from_state") ?? ""] ?? ""
                d["to"] = stateTitles[r.string("to_state") ?? ""] ?? ""
                return d
            },
            "error": req.query["error"] ?? "", "hasError": req.query["error"] != nil,
            "printedAt": ctx.display(ctx.now),
        ], title: "分支机构订货单 #\(id)")
    }

    /// Takes an action of the flow; a user without its permission gets 403.
    static let act: Handler = { req, ctx in
        try perform(req.form["action"] ?? "", req, ctx, back: "/order/branch-orders/\(try req.id())")
    }

    /// Finance's 回款 confirmation, from the settlements list.
    static let settleOrder: Handler = { req, ctx in
        try perform("settle", req, ctx, back: "/order/branch-settlements")
    }

    static func perform(_ action: String, _ req: Request, _ ctx: Context, back: String) throws -> Response {
        let o = try load(try req.id(), ctx)
        let id = try o.requireInt("id")
        let reason = req.form["reason"]
        let state = State(rawValue: o.string("state") ?? "") ?? .pending
        do {
            try ctx.db.transaction {
                let next = try flow.apply(action, from: state, id: String(id), reason: reason, ctx)
                let user = try ctx.requireUser()
                let decision = next == .released || next == .rejected
                let changed = try ctx.db.execute("""
                    UPDATE order_branch_orders SET state = \(next.rawValue), updated_at = \(BranchData.epoch(ctx)),
                        decided_by = \(decision ? user.id : o.int("decided_by")), decided_at = \(decision ? BranchData.epoch(ctx) : o.int("decided_at")),
                        decision_reason = \(decision ? reason : o.string("decision_reason"))
                    WHERE id = \(id) AND state = \(state.rawValue)
                    """)
                guard changed == 1 else { throw HTTPError.conflict("订单状态已被他人修改，请刷新后重试。") }
            }
        } catch let refusal as StateMachine<State>.Refusal {
            if case .forbidden = refusal { throw HTTPError.forbidden }
            return BranchData.back(back, refusal.description)
        }
        return .redirect(to: back)
    }

    /// Released orders waiting for the branch's payment, with their 回款 button.
    static let settlements: Handler = { req, ctx in
        let rows = try ctx.db.query("""
            SELECT o.id, o.order_date, o.amount, b.name FROM order_branch_orders o JOIN order_branch_branches b ON b.id = o.branch_id
            WHERE o.state = 'released' ORDER BY b.name, o.order_date, o.id LIMIT 500
            """)
        return ctx.render("branch-settlements", [
            "orders": rows.map { r -> [String: Any] in
                ["id": r.int("id") ?? 0, "branch": r.string("name") ?? "", "date": r.string("order_date") ?? "",
                 "amount": Money.format(r.int("amount") ?? 0)]
            },
            "hasOrders": !rows.isEmpty,
            "error": req.query["error"] ?? "", "hasError": req.query["error"] != nil,
        ], title: "分支机构回款")
    }
}
