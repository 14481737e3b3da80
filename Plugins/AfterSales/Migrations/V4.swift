import SalesKit

extension ServiceMigrations {
    // A return's lines are read and replaced by return id on every save (issue 20: no scan
    // of a growing table under the write lock).
    static let v4 = Migration(4, "index of return lines by return", "CREATE INDEX service_return_lines_return ON service_return_lines(return_id);")
}
