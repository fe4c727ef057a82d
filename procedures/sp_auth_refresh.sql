-- sp_auth_refresh: rotate a refresh token (spend the old one, store the new one).
-- Reuse detection: presenting a token that was already rotated (or revoked) means it
-- was stolen or replayed, so the whole family (the session and all its refresh tokens)
-- is revoked, committed, and REFRESH_TOKEN_REUSED is raised.
-- Parameters:
--   p_token_hash      SHA-256 of the presented refresh token
--   p_new_hash        SHA-256 of the replacement token
--   p_new_expires_at  expiry of the replacement (capped at the session's)
-- Returns: one row: user_id, username, role, has_pin, session_id.
-- Errors: INVALID_REFRESH_TOKEN, REFRESH_TOKEN_REUSED, SESSION_REVOKED.
-- Example: CALL sp_auth_refresh(UNHEX(SHA2('old',256)), UNHEX(SHA2('new',256)), NOW(6) + INTERVAL 14 DAY);
DROP PROCEDURE IF EXISTS sp_auth_refresh;
DELIMITER $$
CREATE PROCEDURE sp_auth_refresh(
    IN p_token_hash     BINARY(32),
    IN p_new_hash       BINARY(32),
    IN p_new_expires_at DATETIME(6)
)
COMMENT 'sp_auth_refresh: rotate a refresh token (spend the old one, store the new one).'
BEGIN
    DECLARE v_token_id BIGINT UNSIGNED;
    DECLARE v_session_id CHAR(32);
    DECLARE v_token_status VARCHAR(16);
    DECLARE v_token_expires DATETIME(6);
    DECLARE v_session_status VARCHAR(16);
    DECLARE v_session_expires DATETIME(6);
    DECLARE v_user_id BIGINT UNSIGNED;
    DECLARE v_user_status VARCHAR(16);

    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;

    START TRANSACTION;
    SELECT id, session_id, status, expires_at
      INTO v_token_id, v_session_id, v_token_status, v_token_expires
    FROM refresh_tokens WHERE token_hash = p_token_hash FOR UPDATE;

    IF v_token_id IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_REFRESH_TOKEN: unknown refresh token';
    END IF;

    SELECT s.status, s.expires_at, s.user_id, u.status
      INTO v_session_status, v_session_expires, v_user_id, v_user_status
    FROM auth_sessions s JOIN users u ON u.id = s.user_id
    WHERE s.id = v_session_id FOR UPDATE;

    IF v_token_status <> 'active' THEN
        UPDATE auth_sessions
           SET status = 'revoked', revoked_reason = 'refresh_token_reuse', revoked_at = NOW(6)
         WHERE id = v_session_id AND status = 'active';
        UPDATE refresh_tokens SET status = 'revoked'
         WHERE session_id = v_session_id AND status = 'active';
        COMMIT;
        SIGNAL SQLSTATE '45000'
            SET MESSAGE_TEXT = 'REFRESH_TOKEN_REUSED: refresh token reused; the session is revoked';
    END IF;

    IF v_session_status <> 'active' OR v_session_expires <= NOW(6) OR v_user_status <> 'active' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'SESSION_REVOKED: the session has ended';
    END IF;
    IF v_token_expires <= NOW(6) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_REFRESH_TOKEN: refresh token expired';
    END IF;

    UPDATE refresh_tokens SET status = 'rotated', used_at = NOW(6) WHERE id = v_token_id;
    INSERT INTO refresh_tokens (session_id, token_hash, status, expires_at)
    VALUES (v_session_id, p_new_hash, 'active', LEAST(p_new_expires_at, v_session_expires));
    COMMIT;

    SELECT id AS user_id, username, role, pin_hash IS NOT NULL AS has_pin,
           v_session_id AS session_id
    FROM users WHERE id = v_user_id;
END$$
DELIMITER ;
