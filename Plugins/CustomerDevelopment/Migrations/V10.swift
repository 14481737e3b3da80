import SalesKit

extension CRMMigrations {
    /// Teams (004 第四章, RULES §6): a 销售主管 sees the team's customers (`crm.view_team`), a
    /// 销售经理 and above all (`crm.view_all`). The supervisors lose the all-customers view they
    /// were seeded with; the new permission is seeded for them when the module starts.
    static let v10 = Migration(10, "teams: supervisors see their team's customers, not all", """
            DELETE FROM role_permissions WHERE role_id = 'sales_supervisor' AND permission = 'crm.view_all';
            """)
}
