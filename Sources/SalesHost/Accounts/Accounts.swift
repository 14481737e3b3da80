import Foundation
import SalesKit
import SQLiteStore

/// Who changes an account outside a web request, for the audit row: the admin CLI writes
/// user `cli` from address `cli`, the operating-system account in the reason.
public struct AccountActor: Sendable {
    public var username: String
    public var address: String
    public var reason: String?

    public init(username: String, address: String, reason: String? = nil) {
        self.username = username
        self.address = address
        self.reason = reason
    }

    /// `salesd user …`: user and address `cli`; the reason names the command and the system
    /// user who ran it (and who used sudo, if anyone did).
    public static func cli(command: String, reason: String? = nil,
                           environment: [String: String] = ProcessInfo.processInfo.environment) -> AccountActor {
        var who = "系统用户 " + AppConfig.currentUserName
        if let sudo = environment["SUDO_USER"], !sudo.isEmpty { who += "（sudo: \(sudo)）" }
        let text = [reason, "命令行 \(command)，\(who)"].compactMap { $0?.isEmpty == false ? $0 : nil }.joined(separator: "；")
        return AccountActor(username: "cli", address: "cli", reason: text)
    }
}

/// What the CLI reports as a message (and exit status) instead of an SQL error.
public enum AccountError: Error, Equatable, CustomStringConvertible {
    case noSuchUser(String)
    case userExists(String)
    /// The database has no users table: not migrated, or not the database the service uses.
    case noSchema(String)
    /// A department name or code the directory does not have (with the known names).
    case noSuchDepartment(String, known: [String])

    public var description: String {
        switch self {
        case .noSchema(let path):
            "数据库尚未初始化 (no schema in the database) \(path): run `salesd migrate` first, with the service's --config"
        case .noSuchUser(let name): "没有此用户 (no such user): \(LogText.field(name))"
        case .userExists(let name): "用户已存在 (user already exists): \(LogText.field(name))"
        case .noSuchDepartment(let name, let known):
            "没有此部门 (no such department): \(LogText.field(name)); 现有部门 (known): \(known.joined(separator: "、"))"
        }
    }
}

/// User administration used by the CLI and by the test harness. The web's forms (Plugins/Admin)
/// validate their input; `salesd user` binds the admin module's own form schemas before calling
/// here, so both follow the same rules. With an `actor`, every change writes its audit row in
/// the same transaction (module `admin`, as the user pages do).
public struct Accounts {
    let db: any Database

    /// Opens the app's database; `AccountError.noSchema` if it has no users table (a data
    /// directory nobody migrated — often a configuration other than the service's).
    public init(app: App) throws {
        db = try app.openDatabase()
        do {
            _ = try db.scalar("SELECT COUNT(*) FROM users")
        } catch is StorageError {
            throw AccountError.noSchema(app.config.databaseDisplayName)
        }
    }
    public init(db: any Database) { self.db = db }

    public func userID(_ username: String) throws -> Int64? {
        try db.first("SELECT id FROM users WHERE username = \(username)")?.int("id")
    }

    @discardableResult
    public func addUser(username: String, displayName: String, department: String = "", password: String, roles: [String],
                        now: Date = Date(), by actor: AccountActor? = nil) throws -> Int64 {
        let hash = try PasswordHasher.hash(password)
        return try db.transaction {
            // Checked inside the write transaction: no SQL constraint error for a name taken
            // meanwhile.
            if try userID(username) != nil { throw AccountError.userExists(username) }
            let id = try db.insert("""
                INSERT INTO users (username, display_name, department, password_hash, created_at)
                VALUES (\(username), \(displayName), \(department), \(hash), \(Int64(now.timeIntervalSince1970))) RETURNING id
                """)
            // A role given twice is one role (user_roles is unique per user and role).
            let roles = Array(Set(roles)).sorted()
            for r in roles { try db.execute("INSERT INTO user_roles (user_id, role_id) VALUES (\(id), \(r))") }
            // Departments named (names or codes, comma-separated), else the standard ones of the roles.
            let codes = department.isEmpty ? StandardDepartment.codes(roles: roles) : try departmentCodes(department)
            try Organisation.setMembership(userID: id, codes: codes, db)
            if let actor {
                try audit(actor, userID: id, action: "create", from: nil, to: "active", now: now,
                          detail: "角色：" + roles.joined(separator: ","))
            }
            return id
        }
    }

    /// Department codes for a list of names or codes separated by `,`, `，` or `、`.
    public func departmentCodes(_ spec: String) throws -> [String] {
        let rows = try db.query("SELECT code, name FROM departments WHERE active = 1 ORDER BY position, id")
        var codes: [String] = []
        for part in spec.split(whereSeparator: { ",，、".contains($0) }) {
            let key = part.trimmingCharacters(in: .whitespaces)
            if key.isEmpty { continue }
            guard let code = rows.first(where: { $0.string("code") == key || $0.string("name") == key })?.string("code") else {
                throw AccountError.noSuchDepartment(key, known: rows.compactMap { $0.string("name") })
            }
            if !codes.contains(code) { codes.append(code) }
        }
        return codes
    }

    /// Sets the password and ends every session of that user. Returns the sessions ended.
    @discardableResult
    public func setPassword(username: String, password: String, temporary: Bool = false, now: Date = Date(),
                            by actor: AccountActor? = nil) throws -> Int {
        let hash = try PasswordHasher.hash(password)
        return try db.transaction {
            guard let id = try userID(username) else { throw AccountError.noSuchUser(username) }
            // `temporary`: the user must choose a new one at the next login.
            try db.execute("UPDATE users SET password_hash = \(hash), must_change_password = \(temporary) WHERE id = \(id)")
            // A new password ends every session of that user.
            let ended = try db.execute("UPDATE sessions SET ended = 1 WHERE user_id = \(id) AND ended = 0")
            if let actor {
                try audit(actor, userID: id, action: "password", from: nil, to: nil, now: now,
                          detail: ended > 0 ? "结束会话 \(ended) 个" : nil)
            }
            return ended
        }
    }

    /// Replaces the user's roles; returns the roles before and after (no audit row when equal).
    @discardableResult
    public func setRoles(username: String, roles: [String], now: Date = Date(), by actor: AccountActor? = nil) throws -> (from: [String], to: [String]) {
        try db.transaction {
            guard let id = try userID(username) else { throw AccountError.noSuchUser(username) }
            let before = try self.roles(userID: id)
            let after = Array(Set(roles)).sorted()
            guard before != after else { return (before, after) }
            try db.execute("DELETE FROM user_roles WHERE user_id = \(id)")
            for r in after { try db.execute("INSERT INTO user_roles (user_id, role_id) VALUES (\(id), \(r))") }
            if let actor {
                try audit(actor, userID: id, action: "roles", from: before.joined(separator: ","), to: after.joined(separator: ","),
                          now: now, detail: nil)
            }
            return (before, after)
        }
    }

    /// The user's role ids, sorted; `AccountError.noSuchUser` for an unknown name.
    public func roles(username: String) throws -> [String] {
        guard let id = try userID(username) else { throw AccountError.noSuchUser(username) }
        return try roles(userID: id)
    }

    func roles(userID id: Int64) throws -> [String] {
        try db.query("SELECT role_id FROM user_roles WHERE user_id = \(id) ORDER BY role_id").compactMap { $0.string("role_id") }
    }

    public func list() throws -> [String] {
        var roles: [Int64: [String]] = [:]
        for r in try db.query("SELECT user_id, role_id FROM user_roles ORDER BY user_id, role_id") {
            if let id = r.int("user_id"), let role = r.string("role_id") { roles[id, default: []].append(role) }
        }
        return try db.query("SELECT id, username, display_name, active FROM users ORDER BY username").map { u in
            let list = roles[u.int("id") ?? 0, default: []].joined(separator: ",")
            return "\(u.string("username") ?? "")\t\(u.string("display_name") ?? "")\t\(u.bool("active") ? "active" : "disabled")\t\(list)"
        }
    }

    /// The audit row of a change made outside a request (same columns as `Worker.recordAudit`).
    func audit(_ actor: AccountActor, userID: Int64, action: String, from: String?, to: String?, now: Date, detail: String?) throws {
        let reason = [actor.reason, detail].compactMap { $0 }.joined(separator: "；")
        try db.execute("""
            INSERT INTO audit_log (at, user_id, username, module, entity, entity_id, action, from_state, to_state, reason, address)
            VALUES (\(Int64(now.timeIntervalSince1970)), \(nil as Int64?), \(actor.username), 'admin', 'user', \(String(userID)),
                    \(action), \(from), \(to), \(reason.isEmpty ? nil : reason), \(actor.address))
            """)
    }
}
