import SalesKit

extension OrderMigrations {
    /// Contract review (003 §3.2–§3.8, RULES §6 "Contracts carry their terms"), applied contract
    /// changes (003 §3.9–§3.12) and departments as directory codes (RULES §6 "Departments are records").
    ///
    /// - `order_contracts.state`: `review` (技术部、品质部、生产部 review), `pending_gm` (all three
    ///   agreed: the GM's price review and approval, §3.7), `approved`, `returned` (a refusal: back to
    ///   sales for revision). `approved` stays the column the order check reads (1 ⇔ state approved).
    ///   Each review is a row of `order_contract_reviews` (round, department code, 同意/不同意, opinion,
    ///   reason, the agreement it names, who, when).
    /// - Existing contracts: an approved one stays approved (audit note: approved before the review
    ///   rule, without department reviews); one not yet approved goes to the departments' review
    ///   (no deadline: `review_due_at` NULL), with an audit note.
    /// - `order_changes`: who initiated (customer §3.9–§3.10 / company §3.11, with the initiating
    ///   department's code), the order's contract, and the line changes in `order_change_lines`
    ///   (new quantity / unit price / specification) applied when the GM approves.
    /// - `order_change_receipts.dept` holds department codes: any stored department name is mapped
    ///   to its code.
    /// - Indexes for the overdue items (deliveries past the promised date, paperwork past 24 hours).
    static let v10 = Migration(10, "contract review by technical, quality and production; applied contract changes; department codes", """
            ALTER TABLE order_contracts ADD COLUMN state TEXT NOT NULL DEFAULT 'review';
            ALTER TABLE order_contracts ADD COLUMN delivery_terms TEXT NOT NULL DEFAULT '';
            ALTER TABLE order_contracts ADD COLUMN attachments TEXT NOT NULL DEFAULT '';
            ALTER TABLE order_contracts ADD COLUMN review_round INTEGER NOT NULL DEFAULT 1;
            ALTER TABLE order_contracts ADD COLUMN review_due_at INTEGER;
            ALTER TABLE order_contracts ADD COLUMN price_opinion TEXT;
            ALTER TABLE order_contracts ADD COLUMN returned_reason TEXT;
            ALTER TABLE order_contracts ADD COLUMN updated_at INTEGER;
            UPDATE order_contracts SET state = 'approved' WHERE approved = 1;
            INSERT INTO audit_log (at, user_id, username, module, entity, entity_id, action, from_state, to_state, reason)
            SELECT COALESCE(approved_at, created_at), NULL, 'system', 'order', 'order.contract', CAST(id AS TEXT), 'migrate', NULL, 'approved',
                   '合同评审规则实施前已经总经理批准，仍为已批准；未经技术部、品质部、生产部评审（003 §3.2–§3.7；迁移 10）'
            FROM order_contracts WHERE approved = 1;
            INSERT INTO audit_log (at, user_id, username, module, entity, entity_id, action, from_state, to_state, reason)
            SELECT created_at, NULL, 'system', 'order', 'order.contract', CAST(id AS TEXT), 'migrate', NULL, 'review',
                   '合同评审规则实施前登记、尚未批准：转技术部、品质部、生产部评审，全部同意后报总经理批准（003 §3.2–§3.7；迁移 10）'
            FROM order_contracts WHERE approved = 0;
            CREATE INDEX order_contracts_state ON order_contracts (state, review_due_at);
            CREATE TABLE order_contract_reviews (
                id INTEGER PRIMARY KEY,
                contract_id INTEGER NOT NULL REFERENCES order_contracts (id),
                round INTEGER NOT NULL,
                dept TEXT NOT NULL,
                decision TEXT NOT NULL,
                opinion TEXT NOT NULL,
                reason TEXT,
                document TEXT,
                user_id INTEGER NOT NULL,
                user_name TEXT NOT NULL,
                at INTEGER NOT NULL,
                UNIQUE (contract_id, round, dept));
            ALTER TABLE order_changes ADD COLUMN initiator TEXT NOT NULL DEFAULT 'customer';
            ALTER TABLE order_changes ADD COLUMN initiator_dept TEXT;
            ALTER TABLE order_changes ADD COLUMN contract_id INTEGER;
            ALTER TABLE order_changes ADD COLUMN applied_text TEXT;
            CREATE INDEX order_changes_state ON order_changes (state, id);
            CREATE TABLE order_change_lines (
                id INTEGER PRIMARY KEY,
                change_id INTEGER NOT NULL REFERENCES order_changes (id),
                line_id INTEGER NOT NULL REFERENCES order_lines (id),
                new_qty INTEGER,
                new_price_fen INTEGER,
                new_spec TEXT,
                old_qty INTEGER NOT NULL,
                old_price_fen INTEGER NOT NULL,
                old_spec TEXT NOT NULL DEFAULT '');
            CREATE INDEX order_change_lines_change ON order_change_lines (change_id);
            UPDATE order_change_receipts SET dept = 'sales' WHERE dept IN ('营销部', '销售部')
                AND NOT EXISTS (SELECT 1 FROM order_change_receipts x WHERE x.change_id = order_change_receipts.change_id AND x.dept = 'sales');
            UPDATE order_change_receipts SET dept = 'finance' WHERE dept = '财务部'
                AND NOT EXISTS (SELECT 1 FROM order_change_receipts x WHERE x.change_id = order_change_receipts.change_id AND x.dept = 'finance');
            UPDATE order_change_receipts SET dept = 'production' WHERE dept = '生产部'
                AND NOT EXISTS (SELECT 1 FROM order_change_receipts x WHERE x.change_id = order_change_receipts.change_id AND x.dept = 'production');
            UPDATE order_change_receipts SET dept = 'technical' WHERE dept = '技术部'
                AND NOT EXISTS (SELECT 1 FROM order_change_receipts x WHERE x.change_id = order_change_receipts.change_id AND x.dept = 'technical');
            UPDATE order_change_receipts SET dept = 'quality' WHERE dept = '品质部'
                AND NOT EXISTS (SELECT 1 FROM order_change_receipts x WHERE x.change_id = order_change_receipts.change_id AND x.dept = 'quality');
            DELETE FROM order_change_receipts WHERE dept IN ('营销部', '销售部', '财务部', '生产部', '技术部', '品质部');
            CREATE INDEX order_orders_delivery ON order_orders (state, planned_delivery);
            CREATE INDEX order_deliveries_open ON order_deliveries (accepted_at, arrived_at);
            """)
}
