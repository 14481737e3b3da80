import Foundation
import SalesKit
import SQLiteStore

/// User administration used by the CLI and by the admin module (through `AccountService`).
public struct Accounts {
    let db: any Database

    public init(app: App) throws { db = try app.openDatabase() }
    public init(db: any Database) { self.db = db }

    public func userID(_ username: String) throws -> Int64? {
        try db.first("SELECT id FROM users WHERE username = \(username)")?.int("id")
    }

    @discardableResult
    public func addUser(username: String, displayName: String, department: String = "", password: String, roles: [String], now: Date = Date()) throws -> Int64 {
        let hash = try PasswordHasher.hash(password)
        return try db.transaction {
            let id = try db.insert("""
                INSERT INTO users (username, display_name, department, password_hash, created_at)
                VALUES (\(username), \(displayName), \(department), \(hash), \(Int64(now.timeIntervalSince1970))) RETURNING id
                """)
            for r in roles { try db.execute("INSERT INTO user_roles (user_id, role_id) VALUES (\(id), \(r))") }
            return id
        }
    }

    public func setPassword(username: String, password: String) throws {
        let hash = try PasswordHasher.hash(password)
        guard try db.execute("UPDATE users SET password_hash = \(hash) WHERE username = \(username)") == 1 else {
            throw ConfigError(message: "no user \(username)")
        }
        // A new password ends every session of that user.
        try db.execute("UPDATE sessions SET ended = 1 WHERE user_id = (SELECT id FROM users WHERE username = \(username))")
    }

    public func setRoles(username: String, roles: [String]) throws {
        guard let id = try userID(username) else { throw ConfigError(message: "no user \(username)") }
        try db.transaction {
            try db.execute("DELETE FROM user_roles WHERE user_id = \(id)")
            for r in roles { try db.execute("INSERT INTO user_roles (user_id, role_id) VALUES (\(id), \(r))") }
        }
    }

    public func roles(username: String) throws -> [String] {
        try db.query("SELECT role_id FROM user_roles ur JOIN users u ON u.id = ur.user_id WHERE u.username = \(username) ORDER BY role_id")
            .compactMap { $0.string("role_id") }
    }

    public func list() throws -> [String] {
        try db.query("""
            SELECT u.username, u.display_name, u.active, COALESCE(GROUP_CONCAT(ur.role_id), '') AS roles
            FROM users u LEFT JOIN user_roles ur ON ur.user_id = u.id GROUP BY u.id ORDER BY u.username
            """).map { "\($0.string("username") ?? "")\t\($0.string("display_name") ?? "")\t\($0.bool("active") ? "active" : "disabled")\t\($0.string("roles") ?? "")" }
    }
}
