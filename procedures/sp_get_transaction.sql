-- sp_get_transaction: one transaction and its ledger entries.
-- Parameters:
--   p_transaction_id  the transaction
-- Returns: result set 1: the transaction (sp_emit_transaction's shape). Result set 2: its
--          entries.
-- Errors: TRANSACTION_NOT_FOUND.
-- Example: CALL sp_get_transaction(1001);
DROP PROCEDURE IF EXISTS sp_get_transaction;
DELIMITER $$
CREATE PROCEDURE sp_get_transaction(IN p_transaction_id BIGINT UNSIGNED)
READS SQL DATA
COMMENT 'sp_get_transaction: one transaction and its ledger entries.'
BEGIN
    IF NOT EXISTS (SELECT 1 FROM transactions WHERE id = p_transaction_id) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'TRANSACTION_NOT_FOUND: no such transaction';
    END IF;
    CALL sp_emit_transaction(p_transaction_id, FALSE);
    SELECT e.id, e.account_id, a.account_number, e.amount, e.currency, e.balance_after,
           e.entry_type, e.created_at
    FROM ledger_entries e
    JOIN accounts a ON a.id = e.account_id
    WHERE e.transaction_id = p_transaction_id
    ORDER BY e.id;
END$$
DELIMITER ;
