-- sp_admin_end_sessions: end every session of a user at once (manager or admin act, audited).
-- The user's sessions and refresh tokens are revoked, so each access token they hold is
-- refused on its next request; the user may log in again. Nothing on the user's row
-- changes, so the procedure writes the audit row itself: active sessions before and after.
-- Parameters:
--   p_user_id     the user whose sessions end
--   p_reason      why, for the audit log (required)
--   p_actor_id    the manager or admin acting
--   p_session_id  the actor's session
-- Returns: one row: the user as sp_emit_user returns it, sessions_ended the count revoked.
-- Errors: SESSION_REQUIRED, SESSION_REVOKED, FORBIDDEN (role, oneself, an outranking user),
--         INVALID_ARGUMENT, USER_NOT_FOUND.
-- Example: CALL sp_admin_end_sessions(42, 'lost phone', 3, '5f0c...');
DROP PROCEDURE IF EXISTS sp_admin_end_sessions;
DELIMITER $$
CREATE PROCEDURE sp_admin_end_sessions(
    IN p_user_id BIGINT UNSIGNED,
    IN p_reason VARCHAR(255),
    IN p_actor_id BIGINT UNSIGNED,
    IN p_session_id CHAR(32))
MODIFIES SQL DATA
COMMENT 'sp_admin_end_sessions: end every session of a user at once (manager or admin act, audited).'
BEGIN
    DECLARE v_found BIGINT UNSIGNED DEFAULT NULL;
    DECLARE v_ended INT DEFAULT 0;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        SET @bank_audit_event = NULL, @bank_audit_reason = NULL;
        RESIGNAL;
    END;

    CALL sp_assert_staff_act(p_session_id, p_actor_id, 'manager,admin', p_reason);
    START TRANSACTION;
    SELECT id INTO v_found FROM users WHERE id = p_user_id AND role <> 'system' FOR UPDATE;
    CALL sp_assert_may_act_on(p_actor_id, p_user_id);
    UPDATE refresh_tokens rt JOIN auth_sessions s ON s.id = rt.session_id
       SET rt.status = 'revoked'
     WHERE s.user_id = p_user_id AND rt.status = 'active';
    UPDATE auth_sessions
       SET status = 'revoked', revoked_reason = 'terminated', revoked_at = NOW(6)
     WHERE user_id = p_user_id AND status = 'active';
    SET v_ended = ROW_COUNT();
    SET @bank_actor_id = p_actor_id, @bank_audit_event = 'user.terminate_sessions',
        @bank_audit_reason = p_reason;
    CALL sp_audit_append('users', p_user_id, 'UPDATE', JSON_OBJECT('active_sessions', v_ended + 0),
                         JSON_OBJECT('active_sessions', 0));
    INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, user_id, payload)
    VALUES ('user.sessions_terminated', 'user', p_user_id, p_user_id,
            JSON_OBJECT('user_id', p_user_id, 'sessions_ended', v_ended, 'actor_id', p_actor_id,
                        'reason', p_reason));
    COMMIT;
    SET @bank_audit_event = NULL, @bank_audit_reason = NULL;
    CALL sp_emit_user(p_user_id, v_ended);
END$$
DELIMITER ;
