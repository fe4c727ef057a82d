-- sp_assert_may_act_on: refuse a staff act on oneself or on a user of the same or a higher role.
-- Ranks are fn_role_rank's (customer 0 up to admin 3); an admin may act on another
-- admin (two admins can stop each other), nobody on themself, and the system user is no
-- one's target. Reads roles as they stand now; the caller checks the actor's own role first
-- (sp_assert_role) and locks the target's row if the act changes it.
-- Parameters:
--   p_actor_id        the staff member acting
--   p_target_user_id  the user the act is about (an account's owner for account acts)
-- Errors: USER_NOT_FOUND (no such user, or the system user), FORBIDDEN.
-- Example: CALL sp_assert_may_act_on(3, 42);
DROP PROCEDURE IF EXISTS sp_assert_may_act_on;
DELIMITER $$
CREATE PROCEDURE sp_assert_may_act_on(IN p_actor_id BIGINT UNSIGNED, IN p_target_user_id BIGINT UNSIGNED)
READS SQL DATA
COMMENT 'sp_assert_may_act_on: refuse a staff act on oneself or on a user of the same or a higher role.'
BEGIN
    DECLARE v_actor_role VARCHAR(16) DEFAULT NULL;
    DECLARE v_target_role VARCHAR(16) DEFAULT NULL;
    SELECT role INTO v_target_role FROM users WHERE id = p_target_user_id AND role <> 'system';
    IF v_target_role IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'USER_NOT_FOUND: no such user';
    END IF;
    IF p_target_user_id = p_actor_id THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'FORBIDDEN: staff cannot do this to themselves or their own accounts';
    END IF;
    SELECT role INTO v_actor_role FROM users WHERE id = p_actor_id;
    IF NOT (v_actor_role = 'system'
            OR (v_actor_role = 'admin' AND v_target_role = 'admin')
            OR IFNULL(fn_role_rank(v_actor_role) > fn_role_rank(v_target_role), FALSE)) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'FORBIDDEN: your role may not act on a user of this role';
    END IF;
END$$
DELIMITER ;
