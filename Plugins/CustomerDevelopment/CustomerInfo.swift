import Foundation
import SalesKit

/// Customer information (004 第六章 3 客户信息管理) on the customer file: ① background — the
/// organisation, the using / purchasing / supporting departments, similar products in use;
/// ②⑤ the project — procurement plan, the problem it solves, timing, budget, progress, needs,
/// priorities; ③ relations — the decision makers and influencers with their roles (who decides,
/// who sets the purchase targets, who handles the contract terms) and the decision process;
/// ⑥ competitors — company, products, their account manager and leader, how they sell.
/// Confidential like the customer (004 第四章(1)); every save is audited and counts as a change
/// of the customer's file for the weekly changes report (004 第六章 5(6)).
enum CustomerInfoPages {
    static let roles = [Choice("decider", "决策人（谁做决定）"), Choice("targets", "确定采购指标"), Choice("contract", "负责合同条款"),
                        Choice("influencer", "影响者"), Choice("user", "使用人员"), Choice("buyer", "采购人员"), Choice("manager", "管理层")]

    static let form = FormSchema([
        // ① 客户背景资料
        FormField("org_structure", "组织架构与组织政治", .textarea, rules: [.length(min: nil, max: 2000)]),
        FormField("website", "网站", rules: [.length(min: nil, max: 200)]),
        FormField("email", "邮箱", rules: [.pattern("[^@\\s]+@[^@\\s]+\\.[^@\\s]+", message: "请输入有效邮箱地址")]),
        FormField("user_dept", "使用部门", rules: [.length(min: nil, max: 100)]),
        FormField("purchase_dept", "采购部门", rules: [.length(min: nil, max: 100)]),
        FormField("support_dept", "支持部门", rules: [.length(min: nil, max: 100)]),
        FormField("similar_products", "同类产品或解决方案的应用情况", .textarea, rules: [.length(min: nil, max: 2000)]),
        // ②⑤ 项目信息
        FormField("procurement_plan", "最近的采购计划", .textarea, rules: [.length(min: nil, max: 2000)]),
        FormField("project_problem", "项目要解决的主要问题", .textarea, rules: [.length(min: nil, max: 2000)]),
        FormField("purchase_on", "预计采购时间", .date),
        FormField("budget", "预算（元）", .money, rules: [.range(0, CustomerAmounts.max)]),
        FormField("progress", "采购进度", rules: [.length(min: nil, max: 200)]),
        FormField("requirements", "需求", .textarea, rules: [.length(min: nil, max: 2000)]),
        FormField("priorities", "优先评估项", rules: [.length(min: nil, max: 200)]),
        // ③ 客户关系信息
        FormField("decision_makers", "主要决策人与影响者", .rows(FormSchema([
            FormField("name", "姓名", required: true, rules: [.length(min: nil, max: 50)]),
            FormField("title", "职务", rules: [.length(min: nil, max: 50)]),
            FormField("department", "部门", rules: [.length(min: nil, max: 50)]),
            FormField("role", "在采购中的角色", .select(roles)),
            FormField("notes", "经历、专长、喜好等", rules: [.length(min: nil, max: 200)]),
        ]), minRows: 0, blankRows: 3)),
        FormField("decision_process", "决策流程及决策人之间的关系", .textarea, rules: [.length(min: nil, max: 2000)]),
        // ⑥ 竞争者资料
        FormField("competitors", "竞争者", .rows(FormSchema([
            FormField("company", "竞争者公司", required: true, rules: [.length(min: nil, max: 100)]),
            FormField("products", "产品情况", rules: [.length(min: nil, max: 200)]),
            FormField("account_manager", "客户经理", rules: [.length(min: nil, max: 50)]),
            FormField("leader", "主要领导", rules: [.length(min: nil, max: 50)]),
            FormField("sales_style", "销售特点", rules: [.length(min: nil, max: 200)]),
        ]), minRows: 0, blankRows: 2)),
    ])

    static func load(_ customerID: Int64, _ ctx: Context) throws -> Row? {
        try ctx.db.first("""
            SELECT i.*, COALESCE(u.display_name, '') AS by_name FROM crm_customer_info i LEFT JOIN users u ON u.id = i.updated_by
            WHERE i.customer_id = \(customerID)
            """)
    }

    /// Only the fields of the form (rows as `name.N.field`).
    static func stored(_ raw: FormData) -> String {
        var kept = FormData()
        for (n, v) in raw.pairs where n != "_csrf" && form.fields.contains(where: { n == $0.name || n.hasPrefix($0.name + ".") }) {
            kept.append(n, v)
        }
        return URLEncoding.encode(kept)
    }

    /// What the customer page shows: the filled fields by section, and who updated them when.
    static func shown(_ customerID: Int64, _ ctx: Context) throws -> (DocumentView, String)? {
        guard let row = try load(customerID, ctx) else { return nil }
        let filled = ApplicationPages.groups(try URLEncoding.parse(row.string("data") ?? ""), of: form,
                                             keep: { $0.isRows ? $0.hasRows : !$0.value.isEmpty })
        return (DocumentView(groups: filled), "\(row.string("by_name") ?? "") 更新于 \(ctx.displayEpoch(row.int("updated_at")))")
    }

    static let edit: Handler = { req, ctx in
        let c = try Visibility.customer(try req.id(), ctx)
        let cid = try c.requireInt("id")
        let existing = try load(cid, ctx)
        let initial = try existing.map { try URLEncoding.parse($0.string("data") ?? "") } ?? FormData()
        return try ctx.handleForm(form, title: "客户信息", initial: initial,
                                  page: { form in CustomerInfoFormPage(c: CustomerView(c), form: form) }) { v in
            let user = try ctx.requireUser()
            let data = stored(req.form)
            if existing?.string("data") == data { return .redirect(to: "/crm/customers/\(cid)#info", flash: .info("客户信息没有变化。")) }   // unchanged
            try ctx.db.transaction {
                try ctx.db.execute("""
                    INSERT INTO crm_customer_info (customer_id, data, budget_fen, purchase_on, updated_by, updated_at)
                    VALUES (\(cid), \(data), \(v.money("budget")), \(v.optionalString("purchase_on")), \(user.id), \(ctx.epoch))
                    ON CONFLICT (customer_id) DO UPDATE SET data = excluded.data, budget_fen = excluded.budget_fen,
                        purchase_on = excluded.purchase_on, updated_by = excluded.updated_by, updated_at = excluded.updated_at
                    """)
                try ctx.db.execute("UPDATE crm_customers SET updated_at = \(ctx.epoch) WHERE id = \(cid)")
                let makers = v.rows("decision_makers").count, rivals = v.rows("competitors").count
                try ctx.audit(AuditEntry(entity: "crm.customer", entityID: String(cid), action: "info",
                                         reason: "决策人 \(makers) 位，竞争者 \(rivals) 家"))
            }
            return .redirect(to: "/crm/customers/\(cid)#info", flash: .ok("客户信息已保存。"))
        }
    }
}

/// 客户信息 (004 第六章 3), filled in or revised.
struct CustomerInfoFormPage: PageModel {
    static let template = "customer-info-form"
    var c: CustomerView
    var form: FormView
}
