-- sp_get_user_profile: one user's profile, personal data still encrypted.
-- Parameters:
--   p_user_id  the user
-- Returns: one row: id, username, role, status, kyc_status, mfa_enabled, has_pin, email_enc,
--          full_name_enc, phone_enc, date_of_birth_enc, created_at.
-- Errors: USER_NOT_FOUND.
-- Example: CALL sp_get_user_profile(42);
DROP PROCEDURE IF EXISTS sp_get_user_profile;
DELIMITER $$
CREATE PROCEDURE sp_get_user_profile(IN p_user_id BIGINT UNSIGNED)
COMMENT 'sp_get_user_profile: one user''s profile, personal data still encrypted.'
BEGIN
    IF NOT EXISTS (SELECT 1 FROM users WHERE id = p_user_id AND role <> 'system') THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'USER_NOT_FOUND: no such user';
    END IF;

    SELECT id, username, role, status, kyc_status, mfa_enabled,
           pin_hash IS NOT NULL AS has_pin,
           email_enc, full_name_enc, phone_enc, date_of_birth_enc, created_at
    FROM users WHERE id = p_user_id;
END$$
DELIMITER ;
