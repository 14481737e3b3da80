import CustomerDevelopmentAPI
import Foundation
import SalesKit

/// `CustomerDirectory` over the module's own tables (the only code that reads them for others).
struct Directory: CustomerDirectory {
    static let select: SQL = """
        SELECT c.id, c.code, c.name, c.status, c.owner_id, COALESCE(u.display_name, '') AS owner_name,
               c.rating_class, c.in_city, c.city, c.address, c.phone
        FROM crm_customers c LEFT JOIN users u ON u.id = c.owner_id
        """

    static func info(_ r: Row) -> CustomerInfo {
        CustomerInfo(id: r.int("id") ?? 0, code: r.string("code"), name: r.string("name") ?? "", status: r.string("status") ?? "",
                     ownerID: r.int("owner_id") ?? 0, ownerName: r.string("owner_name") ?? "", ratingClass: r.string("rating_class"),
                     inCity: r.bool("in_city"), city: r.string("city") ?? "", address: r.string("address") ?? "",
                     phone: r.string("phone") ?? "")
    }

    func customer(id: Int64, _ ctx: Context) throws -> CustomerInfo? {
        try ctx.db.first(Self.select + " WHERE c.id = \(id)").map(Self.info)
    }

    func customer(code: String, _ ctx: Context) throws -> CustomerInfo? {
        try ctx.db.first(Self.select + " WHERE c.code = \(code)").map(Self.info)
    }

    func maySee(customerID: Int64, _ ctx: Context) throws -> Bool {
        guard let row = try ctx.db.first("SELECT owner_id FROM crm_customers WHERE id = \(customerID)") else { return false }
        return try Visibility.maySee(row, ctx)
    }

    func search(_ text: String, limit: Int, _ ctx: Context) throws -> [CustomerInfo] {
        let like = "%" + text + "%"
        return try ctx.db.query(Self.select + " WHERE c.status = 'customer' AND (c.name LIKE \(like) OR c.code LIKE \(like)) AND \(try Visibility.filter(ctx)) ORDER BY c.name_sort, c.id LIMIT \(limit)")
            .map(Self.info)
    }

    func searchAll(_ text: String, limit: Int, _ ctx: Context) throws -> [CustomerInfo] {
        let like = "%" + text + "%"
        return try ctx.db.query(Self.select + " WHERE c.status = 'customer' AND (c.name LIKE \(like) OR c.code LIKE \(like)) ORDER BY c.name_sort, c.id LIMIT \(limit)")
            .map(Self.info)
    }

    func classPolicy(_ ratingClass: String, _ ctx: Context) throws -> ClassPolicy? {
        try ctx.db.first("SELECT * FROM crm_class_policy WHERE rating_class = \(ratingClass)").map(PolicyPages.policy)
    }
}
