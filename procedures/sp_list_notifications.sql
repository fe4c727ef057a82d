-- sp_list_notifications: the caller's notifications, newest first, keyset-paged.
-- Parameters:
--   p_session_id   the caller's session
--   p_user_id      the caller
--   p_unread_only  TRUE: only those not yet read
--   p_before_id    the cursor: only ids below it (NULL: from the newest)
--   p_limit        the page size (1..200)
-- Returns: id, kind, title, body, transaction_id, created_at, read_at per row.
-- Errors: SESSION_REVOKED, INVALID_ARGUMENT (limit out of range).
-- Example: CALL sp_list_notifications('5f0c...', 42, TRUE, NULL, 50);
DROP PROCEDURE IF EXISTS sp_list_notifications;
DELIMITER $$
CREATE PROCEDURE sp_list_notifications(
    IN p_session_id CHAR(32),
    IN p_user_id BIGINT UNSIGNED,
    IN p_unread_only BOOLEAN,
    IN p_before_id BIGINT UNSIGNED,
    IN p_limit INT)
READS SQL DATA
COMMENT 'sp_list_notifications: the caller''s notifications, newest first, keyset-paged.'
BEGIN
    CALL sp_assert_session(p_session_id, p_user_id);
    IF p_limit IS NULL OR p_limit < 1 OR p_limit > 201 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: limit must be between 1 and 200';
    END IF;
    SELECT id, kind, title, body, transaction_id, created_at, read_at
      FROM notifications
     WHERE user_id = p_user_id
       AND id < IFNULL(p_before_id, 18446744073709551615)
       AND (NOT IFNULL(p_unread_only, FALSE) OR read_at IS NULL)
     ORDER BY id DESC
     LIMIT p_limit;
END$$
DELIMITER ;
