-- sp_create_account: open a customer account with a fresh account number.
-- The number is 10 random digits followed by two ISO 7064 MOD 97-10 check digits
-- (as in IBAN), so a mistyped number is caught: CAST(number AS UNSIGNED) MOD 97 = 1.
-- A customer may hold at most account_policy.max_open_accounts open (not closed) accounts;
-- the owner's row is locked before counting, so concurrent opens cannot both pass.
-- Parameters:
--   p_user_id       the owner
--   p_account_type  savings, checking, wallet or fixed_deposit
--   p_currency      JOD, USD or EUR
--   p_actor_id      who opens it, for the audit log
-- Errors: USER_NOT_FOUND, USER_INACTIVE, INVALID_ACCOUNT_TYPE, UNKNOWN_CURRENCY,
--         ACCOUNT_LIMIT_REACHED.
-- Example: CALL sp_create_account(42, 'savings', 'JOD', 42);
DROP PROCEDURE IF EXISTS sp_create_account;
DELIMITER $$
CREATE PROCEDURE sp_create_account(
    IN p_user_id BIGINT UNSIGNED,
    IN p_account_type VARCHAR(16),
    IN p_currency CHAR(3),
    IN p_actor_id BIGINT UNSIGNED)
MODIFIES SQL DATA
COMMENT 'sp_create_account: open a customer account with a fresh account number.'
BEGIN
    DECLARE v_status VARCHAR(16) DEFAULT NULL;
    DECLARE v_role VARCHAR(16);
    DECLARE v_base BIGINT UNSIGNED;
    DECLARE v_number VARCHAR(34);
    DECLARE v_id BIGINT UNSIGNED;
    DECLARE v_attempts INT DEFAULT 0;
    DECLARE v_taken INT DEFAULT 1;
    DECLARE v_open INT DEFAULT 0;
    DECLARE v_max_open INT UNSIGNED DEFAULT NULL;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;

    SET @bank_actor_id = p_actor_id;
    IF p_account_type IS NULL OR p_account_type NOT IN ('savings', 'checking', 'wallet', 'fixed_deposit') THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ACCOUNT_TYPE: account_type must be savings, checking, wallet or fixed_deposit';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM currencies WHERE code = p_currency AND is_active) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'UNKNOWN_CURRENCY: currency is not supported';
    END IF;
    SELECT status, role INTO v_status, v_role FROM users WHERE id = p_user_id;
    IF v_status IS NULL OR v_role = 'system' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'USER_NOT_FOUND: no such user';
    END IF;
    IF v_status <> 'active' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'USER_INACTIVE: the user is not active';
    END IF;

    START TRANSACTION;
    SELECT id INTO v_id FROM users WHERE id = p_user_id FOR UPDATE;
    SELECT max_open_accounts INTO v_max_open FROM account_policy WHERE id = 1;
    SELECT COUNT(*) INTO v_open FROM accounts
    WHERE user_id = p_user_id AND kind = 'customer' AND status <> 'closed';
    IF v_open >= IFNULL(v_max_open, 10) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ACCOUNT_LIMIT_REACHED: the customer already holds the maximum number of open accounts';
    END IF;
    WHILE v_taken > 0 DO
        SET v_attempts = v_attempts + 1;
        IF v_attempts > 20 THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INTERNAL: could not allocate an account number';
        END IF;
        SET v_base = 1000000000 + FLOOR(RAND() * 8999999999);
        SET v_number = CONCAT(v_base, LPAD(98 - MOD(v_base * 100, 97), 2, '0'));
        SELECT COUNT(*) INTO v_taken FROM accounts WHERE account_number = v_number;
    END WHILE;
    INSERT INTO accounts (account_number, user_id, kind, account_type, currency)
    VALUES (v_number, p_user_id, 'customer', p_account_type, p_currency);
    SET v_id = LAST_INSERT_ID();
    INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, user_id, payload)
    VALUES ('account.opened', 'account', v_id, p_user_id,
            JSON_OBJECT('account_id', v_id, 'account_number', v_number,
                        'account_type', p_account_type, 'currency', p_currency));
    COMMIT;
    SELECT * FROM vw_accounts WHERE id = v_id;
END$$
DELIMITER ;
