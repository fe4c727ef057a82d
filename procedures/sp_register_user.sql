-- sp_register_user: create a customer login with its (already encrypted) personal data.
--
-- Parameters
--   p_username         VARCHAR(64)   unique login name
--   p_password_hash    VARCHAR(100)  bcrypt hash (the password never reaches the database)
--   p_email_hash       BINARY(32)    HMAC-SHA256 of the normalised email, for uniqueness
--   p_email_enc, p_full_name_enc, p_phone_enc, p_date_of_birth_enc
--                      VARBINARY     AES-GCM ciphertext produced by the API
-- Returns one row: id, username, role, status, kyc_status, mfa_enabled, created_at.
-- Errors: USERNAME_TAKEN, EMAIL_TAKEN, INVALID_ARGUMENT.
-- Example: CALL sp_register_user('alice', '$2b$12$...', UNHEX(SHA2('a@x', 256)), ...);

DROP PROCEDURE IF EXISTS sp_register_user;

DELIMITER $$
CREATE PROCEDURE sp_register_user(
    IN p_username          VARCHAR(64),
    IN p_password_hash     VARCHAR(100),
    IN p_email_hash        BINARY(32),
    IN p_email_enc         VARBINARY(512),
    IN p_full_name_enc     VARBINARY(512),
    IN p_phone_enc         VARBINARY(256),
    IN p_date_of_birth_enc VARBINARY(256)
)
BEGIN
    DECLARE v_user_id BIGINT UNSIGNED;

    DECLARE EXIT HANDLER FOR 1062
    BEGIN
        -- A concurrent registration won the unique index: report which one.
        ROLLBACK;
        IF EXISTS (SELECT 1 FROM users WHERE username = p_username) THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'USERNAME_TAKEN: that username is already registered';
        END IF;
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'EMAIL_TAKEN: that email address is already registered';
    END;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;

    IF p_username IS NULL OR CHAR_LENGTH(p_username) < 3 OR p_password_hash IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: username and password are required';
    END IF;

    START TRANSACTION;
    IF EXISTS (SELECT 1 FROM users WHERE username = p_username) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'USERNAME_TAKEN: that username is already registered';
    END IF;
    IF p_email_hash IS NOT NULL AND EXISTS (SELECT 1 FROM users WHERE email_hash = p_email_hash) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'EMAIL_TAKEN: that email address is already registered';
    END IF;

    INSERT INTO users (username, role, status, kyc_status, password_hash, email_hash, email_enc,
                       full_name_enc, phone_enc, date_of_birth_enc)
    VALUES (p_username, 'customer', 'active', 'pending', p_password_hash, p_email_hash, p_email_enc,
            p_full_name_enc, p_phone_enc, p_date_of_birth_enc);
    SET v_user_id = LAST_INSERT_ID();

    INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, user_id, payload)
    VALUES ('user.registered', 'user', v_user_id, v_user_id,
            JSON_OBJECT('user_id', v_user_id, 'username', p_username));
    COMMIT;

    SELECT id, username, role, status, kyc_status, mfa_enabled, created_at
    FROM users WHERE id = v_user_id;
END$$
DELIMITER ;
