import Foundation
import Testing
import SalesHost
import SalesKit
import SalesTesting
import AdminModule
import PostgresStore

/// Issue 8, faults: a submit the database cannot take (locked by another process past the busy
/// timeout, read-only, full) brings the same form back with everything typed and a Chinese
/// message (503); nothing is stored, and the re-shown form submits once the database is back.
@Suite struct StorageFailureTests {
    let t: TestApp
    init() throws {
        t = try TestApp(modules: [AdminModule()]) { $0.dbBusyTimeoutMs = 100 }
        try t.addUser("admin", roles: [.admin], displayName: "管理员")
    }

    /// Another process (node) holds the write lock: SQLite's reserved lock, or PostgreSQL's
    /// advisory lock every salesd write transaction takes.
    static func holdWriteLock(_ other: any Database) throws {
        try other.executeScript(other.dialect == "postgresql"
            ? "BEGIN; SELECT pg_advisory_xact_lock(\(PostgresDatabase.writeLockKey))" : "BEGIN IMMEDIATE")
    }

    static func idem(_ body: String) -> String? {
        body.range(of: "name=\"_idem\" value=\"").map { r in String(body[r.upperBound...].prefix { $0 != "\"" }) }
    }

    let typed = [("username", "busy.user"), ("display_name", "忙<碌> \"张\""), ("departments", "quality"),
                 ("password", "a-long-password"), ("roles", "sales_rep")]

    @Test(arguments: [true, false]) func busyDatabaseKeepsTheTypedForm(withToken: Bool) throws {
        let c = t.client()
        c.login("admin")
        let page = c.get("/admin/users/new")
        let token = try #require(Self.idem(page.body))
        // Another process holds the write lock (a second connection, outside this worker).
        let other: any Database = try t.app.openDatabase()
        try Self.holdWriteLock(other)
        let r = c.submit("/admin/users/new", (withToken ? [("_idem", token)] : []) + typed)
        #expect(r.status == 503)
        #expect(r.body.contains("数据库正忙，您填写的内容已保留，请稍后再提交。"))
        #expect(!r.body.contains("请更正以下"))
        #expect(r.body.contains("value=\"busy.user\""))
        #expect(r.body.contains("value=\"忙&lt;碌&gt; &quot;张&quot;\""))
        #expect(r.body.contains("value=\"quality\" checked") || r.body.contains("value=\"quality\" selected"))
        #expect(r.body.contains("value=\"sales_rep\" checked") || r.body.contains("value=\"sales_rep\" selected"))
        #expect(!r.body.contains("a-long-password"))  // a password is never echoed back
        try other.executeScript("ROLLBACK")
        #expect(try t.db.scalar("SELECT COUNT(*) FROM users WHERE username = 'busy.user'") == 0)
        #expect(try t.db.scalar("SELECT COUNT(*) FROM audit_log WHERE entity = 'user' AND action = 'create'") == 0)

        // The lock is gone: the re-shown form (its own fresh token) goes through, once.
        let again = try #require(Self.idem(r.body))
        #expect(again != token)
        let ok = c.submit("/admin/users/new", [("_idem", again)] + typed)
        #expect(ok.status == 303)
        #expect(try t.db.scalar("SELECT COUNT(*) FROM users WHERE username = 'busy.user'") == 1)
    }

    @Test func readOnlyDatabaseKeepsTheTypedFormWithItsOwnMessage() throws {
        let c = t.client()
        c.login("admin")
        c.get("/admin/users/new")
        try t.db.setQueryOnly(true)   // every write fails as read-only
        let r = c.submit("/admin/users/new", typed)
        #expect(r.status == 503)
        #expect(r.body.contains("系统暂时无法保存（存储空间不足或数据库只读），您填写的内容已保留，请联系管理员。"))
        #expect(r.body.contains("value=\"busy.user\""))
        #expect(try t.db.scalar("SELECT COUNT(*) FROM users WHERE username = 'busy.user'") == 0)
    }

    @Test func invalidInputWhileBusyShowsTheValidationErrors() throws {
        let c = t.client()
        c.login("admin")
        let token = try #require(Self.idem(c.get("/admin/users/new").body))
        let other: any Database = try t.app.openDatabase()
        try Self.holdWriteLock(other)
        defer { try? other.executeScript("ROLLBACK") }
        let r = c.submit("/admin/users/new", [("_idem", token), ("username", "x")])
        #expect(r.status == 422)
        #expect(r.body.contains("请更正以下"))
    }

    @Test func aPostWithoutAFormGetsTheGenericPage() throws {
        let c = t.client()
        c.login("admin")
        c.get("/admin/users/new")
        try t.db.setQueryOnly(true)
        let r = c.submit("/logout", [(String, String)]())
        try t.db.setQueryOnly(false)
        #expect(r.status == 503)
        #expect(r.body.contains("暂时无法保存"))
        #expect(r.body.contains("错误编号"))
    }
}
