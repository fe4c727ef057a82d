-- sp_admin_set_user_status: block or unblock a user (admin act, audited with its reason).
-- Blocking ends every session and refresh token of the user in the same transaction, so
-- the user's next request is refused (sp_assert_session also refuses any non-active
-- user); unblocking lets them log in again and revives no session. The user's row is
-- locked; the audit row (trg_users_audit_update) carries the event, the actor and the reason.
-- Parameters:
--   p_user_id     the user to block or unblock
--   p_status      'blocked' or 'active'
--   p_reason      why, for the audit log (required)
--   p_actor_id    the admin acting
--   p_session_id  the admin's session
-- Returns: one row: the user as sp_emit_user returns it.
-- Errors: SESSION_REQUIRED, SESSION_REVOKED, FORBIDDEN (not an admin, oneself, or an
--         outranking user), INVALID_ARGUMENT, USER_NOT_FOUND, USER_INACTIVE (a closed
--         user), NO_CHANGE (already in that state).
-- Example: CALL sp_admin_set_user_status(42, 'blocked', 'account takeover reported', 3, '5f0c...');
DROP PROCEDURE IF EXISTS sp_admin_set_user_status;
DELIMITER $$
CREATE PROCEDURE sp_admin_set_user_status(
    IN p_user_id BIGINT UNSIGNED,
    IN p_status VARCHAR(16),
    IN p_reason VARCHAR(255),
    IN p_actor_id BIGINT UNSIGNED,
    IN p_session_id CHAR(32))
MODIFIES SQL DATA
COMMENT 'sp_admin_set_user_status: block or unblock a user (admin act, audited with its reason).'
BEGIN
    DECLARE v_status VARCHAR(16) DEFAULT NULL;
    DECLARE v_ended INT DEFAULT NULL;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        SET @bank_audit_event = NULL, @bank_audit_reason = NULL;
        RESIGNAL;
    END;

    CALL sp_assert_staff_act(p_session_id, p_actor_id, 'admin', p_reason);
    IF p_status IS NULL OR p_status NOT IN ('active', 'blocked') THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: status must be active or blocked';
    END IF;
    START TRANSACTION;
    SELECT status INTO v_status FROM users WHERE id = p_user_id AND role <> 'system' FOR UPDATE;
    CALL sp_assert_may_act_on(p_actor_id, p_user_id);
    IF v_status = 'closed' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'USER_INACTIVE: the user is closed';
    END IF;
    IF v_status = p_status THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'NO_CHANGE: the user already has that status';
    END IF;
    SET @bank_actor_id = p_actor_id,
        @bank_audit_event = IF(p_status = 'blocked', 'user.block', 'user.unblock'),
        @bank_audit_reason = p_reason;
    UPDATE users SET status = p_status WHERE id = p_user_id;
    IF p_status = 'blocked' THEN
        UPDATE refresh_tokens rt JOIN auth_sessions s ON s.id = rt.session_id
           SET rt.status = 'revoked'
         WHERE s.user_id = p_user_id AND rt.status = 'active';
        UPDATE auth_sessions
           SET status = 'revoked', revoked_reason = 'blocked', revoked_at = NOW(6)
         WHERE user_id = p_user_id AND status = 'active';
        SET v_ended = ROW_COUNT();
    END IF;
    INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, user_id, payload)
    VALUES (IF(p_status = 'blocked', 'user.blocked', 'user.unblocked'), 'user', p_user_id,
            p_user_id, JSON_OBJECT('user_id', p_user_id, 'from_status', v_status,
                                   'to_status', p_status, 'actor_id', p_actor_id,
                                   'reason', p_reason));
    COMMIT;
    SET @bank_audit_event = NULL, @bank_audit_reason = NULL;
    CALL sp_emit_user(p_user_id, v_ended);
END$$
DELIMITER ;
