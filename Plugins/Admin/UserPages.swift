import Foundation
import SalesKit

enum UserPages {
    static let roleChoices = Role.all.map { Choice($0.id, $0.title) }

    static let createForm = FormSchema([
        FormField("username", "用户名", required: true,
                  rules: [.pattern("[A-Za-z0-9._-]{2,32}", message: "用户名为 2–32 位字母、数字或 . _ -")]),
        FormField("display_name", "姓名", required: true, rules: [.length(min: 1, max: 50)]),
        FormField("department", "部门", rules: [.length(min: nil, max: 50)]),
        FormField("password", "初始密码", .password, required: true, rules: [.length(min: 8, max: 128)], help: "至少 8 位"),
        FormField("roles", "角色", .multiSelect(roleChoices)),
    ])

    static let editForm = FormSchema([
        FormField("display_name", "姓名", required: true, rules: [.length(min: 1, max: 50)]),
        FormField("department", "部门", rules: [.length(min: nil, max: 50)]),
        FormField("active", "启用", .checkbox),
        FormField("roles", "角色", .multiSelect(roleChoices)),
        FormField("password", "新密码", .password, rules: [.length(min: 8, max: 128)], help: "留空则不修改"),
        FormField("reason", "修改原因", rules: [.length(min: nil, max: 200)]),
    ])

    static let list: Handler = { req, ctx in
        let spec = ListSpec(columns: [
            .init("username", "用户名", sql: "u.username"),
            .init("display_name", "姓名", sql: "u.display_name"),
            .init("department", "部门", sql: "u.department"),
            .init("roles", "角色", sql: "roles", sortable: false),
            .init("active", "状态", sql: "u.active"),
        ], defaultSort: "username", filters: ["q"], pageSize: 50, tiebreaker: "u.id")
        let q = spec.parse(req.query)
        let like = "%" + (q.filters["q"] ?? "") + "%"
        let rows = try ctx.db.query("""
            SELECT u.id, u.username, u.display_name, u.department, u.active,
                   COALESCE((SELECT GROUP_CONCAT(r.title, '、') FROM user_roles ur JOIN roles r ON r.id = ur.role_id
                             WHERE ur.user_id = u.id), '') AS roles
            FROM users u
            WHERE u.username LIKE \(like) OR u.display_name LIKE \(like)
            ORDER BY \(raw: q.orderBy) LIMIT \(q.limit) OFFSET \(q.offset)
            """)
        if q.export {
            return .csv(filename: "用户.csv", CSVTable(header: spec.columns.map(\.title), rows: rows.map {
                [$0.string("username") ?? "", $0.string("display_name") ?? "", $0.string("department") ?? "",
                 $0.string("roles") ?? "", $0.bool("active") ? "启用" : "停用"]
            }))
        }
        return ctx.render(UsersPage(
            saved: req.query["saved"] != nil, q: q.filters["q"] ?? "",
            list: q.view(rowsFetched: rows.count, basePath: "/admin/users"),
            users: rows.prefix(spec.pageSize).map { r in
                .init(id: r.int("id") ?? 0, username: r.string("username") ?? "", displayName: r.string("display_name") ?? "",
                      department: r.string("department") ?? "", roles: r.string("roles") ?? "", activeText: r.bool("active") ? "启用" : "停用")
            }), title: "用户管理")
    }

    static let create: Handler = { req, ctx in
        try ctx.handleForm(createForm, title: "新建用户", page: { form in UserFormPage(isNew: true, form: form) }) { v in
            let username = v.string("username")
            if try ctx.db.first("SELECT id FROM users WHERE username = \(username)") != nil {
                throw FormRejection(field: "username", "该用户名已存在")
            }
            let hash = try ctx.service(PasswordService.self).hash(v.string("password"))
            try ctx.db.transaction {
                let id = try ctx.db.insert("""
                    INSERT INTO users (username, display_name, department, password_hash, created_at)
                    VALUES (\(username), \(v.string("display_name")), \(v.string("department")), \(hash),
                            \(Int64(ctx.now.timeIntervalSince1970))) RETURNING id
                    """)
                // A role sent twice is one role (user_roles is unique per user and role).
                let roles = Array(Set(v.list("roles"))).sorted()
                for role in roles {
                    try ctx.db.execute("INSERT INTO user_roles (user_id, role_id) VALUES (\(id), \(role))")
                }
                try ctx.audit(AuditEntry(entity: "user", entityID: String(id), action: "create", from: nil, to: "active",
                                         reason: "角色：" + roles.joined(separator: ",")))
            }
            return .redirect(to: "/admin/users?saved=1")
        }
    }

    static let edit: Handler = { req, ctx in
        let id = try req.id()
        guard let user = try ctx.db.first("SELECT id, username, display_name, department, active FROM users WHERE id = \(id)") else {
            throw HTTPError.notFound
        }
        let currentRoles = try ctx.db.query("SELECT role_id FROM user_roles WHERE user_id = \(id) ORDER BY role_id").compactMap { $0.string("role_id") }
        var initial = FormData([("display_name", user.string("display_name") ?? ""), ("department", user.string("department") ?? "")])
        if user.bool("active") { initial.append("active", "1") }
        for r in currentRoles { initial.append("roles", r) }
        let username = user.string("username") ?? ""
        return try ctx.handleForm(editForm, title: "编辑用户", initial: initial, page: { form in
            UserFormPage(isNew: false, username: username, id: id, form: form)
        }) { v in
            if id == ctx.user?.id && !v.bool("active") {
                throw FormRejection(field: "active", "不能停用自己的账号")
            }
            let newRoles = Array(Set(v.list("roles"))).sorted()     // a role sent twice is one role
            let hash = try v.optionalString("password").map { try ctx.service(PasswordService.self).hash($0) }
            try ctx.db.transaction {
                try ctx.db.execute("""
                    UPDATE users SET display_name = \(v.string("display_name")), department = \(v.string("department")),
                           active = \(v.bool("active")) WHERE id = \(id)
                    """)
                if let hash {
                    try ctx.db.execute("UPDATE users SET password_hash = \(hash) WHERE id = \(id)")
                    try ctx.db.execute("UPDATE sessions SET ended = 1 WHERE user_id = \(id)")
                    try ctx.audit(AuditEntry(entity: "user", entityID: String(id), action: "password", reason: v.optionalString("reason")))
                }
                if newRoles != currentRoles {
                    try ctx.db.execute("DELETE FROM user_roles WHERE user_id = \(id)")
                    for role in newRoles { try ctx.db.execute("INSERT INTO user_roles (user_id, role_id) VALUES (\(id), \(role))") }
                    try ctx.audit(AuditEntry(entity: "user", entityID: String(id), action: "roles",
                                             from: currentRoles.joined(separator: ","), to: newRoles.joined(separator: ","),
                                             reason: v.optionalString("reason")))
                }
                let wasActive = user.bool("active")
                if wasActive != v.bool("active") {
                    if !v.bool("active") { try ctx.db.execute("UPDATE sessions SET ended = 1 WHERE user_id = \(id)") }
                    try ctx.audit(AuditEntry(entity: "user", entityID: String(id), action: v.bool("active") ? "enable" : "disable",
                                             from: wasActive ? "active" : "disabled", to: v.bool("active") ? "active" : "disabled",
                                             reason: v.optionalString("reason")))
                }
            }
            return .redirect(to: "/admin/users?saved=1")
        }
    }
}

/// 用户管理 (`users`): the saved notice, the search, the sortable table and pager.
struct UsersPage: PageModel {
    static let template = "users"

    struct User: TemplateModel {
        var id: Int64
        var username: String
        var displayName: String
        var department: String
        var roles: String
        var activeText: String
    }

    var saved: Bool
    var q: String
    var list: ListView
    var users: [User]
}

/// 新建用户 / 编辑用户 (`user-form`).
struct UserFormPage: PageModel {
    static let template = "user-form"
    var isNew: Bool
    /// The edited user (not shown for a new one).
    var username = ""
    var id: Int64 = 0
    var form: FormView
}
