-- sp_get_user_secrets: the hashes and second-factor state the API verifies in Python.
-- bcrypt and TOTP are checked by the API (off its event loop); this returns what it
-- needs. With a session id the session is checked first (a revoked session cannot
-- be used to guess PINs); NULL is for trusted internal callers (the MFA login step).
-- Parameters:
--   p_session_id  the caller's session (NULL: a trusted internal caller)
--   p_user_id     the user
-- Returns: one row: user_id, username, status, password_hash, pin_hash, pin_failed_count,
--          pin_locked_until (NULL unless locked now), mfa_enabled, mfa_secret_enc.
-- Errors: SESSION_REVOKED, USER_NOT_FOUND.
-- Example: CALL sp_get_user_secrets('0123456789abcdef0123456789abcdef', 42);
DROP PROCEDURE IF EXISTS sp_get_user_secrets;
DELIMITER $$
CREATE PROCEDURE sp_get_user_secrets(IN p_session_id CHAR(32), IN p_user_id BIGINT UNSIGNED)
COMMENT 'sp_get_user_secrets: the hashes and second-factor state the API verifies in Python.'
BEGIN
    IF p_session_id IS NOT NULL THEN
        CALL sp_assert_session(p_session_id, p_user_id);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM users WHERE id = p_user_id AND role <> 'system') THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'USER_NOT_FOUND: no such user';
    END IF;

    SELECT id AS user_id, username, status, password_hash, pin_hash, pin_failed_count,
           IF(pin_locked_until > NOW(6), pin_locked_until, NULL) AS pin_locked_until,
           mfa_enabled, mfa_secret_enc
    FROM users WHERE id = p_user_id;
END$$
DELIMITER ;
