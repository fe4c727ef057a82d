-- sp_get_transaction: one transaction and its ledger entries, as the viewer may see them.
-- Staff (p_viewer_id NULL) see every leg. A customer (p_viewer_id set) sees a transaction
-- only when it moved money out of or into one of their accounts, and of its entries only
-- the legs on those accounts: never the other party's balance or the bank's own legs.
-- Parameters:
--   p_transaction_id  the transaction
--   p_viewer_id       the customer asking (NULL: staff, who see every leg)
-- Returns: result set 1: the transaction (vw_transactions' columns: sp_emit_transaction's
--          and the risk score once the worker has written one). Result set 2: the entries
--          the viewer may see.
-- Errors: TRANSACTION_NOT_FOUND (also when it is not the viewer's to see).
-- Example: CALL sp_get_transaction(1001, 42);
DROP PROCEDURE IF EXISTS sp_get_transaction;
DELIMITER $$
CREATE PROCEDURE sp_get_transaction(IN p_transaction_id BIGINT UNSIGNED,
                                    IN p_viewer_id BIGINT UNSIGNED)
READS SQL DATA
COMMENT 'sp_get_transaction: one transaction and its ledger entries, as the viewer may see them.'
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM transactions t
        LEFT JOIN accounts src ON src.id = t.from_account_id
        LEFT JOIN accounts dst ON dst.id = t.to_account_id
        WHERE t.id = p_transaction_id
          AND (p_viewer_id IS NULL OR src.user_id = p_viewer_id OR dst.user_id = p_viewer_id)
    ) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'TRANSACTION_NOT_FOUND: no such transaction';
    END IF;
    SELECT v.*, FALSE AS replayed FROM vw_transactions v WHERE v.id = p_transaction_id;
    SELECT e.id, e.account_id, a.account_number, e.amount, e.currency, e.balance_after,
           e.entry_type, e.created_at
    FROM ledger_entries e
    JOIN accounts a ON a.id = e.account_id
    JOIN transactions t ON t.id = e.transaction_id
    WHERE e.transaction_id = p_transaction_id
      AND (p_viewer_id IS NULL
           OR (a.user_id = p_viewer_id AND e.account_id IN (t.from_account_id, t.to_account_id)))
    ORDER BY e.id;
END$$
DELIMITER ;
