import Foundation
import SalesKit

/// 系统管理: users, roles, the role → permission matrix, and the audit-log viewer.
/// Built on the same module contract as the departmental modules.
public struct AdminModule: DepartmentModule {
    public init() {}

    public let manifest = ModuleManifest(id: "admin", title: "系统管理", version: "1.0.0", folder: "Admin")

    public static let users = Permission("admin", "users", title: "用户管理", defaultRoles: [.admin])
    public static let roles = Permission("admin", "roles", title: "角色权限", defaultRoles: [.admin])
    public static let audit = Permission("admin", "audit", title: "审计日志", defaultRoles: [.admin, .generalManager])
    public static let modules = Permission("admin", "modules", title: "模块管理", defaultRoles: [.admin])
    public static let status = Permission("admin", "status", title: "系统状态", defaultRoles: [.admin])

    public var permissions: [Permission] { [Self.users, Self.roles, Self.audit, Self.modules, Self.status] }

    public var menu: [MenuItem] {
        [
            MenuItem("用户", path: "users", access: .permission(Self.users)),
            MenuItem("部门", path: "departments", access: .permission(Self.users)),
            MenuItem("角色权限", path: "roles", access: .permission(Self.roles)),
            MenuItem("审计日志", path: "audit", access: .permission(Self.audit)),
            MenuItem("模块管理", path: "modules", access: .permission(Self.modules)),
            MenuItem("系统状态", path: "status", access: .permission(Self.status)),
        ]
    }

    public var pages: [any PageModel.Type] { [UserFormPage.self, DepartmentFormPage.self, RolesPage.self, ModulePages.Page.self, StatusPages.Page.self] }

    public var forms: [String: FormSchema] {
        ["user.create": UserPages.createForm(), "user.edit": UserPages.editForm(),
         "department.create": DepartmentPages.form(isNew: true), "department.edit": DepartmentPages.form(isNew: false)]
    }

    public func routes(_ r: inout RouteBuilder) {
        r.get("users", .permission(Self.users), UserPages.list)
        r.form("users/new", .permission(Self.users), UserPages.create)
        r.form("users/:id", .permission(Self.users), UserPages.edit)
        r.post("users/:id/unlock", .permission(Self.users), UserPages.unlock)
        r.get("departments", .permission(Self.users), DepartmentPages.list)
        r.form("departments/new", .permission(Self.users), DepartmentPages.create)
        r.form("departments/:id", .permission(Self.users), DepartmentPages.edit)
        r.form("roles", .permission(Self.roles), RolePages.matrix)
        r.get("audit", .permission(Self.audit), AuditPages.list)
        r.get("modules", .permission(Self.modules), ModulePages.list)
        r.post("modules", .permission(Self.modules), ModulePages.change)
        r.get("status", .permission(Self.status), StatusPages.page)
    }
}
