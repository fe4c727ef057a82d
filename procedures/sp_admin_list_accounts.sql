-- sp_admin_list_accounts: customer accounts for staff, newest first, filtered, keyset-paged.
-- Parameters:
--   p_user_id       only this owner's accounts (NULL: anyone's)
--   p_status        only this status (NULL: any)
--   p_currency      only this currency (NULL: any)
--   p_account_type  only this account type (NULL: any)
--   p_before_id     the cursor: only ids below it (NULL: from the newest)
--   p_limit         the page size (1..500)
--   p_viewer_id     the staff member reading
--   p_session_id    the viewer's session
-- Returns: one row per account, as vw_accounts.
-- Errors: SESSION_REQUIRED, SESSION_REVOKED, FORBIDDEN, INVALID_ARGUMENT (limit out of range).
-- Example: CALL sp_admin_list_accounts(NULL, 'frozen', 'JOD', NULL, NULL, 50, 3, '5f0c...');
DROP PROCEDURE IF EXISTS sp_admin_list_accounts;
DELIMITER $$
CREATE PROCEDURE sp_admin_list_accounts(
    IN p_user_id BIGINT UNSIGNED,
    IN p_status VARCHAR(8),
    IN p_currency CHAR(3),
    IN p_account_type VARCHAR(16),
    IN p_before_id BIGINT UNSIGNED,
    IN p_limit INT,
    IN p_viewer_id BIGINT UNSIGNED,
    IN p_session_id CHAR(32))
READS SQL DATA
COMMENT 'sp_admin_list_accounts: customer accounts for staff, newest first, filtered, keyset-paged.'
BEGIN
    DECLARE v_before BIGINT UNSIGNED DEFAULT IFNULL(p_before_id, 18446744073709551615);
    CALL sp_assert_session(p_session_id, p_viewer_id);
    CALL sp_assert_role(p_viewer_id, 'teller,manager,auditor,analyst,admin');
    IF p_limit IS NULL OR p_limit < 1 OR p_limit > 500 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: limit must be between 1 and 500';
    END IF;
    SELECT v.* FROM vw_accounts v
    WHERE v.id < v_before
      AND (p_user_id IS NULL OR v.user_id = p_user_id)
      AND (p_status IS NULL OR v.status = p_status)
      AND (p_currency IS NULL OR v.currency = p_currency)
      AND (p_account_type IS NULL OR v.account_type = p_account_type)
    ORDER BY v.id DESC
    LIMIT p_limit;
END$$
DELIMITER ;
