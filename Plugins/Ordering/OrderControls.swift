import Foundation
import SalesKit

/// The controls of issues #14–#17 on the customer-order side (kept apart from `OrderPages` so the
/// parallel work on collections and statements merges cleanly): contract review (003 §3.2–§3.8),
/// applied contract changes (003 §3.9–§3.12), departments from the directory, overdue items.
enum OrderControls {
    static let permissions: [Permission] = [ContractFlow.review, OrderChangeFlow.companyChange, OrderChangeFlow.qualityNotices]

    static let menu: [MenuItem] = [
        MenuItem("待评审合同", path: "contract-reviews", access: .permission(ContractFlow.review)),
        MenuItem("技术部变更通知", path: "notices/technical", access: .permission(OrderPaths.technical)),
        MenuItem("品质部变更通知", path: "notices/quality", access: .permission(OrderChangeFlow.qualityNotices)),
    ]

    static let forms: [String: FormSchema] = [
        "contract_review": ContractFlow.reviewForm, "contract_revise": ContractFlow.reviseForm,
        "order_change_company": OrderChangeFlow.companyForm,
    ]

    static let pages: [any PageModel.Type] = [ContractFlow.ContractPage.self, ContractFlow.ContractFormPage.self, OrderChangePages.NoticesPage.self]

    static func routes(_ r: inout RouteBuilder) {
        // 003 §3.3–§3.8: the contract page for viewers of the customer (sales, finance, §3.8) and, under
        // its own path, for the reviewing departments (§3.3–§3.5).
        r.get("contracts/:id", .permission(OrderPages.view), ContractFlow.detail)
        r.get("contract-reviews/:id", .permission(ContractFlow.review), ContractFlow.detail)
        r.form("contracts/:id/review/:dept", .permission(ContractFlow.review), ContractFlow.reviewPage)
        r.post("contracts/:id/approve", .permission(OrderPages.approve), ContractFlow.act)
        r.form("contracts/:id/revise", .permission(OrderPages.register), ContractFlow.revise)
        r.get("contract-reviews", .permission(ContractFlow.review), ContractFlow.reviews)
        // 003 §3.11: a change the company initiates (the initiating department from the directory).
        r.form("orders/:id/changes/company", .permission(OrderChangeFlow.companyChange), OrderChangePages.createCompany)
        // 003 §3.12: 技术部 and 品质部 receive change notices too (members of the department or holders of its permission).
        r.get("notices/technical", .permission(OrderPaths.technical), OrderChangePages.noticesPage("technical"))
        r.post("notices/technical/:id/ack", .permission(OrderPaths.technical), OrderChangePages.ackFor("technical"))
        r.get("notices/quality", .permission(OrderChangeFlow.qualityNotices), OrderChangePages.noticesPage("quality"))
        r.post("notices/quality/:id/ack", .permission(OrderChangeFlow.qualityNotices), OrderChangePages.ackFor("quality"))
    }

    static func inbox(for user: User, _ ctx: Context) throws -> [InboxItem] {
        try ContractFlow.inbox(for: user, ctx)
    }

    static func overdue(_ ctx: Context) throws -> [OverdueItem] {
        try ContractFlow.overdue(ctx) + OrderOverdue.deliveries(ctx)
    }
}
