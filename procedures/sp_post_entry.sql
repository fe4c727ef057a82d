-- sp_post_entry: post one signed ledger entry and move the account's cached balance with it.
-- The one place where a balance changes: balance and available_balance move by p_amount
-- and the entry records balance_after. The caller owns the transaction and has already
-- locked the account row (customer accounts first, then system accounts, each in
-- ascending id order, so lock cycles cannot form).
-- Parameters:
--   p_transaction_id  the transaction the entry belongs to
--   p_account_id      the account it moves
--   p_amount          the signed amount
--   p_currency        the account's currency
--   p_entry_type      the kind of entry, e.g. 'principal'
-- Errors: INSUFFICIENT_FUNDS from the overdraft guard trigger.
-- Example: CALL sp_post_entry(1001, 7, -25.500, 'JOD', 'principal');
DROP PROCEDURE IF EXISTS sp_post_entry;
DELIMITER $$
CREATE PROCEDURE sp_post_entry(
    IN p_transaction_id BIGINT UNSIGNED,
    IN p_account_id BIGINT UNSIGNED,
    IN p_amount DECIMAL(20,4),
    IN p_currency CHAR(3),
    IN p_entry_type VARCHAR(16))
MODIFIES SQL DATA
COMMENT 'sp_post_entry: post one signed ledger entry and move the account''s cached balance with it.'
BEGIN
    DECLARE v_balance DECIMAL(20,4);
    UPDATE accounts
    SET balance = balance + p_amount,
        available_balance = available_balance + p_amount
    WHERE id = p_account_id;
    SELECT balance INTO v_balance FROM accounts WHERE id = p_account_id;
    INSERT INTO ledger_entries (transaction_id, account_id, amount, currency, balance_after, entry_type, created_at)
    VALUES (p_transaction_id, p_account_id, p_amount, p_currency, v_balance, p_entry_type, NOW(6));
END$$
DELIMITER ;
