import Foundation
import SalesKit

/// Sales contracts per customer (002 §3.3) with their product lines and agreed prices (003 §3.2),
/// delivery terms and attachments, the reference of the price control (RULES §6). Registered,
/// a contract goes to 技术部、品质部、生产部 for review and then to the GM (`ContractFlow`,
/// 003 §3.3–§3.7). An order waiting for a contract is checked again when its contract is approved.
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
            var isApproved: Bool
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
                let lines = try ContractFlow.linesText(r.int("id") ?? 0, ctx)
                let st = ContractFlow.state(r)
                return ContractsPage.Contract(
                    id: r.int("id") ?? 0, contractNo: r.text("contract_no"), customer: try name(r.int("customer_id") ?? 0),
                    title: r.text("title"), signedOn: r.text("signed_on"), validFrom: r.text("valid_from"), validTo: r.text("valid_to"),
                    approvedText: st == .approved ? "已批准（\(r.text("approved_name"))，\(ctx.displayEpoch(r.int("approved_at")))）" : st.title,
                    isApproved: st == .approved, lines: lines)
            }
        }
        if req.query["format"] == "csv" {
            return .csv(filename: "销售合同.csv", CSVTable(header: ["合同编号", "客户", "合同名称", "签订日期", "有效期自", "有效期至", "约定产品与价格", "状态"],
                                                      rows: try contracts().map { [$0.contractNo, $0.customer, $0.title, $0.signedOn, $0.validFrom,
                                                                                   $0.validTo, $0.lines, $0.approvedText] }))
        }
        if req.method == "POST" { try ctx.require(OrderPages.register) }
        return try ctx.handleForm(OrderForms.contract, title: "销售合同", page: { form in
            ContractsPage(contracts: try contracts(), canCreate: ctx.can(OrderPages.register),
                          form: form.suggesting("customer_code", try OrderUtil.customerPicker(OrderUtil.directory(ctx), ctx),
                                                none: OrderUtil.noCustomers))
        }) { v in
            let c = try OrderIntake.customer(code: v.string("customer_code"), field: "customer_code", ctx)
            if try ctx.db.scalar("SELECT COUNT(*) FROM order_contracts WHERE contract_no = \(v.string("contract_no"))") ?? 0 > 0 {
                throw FormRejection(field: "contract_no", "合同编号已存在")
            }
            let id: Int64 = try ctx.db.transaction {
                let id = try ctx.db.insert("""
                    INSERT INTO order_contracts (customer_id, contract_no, title, signed_on, valid_from, valid_to, delivery_terms, attachments,
                        state, review_round, review_due_at, created_by, created_at, updated_at)
                    VALUES (\(c.id), \(v.string("contract_no")), \(v.string("title")), \(v.optionalString("signed_on")),
                        \(v.optionalString("valid_from")), \(v.optionalString("valid_to")), \(v.optionalString("delivery_terms") ?? ""),
                        \(v.optionalString("attachments") ?? ""), \(ContractState.review.rawValue), 1, \(ContractFlow.reviewDue(ctx)),
                        \(try ctx.requireUser().id), \(ctx.epoch), \(ctx.epoch))
                    RETURNING id
                    """)
                let agreed = try ContractFlow.insertLines(id, v.rows("lines"), ctx)
                // 003 §3.2: sales organises the review by 技术部、品质部、生产部 (their members' inboxes).
                try ctx.audit(AuditEntry(entity: "order.contract", entityID: String(id), action: "create", to: ContractState.review.rawValue,
                                         reason: "\(v.string("contract_no")) \(c.name)" + (agreed.isEmpty ? "" : "；约定价格：" + agreed.joined(separator: "；"))
                                            + "；送技术部、品质部、生产部评审（003 §3.2–§3.5）"))
                return id
            }
            return .redirect(to: "/order/contracts/\(id)", flash: .ok("合同已登记，已送技术部、品质部、生产部评审。"))
        }
    }
}
