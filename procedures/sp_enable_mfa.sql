-- sp_enable_mfa: turn two-factor login on once the user has proven a code from the secret.
-- The proving code's time step becomes the last accepted one, so the same code cannot
-- then be replayed at /auth/login/verify.
-- Parameters:
--   p_user_id  the user
--   p_step     the RFC 6238 time step the proving code matched
-- Returns: nothing.
-- Errors: USER_NOT_FOUND, MFA_NOT_SET_UP, MFA_ALREADY_ENABLED, INVALID_ARGUMENT.
-- Example: CALL sp_enable_mfa(42, 58000000);
DROP PROCEDURE IF EXISTS sp_enable_mfa;
DELIMITER $$
CREATE PROCEDURE sp_enable_mfa(IN p_user_id BIGINT UNSIGNED, IN p_step BIGINT)
COMMENT 'sp_enable_mfa: turn two-factor login on once the user has proven a code from the secret.'
BEGIN
    DECLARE v_enabled BOOLEAN;
    DECLARE v_has_secret BOOLEAN;

    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;

    IF p_step IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: the code''s time step is required';
    END IF;

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
    UPDATE users SET mfa_enabled = TRUE, mfa_last_step = p_step WHERE id = p_user_id;
    INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, user_id, payload)
    VALUES ('user.mfa_enabled', 'user', p_user_id, p_user_id, JSON_OBJECT('user_id', p_user_id));
    COMMIT;
END$$
DELIMITER ;
