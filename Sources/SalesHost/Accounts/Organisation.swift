import Foundation
import SalesKit

/// The department directory and reports-to, stored in the core tables `departments`,
/// `department_members` and `users.supervisor_id` (core migration 5).
public enum Organisation {
    /// Sets a user's departments (codes of active departments; unknown codes are ignored) and
    /// keeps `users.department`, the display text, in step. Returns the names joined.
    @discardableResult
    public static func setMembership(userID: Int64, codes: [String], _ db: any Database) throws -> String {
        try db.execute("DELETE FROM department_members WHERE user_id = \(userID)")
        var names: [String] = []
        for code in codes {
            guard let d = try db.first("SELECT id, name FROM departments WHERE code = \(code) AND active = 1"),
                  let id = d.int("id"), !names.contains(d.string("name") ?? "") else { continue }
            try db.execute("INSERT INTO department_members (department_id, user_id) VALUES (\(id), \(userID))")
            names.append(d.string("name") ?? "")
        }
        let text = names.joined(separator: "、")
        try db.execute("UPDATE users SET department = \(text) WHERE id = \(userID)")
        return text
    }

    /// The codes of the departments a user belongs to.
    public static func membership(userID: Int64, _ db: any Database) throws -> [String] {
        try db.query("""
            SELECT d.code FROM department_members m JOIN departments d ON d.id = m.department_id
            WHERE m.user_id = \(userID) ORDER BY d.position, d.id
            """).compactMap { $0.string("code") }
    }

    /// Refreshes the display text of every member of a department (after a rename).
    static func refreshDisplay(departmentID: Int64, _ db: any Database) throws {
        for r in try db.query("SELECT user_id FROM department_members WHERE department_id = \(departmentID)") {
            guard let uid = r.int("user_id") else { continue }
            try setMembership(userID: uid, codes: try membership(userID: uid, db), db)
        }
    }

    /// Whether making `supervisorID` the supervisor of `userID` would close a reporting loop.
    public static func wouldLoop(userID: Int64, supervisorID: Int64, _ db: any Database) throws -> Bool {
        if userID == supervisorID { return true }
        let chain = try db.query("""
            WITH RECURSIVE up(id, depth) AS (
                SELECT supervisor_id, 1 FROM users WHERE id = \(supervisorID)
                UNION SELECT u.supervisor_id, up.depth + 1 FROM users u JOIN up ON u.id = up.id WHERE up.depth < 100
            )
            SELECT id FROM up WHERE id IS NOT NULL
            """)
        return chain.contains { $0.int("id") == userID }
    }
}

struct HostOrgDirectory: OrgDirectory {
    func membership(userID: Int64, _ ctx: Context) throws -> [String] { try Organisation.membership(userID: userID, ctx.db) }

    func setMembership(userID: Int64, codes: [String], _ ctx: Context) throws -> String {
        try Organisation.setMembership(userID: userID, codes: codes, ctx.db)
    }

    func wouldLoop(userID: Int64, supervisorID: Int64, _ ctx: Context) throws -> Bool {
        try Organisation.wouldLoop(userID: userID, supervisorID: supervisorID, ctx.db)
    }

    private func load(_ ctx: Context, where condition: SQL) throws -> [Department] {
        let rows = try ctx.db.query("""
            SELECT d.id, d.code, d.name, d.head_id, d.active, h.display_name AS head_name
            FROM departments d LEFT JOIN users h ON h.id = d.head_id
            WHERE \(condition) ORDER BY d.position, d.id
            """)
        var members: [Int64: [Int64]] = [:]
        let ids = rows.compactMap { $0.int("id") }
        if !ids.isEmpty {
            for m in try ctx.db.query("""
                SELECT m.department_id, m.user_id, u.display_name FROM department_members m JOIN users u ON u.id = m.user_id
                WHERE u.active = 1 AND m.department_id IN (\(list: ids)) ORDER BY u.id
                """).sortedByPinyin({ $0.string("display_name") ?? "" }) {
                if let d = m.int("department_id"), let u = m.int("user_id") { members[d, default: []].append(u) }
            }
        }
        return rows.compactMap { r in
            guard let id = r.int("id") else { return nil }
            return Department(id: id, code: r.string("code") ?? "", name: r.string("name") ?? "", headID: r.int("head_id"),
                              headName: r.string("head_name"), active: r.bool("active"), memberIDs: members[id] ?? [])
        }
    }

    func departments(_ ctx: Context) throws -> [Department] {
        try load(ctx, where: "d.active = 1")
    }

    func department(code: String, _ ctx: Context) throws -> Department? {
        try load(ctx, where: "d.code = \(code)").first
    }

    func departments(ofUser userID: Int64, _ ctx: Context) throws -> [Department] {
        try load(ctx, where: """
            d.active = 1 AND (d.head_id = \(userID)
                OR EXISTS (SELECT 1 FROM department_members m WHERE m.department_id = d.id AND m.user_id = \(userID)))
            """)
    }

    func supervisor(of userID: Int64, _ ctx: Context) throws -> Int64? {
        try ctx.db.first("SELECT supervisor_id FROM users WHERE id = \(userID)")?.int("supervisor_id")
    }

    func team(of supervisorID: Int64, _ ctx: Context) throws -> [Int64] {
        try ctx.db.query("""
            WITH RECURSIVE t(id, depth) AS (
                SELECT id, 1 FROM users WHERE supervisor_id = \(supervisorID)
                UNION SELECT u.id, t.depth + 1 FROM users u JOIN t ON u.supervisor_id = t.id WHERE t.depth < 100
            )
            SELECT DISTINCT u.id FROM t JOIN users u ON u.id = t.id WHERE u.active = 1 AND u.id <> \(supervisorID) ORDER BY u.id
            """).compactMap { $0.int("id") }
    }
}

/// Hands a user's records over across every installed module (switched on or not: a
/// switched-off module's data stays and must not be orphaned either).
struct HostUserHandover: UserHandover {
    let modules: [any DepartmentModule]

    func held(by userID: Int64, _ ctx: Context) throws -> [HeldRecords] {
        var all: [HeldRecords] = []
        for m in modules { all += try m.held(by: userID, ctx).filter { $0.count > 0 } }
        // Reports: people who report to the user get the successor as supervisor.
        if let n = try ctx.db.first("SELECT COUNT(*) AS n FROM users WHERE supervisor_id = \(userID) AND active = 1")?.int("n"), n > 0 {
            all.append(HeldRecords(title: "系统管理：直接下属", count: Int(n)))
        }
        return all
    }

    func handOver(from userID: Int64, to successorID: Int64, reason: String, _ ctx: Context) throws {
        for m in modules { try m.handOver(from: userID, to: successorID, reason: reason, ctx) }
        let reports = try ctx.db.query("SELECT id FROM users WHERE supervisor_id = \(userID)").compactMap { $0.int("id") }
        for id in reports where id != successorID {
            try ctx.db.execute("UPDATE users SET supervisor_id = \(successorID) WHERE id = \(id)")
            try ctx.audit(AuditEntry(entity: "user", entityID: String(id), action: "supervisor", from: String(userID),
                                     to: String(successorID), reason: reason))
        }
    }
}
