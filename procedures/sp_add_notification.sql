-- sp_add_notification: put a message in the caller's own in-app inbox.
-- The API's in-app notifier (used when no SMTP server is configured) delivers what it would
-- otherwise mail to the signed-in user, such as a one-time code. Only the session's own
-- user can be written to, so the API's login cannot fill anyone else's inbox.
-- Parameters:
--   p_session_id      the caller's session
--   p_user_id         the caller, who receives the message
--   p_kind            a short lower-case kind, e.g. 'otp'
--   p_title           one line
--   p_body            the message
--   p_transaction_id  the transaction it is about (NULL: none)
-- Returns: one row: id.
-- Errors: SESSION_REVOKED, INVALID_ARGUMENT (an empty title or body, a malformed kind).
-- Example: CALL sp_add_notification('5f0c...', 42, 'otp', 'Your code', 'Code 123456', 1001);
DROP PROCEDURE IF EXISTS sp_add_notification;
DELIMITER $$
CREATE PROCEDURE sp_add_notification(
    IN p_session_id CHAR(32),
    IN p_user_id BIGINT UNSIGNED,
    IN p_kind VARCHAR(32),
    IN p_title VARCHAR(200),
    IN p_body VARCHAR(2000),
    IN p_transaction_id BIGINT UNSIGNED)
MODIFIES SQL DATA
COMMENT 'sp_add_notification: put a message in the caller''s own in-app inbox.'
BEGIN
    CALL sp_assert_session(p_session_id, p_user_id);
    IF p_kind IS NULL OR p_kind NOT REGEXP '^[a-z][a-z_.]{0,31}$'
       OR IFNULL(p_title, '') = '' OR IFNULL(p_body, '') = '' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: a notification needs a kind, a title and a body';
    END IF;
    INSERT INTO notifications (user_id, kind, title, body, transaction_id)
    VALUES (p_user_id, p_kind, p_title, p_body, p_transaction_id);
    SELECT LAST_INSERT_ID() AS id;
END$$
DELIMITER ;
