-- sp_get_balance: an account's balance now, or as it stood at a past instant.
-- A past balance is the balance_after of the last entry at or before p_at (0 before the
-- first entry); holds are not historised, so then available_balance equals balance.
-- Parameters:
--   p_account_id  the account
--   p_at          the instant (NULL for now)
-- Errors: ACCOUNT_NOT_FOUND.
-- Example: CALL sp_get_balance(7, '2026-01-31 23:59:59');
DROP PROCEDURE IF EXISTS sp_get_balance;
DELIMITER $$
CREATE PROCEDURE sp_get_balance(IN p_account_id BIGINT UNSIGNED, IN p_at DATETIME(6))
READS SQL DATA
COMMENT 'sp_get_balance: an account''s balance now, or as it stood at a past instant.'
BEGIN
    DECLARE v_currency CHAR(3) DEFAULT NULL;
    DECLARE v_balance DECIMAL(20,4);
    DECLARE v_available DECIMAL(20,4);
    SELECT currency, balance, available_balance INTO v_currency, v_balance, v_available
    FROM accounts WHERE id = p_account_id AND kind = 'customer';
    IF v_currency IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ACCOUNT_NOT_FOUND: no such account';
    END IF;
    IF p_at IS NULL OR p_at >= NOW(6) THEN
        SELECT p_account_id AS account_id, v_currency AS currency, v_balance AS balance,
               v_available AS available_balance, NOW(6) AS as_of;
    ELSE
        SELECT p_account_id AS account_id, v_currency AS currency,
               IFNULL((SELECT e.balance_after FROM ledger_entries e
                       WHERE e.account_id = p_account_id AND e.created_at <= p_at
                       ORDER BY e.created_at DESC, e.id DESC LIMIT 1), 0) AS balance,
               IFNULL((SELECT e.balance_after FROM ledger_entries e
                       WHERE e.account_id = p_account_id AND e.created_at <= p_at
                       ORDER BY e.created_at DESC, e.id DESC LIMIT 1), 0) AS available_balance,
               p_at AS as_of;
    END IF;
END$$
DELIMITER ;
