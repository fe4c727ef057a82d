-- sp_auth_login_lookup: what the API needs to check a login attempt from one client.
-- Always returns exactly one row, so unknown usernames look like known ones.
-- Parameters:
--   p_username    normalised by the API (lowercase, strict character set)
--   p_ip_address  the client address
-- Returns: one row:
--   user_id (NULL when unknown), username, role, status, password_hash, has_pin,
--   mfa_enabled,
--   locked_until  set while this (username, client address) pair is locked out
--                 (sp_auth_login_failed: five failures from one address);
--   slow_until    set while the username's attempts are slowed (many failures from
--                 everywhere) and this address has never logged in as the user: the
--                 user's own clients are never slowed.
-- Errors: none.
-- Example: CALL sp_auth_login_lookup('alice', '10.0.0.1');
DROP PROCEDURE IF EXISTS sp_auth_login_lookup;
DELIMITER $$
CREATE PROCEDURE sp_auth_login_lookup(IN p_username VARCHAR(64), IN p_ip_address VARCHAR(45))
COMMENT 'sp_auth_login_lookup: what the API needs to check a login attempt from one client.'
READS SQL DATA
BEGIN
    DECLARE v_user_id BIGINT UNSIGNED;
    DECLARE v_locked DATETIME(6);
    DECLARE v_slow DATETIME(6);
    DECLARE v_now DATETIME(6) DEFAULT NOW(6);

    SET v_user_id = (SELECT id FROM users WHERE username = p_username AND role <> 'system');
    SET v_locked = (SELECT locked_until FROM login_client_throttles
                    WHERE username = p_username AND ip_address = p_ip_address
                      AND locked_until > v_now);
    SET v_slow = (SELECT slow_until FROM login_username_throttles
                  WHERE username = p_username AND slow_until > v_now);
    IF v_slow IS NOT NULL AND v_user_id IS NOT NULL AND EXISTS (
        SELECT 1 FROM login_events
        WHERE user_id = v_user_id AND ip_address = p_ip_address AND outcome = 'success'
          AND created_at > v_now - INTERVAL 90 DAY) THEN
        SET v_slow = NULL;
    END IF;

    IF v_user_id IS NOT NULL THEN
        SELECT id AS user_id, username, role, status, password_hash,
               pin_hash IS NOT NULL AS has_pin, mfa_enabled,
               v_locked AS locked_until, v_slow AS slow_until
        FROM users WHERE id = v_user_id;
    ELSE
        SELECT NULL AS user_id, p_username AS username, NULL AS role, NULL AS status,
               NULL AS password_hash, FALSE AS has_pin, FALSE AS mfa_enabled,
               v_locked AS locked_until, v_slow AS slow_until;
    END IF;
END$$
DELIMITER ;
