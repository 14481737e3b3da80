import Foundation
import SalesKit

/// Confidentiality (004 第四章(1), 第六章 5(7)): a rep sees and edits only own customers;
/// a 销售主管 (`crm.view_team`) also those of the team — everyone who reports to them, directly or
/// through others (the platform's reports-to, 系统管理 → 用户 → 直属上级); holders of
/// `crm.view_all` (销售经理 and above) see all. A supervisor nobody reports to yet sees all, as
/// before teams existed, until the administrator records the team (the 客户名录 says so). Acting on a customer one may not
/// see is answered 403 with the generic page (nothing of the customer is revealed); an unknown
/// id is 404 (issue #3, "Bad input").
enum Visibility {
    static func seesAll(_ ctx: Context) -> Bool {
        if ctx.can(CustomerDevelopmentModule.viewAll) { return true }
        return ctx.can(CustomerDevelopmentModule.viewTeam) && ((try? team(ctx))?.isEmpty ?? false)
    }

    /// The people whose customers a team-scoped user sees besides their own (empty: no team yet).
    static func team(_ ctx: Context) throws -> [Int64] {
        guard ctx.can(CustomerDevelopmentModule.viewTeam), let user = ctx.user,
              let org = ctx.optionalService(OrgDirectory.self) else { return [] }
        return try org.team(of: user.id, ctx)
    }

    /// The owners whose customers the user sees (nil: everyone's).
    static func owners(_ ctx: Context) throws -> [Int64]? {
        if ctx.can(CustomerDevelopmentModule.viewAll) { return nil }
        let user = try ctx.requireUser()
        let members = try team(ctx)
        if ctx.can(CustomerDevelopmentModule.viewTeam) && members.isEmpty { return nil }
        return [user.id] + members
    }

    /// SQL condition on `c.owner_id` for lists.
    static func filter(_ ctx: Context) throws -> SQL {
        guard let owners = try owners(ctx) else { return "1 = 1" }
        return "c.owner_id IN (\(list: owners))"
    }

    /// The customer row, if it exists and the user may see it; else 404.
    static func customer(_ id: Int64, _ ctx: Context) throws -> Row {
        guard let row = try ctx.db.first("""
            SELECT c.*, COALESCE(u.display_name, '') AS owner_name
            FROM crm_customers c LEFT JOIN users u ON u.id = c.owner_id WHERE c.id = \(id)
            """) else { throw HTTPError.notFound }
        guard try maySee(row, ctx) else { throw HTTPError.forbidden }
        return row
    }

    static func maySee(_ row: Row, _ ctx: Context) throws -> Bool {
        guard let owners = try owners(ctx) else { return true }
        return row.int("owner_id").map(owners.contains) ?? false
    }
}
