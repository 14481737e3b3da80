import Foundation
import SalesKit

/// Confidentiality (004 第四章(1), 第六章 5(7)): a rep sees and edits only own customers;
/// holders of `crm.view_all` (supervisors and above) see all. Acting on a customer one may not
/// see is answered 403 with the generic page (nothing of the customer is revealed); an unknown
/// id is 404 (issue #3, "Bad input").
enum Visibility {
    static func seesAll(_ ctx: Context) -> Bool { ctx.can(CustomerDevelopmentModule.viewAll) }

    /// SQL condition on `c.owner_id` for lists.
    static func filter(_ ctx: Context) throws -> SQL {
        if seesAll(ctx) { return "1 = 1" }
        let user = try ctx.requireUser()
        return "c.owner_id = \(user.id)"
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
        if seesAll(ctx) { return true }
        return row.int("owner_id") == (try ctx.requireUser().id)
    }
}
