import Foundation
import SalesKit

/// To-do items of the 客户开发 module.
enum Inbox {
    static func items(for user: User, _ ctx: Context) throws -> [InboxItem] {
        guard user.can(CustomerDevelopmentModule.use) else { return [] }
        var items: [InboxItem] = []
        // Applications waiting for this approver's decision.
        if user.can(CustomerDevelopmentModule.approve) {
            for r in try ctx.db.query("""
                SELECT a.id, c.name, a.state FROM crm_applications a JOIN crm_customers c ON c.id = a.customer_id
                WHERE a.state IN ('evaluated', 'suspended') AND \(try Visibility.filter(ctx)) ORDER BY a.updated_at LIMIT 50
                """) {
                let suspended = r.string("state") == "suspended"
                items.append(InboxItem(title: (suspended ? "已中止的认定申请：" : "待审核认定申请：") + (r.string("name") ?? ""),
                                       detail: suspended ? "请决定恢复调查或关闭" : "客户评定报告已提交",
                                       url: "/crm/applications/\(r.int("id") ?? 0)"))
            }
        }
        // Applications in draft or investigation for the customers this user owns (they follow a
        // reassigned customer to its new owner).
        for r in try ctx.db.query("""
            SELECT a.id, c.name, a.state FROM crm_applications a JOIN crm_customers c ON c.id = a.customer_id
            WHERE c.owner_id = \(user.id) AND a.state IN ('draft', 'investigating') ORDER BY a.updated_at LIMIT 50
            """) {
            items.append(InboxItem(title: (r.string("state") == "draft" ? "认定申请草稿：" : "信用调查中：") + (r.string("name") ?? ""),
                                   url: "/crm/applications/\(r.int("id") ?? 0)"))
        }
        // 003 §2.3: own customers whose class in force was approved before the current quarter
        // and with no proposal under review (a re-rating counts once reviewed, RULES §6).
        let due = try ctx.db.query("""
            SELECT c.id, c.name, c.rated_at FROM crm_customers c
            WHERE c.owner_id = \(user.id) AND \(CustomerPages.dueCondition(ctx))
            ORDER BY c.rated_at, c.id LIMIT 50
            """)
        for r in due {
            items.append(InboxItem(title: "季度复评：" + (r.string("name") ?? ""),
                                   detail: r.int("rated_at").map { "上次评定 " + ctx.displayEpoch($0) } ?? "尚未评定",
                                   url: "/crm/customers/\(r.int("id") ?? 0)/rate"))
        }
        return items
    }
}
