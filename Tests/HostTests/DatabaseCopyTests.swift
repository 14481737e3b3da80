import AdminModule
import Foundation
import Testing
import SalesHost
import SalesKit
import SalesTesting

/// Issue #17: `salesd copy` moves a live system from SQLite to PostgreSQL — every table, in
/// foreign-key order, row counts checked — and the copy serves at once (logins, new rows).
@Suite struct DatabaseCopyTests {
    @Test func everyTableArrivesAndTheCopyServes() throws {
        // The source: a SQLite system with users, departments, audit rows and a session.
        let old = try TestApp(modules: [AdminModule()]) { $0.database = "sales.sqlite" }
        let boss = try old.addUser("boss", roles: [.admin], displayName: "王<经理>")
        let c = old.client()
        #expect(c.login("boss").status == 303)
        #expect(c.submit("/admin/departments/new", ["code": "export", "name": "出口部", "reason": "新设"]).status == 303)
        let sourcePath = old.directory + "/sales.sqlite"
        func count(_ db: any Database, _ table: String) throws -> Int64 { try db.scalar(SQL(unsafe: "SELECT COUNT(*) FROM \(table)")) ?? -1 }
        let tables = ["users", "user_roles", "departments", "department_members", "audit_log", "sessions", "roles", "role_permissions"]
        let expected = try Dictionary(uniqueKeysWithValues: tables.map { ($0, try count(old.db, $0)) })

        // The target: a new PostgreSQL database.
        let url = try PostgresServer.shared().freshDatabaseURL()
        var config = old.app.config
        config.database = url
        let app = try App(config: config, modules: [AdminModule()])
        let copied = try DatabaseCopy.copy(from: sourcePath, into: app)
        #expect(copied.count > 10)
        #expect(!copied.contains { $0.table == "schema_migrations" })
        let target = try app.openDatabase()
        for t in tables { #expect(try count(target, t) == expected[t], "\(t)") }
        #expect(try target.first("SELECT display_name FROM users WHERE id = \(boss)")?.string("display_name") == "王<经理>")

        // The copy serves: the same password logs in, and new rows get ids after the copied ones.
        let moved = try TestApp(modules: [AdminModule()]) { $0.database = url }
        let m = moved.client()
        #expect(m.login("boss").status == 303)
        let newID = try moved.addUser("newcomer", roles: [.salesRep])
        #expect(newID > boss)
        #expect(m.submit("/admin/departments/new", ["code": "import", "name": "进口部", "reason": "新设"]).status == 303)

        // A second copy into a database that now has users is refused; a source behind is refused.
        #expect(throws: DatabaseCopy.Failure.self) { try DatabaseCopy.copy(from: sourcePath, into: app) }
        #expect(throws: DatabaseCopy.Failure.self) { try DatabaseCopy.copy(from: old.directory + "/missing.sqlite", into: app) }
    }
}
