-- sp_audit_append: append one row to the hash-chained audit log.
-- Called by the audit triggers and by staff procedures. The chain head is locked so rows
-- are linked in order; see schema/04_audit_and_outbox.sql and fn_audit_row_hash for the hash.
-- The actor is the application user named by @bank_actor_id (set by every procedure
-- that changes users or accounts); db_user is the database login that made the change.
-- A staff procedure also names its act and its reason in @bank_audit_event and
-- @bank_audit_reason for the rows its change writes, and clears both before it returns.
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
    DECLARE v_hash CHAR(64);
    DECLARE v_now DATETIME(6) DEFAULT NOW(6);
    DECLARE v_actor BIGINT UNSIGNED DEFAULT @bank_actor_id;
    DECLARE v_event VARCHAR(64) DEFAULT @bank_audit_event;
    DECLARE v_reason VARCHAR(255) DEFAULT @bank_audit_reason;
    DECLARE v_db_user VARCHAR(128) DEFAULT USER();

    SELECT last_id, last_hash INTO v_last_id, v_prev FROM audit_chain_head WHERE id = 1 FOR UPDATE;
    SET v_id = v_last_id + 1;
    SET v_hash = fn_audit_row_hash(v_prev, v_id, p_table_name, p_row_id, p_action, v_actor,
                                   v_db_user, p_before, p_after, v_now, v_event, v_reason);
    INSERT INTO audit_log (id, table_name, row_id, action, event, reason, actor_user_id, db_user,
                           before_data, after_data, created_at, prev_hash, row_hash)
    VALUES (v_id, p_table_name, p_row_id, p_action, v_event, v_reason, v_actor, v_db_user,
            p_before, p_after, v_now, v_prev, v_hash);
    UPDATE audit_chain_head SET last_id = v_id, last_hash = v_hash WHERE id = 1;
END$$
DELIMITER ;
