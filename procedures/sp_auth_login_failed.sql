-- sp_auth_login_failed: record a failed login and apply the lockout rule.
--
-- Rule: 5 failures on a username within 10 minutes lock it for 15 minutes.
-- Parameters
--   p_username   VARCHAR(64)      the name that was tried (known or not)
--   p_user_id    BIGINT NULL      the user, when the name exists
--   p_outcome    VARCHAR(24)      'failure' (counts), or 'locked' / 'blocked' / 'mfa_failure'
--   p_ip_address, p_user_agent    client details for the login_events row
-- Returns one row: failed_login_count, locked_until (NULL unless now locked).
-- Errors: none.
-- Example: CALL sp_auth_login_failed('alice', 42, 'failure', '10.0.0.1', 'curl/8');

DROP PROCEDURE IF EXISTS sp_auth_login_failed;

DELIMITER $$
CREATE PROCEDURE sp_auth_login_failed(
    IN p_username   VARCHAR(64),
    IN p_user_id    BIGINT UNSIGNED,
    IN p_outcome    VARCHAR(24),
    IN p_ip_address VARCHAR(45),
    IN p_user_agent VARCHAR(255)
)
BEGIN
    DECLARE v_count INT UNSIGNED DEFAULT 0;
    DECLARE v_first DATETIME(6);
    DECLARE v_locked DATETIME(6);
    DECLARE v_now DATETIME(6) DEFAULT NOW(6);

    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;

    START TRANSACTION;
    INSERT INTO login_events (user_id, username, outcome, ip_address, user_agent)
    VALUES (p_user_id, LEFT(p_username, 64), p_outcome, p_ip_address, LEFT(p_user_agent, 255));

    IF p_user_id IS NOT NULL AND p_outcome IN ('failure', 'mfa_failure') THEN
        SELECT failed_login_count, first_failed_login_at, locked_until
          INTO v_count, v_first, v_locked
        FROM users WHERE id = p_user_id FOR UPDATE;

        IF v_first IS NULL OR v_first < v_now - INTERVAL 10 MINUTE THEN
            SET v_count = 1, v_first = v_now;
        ELSE
            SET v_count = v_count + 1;
        END IF;

        IF v_count >= 5 THEN
            SET v_locked = v_now + INTERVAL 15 MINUTE;
            UPDATE users SET failed_login_count = 0, first_failed_login_at = NULL,
                             locked_until = v_locked
            WHERE id = p_user_id;
        ELSE
            UPDATE users SET failed_login_count = v_count, first_failed_login_at = v_first
            WHERE id = p_user_id;
        END IF;
    ELSEIF p_user_id IS NULL AND p_outcome = 'failure' THEN
        SELECT COUNT(*) INTO v_count FROM login_events
        WHERE username = p_username AND outcome = 'failure'
          AND created_at > v_now - INTERVAL 10 MINUTE;
        IF v_count >= 5 THEN
            SET v_locked = v_now + INTERVAL 15 MINUTE;
        END IF;
    END IF;
    COMMIT;

    SELECT v_count AS failed_login_count,
           IF(v_locked > v_now, v_locked, NULL) AS locked_until;
END$$
DELIMITER ;
