import Foundation
import SalesKit

/// 部门: the department directory (RULES §6 "Departments are records"). A department has a
/// stable code (what modules store and route by), a name people read, a head and members.
/// Members are set on the user form (a person's departments are part of the person); this page
/// shows them.
enum DepartmentPages {
    static func form(isNew: Bool, people: [Choice] = []) -> FormSchema {
        FormSchema((isNew ? [
            FormField("code", "部门代码", required: true,
                      rules: [.pattern("[a-z][a-z0-9_-]{1,31}", message: "部门代码为 2–32 位小写字母、数字、_ 或 -，以字母开头")],
                      help: "系统内部使用，创建后不能修改"),
        ] : []) + [
            FormField("name", "部门名称", required: true, rules: [.length(min: 1, max: 50)]),
            FormField("head", "部门负责人", .select(people)),
            FormField("position", "排序", .integer, rules: [.range(0, 1000)]),
        ] + (isNew ? [] : [
            FormField("active", "启用", .checkbox),
            FormField("reason", "修改原因", rules: [.length(min: nil, max: 200)]),
        ]))
    }

    static let listPage = ListPage(
        title: "部门", path: "/admin/departments",
        select: """
            d.id, d.code, d.name, d.active, d.position, COALESCE(h.display_name, '') AS head_name,
                   (SELECT COUNT(*) FROM department_members m JOIN users u ON u.id = m.user_id
                    WHERE m.department_id = d.id AND u.active = 1) AS members
            """,
        from: "departments d LEFT JOIN users h ON h.id = d.head_id",
        scope: { _ in "1 = 1" },
        columns: [
            .init("name", "部门名称", sql: "d.name") { r, _ in ListCell(r.string("name") ?? "", href: "/admin/departments/\(r.int("id") ?? 0)") },
            .text("code", "部门代码", sql: "d.code"),
            // Sorted by the expressions, read by the aliases (the keyset condition is in WHERE,
            // where PostgreSQL does not see a result column's alias).
            .init("head", "负责人", sql: "COALESCE(h.display_name, '')", rowKey: "head_name") { r, w, _ in w.text(r, "head_name") },
            .init("members", "在职成员", sql: """
                (SELECT COUNT(*) FROM department_members m JOIN users u ON u.id = m.user_id WHERE m.department_id = d.id AND u.active = 1)
                """, rowKey: "members") { r, _ in ListCell(String(r.int("members") ?? 0)) },
            .init("active", "状态", sql: "d.active") { r, _ in ListCell(r.bool("active") ? "启用" : "停用") },
            .init("position", "排序", sql: "d.position") { r, _ in ListCell(String(r.int("position") ?? 0)) },
        ],
        filters: [
            .search("q", "部门名称或代码") { s, _ in
                let like = "%" + s + "%"
                return "d.name LIKE \(like) OR d.code LIKE \(like)"
            },
        ],
        actions: [.init("新建部门", href: "/admin/departments/new"), .init("用户", href: "/admin/users")],
        defaultSort: "position", tiebreaker: "d.id", empty: "还没有部门。", csvName: "部门.csv",
        intro: "投诉分送、实施单和各部门待办按部门成员投递；成员在「用户」页面为每个人设置。")

    static let list: Handler = { req, ctx in try listPage.respond(req, ctx) }

    static func head(_ value: String, _ ctx: Context) throws -> Int64? {
        try UserPages.activeUser(value, field: "head", notSelf: nil, ctx)
    }

    static let create: Handler = { req, ctx in
        let schema = form(isNew: true, people: try UserPages.people(ctx))
        return try ctx.handleForm(schema, title: "新建部门", page: { form in DepartmentFormPage(isNew: true, form: form) }) { v in
            let code = v.string("code"), name = v.string("name")
            let head = try head(v.string("head"), ctx)
            let id: Int64 = try ctx.db.transaction {
                if try ctx.db.first("SELECT id FROM departments WHERE code = \(code)") != nil {
                    throw FormRejection(field: "code", "该部门代码已存在")
                }
                if try ctx.db.first("SELECT id FROM departments WHERE name = \(name)") != nil {
                    throw FormRejection(field: "name", "已有同名部门")
                }
                let id = try ctx.db.insert("""
                    INSERT INTO departments (code, name, head_id, position) VALUES (\(code), \(name), \(head), \(v.int("position") ?? 100))
                    RETURNING id
                    """)
                try ctx.audit(AuditEntry(entity: "department", entityID: String(id), action: "create", to: "active", reason: name))
                return id
            }
            return .redirect(to: "/admin/departments/\(id)", flash: .ok("部门「\(name)」已建立。"))
        }
    }

    static let edit: Handler = { req, ctx in
        let id = try req.id()
        guard let d = try ctx.db.first("SELECT id, code, name, head_id, active, position FROM departments WHERE id = \(id)") else {
            throw HTTPError.notFound
        }
        var initial = FormData([("name", d.string("name") ?? ""), ("head", d.int("head_id").map(String.init) ?? ""),
                                ("position", String(d.int("position") ?? 0))])
        if d.bool("active") { initial.append("active", "1") }
        let code = d.string("code") ?? ""
        let members = try ctx.db.query("""
            SELECT u.id, u.display_name, u.username FROM department_members m JOIN users u ON u.id = m.user_id
            WHERE m.department_id = \(id) AND u.active = 1 ORDER BY u.id
            """).sortedByPinyin { $0.string("display_name") ?? "" }.map { r in
            DepartmentFormPage.Member(id: r.int("id") ?? 0, name: r.string("display_name") ?? "", username: r.string("username") ?? "")
        }
        let schema = form(isNew: false, people: try UserPages.people(ctx))
        return try ctx.handleForm(schema, title: "编辑部门", initial: initial, page: { form in
            DepartmentFormPage(isNew: false, id: id, code: code, members: members, form: form)
        }) { v in
            let name = v.string("name")
            let head = try head(v.string("head"), ctx)
            let reason = v.optionalString("reason")
            try ctx.db.transaction {
                if try ctx.db.first("SELECT id FROM departments WHERE name = \(name) AND id <> \(id)") != nil {
                    throw FormRejection(field: "name", "已有同名部门")
                }
                if d.bool("active") && !v.bool("active") && !members.isEmpty {
                    throw FormRejection(field: "active", "部门还有 \(members.count) 位在职成员，请先在「用户」页面将他们调往其他部门")
                }
                try ctx.db.execute("""
                    UPDATE departments SET name = \(name), head_id = \(head), active = \(v.bool("active")),
                           position = \(v.int("position") ?? 0) WHERE id = \(id)
                    """)
                let before = "\(d.string("name") ?? "")/\(d.int("head_id").map(String.init) ?? "-")/\(d.bool("active") ? "active" : "disabled")/\(d.int("position") ?? 0)"
                let after = "\(name)/\(head.map(String.init) ?? "-")/\(v.bool("active") ? "active" : "disabled")/\(v.int("position") ?? 0)"
                // A change is audited; so is a save that changes nothing when a reason was given
                // (what the person wrote is kept, never dropped).
                if before != after || reason != nil {
                    try ctx.audit(AuditEntry(entity: "department", entityID: String(id), action: "update", from: before, to: after,
                                             reason: reason))
                }
                // A renamed department: its members' display text follows.
                if name != d.string("name") {
                    let org = try ctx.service(OrgDirectory.self)
                    for m in members { try org.setMembership(userID: m.id, codes: try org.membership(userID: m.id, ctx), ctx) }
                }
            }
            return .redirect(to: "/admin/departments/\(id)", flash: .ok("部门「\(name)」已保存。"))
        }
    }
}

/// 新建部门 / 编辑部门 (`department-form`), with the members (set on the user form).
struct DepartmentFormPage: PageModel {
    static let template = "department-form"

    struct Member: TemplateModel {
        var id: Int64
        var name: String
        var username: String
    }

    var isNew: Bool
    var id: Int64 = 0
    var code = ""
    var members: [Member] = []
    var form: FormView
}
