-- sp_set_user_pii: store a new user's encrypted personal data (registration's second step).
-- The ciphertext binds the user's id as associated data, so it can only be made once
-- sp_register_user has returned the id. It fills empty fields only: it runs without a
-- session, so it must not be a way to overwrite anyone's details (PUT /users/profile,
-- sp_update_user_profile, changes them). No outbox event: registration announced the user.
-- Each field is AES-GCM ciphertext produced by the API, or NULL.
-- Parameters:
--   p_user_id            the user
--   p_email_enc          the email address
--   p_full_name_enc      the full name
--   p_phone_enc          the phone number
--   p_date_of_birth_enc  the date of birth
-- Returns: nothing.
-- Errors: USER_NOT_FOUND.
-- Example: CALL sp_set_user_pii(42, 0x02..., 0x02..., NULL, 0x02...);
DROP PROCEDURE IF EXISTS sp_set_user_pii;
DELIMITER $$
CREATE PROCEDURE sp_set_user_pii(
    IN p_user_id           BIGINT UNSIGNED,
    IN p_email_enc         VARBINARY(512),
    IN p_full_name_enc     VARBINARY(512),
    IN p_phone_enc         VARBINARY(256),
    IN p_date_of_birth_enc VARBINARY(256)
)
COMMENT 'sp_set_user_pii: store a new user''s encrypted personal data (registration''s second step).'
BEGIN
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;

    START TRANSACTION;
    IF NOT EXISTS (SELECT 1 FROM users WHERE id = p_user_id AND role <> 'system' FOR UPDATE) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'USER_NOT_FOUND: no such user';
    END IF;
    UPDATE users
       SET email_enc         = COALESCE(email_enc, p_email_enc),
           full_name_enc     = COALESCE(full_name_enc, p_full_name_enc),
           phone_enc         = COALESCE(phone_enc, p_phone_enc),
           date_of_birth_enc = COALESCE(date_of_birth_enc, p_date_of_birth_enc)
     WHERE id = p_user_id;
    COMMIT;
END$$
DELIMITER ;
