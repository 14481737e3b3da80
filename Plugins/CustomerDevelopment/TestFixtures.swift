import SalesKit

/// The CRM's own helper for other modules' tests (issue 13): a customer in a given state is made
/// here, by the module that owns `crm_customers`, so 订货's, 售后服务's and the host's tests never
/// write the CRM's tables themselves — a column the CRM adds (a sort key, a required field) is
/// filled in this one place (the pinyin sort key, `name_sort`, is). Not used by the application.
public enum CustomerFixtures {
    /// A customer as the CRM would hold it after its steps: `status` `customer` (approved, with a
    /// code and a class) or `prospect`; `ratedAt` epoch seconds of the last rating.
    @discardableResult
    public static func customer(_ db: any Database, name: String, code: String?, owner: Int64, status: String = "customer",
                                ratingClass: String? = "B", inCity: Bool = true, city: String = "",
                                ratedAt: Int64? = nil, createdAt: Int64 = 0) throws -> Int64 {
        try db.insert("""
            INSERT INTO crm_customers (name, name_sort, code, status, owner_id, rating_class, rated_at, in_city, city,
                                       created_by, created_at, updated_at)
            VALUES (\(name), \(NameSort.key(name)), \(code), \(status), \(owner), \(ratingClass), \(ratedAt), \(inCity ? 1 : 0),
                    \(city), \(owner), \(createdAt), \(createdAt)) RETURNING id
            """)
    }
}
