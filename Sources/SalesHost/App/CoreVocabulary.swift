import SalesKit

/// The Chinese titles of the audit codes the host and 系统管理 write (users, departments, roles,
/// module switches, sign-in): part of every `AuditCatalogue`, asked last.
enum CoreVocabulary {
    static func make(permissions: [Permission]) -> AuditVocabulary {
        var roleTitles: [String: String] = [:]
        for r in Role.all { roleTitles[r.id] = r.title }
        var permissionTitles: [String: String] = [:]
        for p in permissions { permissionTitles[p.id] = p.title }
        return AuditVocabulary(
            actions: [
                "create": "新建", "update": "修改", "delete": "删除",
                "roles": "修改角色", "password": "修改密码", "enable": "启用", "disable": "停用",
                "departments": "调整部门", "supervisor": "更改直属上级", "handover": "移交",
                "grant": "授予权限", "revoke": "收回权限", "login": "登录", "logout": "退出登录",
            ],
            states: ["active": "在用", "disabled": "已停用", "inactive": "已停用"])
            .entity("user", "用户", actions: ["create": "新建用户", "enable": "启用用户", "disable": "停用用户"],
                    states: roleTitles.merging(["active": "在用", "disabled": "已停用"]) { _, new in new })
            .entity("department", "部门", actions: ["create": "新建部门", "update": "修改部门"])
            .entity("role", "角色", states: permissionTitles)
            .entity("module", "模块", actions: ["enable": "启用模块", "disable": "停用模块"],
                    states: ["on": "已启用", "off": "已停用"])
            .entity("session", "登录会话")
            .values(of: "user", action: "supervisor", are: .user)
            .values(of: "user", action: "departments", are: .department)
    }
}
