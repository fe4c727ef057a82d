-- sp_enable_mfa: turn two-factor login on once the user has proven a code from the secret.
--
-- Parameters
--   p_user_id  BIGINT
-- Returns nothing.
-- Errors: USER_NOT_FOUND, MFA_NOT_SET_UP, MFA_ALREADY_ENABLED.
-- Example: CALL sp_enable_mfa(42);

DROP PROCEDURE IF EXISTS sp_enable_mfa;

DELIMITER $$
CREATE PROCEDURE sp_enable_mfa(IN p_user_id BIGINT UNSIGNED)
BEGIN
    DECLARE v_enabled BOOLEAN;
    DECLARE v_has_secret BOOLEAN;

    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;

    START TRANSACTION;
    SELECT mfa_enabled, mfa_secret_enc IS NOT NULL INTO v_enabled, v_has_secret
    FROM users WHERE id = p_user_id AND role <> 'system' FOR UPDATE;
    IF v_enabled IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'USER_NOT_FOUND: no such user';
    END IF;
    IF v_enabled THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'MFA_ALREADY_ENABLED: two-factor authentication is already on';
    END IF;
    IF NOT v_has_secret THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'MFA_NOT_SET_UP: call /users/mfa/setup first';
    END IF;
    UPDATE users SET mfa_enabled = TRUE WHERE id = p_user_id;
    INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, user_id, payload)
    VALUES ('user.mfa_enabled', 'user', p_user_id, p_user_id, JSON_OBJECT('user_id', p_user_id));
    COMMIT;
END$$
DELIMITER ;
