import SalesKit

/// `crm_customers.name_sort`: the 拼音 sort key of the customer's name (`PinyinSortKey`, #16
/// point 10), by which the customer list, the pickers and the reports that list customers by name
/// sort. Every statement that writes a name writes its key (`key(_:)`); rows that lack one (those
/// of before migration v12, bulk loads such as the benchmark's generator) get it after every
/// migrate (`fillMissing`).
enum NameSort {
    static func key(_ name: String) -> String { PinyinSortKey.make(name) }

    /// Fills `name_sort` where it is NULL, in batches of 500 (one transaction each); returns how
    /// many. With none missing it is one probe of the (name_sort, id) index, where NULLs come first.
    @discardableResult
    static func fillMissing(_ db: any Database) throws -> Int {
        var filled = 0
        while true {
            let rows = try db.query("SELECT id, name FROM crm_customers WHERE name_sort IS NULL ORDER BY id LIMIT 500")
            if rows.isEmpty { return filled }
            try db.transaction {
                for r in rows {
                    let id = try r.requireInt("id")
                    try db.execute("UPDATE crm_customers SET name_sort = \(key(r.string("name") ?? "")) WHERE id = \(id)")
                }
            }
            filled += rows.count
        }
    }
}
