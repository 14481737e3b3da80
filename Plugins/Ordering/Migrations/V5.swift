import SalesKit

extension OrderMigrations {
    /// Every money movement is an entry of its kind (RULES §6, issue #14): `order_ledger.kind` is
    /// one of `LedgerKind` — shipment, payment, prepayment, prepayment_applied (an advance settled
    /// against a shipment), return_credit, bad_debt, adjustment. `amount_fen` stays the positive
    /// amount of the entry (an adjustment alone is signed: + raises the receivable); its effect on
    /// the receivable and on the customer's advances (预收) follows from the kind (`Ledger`).
    /// `advance_fen` is the part of a return credit that exceeded the receivable and became an
    /// advance of the customer (never a negative balance).
    ///
    /// Existing data: a credit booked by `ReceivablesService.credit` (a settled return, note
    /// "冲减应收：…") was stored as a payment and counted as collected; it becomes a return credit.
    /// Bad-debt write-offs wait for the GM in `order_writeoffs` and are booked when approved.
    static let v5 = Migration(5, "typed ledger entries, advances and bad-debt write-offs", """
            ALTER TABLE order_ledger ADD COLUMN advance_fen INTEGER NOT NULL DEFAULT 0;
            UPDATE order_ledger SET kind = 'return_credit' WHERE kind = 'payment' AND note LIKE '冲减应收：%';
            CREATE INDEX order_ledger_order ON order_ledger (order_id, kind);
            CREATE INDEX order_ledger_customer_date ON order_ledger (customer_id, entry_date, id);
            CREATE TABLE order_writeoffs (
                id INTEGER PRIMARY KEY,
                customer_id INTEGER NOT NULL,
                customer_code TEXT NOT NULL DEFAULT '',
                customer_name TEXT NOT NULL DEFAULT '',
                amount_fen INTEGER NOT NULL,
                reason TEXT NOT NULL,
                state TEXT NOT NULL,
                requested_by INTEGER NOT NULL,
                requested_name TEXT NOT NULL DEFAULT '',
                requested_at INTEGER NOT NULL,
                decided_by INTEGER,
                decided_name TEXT,
                decided_at INTEGER,
                decision_reason TEXT,
                entry_id INTEGER);
            CREATE INDEX order_writeoffs_state ON order_writeoffs (state, id);
            CREATE INDEX order_writeoffs_customer ON order_writeoffs (customer_id, id);
            """)
}
