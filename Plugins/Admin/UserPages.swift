import Foundation
import SalesKit

enum UserPages {
    static let roleChoices = Role.all.map { Choice($0.id, $0.title) }
    /// The standard departments: the declared forms' choices (the pages offer the directory's).
    static let standardDepartments = StandardDepartment.allCases.map { Choice($0.rawValue, $0.name) }

    /// 新建用户. Departments and supervisor are offered from the directory and the active users.
    static func createForm(departments: [Choice] = standardDepartments, people: [Choice] = []) -> FormSchema {
        FormSchema([
            FormField("username", "用户名", required: true,
                      rules: [.pattern("[A-Za-z0-9._-]{2,32}", message: "用户名为 2–32 位字母、数字或 . _ -")]),
            FormField("display_name", "姓名", required: true, rules: [.length(min: 1, max: 50)]),
            FormField("password", "初始密码", .password, required: true, rules: [.length(min: 8, max: 128)], help: "至少 8 位"),
            FormField("roles", "角色", .multiSelect(roleChoices)),
            FormField("departments", "所属部门", .multiSelect(departments), help: "不选则按角色归入相应部门（如品质部角色归入品质部）"),
            FormField("supervisor", "直属上级", .select(people), help: "销售主管看得到其下属（含下属的下属）负责的客户"),
        ])
    }

    static func editForm(departments: [Choice] = standardDepartments, people: [Choice] = []) -> FormSchema {
        FormSchema([
            FormField("display_name", "姓名", required: true, rules: [.length(min: 1, max: 50)]),
            FormField("departments", "所属部门", .multiSelect(departments)),
            FormField("supervisor", "直属上级", .select(people)),
            FormField("active", "启用", .checkbox),
            FormField("successor", "停用时移交给", .select(people), help: "停用的用户名下的客户等记录须先移交给另一位在职用户"),
            FormField("roles", "角色", .multiSelect(roleChoices)),
            FormField("password", "新密码", .password, rules: [.length(min: 8, max: 128)], help: "留空则不修改"),
            FormField("reason", "修改原因", rules: [.length(min: nil, max: 200)]),
        ])
    }

    /// 解除登录锁定: clears the user's failed logins (the throttle counts them), audited.
    static let unlock: Handler = { req, ctx in
        let id = try req.id()
        guard let username = try ctx.db.first("SELECT username FROM users WHERE id = \(id)")?.string("username") else {
            throw HTTPError.notFound
        }
        try ctx.db.transaction {
            let n = try ctx.db.execute("DELETE FROM login_failures WHERE username = \(username)")
            try ctx.audit(AuditEntry(entity: "user", entityID: String(id), action: "unlock", reason: "清除登录失败记录 \(n) 条"))
        }
        return .redirect(to: "/admin/users/\(id)", flash: .ok("已解除「\(username)」的登录锁定。"))
    }

    static func departmentChoices(_ ctx: Context) throws -> [Choice] {
        try ctx.service(OrgDirectory.self).choices(ctx)
    }

    /// Active users as choices (value = id), without `except`.
    static func people(_ ctx: Context, except: Int64? = nil) throws -> [Choice] {
        try ctx.db.query("SELECT id, display_name, username FROM users WHERE active = 1 ORDER BY id")
            .sortedByPinyin { $0.string("display_name") ?? "" }.compactMap { r in
            guard let id = r.int("id"), id != except else { return nil }
            return Choice(String(id), "\(r.string("display_name") ?? "")（\(r.string("username") ?? "")）")
        }
    }

    /// An active user other than `userID` that the form named, or a rejection on `field`.
    static func activeUser(_ value: String, field: String, notSelf userID: Int64?, _ ctx: Context) throws -> Int64? {
        if value.isEmpty { return nil }
        guard let id = Int64(value), id != userID,
              try ctx.db.first("SELECT id FROM users WHERE id = \(id) AND active = 1") != nil else {
            throw FormRejection(field: field, "请选择另一位在职用户")
        }
        return id
    }

    static let listPage = ListPage(
        title: "用户管理", path: "/admin/users",
        select: """
            u.id, u.username, u.display_name, u.department, u.active, COALESCE(s.display_name, '') AS supervisor_name
            """,
        from: "users u LEFT JOIN users s ON s.id = u.supervisor_id",
        scope: { _ in "1 = 1" },
        columns: [
            .init("username", "用户名", sql: "u.username") { r, _ in ListCell(r.string("username") ?? "", href: "/admin/users/\(r.int("id") ?? 0)") },
            .text("display_name", "姓名", sql: "u.display_name"),
            .text("department", "部门", sql: "u.department"),
            .init("supervisor", "直属上级", sql: "COALESCE(s.display_name, '')", rowKey: "supervisor_name") { r, w, _ in w.text(r, "supervisor_name") },
            // One indexed read per row of the page (at most a page of users): the same on SQLite
            // and PostgreSQL, which spell "join the titles" differently.
            .init("roles", "角色", sql: "u.id", sortable: false) { r, ctx in
                let titles = (try? ctx.db.query("""
                    SELECT r.title FROM user_roles ur JOIN roles r ON r.id = ur.role_id
                    WHERE ur.user_id = \(r.int("id") ?? 0) ORDER BY r.position
                    """)) ?? []
                return ListCell(titles.compactMap { $0.string("title") }.joined(separator: "、"))
            },
            .init("active", "状态", sql: "u.active") { r, _ in ListCell(r.bool("active") ? "启用" : "停用") },
        ],
        filters: [
            .search("q", "用户名或姓名") { s, _ in
                let like = "%" + s + "%"
                return "u.username LIKE \(like) OR u.display_name LIKE \(like)"
            },
            .init("dept", "部门", .select(all: "全部部门", options: { ctx in try departmentChoices(ctx) })) { s, _ in
                """
                EXISTS (SELECT 1 FROM department_members m JOIN departments d ON d.id = m.department_id
                        WHERE m.user_id = u.id AND d.code = \(s))
                """
            },
            .choice("state", "状态", all: "全部状态", [Choice("active", "启用"), Choice("disabled", "停用")]) { s, _ in
                s == "active" ? "u.active = 1" : "u.active = 0"
            },
        ],
        actions: [.init("新建用户", href: "/admin/users/new"), .init("部门", href: "/admin/departments")],
        defaultSort: "username", tiebreaker: "u.id", empty: "没有符合条件的用户。", csvName: "用户.csv")

    static let list: Handler = { req, ctx in try listPage.respond(req, ctx) }

    static let create: Handler = { req, ctx in
        let schema = createForm(departments: try departmentChoices(ctx), people: try people(ctx))
        return try ctx.handleForm(schema, title: "新建用户", page: { form in UserFormPage(isNew: true, form: form) }) { v in
            let username = v.string("username")
            if try ctx.db.first("SELECT id FROM users WHERE username = \(username)") != nil {
                throw FormRejection(field: "username", "该用户名已存在")
            }
            let supervisor = try activeUser(v.string("supervisor"), field: "supervisor", notSelf: nil, ctx)
            let hash = try ctx.service(PasswordService.self).hash(v.string("password"))
            try ctx.db.transaction {
                let id = try ctx.db.insert("""
                    INSERT INTO users (username, display_name, password_hash, supervisor_id, must_change_password, created_at)
                    VALUES (\(username), \(v.string("display_name")), \(hash), \(supervisor), 1,
                            \(Int64(ctx.now.timeIntervalSince1970))) RETURNING id
                    """)
                // A role sent twice is one role (user_roles is unique per user and role).
                let roles = Array(Set(v.list("roles"))).sorted()
                for role in roles {
                    try ctx.db.execute("INSERT INTO user_roles (user_id, role_id) VALUES (\(id), \(role))")
                }
                let codes = v.list("departments").isEmpty ? StandardDepartment.codes(roles: roles) : v.list("departments")
                let names = try ctx.service(OrgDirectory.self).setMembership(userID: id, codes: codes, ctx)
                try ctx.audit(AuditEntry(entity: "user", entityID: String(id), action: "create", from: nil, to: "active",
                                         reason: "角色：" + roles.joined(separator: ",") + "；部门：" + names))
            }
            return .redirect(to: "/admin/users", flash: .ok("用户「\(v.string("display_name"))」（\(username)）已建立。"))
        }
    }

    static let edit: Handler = { req, ctx in
        let id = try req.id()
        guard let user = try ctx.db.first("SELECT id, username, display_name, active, supervisor_id FROM users WHERE id = \(id)") else {
            throw HTTPError.notFound
        }
        let currentRoles = try ctx.db.query("SELECT role_id FROM user_roles WHERE user_id = \(id) ORDER BY role_id").compactMap { $0.string("role_id") }
        let currentDepts = try ctx.service(OrgDirectory.self).membership(userID: id, ctx)
        let currentSupervisor = user.int("supervisor_id")
        var initial = FormData([("display_name", user.string("display_name") ?? ""),
                                ("supervisor", currentSupervisor.map(String.init) ?? "")])
        if user.bool("active") { initial.append("active", "1") }
        for r in currentRoles { initial.append("roles", r) }
        for d in currentDepts { initial.append("departments", d) }
        let username = user.string("username") ?? ""
        let handover = try ctx.service(UserHandover.self)
        let schema = editForm(departments: try departmentChoices(ctx), people: try people(ctx, except: id))
        return try ctx.handleForm(schema, title: "编辑用户", initial: initial, page: { form in
            let held = try handover.held(by: id, ctx)
            let failures = try ctx.db.scalar("SELECT COUNT(*) FROM login_failures WHERE username = \(username) AND at >= \(ctx.epoch - 86400)") ?? 0
            return UserFormPage(isNew: false, username: username, id: id,
                                held: held.map { "\($0.title) \($0.count) 项" }, hasHeld: !held.isEmpty, failures: failures,
                                hasFailures: failures > 0, form: form)
        }) { v in
            if id == ctx.user?.id && !v.bool("active") {
                throw FormRejection(field: "active", "不能停用自己的账号")
            }
            let supervisor = try activeUser(v.string("supervisor"), field: "supervisor", notSelf: id, ctx)
            if let supervisor, supervisor != currentSupervisor, try ctx.service(OrgDirectory.self).wouldLoop(userID: id, supervisorID: supervisor, ctx) {
                throw FormRejection(field: "supervisor", "不能选择自己的下属作为直属上级")
            }
            let successor = try activeUser(v.string("successor"), field: "successor", notSelf: id, ctx)
            let newRoles = Array(Set(v.list("roles"))).sorted()     // a role sent twice is one role
            let hash = try v.optionalString("password").map { try ctx.service(PasswordService.self).hash($0) }
            let reason = v.optionalString("reason")
            try ctx.db.transaction {
                let wasActive = user.bool("active")
                // Deactivating: what the user holds goes to the successor first (RULES §6, Teams).
                if wasActive && !v.bool("active") {
                    let held = try handover.held(by: id, ctx)
                    if !held.isEmpty {
                        guard let successor else {
                            throw FormRejection(field: "successor", "该用户名下还有"
                                + held.map { "\($0.title) \($0.count) 项" }.joined(separator: "、") + "，请选择移交给哪位在职用户")
                        }
                        try handover.handOver(from: id, to: successor, reason: reason ?? "停用用户，移交记录", ctx)
                    }
                }
                try ctx.db.execute("""
                    UPDATE users SET display_name = \(v.string("display_name")), active = \(v.bool("active")),
                           supervisor_id = \(supervisor) WHERE id = \(id)
                    """)
                if supervisor != currentSupervisor {
                    try ctx.audit(AuditEntry(entity: "user", entityID: String(id), action: "supervisor",
                                             from: currentSupervisor.map(String.init), to: supervisor.map(String.init), reason: reason))
                }
                let newDepts = v.list("departments")
                if newDepts != currentDepts {
                    try ctx.service(OrgDirectory.self).setMembership(userID: id, codes: newDepts, ctx)
                    try ctx.audit(AuditEntry(entity: "user", entityID: String(id), action: "departments",
                                             from: currentDepts.joined(separator: ","), to: newDepts.joined(separator: ","), reason: reason))
                }
                if let hash {
                    // Set by an administrator: the user chooses a new one at the next login.
                    try ctx.db.execute("UPDATE users SET password_hash = \(hash), must_change_password = 1 WHERE id = \(id)")
                    try ctx.db.execute("UPDATE sessions SET ended = 1 WHERE user_id = \(id)")
                    try ctx.audit(AuditEntry(entity: "user", entityID: String(id), action: "password", reason: reason))
                }
                if newRoles != currentRoles {
                    try ctx.db.execute("DELETE FROM user_roles WHERE user_id = \(id)")
                    for role in newRoles { try ctx.db.execute("INSERT INTO user_roles (user_id, role_id) VALUES (\(id), \(role))") }
                    try ctx.audit(AuditEntry(entity: "user", entityID: String(id), action: "roles",
                                             from: currentRoles.joined(separator: ","), to: newRoles.joined(separator: ","),
                                             reason: reason))
                }
                if wasActive != v.bool("active") {
                    if !v.bool("active") { try ctx.db.execute("UPDATE sessions SET ended = 1 WHERE user_id = \(id)") }
                    try ctx.audit(AuditEntry(entity: "user", entityID: String(id), action: v.bool("active") ? "enable" : "disable",
                                             from: wasActive ? "active" : "disabled", to: v.bool("active") ? "active" : "disabled",
                                             reason: reason))
                }
            }
            return .redirect(to: "/admin/users", flash: .ok("用户「\(v.string("display_name"))」（\(username)）已保存。"))
        }
    }
}

/// 新建用户 / 编辑用户 (`user-form`).
struct UserFormPage: PageModel {
    static let template = "user-form"
    var isNew: Bool
    /// The edited user (not shown for a new one).
    var username = ""
    var id: Int64 = 0
    /// What the user holds that is handed over on deactivation (「客户开发：负责的客户 3 项」).
    var held: [String] = []
    var hasHeld = false
    /// Failed logins in the last 24 hours (the throttle locks after a few).
    var failures: Int64 = 0
    var hasFailures = false
    var form: FormView
}
