import Foundation
import SalesKit

/// Sales contracts per customer (002 §3.3) with their product lines and agreed prices (003 §3.2),
/// delivery terms and attachments, the reference of the price control (RULES §6). Registered,
/// a contract goes to 技术部、品质部、生产部 for review and then to the GM (`ContractFlow`,
/// 003 §3.3–§3.7). An order waiting for a contract is checked again when its contract is approved.
enum OrderContractPages {
    /// 003 §3.2–§3.8 and 002 §3.3 in one line, above the list and the registration form.
    static let intro = "销售部组织合同评审（003 §3.2）：登记后送技术部、品质部、生产部评审（003 §3.3–§3.5），三个部门全部同意后由总经理价格评审并批准（003 §3.7）；任一部门不同意或总经理退回，合同退回销售部修改。合同生效后销售部、财务部各留存一份（003 §3.8）。订单只按已批准的合同核查（002 §3.3）；合同约定的产品单价是价格核查的依据（001 篇一 1.6）。"

    /// The customer as the CRM directory has it, 「名称（客户代码）」: order_contracts keeps only the
    /// id, and a module reads another's customers only through its service (one lookup per row
    /// shown; the column is not sortable).
    static func customerName(_ id: Int64, _ ctx: Context) -> String {
        guard let dir = try? OrderUtil.directory(ctx) else { return "#\(id)" }
        switch Result(catching: { try dir.customer(id: id, ctx) }) {
        case .success(let c): return c.map { "\($0.name)（\($0.code ?? "")）" } ?? ""
        case .failure: return "#\(id)"
        }
    }

    /// The contracts this user may see (002 §3.3, 003 §3.7): sorting, keyset paging, the CSV with
    /// the same columns. Registering one is its own page (`create`, 登记销售合同).
    static let listPage = ListPage(
        title: "销售合同", path: "/order/contracts",
        select: "o.*", from: "order_contracts o",
        scope: { ctx in try OrderUtil.visibleFilter(ctx) },
        columns: [
            .link("no", "合同编号", sql: "o.contract_no", to: "/order/contracts/"),
            .init("customer", "客户", sql: "o.customer_id", sortable: false) { r, ctx in ListCell(customerName(r.int("customer_id") ?? 0, ctx)) },
            .text("title", "合同名称", sql: "o.title"),
            .text("signed", "签订日期", sql: "o.signed_on"),
            .text("from", "有效期自", sql: "o.valid_from").styled(.nowrap),
            .text("to", "有效期至", sql: "o.valid_to").styled(.nowrap),
            // 003 §3.2: one query per row shown (at most a page of 50).
            .init("lines", "约定产品与价格", sql: "o.id", sortable: false) { r, ctx in
                ListCell((try? ContractFlow.linesText(r.int("id") ?? 0, ctx)) ?? "")
            },
            .init("status", "状态", sql: "o.approved") { r, ctx in
                let st = ContractFlow.state(r)
                guard st == .approved else { return ListCell(st.title) }
                return ListCell("已批准（\(r.text("approved_name"))，\(ctx.displayEpoch(r.int("approved_at")))）", cls: "tag ok")
            },
        ],
        filters: [
            .search("q", "合同编号或名称") { s, _ in
                let like = "%" + s + "%"
                return "o.contract_no LIKE \(like) OR o.title LIKE \(like)"
            },
            .choice("state", "状态", all: "全部状态", ContractState.allCases.map { Choice($0.rawValue, $0.title) }) { s, _ in "o.state = \(s)" },
        ],
        actions: [.init("登记销售合同", href: "/order/contracts/new", shown: { $0.can(OrderPages.register) })],
        defaultSort: "status", tiebreaker: "o.id", empty: "没有合同。", csvName: "销售合同.csv", intro: intro)

    static let list: Handler = { req, ctx in try listPage.respond(req, ctx) }

    /// 登记销售合同: the form on its own page; a refused submit comes back (422) with each error
    /// beside its field and every typed value kept.
    struct ContractNewPage: PageModel {
        static let template = "order-contract-new"
        var intro: String
        var form: FormView
    }

    static let create: Handler = { req, ctx in
        var initial = FormData()
        if let code = req.query["customer"] { initial.append("customer_code", code) }
        return try ctx.handleForm(OrderForms.contract, title: "登记销售合同", parent: Breadcrumb("销售合同", "/order/contracts"),
                                  initial: initial, page: { form in
            // Read only when the page is shown: a valid submit runs under the write lock (issue 20).
            ContractNewPage(intro: intro, form: form.suggesting("customer_code", try OrderUtil.customerPicker(OrderUtil.directory(ctx), ctx),
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
