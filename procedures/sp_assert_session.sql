-- sp_assert_session: refuse a caller whose session has ended or whose user is no longer active.
-- Money procedures call it first so a revoked session or a blocked user is refused in the
-- same round trip as the posting.
-- Parameters: p_session_id (NULL skips the check: trusted internal callers), p_user_id.
-- Errors: SESSION_REVOKED.
-- Example: CALL sp_assert_session('5f0c...', 42);
DROP PROCEDURE IF EXISTS sp_assert_session;
DELIMITER $$
CREATE PROCEDURE sp_assert_session(IN p_session_id CHAR(32), IN p_user_id BIGINT UNSIGNED)
READS SQL DATA
BEGIN
    DECLARE v_ok INT DEFAULT 0;
    IF p_session_id IS NOT NULL THEN
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
