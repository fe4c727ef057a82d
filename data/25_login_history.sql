-- Demo sign-in history for the auditors' questions (failed logins, a guessed password,
-- an unknown username tried): recorded through sp_auth_login_failed with the session clock
-- moved back, as the login route would have. Safe to load again: it does nothing once
-- the demo's failed sign-ins exist.
DROP PROCEDURE IF EXISTS sp_seed_login_history;
DELIMITER $$
CREATE PROCEDURE sp_seed_login_history()
MODIFIES SQL DATA
proc: BEGIN
    DECLARE v_bob BIGINT UNSIGNED;
    DECLARE v_alice BIGINT UNSIGNED;
    DECLARE v_today BIGINT DEFAULT UNIX_TIMESTAMP(CURDATE());

    SELECT id INTO v_bob FROM users WHERE username = 'bob';
    SELECT id INTO v_alice FROM users WHERE username = 'alice';
    IF v_bob IS NULL OR EXISTS (SELECT 1 FROM login_events WHERE user_agent = 'seed-demo') THEN
        LEAVE proc;
    END IF;
    SET TIMESTAMP = v_today - 3 * 86400 + 9 * 3600;
    CALL sp_auth_login_failed('bob', v_bob, 'failure', '203.0.113.7', 'seed-demo');
    SET TIMESTAMP = v_today - 3 * 86400 + 9 * 3600 + 40;
    CALL sp_auth_login_failed('bob', v_bob, 'failure', '203.0.113.7', 'seed-demo');
    SET TIMESTAMP = v_today - 3 * 86400 + 9 * 3600 + 95;
    CALL sp_auth_login_failed('bob', v_bob, 'failure', '203.0.113.7', 'seed-demo');
    SET TIMESTAMP = v_today - 20 * 86400 + 14 * 3600;
    CALL sp_auth_login_failed('root', NULL, 'failure', '198.51.100.23', 'seed-demo');
    SET TIMESTAMP = v_today - 20 * 86400 + 14 * 3600 + 5;
    CALL sp_auth_login_failed('admin', (SELECT id FROM users WHERE username = 'admin'),
                              'failure', '198.51.100.23', 'seed-demo');
    SET TIMESTAMP = v_today - 1 * 86400 + 20 * 3600;
    CALL sp_auth_login_failed('alice', v_alice, 'mfa_failure', '192.0.2.10', 'seed-demo');
    SET TIMESTAMP = DEFAULT;
END$$
DELIMITER ;

CALL sp_seed_login_history();
DROP PROCEDURE sp_seed_login_history;
