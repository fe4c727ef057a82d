-- sp_emit_user: the one shape in which staff procedures return a user (no hashes, no PII).
-- Personal data stays encrypted and is left out: staff see who a user is by id and username.
-- Parameters:
--   p_user_id         the user
--   p_sessions_ended  how many sessions the act just ended (NULL when it ended none)
-- Returns: one row: id, username, role, status, kyc_status, mfa_enabled, has_pin,
--          failed_login_count, locked_until, last_login_at, active_sessions, created_at,
--          updated_at, sessions_ended.
-- Errors: none (an unknown id returns no row).
-- Example: CALL sp_emit_user(42, NULL);
DROP PROCEDURE IF EXISTS sp_emit_user;
DELIMITER $$
CREATE PROCEDURE sp_emit_user(IN p_user_id BIGINT UNSIGNED, IN p_sessions_ended INT)
READS SQL DATA
COMMENT 'sp_emit_user: the one shape in which staff procedures return a user (no hashes, no PII).'
BEGIN
    SELECT u.id, u.username, u.role, u.status, u.kyc_status, u.mfa_enabled,
           u.pin_hash IS NOT NULL AS has_pin, u.failed_login_count, u.locked_until,
           u.last_login_at,
           (SELECT COUNT(*) FROM auth_sessions s
             WHERE s.user_id = u.id AND s.status = 'active' AND s.expires_at > NOW(6)) AS active_sessions,
           u.created_at, u.updated_at, p_sessions_ended AS sessions_ended
    FROM users u
    WHERE u.id = p_user_id;
END$$
DELIMITER ;
