import SalesKit

/// The role → permission matrix: one checkbox per (role, permission), named `p:<role>:<permission>`.
enum RolePages {
    static let matrix: Handler = { req, ctx in
        let directory = try ctx.service(PlatformDirectory.self)
        let current = Set(try ctx.db.query("SELECT role_id, permission FROM role_permissions").map {
            ($0.string("role_id") ?? "") + ":" + ($0.string("permission") ?? "")
        })
        if req.method == "POST" {
            var wanted = Set<String>()
            for (name, _) in req.form.pairs where name.hasPrefix("p:") { wanted.insert(String(name.dropFirst(2))) }
            let known = Set(Role.all.flatMap { r in directory.permissions.map { r.id + ":" + $0.id } })
            wanted.formIntersection(known)
            // Nobody can lock administration out: the admin role keeps the matrix itself.
            wanted.insert(Role.admin.id + ":" + AdminModule.roles.id)
            let reason = req.form["reason"].flatMap { $0.isEmpty ? nil : $0 }
            try ctx.db.transaction {
                for key in wanted.subtracting(current).sorted() {
                    let parts = key.split(separator: ":", maxSplits: 1).map(String.init)
                    try ctx.db.execute("INSERT INTO role_permissions (role_id, permission) VALUES (\(parts[0]), \(parts[1]))")
                    try ctx.audit(AuditEntry(entity: "role", entityID: parts[0], action: "grant", from: nil, to: parts[1], reason: reason))
                }
                for key in current.intersection(known).subtracting(wanted).sorted() {
                    let parts = key.split(separator: ":", maxSplits: 1).map(String.init)
                    try ctx.db.execute("DELETE FROM role_permissions WHERE role_id = \(parts[0]) AND permission = \(parts[1])")
                    try ctx.audit(AuditEntry(entity: "role", entityID: parts[0], action: "revoke", from: parts[1], to: nil, reason: reason))
                }
            }
            return .redirect(to: "/admin/roles", flash: .ok("角色权限已保存。"))
        }
        let titles = Dictionary(directory.modules.map { ($0.id, $0.title) }, uniquingKeysWith: { a, _ in a })
        return ctx.render(RolesPage(
            roles: Role.all.map { .init(title: $0.title) },
            rows: directory.permissions.map { p in
                .init(module: titles[p.module] ?? p.module, title: p.title, id: p.id, cells: Role.all.map { r in
                    .init(name: "p:\(r.id):\(p.id)", label: "\(r.title) – \(p.title)", checked: current.contains("\(r.id):\(p.id)"))
                })
            }), title: "角色权限")
    }
}

/// 角色权限 (`roles`): the role → permission matrix, a checkbox per cell.
struct RolesPage: PageModel {
    static let template = "roles"

    struct RoleColumn: TemplateModel {
        var title: String
    }

    struct PermissionRow: TemplateModel {
        var module: String
        var title: String
        var id: String
        var cells: [Cell]
    }

    /// One (role, permission) checkbox, named `p:<role>:<permission>`.
    struct Cell: TemplateModel {
        var name: String
        var label: String
        var checked: Bool
    }

    var roles: [RoleColumn]
    var rows: [PermissionRow]
}
