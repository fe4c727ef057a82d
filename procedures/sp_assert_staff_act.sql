-- sp_assert_staff_act: refuse a staff act without a live session, the role, or a reason.
-- The three checks every audited staff procedure makes before it locks anything: the
-- actor's session is live (sp_assert_session), the actor's role as it stands now is one
-- of p_roles (sp_assert_role), and a reason is given for the audit log.
-- Parameters:
--   p_session_id  the actor's session
--   p_actor_id    the staff member acting
--   p_roles       the roles that may act, comma-separated (e.g. 'manager,admin')
--   p_reason      why, for the audit log
-- Returns: nothing.
-- Errors: SESSION_REQUIRED, SESSION_REVOKED, FORBIDDEN, INVALID_ARGUMENT (no reason).
-- Example: CALL sp_assert_staff_act('5f0c...', 3, 'manager,admin', 'suspected fraud');
DROP PROCEDURE IF EXISTS sp_assert_staff_act;
DELIMITER $$
CREATE PROCEDURE sp_assert_staff_act(
    IN p_session_id CHAR(32),
    IN p_actor_id BIGINT UNSIGNED,
    IN p_roles VARCHAR(128),
    IN p_reason VARCHAR(255))
READS SQL DATA
COMMENT 'sp_assert_staff_act: refuse a staff act without a live session, the role, or a reason.'
BEGIN
    CALL sp_assert_session(p_session_id, p_actor_id);
    CALL sp_assert_role(p_actor_id, p_roles);
    IF p_reason IS NULL OR TRIM(p_reason) = '' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: a reason is required';
    END IF;
END$$
DELIMITER ;
