import SalesKit

extension IdeasMigrations {
    /// Migration 3 of the 建议评审 module (RULES §6 "Suggestions": a suggestion never joins a
    /// published batch). Adds the sentence that tells the proposer why a suggestion is in its batch,
    /// and moves the suggestions stuck in a published batch — submitted (on the 20th) after the
    /// chair had already published that month's batch, so they could never be graded — to the
    /// next open (unpublished) batch after it, each with an audit row.
    ///
    /// Written per dialect (#17): the SQLite text is the shipped one, unchanged; the PostgreSQL
    /// script does the same with `to_date`/`to_char` and `EXTRACT(EPOCH FROM now())`.
    static let v3 = Migration(3, "batch note; stuck suggestions to the next open batch", sqlite: """
            -- why the suggestion is in this batch (shown to the proposer)
            ALTER TABLE ideas_suggestions ADD COLUMN batch_note TEXT;

            """ + moveStuck, postgresql: """
            -- why the suggestion is in this batch (shown to the proposer)
            ALTER TABLE ideas_suggestions ADD COLUMN batch_note TEXT;

            """ + moveStuckPostgreSQL)

    /// The data part of migration 3, on its own so that a test can run it against rows written
    /// the old way. A suggestion is stuck when its batch is published and it has no outcome and
    /// was never published. Its new batch is the first month after the old one that is not
    /// published (`strftime(… '+1 month')` on `YYYY-MM-01`; a stored name that is not a date
    /// yields NULL and the row is left alone).
    static let moveStuck = """
            CREATE TABLE ideas_v3_moves AS
            WITH RECURSIVE walk(id, from_batch, m) AS (
                SELECT s.id, s.batch, strftime('%Y-%m', s.batch || '-01', '+1 month')
                FROM ideas_suggestions s JOIN ideas_batches b ON b.batch = s.batch AND b.finalized_at IS NOT NULL
                WHERE s.outcome IS NULL AND s.published = 0
                UNION ALL
                SELECT w.id, w.from_batch, strftime('%Y-%m', w.m || '-01', '+1 month')
                FROM walk w JOIN ideas_batches b ON b.batch = w.m AND b.finalized_at IS NOT NULL
            )
            SELECT id, from_batch, m AS to_batch FROM walk w
            WHERE w.m IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ideas_batches b WHERE b.batch = w.m AND b.finalized_at IS NOT NULL);

            INSERT INTO audit_log (at, user_id, username, module, entity, entity_id, action, from_state, to_state, reason, address)
            SELECT CAST(strftime('%s', 'now') AS INTEGER), NULL, 'system', 'ideas', 'ideas.suggestion', CAST(id AS TEXT), 'rebatch',
                   from_batch, to_batch, from_batch || ' 批次已公布而本建议尚未评审：转入下一个未公布的批次（数据迁移）', ''
            FROM ideas_v3_moves ORDER BY id;

            UPDATE ideas_suggestions
            SET batch = (SELECT to_batch FROM ideas_v3_moves m WHERE m.id = ideas_suggestions.id),
                batch_note = (SELECT from_batch || ' 批次已公布，本建议转入 ' || to_batch || ' 批次' FROM ideas_v3_moves m
                              WHERE m.id = ideas_suggestions.id),
                updated_at = CAST(strftime('%s', 'now') AS INTEGER)
            WHERE id IN (SELECT id FROM ideas_v3_moves);

            DROP TABLE ideas_v3_moves;
            """

    /// `moveStuck` in PostgreSQL's spelling: the month after `YYYY-MM` by `to_date`/`to_char`
    /// (a stored name that is not `YYYY-MM` with month 01–12 yields NULL, as `strftime` does, and
    /// the row is left alone); now as epoch seconds by `EXTRACT(EPOCH FROM now())`.
    static let moveStuckPostgreSQL = """
            CREATE TABLE ideas_v3_moves AS
            WITH RECURSIVE walk(id, from_batch, m) AS (
                SELECT s.id, s.batch,
                       CASE WHEN s.batch ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'
                            THEN to_char(to_date(s.batch || '-01', 'YYYY-MM-DD') + interval '1 month', 'YYYY-MM') END
                FROM ideas_suggestions s JOIN ideas_batches b ON b.batch = s.batch AND b.finalized_at IS NOT NULL
                WHERE s.outcome IS NULL AND s.published = 0
                UNION ALL
                SELECT w.id, w.from_batch, to_char(to_date(w.m || '-01', 'YYYY-MM-DD') + interval '1 month', 'YYYY-MM')
                FROM walk w JOIN ideas_batches b ON b.batch = w.m AND b.finalized_at IS NOT NULL
            )
            SELECT id, from_batch, m AS to_batch FROM walk w
            WHERE w.m IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ideas_batches b WHERE b.batch = w.m AND b.finalized_at IS NOT NULL);

            INSERT INTO audit_log (at, user_id, username, module, entity, entity_id, action, from_state, to_state, reason, address)
            SELECT CAST(EXTRACT(EPOCH FROM now()) AS BIGINT), NULL, 'system', 'ideas', 'ideas.suggestion', CAST(id AS TEXT), 'rebatch',
                   from_batch, to_batch, from_batch || ' 批次已公布而本建议尚未评审：转入下一个未公布的批次（数据迁移）', ''
            FROM ideas_v3_moves ORDER BY id;

            UPDATE ideas_suggestions
            SET batch = (SELECT to_batch FROM ideas_v3_moves m WHERE m.id = ideas_suggestions.id),
                batch_note = (SELECT from_batch || ' 批次已公布，本建议转入 ' || to_batch || ' 批次' FROM ideas_v3_moves m
                              WHERE m.id = ideas_suggestions.id),
                updated_at = CAST(EXTRACT(EPOCH FROM now()) AS BIGINT)
            WHERE id IN (SELECT id FROM ideas_v3_moves);

            DROP TABLE ideas_v3_moves;
            """
}
