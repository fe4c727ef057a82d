-- sp_audit_append: append one row to the hash-chained audit log.
-- Called by the audit triggers. The chain head is locked so rows are linked in order;
-- see schema/04_audit_and_outbox.sql for the hash formula (fn_audit_row_hash).
-- The actor is the application user named by @bank_actor_id (set by every procedure
-- that changes users or accounts); db_user is the database login that made the change.
-- Parameters:
--   p_table_name  the table whose row changed
--   p_row_id      the id of the row that changed
--   p_action      'INSERT', 'UPDATE' or 'DELETE'
--   p_before      the row before, JSON text
--   p_after       the row after, JSON text
-- Errors: none of its own.
-- Example: CALL sp_audit_append('accounts', 7, 'UPDATE', '{"status":"active"}', '{"status":"frozen"}');
DROP PROCEDURE IF EXISTS sp_audit_append;
DELIMITER $$
CREATE PROCEDURE sp_audit_append(
    IN p_table_name VARCHAR(64),
    IN p_row_id BIGINT UNSIGNED,
    IN p_action VARCHAR(8),
    IN p_before MEDIUMTEXT,
    IN p_after MEDIUMTEXT)
MODIFIES SQL DATA
COMMENT 'sp_audit_append: append one row to the hash-chained audit log.'
BEGIN
    DECLARE v_last_id BIGINT UNSIGNED;
    DECLARE v_prev CHAR(64);
    DECLARE v_id BIGINT UNSIGNED;
    DECLARE v_now DATETIME(6) DEFAULT NOW(6);
    DECLARE v_actor BIGINT UNSIGNED DEFAULT @bank_actor_id;
    DECLARE v_db_user VARCHAR(128) DEFAULT USER();

    SELECT last_id, last_hash INTO v_last_id, v_prev FROM audit_chain_head WHERE id = 1 FOR UPDATE;
    SET v_id = v_last_id + 1;
    INSERT INTO audit_log (id, table_name, row_id, action, actor_user_id, db_user,
                           before_data, after_data, created_at, prev_hash, row_hash)
    VALUES (v_id, p_table_name, p_row_id, p_action, v_actor, v_db_user, p_before, p_after, v_now,
            v_prev, fn_audit_row_hash(v_prev, v_id, p_table_name, p_row_id, p_action, v_actor,
                                      v_db_user, p_before, p_after, v_now));
    UPDATE audit_chain_head
    SET last_id = v_id,
        last_hash = fn_audit_row_hash(v_prev, v_id, p_table_name, p_row_id, p_action, v_actor,
                                      v_db_user, p_before, p_after, v_now)
    WHERE id = 1;
END$$
DELIMITER ;
