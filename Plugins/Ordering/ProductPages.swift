import Foundation
import OrderingAPI
import SalesKit

/// The product master (产品目录, issue #14): kept by the holders of `products` (admin, GM, sales
/// manager by default), read by every order role. Its list price is the 价格表 a sporadic customer
/// pays (003 §4.1.3) and the floor of the price control where no contract price applies
/// (001 篇一 1.6, RULES §6); order lines pick products from it, free text stays possible for a
/// variant never made (001 篇二 §6.2). Offered to other modules as `ProductCatalog`.
enum ProductPages {
    /// Keep the product master (and so the price list).
    static let products = Permission("order", "products", title: "维护产品目录（品名、规格、单位、价格表单价、标准成本）",
                                     defaultRoles: [.admin, .generalManager, .salesManager])

    static let form = FormSchema([
        FormField("name", "品名", required: true, rules: [.length(min: 1, max: 100)]),
        FormField("spec", "规格", rules: [.length(min: nil, max: 100)]),
        FormField("unit", "单位", rules: [.length(min: nil, max: 20)], help: "如 件、套、米"),
        FormField("list_price", "价格表单价（元）", .money, required: true, rules: [.range(0, 100_000_000_000)],
                  help: "零星客户按此价（003 §4.1.3）；无合同价时低于此价须销售经理批准"),
        FormField("std_cost", "标准成本（元）", .money, rules: [.range(0, 100_000_000_000)]),
        FormField("active", "在用（停用后不能再订货）", .checkbox),
    ])

    static func info(_ r: Row) -> ProductInfo {
        ProductInfo(id: r.int("id") ?? 0, name: r.text("name"), spec: r.text("spec"), unit: r.text("unit"),
                    listPriceFen: r.int("list_price_fen") ?? 0, standardCostFen: r.int("std_cost_fen") ?? 0, active: r.bool("active"))
    }

    /// Whether this user sees standard costs (the keepers of the master and finance).
    static func seesCost(_ ctx: Context) -> Bool { ctx.can(products) || ctx.can(OrderPages.finance) }

    static let listPage = ListPage(
        title: "产品目录（价格表）", path: "/order/products",
        select: "p.*", from: "order_products p",
        scope: { _ in "1 = 1" },
        columns: [
            .init("name", "品名", sql: "p.name") { r, ctx in
                ListCell(r.text("name"), href: ctx.can(products) ? "/order/products/\(r.int("id") ?? 0)" : nil)
            },
            .text("spec", "规格", sql: "p.spec"),
            .text("unit", "单位", sql: "p.unit"),
            .init("price", "价格表单价（元）", sql: "p.list_price_fen") { r, _ in ListCell(OrderUtil.yuan(r.int("list_price_fen")), cls: "num") },
            .init("cost", "标准成本（元）", sql: "p.std_cost_fen", sortable: false) { r, ctx in
                ListCell(seesCost(ctx) ? OrderUtil.yuan(r.int("std_cost_fen")) : "—", cls: "num")
            },
            .init("active", "状态", sql: "p.active") { r, _ in ListCell(r.bool("active") ? "在用" : "停用") },
        ],
        filters: [
            .search("q", "品名或规格") { q, _ in "p.name LIKE \("%" + q + "%") OR p.spec LIKE \("%" + q + "%")" },
            .choice("active", "状态", all: "全部", [Choice("1", "在用"), Choice("0", "停用")]) { v, _ in "p.active = \(v == "1")" },
        ],
        actions: [ListPage.Action("新增产品", href: "/order/products/new", shown: { $0.can(products) })],
        defaultSort: "name", tiebreaker: "p.id", empty: "产品目录为空。", csvName: "产品目录.csv",
        intro: "订货单明细从产品目录选择品名、规格；目录外的品种仍可填写（未生产过的品种送技术部试制，001 篇二 §6.2）。"
            + "零星客户按价格表单价（003 §4.1.3）；无合同价时，低于价格表单价须销售经理批准（001 篇一 1.6）。",
        rowClass: { r, _ in r.bool("active") ? nil : "muted" })

    /// Its keepers (`order.products`) or anyone who sees orders (the route's `anyOf`).
    static let list: Handler = { req, ctx in try listPage.respond(req, ctx) }

    /// The former 价格表 address.
    static let prices: Handler = { _, _ in .redirect(to: "/order/products") }

    static let create: Handler = { _, ctx in try edit(nil, ctx) }

    static let update: Handler = { req, ctx in
        guard let p = try ctx.db.first("SELECT * FROM order_products WHERE id = \(try req.id())") else { throw HTTPError.notFound }
        return try edit(p, ctx)
    }

    static func edit(_ p: Row?, _ ctx: Context) throws -> Response {
        var initial = FormData([("active", "1")])
        if let p {
            initial = FormData([("name", p.text("name")), ("spec", p.text("spec")), ("unit", p.text("unit")),
                                ("list_price", Money.format(p.int("list_price_fen") ?? 0, grouping: false)),
                                ("std_cost", Money.format(p.int("std_cost_fen") ?? 0, grouping: false))])
            if p.bool("active") { initial.append("active", "1") }
        }
        let title = p == nil ? "新增产品" : "修改产品：\(p?.text("name") ?? "") \(p?.text("spec") ?? "")"
        return try ctx.handleForm(form, title: title, initial: initial, page: {
            OrderLedgerPages.EntryFormPage(heading: title, intro: "品名 + 规格在目录中唯一。价格和成本以元填写，按分保存；每次修改记入审计。",
                                           button: "保存", back: "/order/products", form: $0)
        }) { v in
            let name = v.string("name"), spec = v.string("spec")
            let price = v.money("list_price") ?? 0, cost = v.money("std_cost") ?? 0, active = v.bool("active")
            let pid = p?.int("id") ?? 0
            if let other = try ctx.db.first("SELECT id FROM order_products WHERE name = \(name) AND spec = \(spec)"), other.int("id") != pid {
                throw FormRejection(field: "name", "产品目录中已有「\(name)\(spec.isEmpty ? "" : " " + spec)」")
            }
            let text = "\(name) \(spec)（\(v.string("unit"))）单价 ¥\(Money.format(price))，成本 ¥\(Money.format(cost))，\(active ? "在用" : "停用")"
            try ctx.db.transaction {
                if let p {
                    try ctx.db.execute("""
                        UPDATE order_products SET name = \(name), spec = \(spec), unit = \(v.string("unit")), list_price_fen = \(price),
                            std_cost_fen = \(cost), active = \(active), updated_at = \(ctx.epoch)
                        WHERE id = \(pid)
                        """)
                    let before = "\(p.text("name")) \(p.text("spec"))（\(p.text("unit"))）单价 ¥\(Money.format(p.int("list_price_fen") ?? 0))，"
                        + "成本 ¥\(Money.format(p.int("std_cost_fen") ?? 0))，\(p.bool("active") ? "在用" : "停用")"
                    try ctx.audit(AuditEntry(entity: "order.product", entityID: String(pid), action: "edit", from: before, to: text))
                    return
                }
                let id = try ctx.db.insert("""
                    INSERT INTO order_products (name, spec, unit, list_price_fen, std_cost_fen, active, created_at, updated_at)
                    VALUES (\(name), \(spec), \(v.string("unit")), \(price), \(cost), \(active), \(ctx.epoch), \(ctx.epoch))
                    RETURNING id
                    """)
                try ctx.audit(AuditEntry(entity: "order.product", entityID: String(id), action: "create", to: text))
            }
            return .redirect(to: "/order/products?q=" + URLEncoding.percentEncode(name))
        }
    }

    /// Active products for the order form's picker (`<datalist>`), at most `limit`.
    static func picker(_ ctx: Context, limit: Int = 2000) throws -> [ProductInfo] {
        try ctx.db.query("SELECT * FROM order_products WHERE active = 1 ORDER BY name, spec LIMIT \(limit)").map(info)
    }

    /// The product of an order line by 品名 and 规格 (the UNIQUE index; no scan on the write path).
    static func lookup(name: String, spec: String, _ ctx: Context) throws -> ProductInfo? {
        try ctx.db.first("SELECT * FROM order_products WHERE name = \(name) AND spec = \(spec)").map(info)
    }
}

/// `ProductCatalog` for other modules.
struct OrderProductCatalog: ProductCatalog {
    func product(id: Int64, _ ctx: Context) throws -> ProductInfo? {
        try ctx.db.first("SELECT * FROM order_products WHERE id = \(id)").map(ProductPages.info)
    }

    func product(name: String, spec: String, _ ctx: Context) throws -> ProductInfo? {
        try ProductPages.lookup(name: name, spec: spec, ctx)
    }

    func search(_ text: String, limit: Int, _ ctx: Context) throws -> [ProductInfo] {
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let n = max(0, min(limit, 10_000))
        if t.isEmpty { return try ProductPages.picker(ctx, limit: n) }
        return try ctx.db.query("""
            SELECT * FROM order_products WHERE active = 1 AND (name LIKE \("%" + t + "%") OR spec LIKE \("%" + t + "%"))
            ORDER BY name, spec LIMIT \(n)
            """).map(ProductPages.info)
    }
}
