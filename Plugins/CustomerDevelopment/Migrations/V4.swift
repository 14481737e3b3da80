import SalesKit

extension CRMMigrations {
    /// Keyset paging of a rep's own customers by name (the default list) reads one index range,
    /// and the index carries every column the list shows, so a page never visits the table
    /// (whose rows, in name order, are scattered): a page costs the same with 10 thousand
    /// customers or a million (issue #7).
    static let v4 = Migration(4, "covering index for each rep's customer list by name", """
            CREATE INDEX crm_customers_owner_name ON crm_customers(owner_id, name, id, code, status, rating_class, stage,
                                                                   city, in_city, rated_at);
            """)
}
