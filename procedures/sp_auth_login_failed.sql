-- sp_auth_login_failed: record a failed login (or a refused one) and apply the throttles.
-- Two rules, both keyed by the username whether or not it exists:
--   * per (username, client address): 5 failures within 15 minutes lock that pair for
--     15 minutes, doubling with each further lock within a day (at most 24 hours).
--     Only the failing client is locked out; the user logs in from their own.
--   * per username, from every address: from the 10th failure within an hour, clients
--     that never logged in as the user wait 15 s, doubling with each further failure
--     (at most 5 minutes) between attempts. This slows a distributed guesser and never
--     locks the user out (sp_auth_login_lookup lets their own clients through).
-- Outcomes 'failure' (wrong password), 'reauth_failure' (wrong current password on PUT
-- /users/pin) and 'mfa_failure' count; 'locked', 'throttled' and 'blocked' are only recorded.
-- Parameters:
--   p_username    the normalised name that was tried (known or not)
--   p_user_id     the user, when the name exists (else NULL)
--   p_outcome     'failure', 'reauth_failure', 'mfa_failure', 'locked', 'throttled' or
--                 'blocked'
--   p_ip_address  the client address
--   p_user_agent  the client's user agent
-- Returns: one row: failed_login_count (this pair, in its window), locked_until (NULL unless
--          the pair is now locked), slow_until (NULL unless the username is now slowed).
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
COMMENT 'sp_auth_login_failed: record a failed login (or a refused one) and apply the throttles.'
BEGIN
    DECLARE v_now DATETIME(6) DEFAULT NOW(6);
    DECLARE v_ip VARCHAR(45) DEFAULT COALESCE(p_ip_address, '');
    DECLARE v_failures INT UNSIGNED DEFAULT 0;
    DECLARE v_window DATETIME(6);
    DECLARE v_level INT UNSIGNED DEFAULT 0;
    DECLARE v_locked_at DATETIME(6);
    DECLARE v_locked DATETIME(6);
    DECLARE v_user_failures INT UNSIGNED DEFAULT 0;
    DECLARE v_user_window DATETIME(6);
    DECLARE v_slow DATETIME(6);

    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;

    START TRANSACTION;
    INSERT INTO login_events (user_id, username, outcome, ip_address, user_agent)
    VALUES (p_user_id, LEFT(p_username, 64), p_outcome, p_ip_address, LEFT(p_user_agent, 255));

    IF p_outcome IN ('failure', 'mfa_failure', 'reauth_failure') THEN
        INSERT IGNORE INTO login_client_throttles (username, ip_address)
        VALUES (LEFT(p_username, 64), v_ip);
        SELECT failures, window_started_at, lock_level, locked_at
          INTO v_failures, v_window, v_level, v_locked_at
        FROM login_client_throttles
        WHERE username = LEFT(p_username, 64) AND ip_address = v_ip FOR UPDATE;

        IF v_window IS NULL OR v_window < v_now - INTERVAL 15 MINUTE THEN
            SET v_failures = 1, v_window = v_now;
        ELSE
            SET v_failures = v_failures + 1;
        END IF;
        IF v_locked_at IS NULL OR v_locked_at < v_now - INTERVAL 1 DAY THEN
            SET v_level = 0;
        END IF;

        IF v_failures >= 5 THEN
            SET v_level = LEAST(v_level + 1, 8);
            SET v_locked = v_now + INTERVAL LEAST(15 << (v_level - 1), 1440) MINUTE;
            UPDATE login_client_throttles
               SET failures = 0, window_started_at = NULL, lock_level = v_level,
                   locked_at = v_now, locked_until = v_locked
             WHERE username = LEFT(p_username, 64) AND ip_address = v_ip;
        ELSE
            UPDATE login_client_throttles
               SET failures = v_failures, window_started_at = v_window, lock_level = v_level
             WHERE username = LEFT(p_username, 64) AND ip_address = v_ip;
        END IF;

        INSERT IGNORE INTO login_username_throttles (username, failures, window_started_at)
        VALUES (LEFT(p_username, 64), 0, v_now);
        SELECT failures, window_started_at INTO v_user_failures, v_user_window
        FROM login_username_throttles WHERE username = LEFT(p_username, 64) FOR UPDATE;
        IF v_user_window < v_now - INTERVAL 1 HOUR THEN
            SET v_user_failures = 1, v_user_window = v_now;
        ELSE
            SET v_user_failures = v_user_failures + 1;
        END IF;
        IF v_user_failures >= 10 THEN
            SET v_slow = v_now + INTERVAL LEAST(15 << LEAST(v_user_failures - 10, 5), 300) SECOND;
        END IF;
        UPDATE login_username_throttles
           SET failures = v_user_failures, window_started_at = v_user_window,
               slow_until = COALESCE(v_slow, slow_until)
         WHERE username = LEFT(p_username, 64);
    END IF;
    COMMIT;

    SELECT v_failures AS failed_login_count, v_locked AS locked_until, v_slow AS slow_until;
END$$
DELIMITER ;
