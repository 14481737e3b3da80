import SalesKit

extension ServiceMigrations {
    // RULES §6 "Departments are records" (001 篇二 §5.1): a complaint is routed to departments of
    // the platform directory, stored by code. Values stored before — role-derived keys and names
    // typed or shown as text (「品质部」, 「技术部」…) — become the standard codes, or the code of the
    // directory department of that name; the value as it was is kept beside it
    // (`legacy_department`). A value that matches nothing stays as it was: shown flagged
    // 「未对应部门」 on the complaint, never lost. Same for the responsible department of a
    // quality-complaint penalty. Plus the indexes the overdue lists read (#16).
    static let v10 = Migration(10, "complaints: departments by directory code; overdue indexes", """
            ALTER TABLE service_complaint_departments ADD COLUMN legacy_department TEXT;
            ALTER TABLE service_quality_penalties ADD COLUMN legacy_department TEXT;
            """ + mapDepartments + """
            CREATE INDEX service_complaint_departments_department ON service_complaint_departments (department, complaint_id);
            CREATE INDEX service_patrol_visits_due ON service_patrol_visits (state, planned_date);
            """)

    /// The data part of migration 10, on its own so that a test can run it against rows written
    /// the old way (and again: a second run changes nothing).
    static let mapDepartments = """
            CREATE TABLE service_v10_names (name TEXT PRIMARY KEY, code TEXT NOT NULL);
            -- The directory's own names first (an installation's renamed or added departments win).
            INSERT INTO service_v10_names (name, code) SELECT name, code FROM departments WHERE code <> name;
            INSERT INTO service_v10_names (name, code) VALUES
                ('品质部', 'quality'), ('质量部', 'quality'), ('品管部', 'quality'), ('质检部', 'quality'),
                ('技术部', 'technical'), ('技术中心', 'technical'),
                ('生产部', 'production'), ('生产车间', 'production'),
                ('客户服务部', 'service'), ('客服部', 'service'), ('售后服务部', 'service'), ('服务部', 'service'),
                ('售后部', 'service'), ('service_rep', 'service'), ('service_supervisor', 'service'),
                ('销售部', 'sales'), ('营销部', 'sales'), ('sales_rep', 'sales'), ('sales_supervisor', 'sales'),
                ('sales_manager', 'sales'), ('marketing_director', 'sales'),
                ('市场部', 'market'), ('market_manager', 'market'),
                ('财务部', 'finance'),
                ('总经理办公室', 'management'), ('总经办', 'management'), ('general_manager', 'management')
                ON CONFLICT (name) DO NOTHING;

            -- One row per complaint and department: a second value mapping to a code the complaint
            -- already has stays as it was (flagged), so nothing is merged away.
            CREATE TABLE service_v10_map AS
                SELECT d.id, n.code FROM service_complaint_departments d JOIN service_v10_names n ON n.name = TRIM(d.department)
                WHERE NOT EXISTS (SELECT 1 FROM service_complaint_departments e WHERE e.complaint_id = d.complaint_id AND e.department = n.code)
                  AND d.id = (SELECT MIN(f.id) FROM service_complaint_departments f JOIN service_v10_names m ON m.name = TRIM(f.department)
                              WHERE f.complaint_id = d.complaint_id AND m.code = n.code);
            UPDATE service_complaint_departments
                SET legacy_department = department,
                    department = (SELECT m.code FROM service_v10_map m WHERE m.id = service_complaint_departments.id)
                WHERE id IN (SELECT id FROM service_v10_map);
            UPDATE service_quality_penalties
                SET legacy_department = department,
                    department = (SELECT n.code FROM service_v10_names n WHERE n.name = TRIM(service_quality_penalties.department))
                WHERE TRIM(department) IN (SELECT name FROM service_v10_names);
            DROP TABLE service_v10_map;
            DROP TABLE service_v10_names;
            """
}
