-- sp_set_account_limits: change an account's overdraft, per-transaction and daily limits.
-- A staff action, audited. NULL leaves a limit as it is.
-- Parameters:
--   p_account_id             the account
--   p_overdraft_limit        how far the balance may go below zero (NULL: unchanged)
--   p_per_transaction_limit  the most one transaction may move (NULL: unchanged)
--   p_daily_limit            the most the account may send in a day (NULL: unchanged)
--   p_actor_id               the staff member, for the audit log
-- Errors: ACCOUNT_NOT_FOUND, INVALID_AMOUNT (negative or too many decimals).
-- Example: CALL sp_set_account_limits(7, 500.000, NULL, 20000.000, 3);
DROP PROCEDURE IF EXISTS sp_set_account_limits;
DELIMITER $$
CREATE PROCEDURE sp_set_account_limits(
    IN p_account_id BIGINT UNSIGNED,
    IN p_overdraft_limit DECIMAL(38,12),
    IN p_per_transaction_limit DECIMAL(38,12),
    IN p_daily_limit DECIMAL(38,12),
    IN p_actor_id BIGINT UNSIGNED)
MODIFIES SQL DATA
COMMENT 'sp_set_account_limits: change an account''s overdraft, per-transaction and daily limits.'
BEGIN
    DECLARE v_currency CHAR(3) DEFAULT NULL;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;

    SET @bank_actor_id = p_actor_id;
    START TRANSACTION;
    SELECT currency INTO v_currency FROM accounts WHERE id = p_account_id AND kind = 'customer' FOR UPDATE;
    IF v_currency IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ACCOUNT_NOT_FOUND: no such account';
    END IF;
    CALL sp_check_amount(IFNULL(p_overdraft_limit, 0), v_currency, TRUE);
    CALL sp_check_amount(IFNULL(p_per_transaction_limit, 0), v_currency, TRUE);
    CALL sp_check_amount(IFNULL(p_daily_limit, 0), v_currency, TRUE);
    UPDATE accounts
    SET overdraft_limit = IFNULL(p_overdraft_limit, overdraft_limit),
        per_transaction_limit = IFNULL(p_per_transaction_limit, per_transaction_limit),
        daily_limit = IFNULL(p_daily_limit, daily_limit)
    WHERE id = p_account_id;
    COMMIT;
    SELECT * FROM vw_accounts WHERE id = p_account_id;
END$$
DELIMITER ;
