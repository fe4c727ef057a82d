-- sp_set_mfa_secret: store a new (encrypted) TOTP secret, not yet enabled.
-- Parameters:
--   p_user_id     the user
--   p_secret_enc  AES-GCM ciphertext of the base32 secret
-- Returns: nothing.
-- Errors: USER_NOT_FOUND, MFA_ALREADY_ENABLED.
-- Example: CALL sp_set_mfa_secret(42, 0x01...);
DROP PROCEDURE IF EXISTS sp_set_mfa_secret;
DELIMITER $$
CREATE PROCEDURE sp_set_mfa_secret(IN p_user_id BIGINT UNSIGNED, IN p_secret_enc VARBINARY(256))
COMMENT 'sp_set_mfa_secret: store a new (encrypted) TOTP secret, not yet enabled.'
BEGIN
    DECLARE v_enabled BOOLEAN;

    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;

    START TRANSACTION;
    SELECT mfa_enabled INTO v_enabled FROM users
    WHERE id = p_user_id AND role <> 'system' FOR UPDATE;
    IF v_enabled IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'USER_NOT_FOUND: no such user';
    END IF;
    IF v_enabled THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'MFA_ALREADY_ENABLED: two-factor authentication is already on';
    END IF;
    UPDATE users SET mfa_secret_enc = p_secret_enc WHERE id = p_user_id;
    COMMIT;
END$$
DELIMITER ;
