import Foundation
import OrderingAPI
import SalesKit

/// The pages of a return: list + CSV, registration, the record with its lines and
/// discrepancies, the print of the 准予退回通知单 and the receipt, and the four steps.
enum ReturnViews {
    typealias P = ReturnPages

    static func state(_ r: Row) -> P.State { P.State(rawValue: r.string("state") ?? "") ?? .registered }

    /// The step must start from `expected`; otherwise 409 with the reason, nothing changed.
    static func require(_ r: Row, _ expected: P.State, _ reason: String) throws {
        guard state(r) == expected else { throw HTTPError.conflict(reason) }
    }

    /// Moves the return from the state seen, with the audit row, in the caller's transaction.
    static func move(_ r: Row, _ action: String, reason: String? = nil, set extra: SQL = "", _ ctx: Context) throws {
        let id = try r.requireInt("id")
        let from = state(r)
        let next = try P.flow.apply(action, from: from, id: String(id), reason: reason, ctx)
        let changed = try ctx.db.execute("""
            UPDATE service_returns SET state = \(next.rawValue), updated_at = \(ServiceUtil.epoch(ctx))\(extra)
            WHERE id = \(id) AND state = \(from.rawValue)
            """)
        guard changed == 1 else { throw HTTPError.conflict("退货状态已被他人修改，请刷新后重试。") }
    }

    static func lines(_ id: Int64, _ ctx: Context) throws -> [Row] {
        try ctx.db.query("SELECT * FROM service_return_lines WHERE return_id = \(id) ORDER BY id")
    }

    static let listSpec = ListSpec(columns: [
        .init("id", "编号", sql: "r.id"),
        .init("customer", "客户", sql: "r.customer_name"),
        .init("reason", "原因", sql: "r.reason_code"),
        .init("state", "状态", sql: "r.state"),
        .init("created", "登记时间", sql: "r.created_at"),
        .init("settled", "结算金额", sql: "r.settled_fen"),
    ], defaultSort: "created", defaultDescending: true, filters: ["state", "reason", "customer"], pageSize: 50, tiebreaker: "r.id")

    static let list: Handler = { req, ctx in
        let q = listSpec.parse(req.query)
        var w: SQL = "WHERE 1 = 1"
        if !P.seesAll(ctx) {
            let ids = try ServiceUtil.visibleCustomerIDs(ctx)
            w = w + " AND (r.created_by = \(try ctx.requireUser().id)" + (ids.isEmpty ? ")" : " OR r.customer_id IN (\(list: ids)))")
        }
        if let s = q.filters["state"] { w = w + " AND r.state = \(s)" }
        if let s = q.filters["reason"] { w = w + " AND r.reason_code = \(s)" }
        if let s = q.filters["customer"], let cid = Int64(s) { w = w + " AND r.customer_id = \(cid)" }
        let rows = try ctx.db.query("SELECT r.* FROM service_returns r \(w) ORDER BY \(raw: q.orderBy) LIMIT \(q.limit) OFFSET \(q.offset)")
        func cells(_ r: Row) -> [String] {
            [String(r.int("id") ?? 0), r.string("customer_name") ?? "", P.reasonTitle(r.string("reason_code") ?? ""),
             P.stateTitles[r.string("state") ?? ""] ?? "", ServiceUtil.time(r.int("created_at"), ctx),
             r.int("settled_fen").map { Money.format($0) } ?? ""]
        }
        if q.export { return .csv(filename: "退货.csv", CSVTable(header: listSpec.columns.map(\.title), rows: rows.map(cells))) }
        return ctx.render("returns", [
            "returns": rows.prefix(listSpec.pageSize).map { r -> [String: Any] in ["id": r.int("id") ?? 0, "cells": cells(r)] },
            "list": q.viewModel(rowsFetched: rows.count, basePath: "/service/returns"),
            "states": P.State.allCases.map { ["value": $0.rawValue, "title": P.stateTitles[$0.rawValue] ?? "", "selected": q.filters["state"] == $0.rawValue] },
            "reasons": P.reasons.map { ["value": $0.value, "title": $0.label, "selected": q.filters["reason"] == $0.value] },
            "canRegister": ctx.can(P.register),
        ], title: "退货")
    }

    static let create: Handler = { req, ctx in
        try ctx.handleForm(P.registerForm(customers: try ServiceUtil.customerChoices(ctx)), template: "return-step",
                           title: "登记退货", data: ["heading": "登记退货（003 第六章）"]) { v in
            let dir = try ServiceUtil.directory(ctx)
            guard let cid = Int64(v.string("customer")), let c = try dir.customer(id: cid, ctx), try dir.maySee(customerID: cid, ctx) else {
                throw FormRejection(field: "customer", "请选择您可查看的客户")
            }
            let now = ServiceUtil.epoch(ctx)
            let id: Int64 = try ctx.db.transaction {
                let id = try ctx.db.insert("""
                    INSERT INTO service_returns (customer_id, customer_name, reason_code, reason_form, reason_text, state, created_by, created_at, updated_at)
                    VALUES (\(c.id), \(c.name), \(v.string("reason_code")), \(v.string("reason_form")), \(v.string("reason_text")),
                        'registered', \(try ctx.requireUser().id), \(now), \(now)) RETURNING id
                    """)
                try ctx.audit(AuditEntry(entity: "service.return", entityID: String(id), action: "create", to: "registered",
                                         reason: P.reasonTitle(v.string("reason_code"))))
                return id
            }
            return .redirect(to: "/service/returns/\(id)")
        }
    }

    static func page(_ req: Request, _ ctx: Context, template: String) throws -> Response {
        let r = try P.load(try req.id(), ctx)
        let id = try r.requireInt("id")
        let s = state(r)
        var total: Int64 = 0
        let ls = try lines(id, ctx).map { l throws -> [String: Any] in
            var d: [String: Any] = l.dictionary
            let q = l.int("quantity") ?? 0
            if let got = l.int("received") {
                d["hasReceived"] = true
                d["diff"] = try Stored.subtract(got, q)
                d["discrepancy"] = got != q
                total = try Stored.add(total, try Stored.multiply(got, l.int("unit_price_fen") ?? 0))
            }
            d["price"] = Money.format(l.int("unit_price_fen") ?? 0)
            return d
        }
        let credit = try creditText(id, ctx)
        return ctx.render(template, [
            "r": r.dictionary, "stateText": P.stateTitles[s.rawValue] ?? "", "reasonText": P.reasonTitle(r.string("reason_code") ?? ""),
            "oral": r.string("reason_form") == "oral", "lines": ls, "hasLines": !ls.isEmpty,
            "hasDiscrepancy": ls.contains { $0["discrepancy"] as? Bool == true },
            "receivedTotal": Money.yuan(total), "settled": r.int("settled_fen").map(Money.yuan) ?? "",
            "canList": ctx.can(P.register) && (s == .registered || s == .listed),
            "canNotice": ctx.can(P.verify) && s == .listed,
            "canReceive": ctx.can(P.receive) && s == .approved,
            "canSettle": ctx.can(P.settle) && s == .received,
            "noticeAt": ServiceUtil.time(r.int("notice_at"), ctx), "receivedAt": ServiceUtil.time(r.int("received_at"), ctx),
            "settledAt": ServiceUtil.time(r.int("settled_at"), ctx),
            "settledHere": s == .settled, "hasCredit": credit != nil, "creditText": credit ?? "",
            "history": try ServiceUtil.historyDictionaries(entity: "service.return", id: id, titles: P.stateTitles, ctx),
            "printedAt": ctx.display(ctx.now),
        ], title: "退货 #\(id)")
    }

    static let detail: Handler = { req, ctx in try page(req, ctx, template: "return") }
    static let print: Handler = { req, ctx in try page(req, ctx, template: "return-print") }

    /// 003 §6.2.2: the return list, checked with the customer.
    static let listStep: Handler = { req, ctx in
        let r = try P.load(try req.id(), ctx)
        let id = try r.requireInt("id")
        guard [.registered, .listed].contains(state(r)) else { throw HTTPError.conflict("品质部已签发通知单，退货清单不能再修改。") }
        var initial = FormData()
        for (i, l) in try lines(id, ctx).enumerated() {
            initial.append("lines.\(i).product", l.string("product") ?? "")
            initial.append("lines.\(i).spec", l.string("spec") ?? "")
            initial.append("lines.\(i).quantity", String(l.int("quantity") ?? 0))
            initial.append("lines.\(i).price", Money.format(l.int("unit_price_fen") ?? 0, grouping: false))
        }
        return try ctx.handleForm(P.listForm, template: "return-step", title: "退货清单",
                                  data: ["r": r.dictionary, "heading": "退货清单（与客户核对）"], initial: initial) { v in
            try ctx.db.transaction {
                try move(r, "list", set: ", listed_by = \(try ctx.requireUser().id), listed_at = \(ServiceUtil.epoch(ctx))", ctx)
                try ctx.db.execute("DELETE FROM service_return_lines WHERE return_id = \(id)")
                for l in v.rows("lines") {
                    try ctx.db.execute("""
                        INSERT INTO service_return_lines (return_id, product, spec, quantity, unit_price_fen)
                        VALUES (\(id), \(l.string("product")), \(l.string("spec")), \(try l.requireInt("quantity")), \(try l.requireMoney("price")))
                        """)
                }
            }
            return .redirect(to: "/service/returns/\(id)")
        }
    }

    /// 003 §6.3.1: 品质部 verifies and issues the 准予退回通知单.
    static let noticeStep: Handler = { req, ctx in
        let r = try P.load(try req.id(), ctx)
        let id = try r.requireInt("id")
        try require(r, .listed, state(r) == .registered ? "退货清单尚未与客户核对，品质部不能签发通知单。" : "通知单已签发，不能重复签发。")
        return try ctx.handleForm(P.noticeForm, template: "return-step", title: "准予退回通知单",
                                  data: ["r": r.dictionary, "heading": "品质部：核实并签发准予退回通知单"]) { v in
            let no = String(format: "ZYTH-%04d-%05lld", ctx.today.year, id)
            try ctx.db.transaction {
                try move(r, "notice", reason: v.string("opinion"), set: """
                    , notice_no = \(no), notice_opinion = \(v.string("opinion")), notice_by = \(try ctx.requireUser().id), notice_at = \(ServiceUtil.epoch(ctx))
                    """, ctx)
            }
            return .redirect(to: "/service/returns/\(id)")
        }
    }

    /// 003 §6.3.2: the 退货库 counts the goods against the list and records what arrived.
    static let receiveStep: Handler = { req, ctx in
        let r = try P.load(try req.id(), ctx)
        let id = try r.requireInt("id")
        try require(r, .approved, [.registered, .listed].contains(state(r))
                    ? "没有品质部签发的准予退回通知单，退货库不能验收入库。" : "本退货已验收入库。")
        let ls = try lines(id, ctx)
        return try ctx.handleForm(P.receiveForm(lines: ls), template: "return-step", title: "验收入库",
                                  data: ["r": r.dictionary, "heading": "退货库：按清单清点，记录实收数量"]) { v in
            try ctx.db.transaction {
                for l in ls {
                    let lid = try l.requireInt("id")
                    try ctx.db.execute("UPDATE service_return_lines SET received = \(try v.requireInt("recv_\(lid)")) WHERE id = \(lid)")
                }
                try move(r, "receive", reason: v.optionalString("discrepancy_note"), set: """
                    , received_by = \(try ctx.requireUser().id), received_at = \(ServiceUtil.epoch(ctx)), discrepancy_note = \(v.optionalString("discrepancy_note"))
                    """, ctx)
            }
            return .redirect(to: "/service/returns/\(id)")
        }
    }

    /// 003 §6.3.3: finance settles on the receipt — the RECEIVED quantities.
    static let settleStep: Handler = { req, ctx in
        let r = try P.load(try req.id(), ctx)
        let id = try r.requireInt("id")
        try require(r, .received, state(r) == .settled ? "本退货已结算。" : "退货尚未验收入库，财务不能结算。")
        let amount = try ctx.db.scalar("SELECT COALESCE(SUM(received * unit_price_fen), 0) FROM service_return_lines WHERE return_id = \(id)") ?? 0
        // With 订货 installed the settlement also reduces the customer's receivables (RULES §3.2);
        // without it the settlement is recorded here only.
        let receivables = ctx.optionalService(ReceivablesService.self)
        let heading = "财务：按实收数量结算 \(Money.yuan(amount))" + (receivables != nil && amount > 0 ? "，并冲减客户应收账款" : "")
        return try ctx.handleForm(P.settleForm, template: "return-step", title: "退货结算",
                                  data: ["r": r.dictionary, "heading": heading]) { v in
            try ctx.db.transaction {
                try move(r, "settle", reason: "按实收数量结算 \(Money.yuan(amount))", set: """
                    , settled_fen = \(amount), settle_note = \(v.optionalString("note")), settled_by = \(try ctx.requireUser().id), settled_at = \(ServiceUtil.epoch(ctx))
                    """, ctx)
                if let receivables, amount > 0 {
                    let entry = try receivables.credit(customerID: r.int("customer_id") ?? 0, amountFen: amount,
                                                       reference: creditReference(id), ctx)
                    try ctx.audit(AuditEntry(entity: "service.return", entityID: String(id), action: creditAction,
                                             reason: "已冲减应收 \(Money.yuan(amount))：订货应收分录 #\(entry)（\(creditReference(id))）"))
                }
            }
            return .redirect(to: "/service/returns/\(id)")
        }
    }

    /// The audit action that records the receivables credit of a settlement, and the reference
    /// the 订货 ledger carries for it.
    static let creditAction = "receivables_credit"
    static func creditReference(_ id: Int64) -> String { "售后退货 #\(id)" }

    /// The receivables credit of a settled return as shown on it ("已冲减应收 … 订货应收分录 #n"), if any.
    static func creditText(_ id: Int64, _ ctx: Context) throws -> String? {
        try ctx.db.first("""
            SELECT reason FROM audit_log WHERE entity = 'service.return' AND entity_id = \(String(id)) AND action = \(creditAction)
            ORDER BY id DESC LIMIT 1
            """)?.string("reason")
    }
}
