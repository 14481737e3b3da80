import SalesKit

extension CRMMigrations {
    /// Overdue items (#16, `Overdue`): the host asks for them often, across all reps — plans still
    /// 待实施 by planned day, customers by status and the date their class was approved.
    static let v11 = Migration(11, "indexes for overdue visit plans and quarterly re-ratings", """
            CREATE INDEX crm_visit_plans_state ON crm_visit_plans(state, planned_date);
            CREATE INDEX crm_customers_rerating ON crm_customers(status, rated_at);
            """)
}
