-- sp_admin_set_user_role: give a user another role (admin act, audited with its reason).
-- trg_users_role_change_ends_sessions ends the user's sessions in the same transaction,
-- so the new role holds from the user's very next request, not when a token expires. An
-- admin cannot change their own role (so cannot demote themself); the system user has none.
-- Parameters:
--   p_user_id     the user
--   p_role        'customer', 'teller', 'manager', 'auditor', 'analyst' or 'admin'
--   p_reason      why, for the audit log (required)
--   p_actor_id    the admin acting
--   p_session_id  the admin's session
-- Returns: one row: the user as sp_emit_user returns it, sessions_ended the count ended.
-- Errors: SESSION_REQUIRED, SESSION_REVOKED, FORBIDDEN (not an admin, or oneself),
--         INVALID_ARGUMENT, USER_NOT_FOUND, NO_CHANGE (the user already has that role).
-- Example: CALL sp_admin_set_user_role(42, 'teller', 'hired at the Amman branch', 3, '5f0c...');
DROP PROCEDURE IF EXISTS sp_admin_set_user_role;
DELIMITER $$
CREATE PROCEDURE sp_admin_set_user_role(
    IN p_user_id BIGINT UNSIGNED,
    IN p_role VARCHAR(16),
    IN p_reason VARCHAR(255),
    IN p_actor_id BIGINT UNSIGNED,
    IN p_session_id CHAR(32))
MODIFIES SQL DATA
COMMENT 'sp_admin_set_user_role: give a user another role (admin act, audited with its reason).'
BEGIN
    DECLARE v_role VARCHAR(16) DEFAULT NULL;
    DECLARE v_ended INT DEFAULT 0;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        SET @bank_audit_event = NULL, @bank_audit_reason = NULL;
        RESIGNAL;
    END;

    CALL sp_assert_staff_act(p_session_id, p_actor_id, 'admin', p_reason);
    IF p_role IS NULL OR p_role NOT IN ('customer', 'teller', 'manager', 'auditor', 'analyst', 'admin') THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: role must be customer, teller, manager, auditor, analyst or admin';
    END IF;
    START TRANSACTION;
    SELECT role INTO v_role FROM users WHERE id = p_user_id AND role <> 'system' FOR UPDATE;
    CALL sp_assert_may_act_on(p_actor_id, p_user_id);
    IF v_role = p_role THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'NO_CHANGE: the user already has that role';
    END IF;
    SELECT COUNT(*) INTO v_ended FROM auth_sessions WHERE user_id = p_user_id AND status = 'active';
    SET @bank_actor_id = p_actor_id, @bank_audit_event = 'user.role_change',
        @bank_audit_reason = p_reason;
    UPDATE users SET role = p_role WHERE id = p_user_id;
    INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, user_id, payload)
    VALUES ('user.role_changed', 'user', p_user_id, p_user_id,
            JSON_OBJECT('user_id', p_user_id, 'from_role', v_role, 'to_role', p_role,
                        'actor_id', p_actor_id, 'reason', p_reason));
    COMMIT;
    SET @bank_audit_event = NULL, @bank_audit_reason = NULL;
    CALL sp_emit_user(p_user_id, v_ended);
END$$
DELIMITER ;
