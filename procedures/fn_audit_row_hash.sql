-- fn_audit_row_hash: SHA-256 (hex) of an audit row's content and the previous row's hash.
-- The one definition of the chain's hash, used when appending and when verifying.
-- CONCAT_WS skips NULLs: event and reason enter as 'event=...' and 'reason=...' only when
-- set, so a row written before those columns existed hashes exactly as it did then.
-- Parameters:
--   p_prev_hash   the previous row's row_hash
--   p_id          the audit row's id
--   p_table_name  the table whose row changed
--   p_row_id      the id of the row that changed
--   p_action      'INSERT', 'UPDATE' or 'DELETE'
--   p_actor       the application user (actor_user_id; NULL hashes as '')
--   p_db_user     the database login that made the change
--   p_before      the row before, JSON text (NULL hashes as '')
--   p_after       the row after, JSON text (NULL hashes as '')
--   p_created_at  when the audit row was written (hashed to the microsecond)
--   p_event       the staff act, e.g. 'user.block' (NULL: left out of the hash)
--   p_reason      why the act was done (NULL: left out of the hash)
-- Returns: CHAR(64), the hex digest.
-- Errors: none.
-- Example: SELECT fn_audit_row_hash(REPEAT('0',64), 1, 'users', 2, 'INSERT', NULL, 'root@localhost', NULL, '{}', NOW(6), NULL, NULL);
DROP FUNCTION IF EXISTS fn_audit_row_hash;
DELIMITER $$
CREATE FUNCTION fn_audit_row_hash(
    p_prev_hash CHAR(64), p_id BIGINT UNSIGNED, p_table_name VARCHAR(64), p_row_id BIGINT UNSIGNED,
    p_action VARCHAR(8), p_actor BIGINT UNSIGNED, p_db_user VARCHAR(128),
    p_before MEDIUMTEXT, p_after MEDIUMTEXT, p_created_at DATETIME(6),
    p_event VARCHAR(64), p_reason VARCHAR(255))
RETURNS CHAR(64) CHARACTER SET ascii
DETERMINISTIC NO SQL
COMMENT 'fn_audit_row_hash: SHA-256 (hex) of an audit row''s content and the previous row''s hash.'
BEGIN
    RETURN SHA2(CONCAT_WS('|', p_prev_hash, p_id, p_table_name, p_row_id, p_action,
                          IFNULL(p_actor, ''), p_db_user, IFNULL(p_before, ''), IFNULL(p_after, ''),
                          DATE_FORMAT(p_created_at, '%Y-%m-%d %H:%i:%s.%f'),
                          CONCAT('event=', p_event), CONCAT('reason=', p_reason)), 256);
END$$
DELIMITER ;
