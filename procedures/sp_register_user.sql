-- sp_register_user: create a customer login; its personal data follows in sp_set_user_pii.
-- Personal data is encrypted with the user's id bound in (so it cannot be moved to
-- another row), and the id exists only after this insert: the API stores the
-- ciphertext next, with sp_set_user_pii. Should that second call fail, the user can
-- still log in and set the details through PUT /users/profile.
-- An email address that is already registered is not an error (answering 409 would
-- tell anyone whose address it is): the user is created without claiming the address
-- (no email_hash, so it is unconfirmed and nothing is sent to it), and the address's
-- owner gets a 'user.email_conflict' outbox event so they can be told.
-- Parameters:
--   p_username       normalised login name (^[a-z0-9][a-z0-9._-]{2,31}$)
--   p_password_hash  bcrypt hash (the password never reaches the database)
--   p_email_hash     HMAC-SHA256 of the normalised email, for uniqueness
--   p_kyc_verified   TRUE: verified at registration (development mode); FALSE: 'pending' until
--                    staff review (production)
-- Returns: one row: id, username, role, status, kyc_status, mfa_enabled, created_at.
-- Errors: USERNAME_TAKEN, INVALID_ARGUMENT.
-- Example: CALL sp_register_user('alice', '$2b$12$...', UNHEX(SHA2('a@x', 256)), FALSE);
DROP PROCEDURE IF EXISTS sp_register_user;
DELIMITER $$
CREATE PROCEDURE sp_register_user(
    IN p_username      VARCHAR(64),
    IN p_password_hash VARCHAR(100),
    IN p_email_hash    BINARY(32),
    IN p_kyc_verified  BOOLEAN
)
COMMENT 'sp_register_user: create a customer login; its personal data follows in sp_set_user_pii.'
BEGIN
    DECLARE v_user_id BIGINT UNSIGNED;
    DECLARE v_email_owner BIGINT UNSIGNED;

    DECLARE EXIT HANDLER FOR 1062
    BEGIN
        -- A concurrent registration won the unique username index.
        ROLLBACK;
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'USERNAME_TAKEN: that username is already registered';
    END;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;

    IF p_username IS NULL
       OR CAST(p_username AS BINARY) <> CAST(LOWER(p_username) AS BINARY)
       OR NOT p_username REGEXP '^[a-z0-9][a-z0-9._-]{2,31}$'
       OR p_password_hash IS NULL THEN
        SIGNAL SQLSTATE '45000'
            SET MESSAGE_TEXT = 'INVALID_ARGUMENT: a normalised username and a password hash are required';
    END IF;

    START TRANSACTION;
    IF EXISTS (SELECT 1 FROM users WHERE username = p_username FOR UPDATE) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'USERNAME_TAKEN: that username is already registered';
    END IF;
    IF p_email_hash IS NOT NULL THEN
        -- A locking read: a concurrent registration of the same address waits (or
        -- deadlocks and is retried) and then sees this one.
        SET v_email_owner = (SELECT id FROM users WHERE email_hash = p_email_hash FOR UPDATE);
    END IF;

    INSERT INTO users (username, role, status, kyc_status, password_hash, email_hash)
    VALUES (p_username, 'customer', 'active', IF(p_kyc_verified, 'verified', 'pending'),
            p_password_hash, IF(v_email_owner IS NULL, p_email_hash, NULL));
    SET v_user_id = LAST_INSERT_ID();

    INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, user_id, payload)
    VALUES ('user.registered', 'user', v_user_id, v_user_id,
            JSON_OBJECT('user_id', v_user_id, 'username', p_username));
    IF v_email_owner IS NOT NULL THEN
        INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, user_id, payload)
        VALUES ('user.email_conflict', 'user', v_email_owner, v_email_owner,
                JSON_OBJECT('user_id', v_email_owner, 'reason', 'registration'));
    END IF;
    COMMIT;

    SELECT id, username, role, status, kyc_status, mfa_enabled, created_at
    FROM users WHERE id = v_user_id;
END$$
DELIMITER ;
