import Foundation
import SalesKit

/// 客户开发报告表 (002 第三节 一.2): how a new customer was won — 客户名称, 电话, 公司地址,
/// 主办人员, 推销产品, 第一次交易额, 第一次交易品名, 开拓经过, 备注 — written by the rep (报告者);
/// the 批示 of the 经理 and the 销售主管 are added afterwards by holders of `crm.approve`
/// (audited, once each). Visible like the customer it belongs to; printable with signatures.
enum VisitDevelopmentPages {
    static func form(_ customers: [Choice]) -> FormSchema {
        FormSchema([
            FormField("customer_id", "客户名称", .select(customers), required: true),
            FormField("phone", "电话", rules: [.pattern("[0-9+()\\- ]{5,30}", message: "请输入有效电话号码")],
                      help: "留空则取客户资料中的电话"),
            FormField("address", "公司地址", rules: [.length(min: nil, max: 200)], help: "留空则取客户资料中的地址"),
            FormField("handler", "主办人员", required: true, rules: [.length(min: nil, max: 50)]),
            FormField("products", "推销产品", rules: [.length(min: nil, max: 200)]),
            FormField("first_amount", "第一次交易额（元）", .money, rules: [.range(0, CustomerAmounts.max)]),
            FormField("first_product", "第一次交易品名", rules: [.length(min: nil, max: 100)]),
            FormField("process", "开拓经过", .textarea, required: true, rules: [.length(min: 2, max: 4000)]),
            FormField("remarks", "备注", .textarea, rules: [.length(min: nil, max: 2000)]),
        ])
    }

    static let commentForm = FormSchema([
        FormField("note", "批示", .textarea, required: true, rules: [.length(min: 2, max: 2000)]),
    ])

    /// Which 批示 a user writes: 经理 for the manager roles and above, else 销售主管.
    static func commentSlot(_ user: User) -> (column: String, title: String) {
        user.has(.salesManager) || user.has(.marketingDirector) || user.has(.generalManager)
            ? ("manager", "经理") : ("supervisor", "销售主管")
    }

    static let listSpec = ListSpec(columns: [
        .init("created", "报告日期", sql: "r.created_at"),
        .init("customer", "客户名称", sql: "r.customer_name"),
        .init("handler", "主办人员", sql: "r.handler"),
        .init("amount", "第一次交易额", sql: "r.first_amount_fen"),
        .init("reporter", "报告者", sql: "reporter_name"),
        .init("status", "批示", sql: "r.manager_at", sortable: false),
    ], defaultSort: "created", defaultDescending: true, filters: ["q", "pending"], pageSize: 50, tiebreaker: "r.id")

    static func commentStatus(_ r: Row) -> String {
        switch (r.int("manager_at") != nil, r.int("supervisor_at") != nil) {
        case (true, true): "已批示"
        case (true, false): "经理已批示"
        case (false, true): "销售主管已批示"
        case (false, false): "待批示"
        }
    }

    static let list: Handler = { req, ctx in
        let q = listSpec.parse(req.query)
        var w: SQL = "WHERE \(try Visibility.filter(ctx))"
        if let s = q.filters["q"] { w = w + " AND r.customer_name LIKE \("%" + s + "%")" }
        if q.filters["pending"] != nil { w = w + " AND (r.manager_at IS NULL OR r.supervisor_at IS NULL)" }
        let rows = try ctx.db.query("""
            SELECT r.id, r.created_at, r.customer_name, r.handler, r.first_amount_fen, r.first_product, r.manager_at, r.supervisor_at,
                   COALESCE(u.display_name, '') AS reporter_name
            FROM crm_development_reports r JOIN crm_customers c ON c.id = r.customer_id LEFT JOIN users u ON u.id = r.reporter_id
            \(w) ORDER BY \(raw: q.orderBy) LIMIT \(q.limit) OFFSET \(q.offset)
            """)
        func cells(_ r: Row) -> [String] {
            [ctx.time(r.int("created_at")), r.string("customer_name") ?? "", r.string("handler") ?? "",
             r.int("first_amount_fen").map { Money.format($0) } ?? "", r.string("reporter_name") ?? "", commentStatus(r)]
        }
        if q.export {
            return .csv(filename: "客户开发报告表.csv", CSVTable(header: listSpec.columns.map(\.title), rows: rows.map(cells)))
        }
        return ctx.render("visit-dev-list", [
            "reports": rows.prefix(listSpec.pageSize).map { r -> [String: Any] in ["id": r.int("id") ?? 0, "cells": cells(r)] },
            "list": q.viewModel(rowsFetched: rows.count, basePath: "/crm/reports/development"),
            "f": q.filters,
            "pending": q.filters["pending"] != nil,
        ], title: "客户开发报告表")
    }

    static let create: Handler = { req, ctx in
        let user = try ctx.requireUser()
        let schema = form(try VisitPages.customerChoices(ctx))
        var initial = FormData([("handler", user.displayName)])
        if let s = req.query["customer"], let id = Int64(s), let c = try? Visibility.customer(id, ctx) {
            initial.append("customer_id", String(id))
            initial.append("phone", c.string("phone") ?? "")
            initial.append("address", c.string("address") ?? "")
        }
        return try ctx.handleForm(schema, template: "visit-dev-form", title: "填写客户开发报告表", initial: initial) { v in
            let c = try VisitPages.chosenCustomer(v, ctx)
            let id: Int64 = try ctx.db.transaction {
                let id = try ctx.db.insert("""
                    INSERT INTO crm_development_reports (customer_id, reporter_id, customer_name, phone, address, handler, products,
                        first_amount_fen, first_product, process, remarks, created_at, updated_at)
                    VALUES (\(c.int("id") ?? 0), \(user.id), \(c.string("name") ?? ""),
                            \(v.optionalString("phone") ?? c.string("phone") ?? ""), \(v.optionalString("address") ?? c.string("address") ?? ""),
                            \(v.string("handler")), \(v.string("products")), \(v.money("first_amount")), \(v.string("first_product")),
                            \(v.string("process")), \(v.string("remarks")), \(ctx.epoch), \(ctx.epoch))
                    RETURNING id
                    """)
                try ctx.audit(AuditEntry(entity: "crm.development_report", entityID: String(id), action: "create"))
                return id
            }
            return .redirect(to: "/crm/reports/development/\(id)")
        }
    }

    /// The report, if the user may see its customer; else 404.
    static func load(_ id: Int64, _ ctx: Context) throws -> Row {
        guard let r = try ctx.db.first("""
            SELECT r.*, COALESCE(u.display_name, '') AS reporter_name, COALESCE(m.display_name, '') AS manager_name,
                   COALESCE(s.display_name, '') AS supervisor_name
            FROM crm_development_reports r LEFT JOIN users u ON u.id = r.reporter_id
            LEFT JOIN users m ON m.id = r.manager_id LEFT JOIN users s ON s.id = r.supervisor_id
            WHERE r.id = \(id)
            """) else { throw HTTPError.notFound }
        _ = try Visibility.customer(r.int("customer_id") ?? 0, ctx)
        return r
    }

    static func pageData(_ r: Row, _ ctx: Context) -> [String: Any] {
        var data: [String: Any] = [
            "r": r.dictionary,
            "amount": r.int("first_amount_fen").map(Money.yuan) ?? "",
            "createdAt": ctx.time(r.int("created_at")),
            "managerAt": ctx.time(r.int("manager_at")),
            "supervisorAt": ctx.time(r.int("supervisor_at")),
            "hasManager": r.int("manager_at") != nil,
            "hasSupervisor": r.int("supervisor_at") != nil,
            "statusText": commentStatus(r),
            "printedAt": ctx.display(ctx.now),
        ]
        if let user = ctx.user, ctx.can(CustomerDevelopmentModule.approve) {
            let slot = commentSlot(user)
            data["slotTitle"] = slot.title
            data["canComment"] = r.int(slot.column + "_at") == nil
        }
        return data
    }

    /// GET shows the report with the 批示 form for an approver; POST (crm.approve only, checked
    /// by the route) adds the approver's 批示 — as 经理 or 销售主管 — once.
    static let detail: Handler = { req, ctx in
        let r = try load(try req.id(), ctx)
        let id = r.int("id") ?? 0
        let user = try ctx.requireUser()
        let slot = commentSlot(user)
        if ctx.request.method == "POST", r.int(slot.column + "_at") != nil {
            throw HTTPError.conflict("\(slot.title)已经批示过。")
        }
        return try ctx.handleForm(commentForm, template: "visit-dev", title: "客户开发报告表", data: pageData(r, ctx)) { v in
            try ctx.db.transaction {
                let changed = try ctx.db.execute("""
                    UPDATE crm_development_reports SET \(raw: slot.column)_note = \(v.string("note")), \(raw: slot.column)_id = \(user.id),
                        \(raw: slot.column)_at = \(ctx.epoch), updated_at = \(ctx.epoch)
                    WHERE id = \(id) AND \(raw: slot.column)_at IS NULL
                    """)
                guard changed == 1 else { throw HTTPError.conflict("\(slot.title)已经批示过。") }
                try ctx.audit(AuditEntry(entity: "crm.development_report", entityID: String(id), action: "comment",
                                         to: slot.title, reason: v.string("note")))
            }
            return .redirect(to: "/crm/reports/development/\(id)")
        }
    }

    static let print: Handler = { req, ctx in
        let r = try load(try req.id(), ctx)
        return ctx.render("visit-dev-print", pageData(r, ctx), title: "客户开发报告表")
    }
}
