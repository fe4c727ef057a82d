-- sp_update_user_profile: change a user's contact details (ciphertext in, NULL = keep).
-- The API rate-limits this per user: EMAIL_TAKEN says an address is registered.
-- Parameters:
--   p_user_id            the user
--   p_email_hash         with p_email_enc: the new email (HMAC-SHA256 of it, for uniqueness)
--   p_email_enc          the new email, encrypted
--   p_full_name_enc      the new full name, encrypted
--   p_phone_enc          the new phone number, encrypted
--   p_date_of_birth_enc  the new date of birth, encrypted
-- Returns: the profile as sp_get_user_profile does.
-- Errors: USER_NOT_FOUND, EMAIL_TAKEN.
-- Example: CALL sp_update_user_profile(42, NULL, NULL, 0x02..., NULL, NULL);
DROP PROCEDURE IF EXISTS sp_update_user_profile;
DELIMITER $$
CREATE PROCEDURE sp_update_user_profile(
    IN p_user_id       BIGINT UNSIGNED,
    IN p_email_hash    BINARY(32),
    IN p_email_enc     VARBINARY(512),
    IN p_full_name_enc VARBINARY(512),
    IN p_phone_enc     VARBINARY(256),
    IN p_date_of_birth_enc VARBINARY(256)
)
COMMENT 'sp_update_user_profile: change a user''s contact details (ciphertext in, NULL = keep).'
BEGIN
    DECLARE EXIT HANDLER FOR 1062
    BEGIN
        ROLLBACK;
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'EMAIL_TAKEN: that email address is already registered';
    END;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;

    START TRANSACTION;
    IF NOT EXISTS (SELECT 1 FROM users WHERE id = p_user_id AND role <> 'system' FOR UPDATE) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'USER_NOT_FOUND: no such user';
    END IF;
    IF p_email_hash IS NOT NULL
       AND EXISTS (SELECT 1 FROM users WHERE email_hash = p_email_hash AND id <> p_user_id) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'EMAIL_TAKEN: that email address is already registered';
    END IF;

    UPDATE users
       SET email_hash    = IF(p_email_hash IS NULL, email_hash, p_email_hash),
           email_enc     = IF(p_email_hash IS NULL, email_enc, p_email_enc),
           full_name_enc = COALESCE(p_full_name_enc, full_name_enc),
           phone_enc     = COALESCE(p_phone_enc, phone_enc),
           date_of_birth_enc = COALESCE(p_date_of_birth_enc, date_of_birth_enc)
     WHERE id = p_user_id;

    INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, user_id, payload)
    VALUES ('user.profile_updated', 'user', p_user_id, p_user_id,
            JSON_OBJECT('user_id', p_user_id));
    COMMIT;

    CALL sp_get_user_profile(p_user_id);
END$$
DELIMITER ;
