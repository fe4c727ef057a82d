-- sp_auth_login_succeeded: open a session with its first refresh token after a good login.
-- For a user with two-factor login on, the second factor is enforced here too: the
-- caller passes the MFA challenge's id and the TOTP time step its code matched. The
-- challenge is spent (a second use fails, also when two verifies race) and the step
-- must be later than the last accepted one, so a code opens at most one session.
-- A good login also clears the failure count of this (username, client address) pair.
-- The session records the client's address, country and whether its device is new: a user
-- agent not seen on any earlier successful login of a user who has logged in before (the
-- first login has nothing to compare with, so it is not new). The risk rules read them.
-- Parameters:
--   p_user_id             who logged in (password and second factor checked)
--   p_session_id          random id chosen by the API, carried in the JWT
--   p_refresh_hash        SHA-256 of the refresh token given to the client
--   p_session_expires_at  when the session (and its rotation family) ends
--   p_refresh_expires_at  when this refresh token expires
--   p_ip_address          the client address
--   p_user_agent          the client's user agent
--   p_mfa_challenge_id    the challenge's JWT id (users with MFA on, else NULL)
--   p_mfa_step            the RFC 6238 time step the code matched (MFA on, else NULL)
--   p_country             the client's country, ISO 3166 alpha-2, from a trusted proxy (NULL: unknown)
-- Returns: one row: user_id, username, role, has_pin, session_id.
-- Errors: USER_NOT_FOUND, USER_INACTIVE, MFA_INVALID (no or spent challenge), MFA_CODE_REUSED
--         (that code, or an earlier one, was already accepted).
-- Example: CALL sp_auth_login_succeeded(42, REPEAT('a',32), UNHEX(SHA2('t',256)),
--            NOW(6) + INTERVAL 14 DAY, NOW(6) + INTERVAL 14 DAY, '10.0.0.1', 'curl/8', NULL, NULL, 'JO');
DROP PROCEDURE IF EXISTS sp_auth_login_succeeded;
DELIMITER $$
CREATE PROCEDURE sp_auth_login_succeeded(
    IN p_user_id            BIGINT UNSIGNED,
    IN p_session_id         CHAR(32),
    IN p_refresh_hash       BINARY(32),
    IN p_session_expires_at DATETIME(6),
    IN p_refresh_expires_at DATETIME(6),
    IN p_ip_address         VARCHAR(45),
    IN p_user_agent         VARCHAR(255),
    IN p_mfa_challenge_id   CHAR(32),
    IN p_mfa_step           BIGINT,
    IN p_country            CHAR(2)
)
COMMENT 'sp_auth_login_succeeded: open a session with its first refresh token after a good login.'
BEGIN
    DECLARE v_status VARCHAR(16);
    DECLARE v_username VARCHAR(64);
    DECLARE v_mfa_enabled BOOLEAN;
    DECLARE v_last_step BIGINT;
    DECLARE v_new_device BOOLEAN DEFAULT FALSE;

    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;

    START TRANSACTION;
    SELECT status, username, mfa_enabled, mfa_last_step
      INTO v_status, v_username, v_mfa_enabled, v_last_step
    FROM users WHERE id = p_user_id AND role <> 'system' FOR UPDATE;
    IF v_status IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'USER_NOT_FOUND: no such user';
    END IF;
    IF v_status <> 'active' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'USER_INACTIVE: the user is not active';
    END IF;

    IF v_mfa_enabled THEN
        IF p_mfa_challenge_id IS NULL OR p_mfa_step IS NULL THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'MFA_INVALID: a second factor is required';
        END IF;
        IF v_last_step IS NOT NULL AND p_mfa_step <= v_last_step THEN
            SIGNAL SQLSTATE '45000'
                SET MESSAGE_TEXT = 'MFA_CODE_REUSED: that code was already used; wait for the next one';
        END IF;
        INSERT IGNORE INTO mfa_challenges_spent (challenge_id, user_id)
        VALUES (p_mfa_challenge_id, p_user_id);
        IF ROW_COUNT() = 0 THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'MFA_INVALID: the challenge was already used';
        END IF;
    END IF;

    UPDATE users SET failed_login_count = 0, first_failed_login_at = NULL, locked_until = NULL,
                     last_login_at = NOW(6),
                     mfa_last_step = IF(v_mfa_enabled, p_mfa_step, mfa_last_step)
    WHERE id = p_user_id;
    DELETE FROM login_client_throttles
     WHERE username = v_username AND ip_address = COALESCE(p_ip_address, '');

    SELECT COUNT(*) > 0 AND NOT IFNULL(MAX(user_agent <=> LEFT(p_user_agent, 255)), FALSE)
      INTO v_new_device
    FROM login_events WHERE user_id = p_user_id AND outcome = 'success';
    INSERT INTO auth_sessions (id, user_id, status, ip_address, user_agent, expires_at, country,
                               new_device)
    VALUES (p_session_id, p_user_id, 'active', p_ip_address, LEFT(p_user_agent, 255),
            p_session_expires_at, UPPER(p_country), v_new_device);
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
