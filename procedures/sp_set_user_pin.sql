-- sp_set_user_pin: set or change the transaction PIN (bcrypt hash) and end the other sessions.
-- The caller's own session stays signed in; every other session of the user ends (the
-- PIN is set after proving the password, so whoever else holds a token is cut off).
-- Access tokens say whether their user has a PIN, so money movement needs no extra
-- round trip; the caller's session gets tokens that demand the PIN at its next refresh.
-- Parameters:
--   p_user_id          the user
--   p_pin_hash         bcrypt hash of the new PIN
--   p_keep_session_id  the caller's session, left active (or NULL)
-- Returns: nothing.
-- Errors: USER_NOT_FOUND, INVALID_ARGUMENT.
-- Example: CALL sp_set_user_pin(42, '$2b$12$...', '0123456789abcdef0123456789abcdef');
DROP PROCEDURE IF EXISTS sp_set_user_pin;
DELIMITER $$
CREATE PROCEDURE sp_set_user_pin(
    IN p_user_id         BIGINT UNSIGNED,
    IN p_pin_hash        VARCHAR(100),
    IN p_keep_session_id CHAR(32)
)
COMMENT 'sp_set_user_pin: set or change the transaction PIN (bcrypt hash) and end the other sessions.'
BEGIN
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;

    IF p_pin_hash IS NULL OR p_pin_hash = '' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: a PIN hash is required';
    END IF;

    START TRANSACTION;
    IF NOT EXISTS (SELECT 1 FROM users WHERE id = p_user_id AND role <> 'system' FOR UPDATE) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'USER_NOT_FOUND: no such user';
    END IF;
    UPDATE users SET pin_hash = p_pin_hash, pin_failed_count = 0, pin_locked_until = NULL
     WHERE id = p_user_id;
    UPDATE auth_sessions
       SET status = 'revoked', revoked_reason = 'pin_changed', revoked_at = NOW(6)
     WHERE user_id = p_user_id AND status = 'active'
       AND id <> COALESCE(p_keep_session_id, '');
    UPDATE refresh_tokens rt JOIN auth_sessions s ON s.id = rt.session_id
       SET rt.status = 'revoked'
     WHERE s.user_id = p_user_id AND rt.status = 'active'
       AND s.id <> COALESCE(p_keep_session_id, '');
    INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, user_id, payload)
    VALUES ('user.pin_changed', 'user', p_user_id, p_user_id, JSON_OBJECT('user_id', p_user_id));
    COMMIT;
END$$
DELIMITER ;
