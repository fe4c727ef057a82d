-- sp_auth_login_lookup: what the API needs to check a login attempt for a username.
--
-- Always returns exactly one row so that unknown usernames look like known ones:
--   user_id (NULL when unknown), username, role, status, password_hash, has_pin,
--   mfa_enabled, locked_until (set while the username is locked out).
-- Unknown usernames are locked out from login_events alone: 5 failures within
-- 10 minutes lock for 15 minutes after the latest one, exactly like known users.
-- Errors: none.
-- Example: CALL sp_auth_login_lookup('alice');

DROP PROCEDURE IF EXISTS sp_auth_login_lookup;

DELIMITER $$
CREATE PROCEDURE sp_auth_login_lookup(IN p_username VARCHAR(64))
BEGIN
    DECLARE v_failures INT DEFAULT 0;
    DECLARE v_latest DATETIME(6);

    IF EXISTS (SELECT 1 FROM users WHERE username = p_username AND role <> 'system') THEN
        SELECT id AS user_id, username, role, status, password_hash,
               pin_hash IS NOT NULL AS has_pin, mfa_enabled,
               IF(locked_until > NOW(6), locked_until, NULL) AS locked_until
        FROM users WHERE username = p_username;
    ELSE
        SELECT COUNT(*), MAX(created_at) INTO v_failures, v_latest
        FROM login_events
        WHERE username = p_username AND outcome = 'failure'
          AND created_at > NOW(6) - INTERVAL 10 MINUTE;
        SELECT NULL AS user_id, p_username AS username, NULL AS role, NULL AS status,
               NULL AS password_hash, FALSE AS has_pin, FALSE AS mfa_enabled,
               IF(v_failures >= 5, v_latest + INTERVAL 15 MINUTE, NULL) AS locked_until;
    END IF;
END$$
DELIMITER ;
