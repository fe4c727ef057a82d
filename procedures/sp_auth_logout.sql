-- sp_auth_logout: end a session; its access and refresh tokens stop working at once.
-- Idempotent: logging out twice is not an error.
-- Parameters:
--   p_session_id    the session of the caller's access token
--   p_user_id       the caller (a session of someone else is not touched)
--   p_refresh_hash  optionally (else NULL), a refresh token whose session also ends (only when
--                   it belongs to the same user)
-- Returns: nothing.
-- Errors: none.
-- Example: CALL sp_auth_logout('0123456789abcdef0123456789abcdef', 42, NULL);
DROP PROCEDURE IF EXISTS sp_auth_logout;
DELIMITER $$
CREATE PROCEDURE sp_auth_logout(
    IN p_session_id   CHAR(32),
    IN p_user_id      BIGINT UNSIGNED,
    IN p_refresh_hash BINARY(32)
)
COMMENT 'sp_auth_logout: end a session; its access and refresh tokens stop working at once.'
BEGIN
    DECLARE v_other_session CHAR(32);

    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;

    IF p_refresh_hash IS NOT NULL THEN
        SELECT rt.session_id INTO v_other_session
        FROM refresh_tokens rt JOIN auth_sessions s ON s.id = rt.session_id
        WHERE rt.token_hash = p_refresh_hash AND s.user_id = p_user_id;
    END IF;

    START TRANSACTION;
    UPDATE auth_sessions
       SET status = 'revoked', revoked_reason = 'logout', revoked_at = NOW(6)
     WHERE id IN (p_session_id, COALESCE(v_other_session, p_session_id))
       AND user_id = p_user_id AND status = 'active';
    UPDATE refresh_tokens SET status = 'revoked'
     WHERE session_id IN (p_session_id, COALESCE(v_other_session, p_session_id))
       AND status = 'active';
    COMMIT;
END$$
DELIMITER ;
