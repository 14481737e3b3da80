import Foundation
import SalesKit

/// Sales contracts per customer (002 §3.3; the GM approves, 003 §3.7) with their product lines
/// and agreed prices (003 §3.2), the reference of the price control (RULES §6). An order waiting
/// for a contract is checked again when its contract is approved.
enum OrderContractPages {
    /// The contracts with the form to register one (002 §3.3, 003 §3.7).
    struct ContractsPage: PageModel {
        static let template = "order-contracts"

        struct Contract: TemplateModel {
            var id: Int64
            var contractNo: String
            var customer: String
            var title: String
            var signedOn: String
            var validFrom: String
            var validTo: String
            var approvedText: String
            var canApprove: Bool
            /// 约定产品与价格 (003 §3.2): "阀门 φ20 × 1000 @¥90.00；…".
            var lines: String
        }

        var contracts: [Contract]
        var canCreate: Bool
        var form: FormView
    }

    static let list: Handler = { req, ctx in
        // The contracts are read only when the page is shown (GET, CSV, a refused submit): a valid
        // submit runs under the write lock and needs none of them (issue 20).
        func contracts() throws -> [ContractsPage.Contract] {
            let rows = try ctx.db.query("""
                SELECT * FROM order_contracts o WHERE \(try OrderUtil.visibleFilter(ctx)) ORDER BY o.approved, o.id DESC LIMIT 1000
                """)
            let dir = try OrderUtil.directory(ctx)
            var names: [Int64: String] = [:]
            func name(_ id: Int64) throws -> String {
                if let n = names[id] { return n }
                let n = try dir.customer(id: id, ctx).map { "\($0.name)（\($0.code ?? "")）" } ?? ""
                names[id] = n
                return n
            }
            return try rows.map { r in
                let lines = try ctx.db.query("SELECT * FROM order_contract_lines WHERE contract_id = \(r.int("id") ?? 0) ORDER BY line_no").map { l in
                    "\(l.text("product")) \(l.text("spec"))" + (l.int("qty").map { " × \($0)" } ?? "") + " @¥\(Money.format(l.int("unit_price_fen") ?? 0))"
                }
                return ContractsPage.Contract(
                    id: r.int("id") ?? 0, contractNo: r.text("contract_no"), customer: try name(r.int("customer_id") ?? 0),
                    title: r.text("title"), signedOn: r.text("signed_on"), validFrom: r.text("valid_from"), validTo: r.text("valid_to"),
                    approvedText: r.bool("approved") ? "已批准（\(r.text("approved_name"))，\(ctx.displayEpoch(r.int("approved_at")))）" : "待总经理批准",
                    canApprove: !r.bool("approved") && ctx.can(OrderPages.approve), lines: lines.joined(separator: "；"))
            }
        }
        if req.query["format"] == "csv" {
            return .csv(filename: "销售合同.csv", CSVTable(header: ["合同编号", "客户", "合同名称", "签订日期", "有效期自", "有效期至", "约定产品与价格", "状态"],
                                                      rows: try contracts().map { [$0.contractNo, $0.customer, $0.title, $0.signedOn, $0.validFrom,
                                                                                   $0.validTo, $0.lines, $0.approvedText] }))
        }
        if req.method == "POST" { try ctx.require(OrderPages.register) }
        return try ctx.handleForm(OrderForms.contract, title: "销售合同", page: { form in
            ContractsPage(contracts: try contracts(), canCreate: ctx.can(OrderPages.register), form: form)
        }) { v in
            let c = try OrderIntake.customer(code: v.string("customer_code"), field: "customer_code", ctx)
            if try ctx.db.scalar("SELECT COUNT(*) FROM order_contracts WHERE contract_no = \(v.string("contract_no"))") ?? 0 > 0 {
                throw FormRejection(field: "contract_no", "合同编号已存在")
            }
            try ctx.db.transaction {
                let id = try ctx.db.insert("""
                    INSERT INTO order_contracts (customer_id, contract_no, title, signed_on, valid_from, valid_to, created_by, created_at)
                    VALUES (\(c.id), \(v.string("contract_no")), \(v.string("title")), \(v.optionalString("signed_on")),
                        \(v.optionalString("valid_from")), \(v.optionalString("valid_to")), \(try ctx.requireUser().id), \(ctx.epoch))
                    RETURNING id
                    """)
                var agreed: [String] = []
                for (n, l) in v.rows("lines").enumerated() {
                    let product = try ProductPages.lookup(name: l.string("product"), spec: l.string("spec"), ctx)
                    let price = l.money("price") ?? 0
                    try ctx.db.execute("""
                        INSERT INTO order_contract_lines (contract_id, line_no, product_id, product, spec, qty, unit_price_fen)
                        VALUES (\(id), \(n + 1), \(product?.id), \(l.string("product")), \(l.string("spec")), \(l.int("qty")), \(price))
                        """)
                    agreed.append("\(l.string("product")) \(l.string("spec")) @¥\(Money.format(price))")
                }
                try ctx.audit(AuditEntry(entity: "order.contract", entityID: String(id), action: "create", to: "pending",
                                         reason: "\(v.string("contract_no")) \(c.name)" + (agreed.isEmpty ? "" : "；约定价格：" + agreed.joined(separator: "；"))))
            }
            return .redirect(to: "/order/contracts")
        }
    }

    static let approveContract: Handler = { req, ctx in
        let id = try req.id()
        guard let c = try ctx.db.first("SELECT * FROM order_contracts WHERE id = \(id)") else { throw HTTPError.notFound }
        guard try OrderUtil.maySee(customer: c.int("customer_id") ?? 0, ctx) else { throw HTTPError.forbidden }
        guard !c.bool("approved") else { return OrderUtil.back("/order/contracts", error: "合同已批准。") }
        let user = try ctx.requireUser()
        try ctx.db.transaction {
            let changed = try ctx.db.execute("""
                UPDATE order_contracts SET approved = 1, approved_by = \(user.id), approved_name = \(user.displayName), approved_at = \(ctx.epoch)
                WHERE id = \(id) AND approved = 0
                """)
            guard changed == 1 else { throw HTTPError.conflict("合同已被他人批准。") }
            try ctx.audit(AuditEntry(entity: "order.contract", entityID: String(id), action: "approve", from: "pending", to: "approved"))
            // 002 §3.3: orders that waited for this contract are checked again.
            for o in try ctx.db.query("SELECT * FROM order_orders WHERE customer_id = \(c.int("customer_id") ?? 0) AND state = \(OrderState.contractPending.rawValue)") {
                _ = try OrderIntake.recheck(o, ctx)
            }
        }
        return .redirect(to: "/order/contracts")
    }
}
