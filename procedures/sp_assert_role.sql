-- sp_assert_role: refuse an act unless the actor's current role is one of p_roles.
-- The role is read as it stands in the database now. The system user (id 1, role 'system')
-- passes only when the client is a system login (fn_is_system_login), so the API's login
-- cannot borrow it. For entry points without a session parameter that the API calls for staff.
-- Parameters:
--   p_user_id  the actor
--   p_roles    the roles that may act, comma-separated, e.g. 'manager,admin'
-- Returns: nothing.
-- Errors: FORBIDDEN.
-- Example: CALL sp_assert_role(3, 'manager,admin');
DROP PROCEDURE IF EXISTS sp_assert_role;
DELIMITER $$
CREATE PROCEDURE sp_assert_role(IN p_user_id BIGINT UNSIGNED, IN p_roles VARCHAR(128))
READS SQL DATA
COMMENT 'sp_assert_role: refuse an act unless the actor''s current role is one of p_roles.'
BEGIN
    IF NOT EXISTS (SELECT 1 FROM users
                   WHERE id = p_user_id AND status = 'active'
                     AND (FIND_IN_SET(role, p_roles) > 0
                          OR (role = 'system' AND fn_is_system_login()))) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'FORBIDDEN: your role may not do this';
    END IF;
END$$
DELIMITER ;
