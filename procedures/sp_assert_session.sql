-- sp_assert_session: refuse a caller whose session has ended or whose user is no longer active.
-- Every entry point that acts for a person calls it first, so a revoked session or a
-- blocked user is refused in the same round trip as the work itself.
-- A NULL session means "a system actor, not a person": only a system login may do that
-- (fn_is_system_login: the admin, the schema owner, the scheduled jobs' bank_worker).
-- The API's login (bank_app) must always name a live session.
-- Parameters:
--   p_session_id  the caller's session (NULL: a system actor, see above)
--   p_user_id     the user the session must belong to
-- Returns: nothing.
-- Errors: SESSION_REQUIRED (NULL session from a service login), SESSION_REVOKED.
-- Example: CALL sp_assert_session('5f0c...', 42);
DROP PROCEDURE IF EXISTS sp_assert_session;
DELIMITER $$
CREATE PROCEDURE sp_assert_session(IN p_session_id CHAR(32), IN p_user_id BIGINT UNSIGNED)
READS SQL DATA
COMMENT 'sp_assert_session: refuse a caller whose session has ended or whose user is no longer active.'
BEGIN
    DECLARE v_ok INT DEFAULT 0;
    IF p_session_id IS NULL THEN
        IF NOT fn_is_system_login() THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'SESSION_REQUIRED: this call needs a live session';
        END IF;
    ELSE
        SELECT COUNT(*) INTO v_ok
        FROM auth_sessions s
        JOIN users u ON u.id = s.user_id
        WHERE s.id = p_session_id
          AND s.user_id = p_user_id
          AND s.status = 'active'
          AND s.expires_at > NOW(6)
          AND u.status = 'active';
        IF v_ok = 0 THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'SESSION_REVOKED: the session has ended; log in again';
        END IF;
    END IF;
END$$
DELIMITER ;
