import SalesKit

extension CRMMigrations {
    /// Customers in 拼音 order (#16 point 10): `name_sort` is `PinyinSortKey.make(name)`, written
    /// with every name (`NameSort`); the list sorts by it and its keyset cursor carries it. Rows
    /// without one (those of before this version, bulk loads) get it in Swift right after every
    /// migrate — each `salesd migrate` and each start of `salesd serve` (`NameSort.fillMissing`,
    /// one index probe when none is missing). Until then such a row sorts first.
    ///
    /// The key's order is its bytes: PostgreSQL compares the column in the "C" collation (the
    /// database's default collation would ignore the key's spaces and tabs); SQLite's default
    /// is already BINARY.
    ///
    /// The indexes on the name become the same on `name_sort`: (name_sort, id) for those who see
    /// every customer and for the pickers, and the covering one of each rep's list (v4), which
    /// now also carries the name it shows.
    static let v12 = Migration(12, "pinyin sort key of customer names", sqlite: """
            ALTER TABLE crm_customers ADD COLUMN name_sort TEXT;
            DROP INDEX crm_customers_name;
            DROP INDEX crm_customers_owner_name;
            CREATE INDEX crm_customers_name_sort ON crm_customers(name_sort, id);
            CREATE INDEX crm_customers_owner_name_sort ON crm_customers(owner_id, name_sort, id, name, code, status, rating_class,
                                                                        stage, city, in_city, rated_at);
            """, postgresql: """
            ALTER TABLE crm_customers ADD COLUMN name_sort TEXT COLLATE "C";
            DROP INDEX crm_customers_name;
            DROP INDEX crm_customers_owner_name;
            CREATE INDEX crm_customers_name_sort ON crm_customers(name_sort, id);
            CREATE INDEX crm_customers_owner_name_sort ON crm_customers(owner_id, name_sort, id, name, code, status, rating_class,
                                                                        stage, city, in_city, rated_at);
            """)
}
