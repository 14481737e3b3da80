import Foundation
import Testing
import SalesHost
import SalesKit
import SalesTesting

/// Inbox escalation (issue #16 point 4): an overdue item reaches the responsible person's
/// supervisor at once and, past a second limit, the general manager.
@Suite struct EscalationTests {
    /// A module whose overdue items are read from a table the test fills.
    struct Tasks: DepartmentModule {
        let manifest = ModuleManifest(id: "tasks", title: "任务", version: "1")
        var migrations: [Migration] {
            [Migration(1, "tasks", "CREATE TABLE tasks (id INTEGER PRIMARY KEY, title TEXT NOT NULL, owner_id INTEGER NOT NULL, due INTEGER NOT NULL);")]
        }
        func overdue(_ ctx: Context) throws -> [OverdueItem] {
            try ctx.db.query("SELECT id, title, owner_id, due FROM tasks WHERE due < \(Int64(ctx.now.timeIntervalSince1970))").compactMap { r in
                guard let id = r.int("id"), let owner = r.int("owner_id"), let due = r.int("due") else { return nil }
                return OverdueItem(InboxItem(title: r.string("title") ?? "", url: "/tasks/\(id)"), responsibleUserID: owner,
                                   due: Date(timeIntervalSince1970: TimeInterval(due)))
            }
        }
    }

    @Test func overdueItemsGoToTheSupervisorAtOnceAndToTheManagerAfterTheLimit() throws {
        let t = try TestApp(modules: [Tasks()]) { $0.escalateToGeneralManagerDays = 3 }
        let gm = try t.addUser("gm", roles: [.generalManager], displayName: "王总")
        let sup = try t.addUser("sup", roles: [.salesSupervisor], displayName: "李主管")
        let rep = try t.addUser("rep", roles: [.salesRep], displayName: "张伟")
        let loner = try t.addUser("loner", roles: [.serviceRep], displayName: "赵六")
        let other = try t.addUser("other", roles: [.salesSupervisor], displayName: "别的主管")
        try t.db.execute("UPDATE users SET supervisor_id = \(sup) WHERE id = \(rep)")
        try t.db.execute("UPDATE users SET supervisor_id = \(gm) WHERE id = \(sup)")
        let now = Int64(Date().timeIntervalSince1970)
        try t.db.execute("INSERT INTO tasks (title, owner_id, due) VALUES ('回访客户甲', \(rep), \(now - 3600 * 5))")
        try t.db.execute("INSERT INTO tasks (title, owner_id, due) VALUES ('处理投诉乙', \(rep), \(now - 86_400 * 4))")
        try t.db.execute("INSERT INTO tasks (title, owner_id, due) VALUES ('下周的事', \(rep), \(now + 86_400))")
        try t.db.execute("INSERT INTO tasks (title, owner_id, due) VALUES ('无人督办', \(loner), \(now - 60))")

        func home(_ user: String) -> String { let c = t.client(); _ = c.login(user); return c.get("/").body }
        // The supervisor sees both overdue items of the rep, with who and how late; not the future one.
        let supHome = home("sup")
        #expect(supHome.contains("超期升级"))
        #expect(supHome.contains("【任务】回访客户甲") && supHome.contains("负责人 张伟 · 已逾期 5 小时"))
        #expect(supHome.contains("处理投诉乙") && supHome.contains("已逾期 4 天"))
        #expect(!supHome.contains("下周的事") && !supHome.contains("无人督办"))
        // The general manager: only what is past the second limit, and what has no supervisor.
        let gmHome = home("gm")
        #expect(gmHome.contains("处理投诉乙") && gmHome.contains("无人督办"))
        #expect(!gmHome.contains("回访客户甲"))
        // Nobody else: not the rep (it is their own inbox's business), not another supervisor.
        #expect(!home("rep").contains("超期升级"))
        #expect(!home("other").contains("超期升级"))
        _ = other
        // A deactivated supervisor no longer stands in the way: the manager gets it at once.
        try t.db.execute("UPDATE users SET active = 0 WHERE id = \(sup)")
        #expect(home("gm").contains("回访客户甲"))
    }
}
