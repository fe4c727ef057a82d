-- sp_assert_staff: refuse a staff action from a user whose current role is not a staff role.
-- A staff action is one such as cash for any customer; the role is read as it stands in the
-- database now. Access tokens carry the role they were issued with; this closes the window
-- until such a token expires.
-- Parameters:
--   p_user_id  the actor
-- Returns: nothing.
-- Errors: FORBIDDEN.
-- Example: CALL sp_assert_staff(5);
DROP PROCEDURE IF EXISTS sp_assert_staff;
DELIMITER $$
CREATE PROCEDURE sp_assert_staff(IN p_user_id BIGINT UNSIGNED)
READS SQL DATA
COMMENT 'sp_assert_staff: refuse a staff action from a user whose current role is not a staff role.'
BEGIN
    IF NOT EXISTS (SELECT 1 FROM users WHERE id = p_user_id AND role IN ('teller', 'manager', 'admin')) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'FORBIDDEN: this needs a teller, manager or admin';
    END IF;
END$$
DELIMITER ;
