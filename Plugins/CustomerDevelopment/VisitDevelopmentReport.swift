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

    static func commentStatus(_ r: Row) -> String {
        switch (r.int("manager_at") != nil, r.int("supervisor_at") != nil) {
        case (true, true): "已批示"
        case (true, false): "经理已批示"
        case (false, true): "销售主管已批示"
        case (false, false): "待批示"
        }
    }

    /// 客户开发报告表: the reports on the customers the user may see.
    static let listPage = ListPage(
        title: "客户开发报告表", path: "/crm/reports/development",
        select: """
            r.id, r.created_at, r.customer_name, r.handler, r.first_amount_fen, r.manager_at, r.supervisor_at,
                   COALESCE(u.display_name, '') AS reporter_name
            """,
        from: "crm_development_reports r JOIN crm_customers c ON c.id = r.customer_id LEFT JOIN users u ON u.id = r.reporter_id",
        scope: { ctx in try Visibility.filter(ctx) },
        columns: [
            .init("created", "报告日期", sql: "r.created_at") { r, ctx in
                ListCell(ctx.displayEpoch(r.int("created_at")), href: "/crm/reports/development/\(r.int("id") ?? 0)")
            },
            .text("customer", "客户名称", sql: "r.customer_name"),
            .text("handler", "主办人员", sql: "r.handler"),
            .init("amount", "第一次交易额", sql: "r.first_amount_fen") { r, _ in ListCell(r.int("first_amount_fen").map { Money.format($0) } ?? "") },
            // The expression, not its alias: keyset paging puts it in WHERE, where PostgreSQL knows no aliases (#17).
            .init("reporter", "报告者", sql: "COALESCE(u.display_name, '')", rowKey: "reporter_name") { r, _ in ListCell(r.string("reporter_name") ?? "") },
            .init("status", "批示", sql: "r.manager_at", sortable: false) { r, _ in ListCell(commentStatus(r)) },
        ],
        filters: [
            .search("q", "客户名称") { s, _ in "r.customer_name LIKE \("%" + s + "%")" },
            .checkbox("pending", "待批示") { _ in "r.manager_at IS NULL OR r.supervisor_at IS NULL" },
        ],
        actions: [.init("填写报告", href: "/crm/reports/development/new")],
        defaultSort: "created", defaultDescending: true, tiebreaker: "r.id", empty: "没有报告。")

    static let list: Handler = { req, ctx in try listPage.respond(req, ctx) }

    static let create: Handler = { req, ctx in
        let user = try ctx.requireUser()
        let schema = form(try VisitPages.customerChoices(ctx))
        var initial = FormData([("handler", user.displayName)])
        if let s = req.query["customer"], let id = Int64(s), let c = try? Visibility.customer(id, ctx) {
            initial.append("customer_id", String(id))
            initial.append("phone", c.string("phone") ?? "")
            initial.append("address", c.string("address") ?? "")
        }
        return try ctx.handleForm(schema, title: "填写客户开发报告表", initial: initial,
                                  page: { form in VisitDevFormPage(form: form) }) { v in
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
            return .redirect(to: "/crm/reports/development/\(id)", flash: .ok("客户开发报告表已保存。"))
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

    /// The 客户开发报告表 as on paper (`visit-dev-table`), for the page and its print.
    static func table(_ r: Row, _ ctx: Context) -> VisitDevTable {
        VisitDevTable(
            no: DocumentNo.make("KFBG", id: r.int("id") ?? 0, createdAt: r.int("created_at"), ctx),
            r: .init(id: r.int("id") ?? 0, customer_id: r.int("customer_id") ?? 0, customer_name: r.string("customer_name") ?? "",
                     phone: r.string("phone") ?? "", address: r.string("address") ?? "", handler: r.string("handler") ?? "",
                     products: r.string("products") ?? "", first_product: r.string("first_product") ?? "",
                     process: r.string("process") ?? "", remarks: r.string("remarks") ?? "",
                     manager_note: r.string("manager_note") ?? "", manager_name: r.string("manager_name") ?? "",
                     supervisor_note: r.string("supervisor_note") ?? "", supervisor_name: r.string("supervisor_name") ?? "",
                     reporter_name: r.string("reporter_name") ?? ""),
            amount: r.int("first_amount_fen").map(Money.yuan) ?? "",
            createdAt: ctx.displayEpoch(r.int("created_at")),
            managerAt: ctx.displayEpoch(r.int("manager_at")),
            supervisorAt: ctx.displayEpoch(r.int("supervisor_at")),
            hasManager: r.int("manager_at") != nil,
            hasSupervisor: r.int("supervisor_at") != nil)
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
        return try ctx.handleForm(commentForm, title: "客户开发报告表", page: { form in
            // The 批示 form for an approver whose slot is still empty.
            let mine = ctx.can(CustomerDevelopmentModule.approve) ? slot : nil
            return VisitDevPage(table: table(r, ctx), statusText: commentStatus(r), slotTitle: mine?.title ?? "",
                                canComment: mine.map { r.int($0.column + "_at") == nil } ?? false, form: form)
        }) { v in
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
            return .redirect(to: "/crm/reports/development/\(id)", flash: .ok("批示已保存。"))
        }
    }

    static let print: Handler = { req, ctx in
        let r = try load(try req.id(), ctx)
        return ctx.render(VisitDevPrintPage(table: table(r, ctx), printedAt: ctx.display(ctx.now)), title: "客户开发报告表")
    }
}

// MARK: - Page models

/// The 客户开发报告表 as on paper: what `visit-dev-table` prints (`{{#table}}` around it).
struct VisitDevTable: TemplateModel {
    /// 编号 (`DocumentNo`, KFBG-…).
    var no: String
    var r: Report
    var amount: String
    var createdAt: String
    var managerAt: String
    var supervisorAt: String
    var hasManager: Bool
    var hasSupervisor: Bool

    struct Report: TemplateModel {
        var id: Int64
        var customer_id: Int64
        var customer_name: String
        var phone: String
        var address: String
        var handler: String
        var products: String
        var first_product: String
        var process: String
        var remarks: String
        var manager_note: String
        var manager_name: String
        var supervisor_note: String
        var supervisor_name: String
        var reporter_name: String
    }
}

/// 填写客户开发报告表.
struct VisitDevFormPage: PageModel {
    static let template = "visit-dev-form"
    var form: FormView
}

/// One 客户开发报告表, with the 批示 form for an approver.
struct VisitDevPage: PageModel {
    static let template = "visit-dev"
    var table: VisitDevTable
    var statusText: String
    /// 经理 or 销售主管: whose 批示 the form adds.
    var slotTitle: String
    var canComment: Bool
    var form: FormView
}

/// The 客户开发报告表 for print, with signatures.
struct VisitDevPrintPage: PageModel {
    static let template = "visit-dev-print"
    var table: VisitDevTable
    var printedAt: String
}
