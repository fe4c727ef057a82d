-- sp_auth_login_succeeded: open a session with its first refresh token after a good login.
--
-- Parameters
--   p_user_id             BIGINT        who logged in (password and second factor checked)
--   p_session_id          CHAR(32)      random id chosen by the API, carried in the JWT
--   p_refresh_hash        BINARY(32)    SHA-256 of the refresh token given to the client
--   p_session_expires_at  DATETIME(6)   when the session (and its rotation family) ends
--   p_refresh_expires_at  DATETIME(6)   when this refresh token expires
--   p_ip_address, p_user_agent
-- Returns one row: user_id, username, role, has_pin, session_id.
-- Errors: USER_NOT_FOUND, USER_INACTIVE.
-- Example: CALL sp_auth_login_succeeded(42, REPEAT('a',32), UNHEX(SHA2('t',256)), ...);

DROP PROCEDURE IF EXISTS sp_auth_login_succeeded;

DELIMITER $$
CREATE PROCEDURE sp_auth_login_succeeded(
    IN p_user_id            BIGINT UNSIGNED,
    IN p_session_id         CHAR(32),
    IN p_refresh_hash       BINARY(32),
    IN p_session_expires_at DATETIME(6),
    IN p_refresh_expires_at DATETIME(6),
    IN p_ip_address         VARCHAR(45),
    IN p_user_agent         VARCHAR(255)
)
BEGIN
    DECLARE v_status VARCHAR(16);
    DECLARE v_username VARCHAR(64);

    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;

    START TRANSACTION;
    SELECT status, username INTO v_status, v_username
    FROM users WHERE id = p_user_id AND role <> 'system' FOR UPDATE;
    IF v_status IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'USER_NOT_FOUND: no such user';
    END IF;
    IF v_status <> 'active' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'USER_INACTIVE: the user is not active';
    END IF;

    UPDATE users SET failed_login_count = 0, first_failed_login_at = NULL, locked_until = NULL,
                     last_login_at = NOW(6)
    WHERE id = p_user_id;

    INSERT INTO auth_sessions (id, user_id, status, ip_address, user_agent, expires_at)
    VALUES (p_session_id, p_user_id, 'active', p_ip_address, LEFT(p_user_agent, 255),
            p_session_expires_at);
    INSERT INTO refresh_tokens (session_id, token_hash, status, expires_at)
    VALUES (p_session_id, p_refresh_hash, 'active',
            LEAST(p_refresh_expires_at, p_session_expires_at));
    INSERT INTO login_events (user_id, username, outcome, ip_address, user_agent)
    VALUES (p_user_id, v_username, 'success', p_ip_address, LEFT(p_user_agent, 255));
    COMMIT;

    SELECT id AS user_id, username, role, pin_hash IS NOT NULL AS has_pin,
           p_session_id AS session_id
    FROM users WHERE id = p_user_id;
END$$
DELIMITER ;
