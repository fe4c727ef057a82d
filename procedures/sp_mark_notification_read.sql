-- sp_mark_notification_read: mark one of the caller's notifications read (again is a no-op).
-- Another user's notification is answered exactly like one that does not exist.
-- Parameters:
--   p_session_id       the caller's session
--   p_user_id          the caller
--   p_notification_id  the notification
-- Returns: one row: id, kind, title, body, transaction_id, created_at, read_at.
-- Errors: SESSION_REVOKED, NOTIFICATION_NOT_FOUND.
-- Example: CALL sp_mark_notification_read('5f0c...', 42, 7);
DROP PROCEDURE IF EXISTS sp_mark_notification_read;
DELIMITER $$
CREATE PROCEDURE sp_mark_notification_read(
    IN p_session_id CHAR(32),
    IN p_user_id BIGINT UNSIGNED,
    IN p_notification_id BIGINT UNSIGNED)
MODIFIES SQL DATA
COMMENT 'sp_mark_notification_read: mark one of the caller''s notifications read (again is a no-op).'
BEGIN
    CALL sp_assert_session(p_session_id, p_user_id);
    UPDATE notifications SET read_at = IFNULL(read_at, NOW(6))
     WHERE id = p_notification_id AND user_id = p_user_id;
    IF NOT EXISTS (SELECT 1 FROM notifications WHERE id = p_notification_id AND user_id = p_user_id) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'NOTIFICATION_NOT_FOUND: no such notification';
    END IF;
    SELECT id, kind, title, body, transaction_id, created_at, read_at
      FROM notifications WHERE id = p_notification_id;
END$$
DELIMITER ;
