-- sp_admin_list_users: users for staff, newest first, filtered, one keyset page at a time.
-- The rows are sp_emit_user's shape: no password, PIN or token hashes and no personal data
-- (it is encrypted and stays so). The system user is left out. The username filter is a
-- prefix (LIKE wildcards in it are matched literally).
-- Parameters:
--   p_role             only this role (NULL: any)
--   p_status           only this status (NULL: any)
--   p_kyc_status       only this KYC status (NULL: any)
--   p_username_prefix  only usernames starting with this (NULL: any)
--   p_before_id        the cursor: only ids below it (NULL: from the newest)
--   p_limit            the page size (1..500)
--   p_viewer_id        the staff member reading
--   p_session_id       the viewer's session
-- Returns: one row per user, as sp_emit_user (sessions_ended NULL).
-- Errors: SESSION_REQUIRED, SESSION_REVOKED, FORBIDDEN, INVALID_ARGUMENT (limit out of range).
-- Example: CALL sp_admin_list_users('customer', 'blocked', NULL, 'al', NULL, 50, 3, '5f0c...');
DROP PROCEDURE IF EXISTS sp_admin_list_users;
DELIMITER $$
CREATE PROCEDURE sp_admin_list_users(
    IN p_role VARCHAR(16),
    IN p_status VARCHAR(16),
    IN p_kyc_status VARCHAR(16),
    IN p_username_prefix VARCHAR(64),
    IN p_before_id BIGINT UNSIGNED,
    IN p_limit INT,
    IN p_viewer_id BIGINT UNSIGNED,
    IN p_session_id CHAR(32))
READS SQL DATA
COMMENT 'sp_admin_list_users: users for staff, newest first, filtered, one keyset page at a time.'
BEGIN
    DECLARE v_before BIGINT UNSIGNED DEFAULT IFNULL(p_before_id, 18446744073709551615);
    DECLARE v_like VARCHAR(200) DEFAULT CONCAT(REPLACE(REPLACE(REPLACE(p_username_prefix,
        '\\', '\\\\'), '%', '\\%'), '_', '\\_'), '%');
    CALL sp_assert_session(p_session_id, p_viewer_id);
    CALL sp_assert_role(p_viewer_id, 'teller,manager,auditor,analyst,admin');
    IF p_limit IS NULL OR p_limit < 1 OR p_limit > 500 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: limit must be between 1 and 500';
    END IF;
    SELECT u.id, u.username, u.role, u.status, u.kyc_status, u.mfa_enabled,
           u.pin_hash IS NOT NULL AS has_pin, u.failed_login_count, u.locked_until,
           u.last_login_at,
           (SELECT COUNT(*) FROM auth_sessions s
             WHERE s.user_id = u.id AND s.status = 'active' AND s.expires_at > NOW(6)) AS active_sessions,
           u.created_at, u.updated_at, NULL AS sessions_ended
    FROM users u
    WHERE u.id < v_before AND u.role <> 'system'
      AND (p_role IS NULL OR u.role = p_role)
      AND (p_status IS NULL OR u.status = p_status)
      AND (p_kyc_status IS NULL OR u.kyc_status = p_kyc_status)
      AND (p_username_prefix IS NULL OR u.username LIKE v_like)
    ORDER BY u.id DESC
    LIMIT p_limit;
END$$
DELIMITER ;
