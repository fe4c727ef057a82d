-- sp_reencrypt_user_pii: replace one personal-data ciphertext of a user, if unchanged since read.
-- Key rotation (scripts/reencrypt_pii.py) reads a ciphertext, decrypts it and encrypts it
-- again under the newest key; the swap happens only while the column still holds what was
-- read, so a profile edited in between is never overwritten with older data (the script
-- sees 0 and leaves it for the next run). Run by the operator as the admin login; no
-- service user may execute it. The users audit trigger records the change.
-- Parameters:
--   p_user_id      the user
--   p_column       email_enc, full_name_enc, phone_enc, date_of_birth_enc or mfa_secret_enc
--   p_expected     the ciphertext that was read
--   p_replacement  the same plaintext encrypted under the newest key
-- Returns: one row: replaced (1, or 0 when the column changed meanwhile).
-- Errors: INVALID_ARGUMENT (not a personal-data column, or no replacement).
-- Example: CALL sp_reencrypt_user_pii(42, 'email_enc', 0x02..., 0x03...);
DROP PROCEDURE IF EXISTS sp_reencrypt_user_pii;
DELIMITER $$
CREATE PROCEDURE sp_reencrypt_user_pii(
    IN p_user_id BIGINT UNSIGNED,
    IN p_column VARCHAR(32),
    IN p_expected VARBINARY(512),
    IN p_replacement VARBINARY(512))
MODIFIES SQL DATA
COMMENT 'sp_reencrypt_user_pii: replace one personal-data ciphertext of a user, if unchanged since read.'
BEGIN
    DECLARE v_replaced INT DEFAULT 0;
    IF p_replacement IS NULL OR p_expected IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: a ciphertext and its replacement are required';
    END IF;
    CASE p_column
        WHEN 'email_enc' THEN
            UPDATE users SET email_enc = p_replacement WHERE id = p_user_id AND email_enc = p_expected;
            SET v_replaced = ROW_COUNT();
        WHEN 'full_name_enc' THEN
            UPDATE users SET full_name_enc = p_replacement
             WHERE id = p_user_id AND full_name_enc = p_expected;
            SET v_replaced = ROW_COUNT();
        WHEN 'phone_enc' THEN
            UPDATE users SET phone_enc = p_replacement WHERE id = p_user_id AND phone_enc = p_expected;
            SET v_replaced = ROW_COUNT();
        WHEN 'date_of_birth_enc' THEN
            UPDATE users SET date_of_birth_enc = p_replacement
             WHERE id = p_user_id AND date_of_birth_enc = p_expected;
            SET v_replaced = ROW_COUNT();
        WHEN 'mfa_secret_enc' THEN
            UPDATE users SET mfa_secret_enc = p_replacement
             WHERE id = p_user_id AND mfa_secret_enc = p_expected;
            SET v_replaced = ROW_COUNT();
        ELSE
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: not a personal-data column';
    END CASE;
    SELECT v_replaced AS replaced;
END$$
DELIMITER ;
