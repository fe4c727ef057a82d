-- sp_emit_transaction: the one shape in which every money procedure returns a transaction.
-- The columns TransactionResponse (api/schemas.py) reads, by primary key: the header and the
-- two account numbers. sp_perform_transfer writes the same row inline (its hot path).
-- Parameters:
--   p_transaction_id  the transaction
--   p_replayed        1 when an idempotent replay returns an earlier result
-- Errors: none (an unknown id returns no row).
-- Example: CALL sp_emit_transaction(1001, 0);
DROP PROCEDURE IF EXISTS sp_emit_transaction;
DELIMITER $$
CREATE PROCEDURE sp_emit_transaction(IN p_transaction_id BIGINT UNSIGNED, IN p_replayed BOOLEAN)
READS SQL DATA
COMMENT 'sp_emit_transaction: the one shape in which every money procedure returns a transaction.'
BEGIN
    SELECT t.id, t.reference, t.type, t.status, t.amount, t.currency, t.fee,
           t.from_account_id,
           (SELECT a.account_number FROM accounts a WHERE a.id = t.from_account_id) AS from_account_number,
           t.to_account_id,
           (SELECT a.account_number FROM accounts a WHERE a.id = t.to_account_id) AS to_account_number,
           t.target_amount, t.target_currency, t.fx_rate, t.description,
           t.parent_id, t.reversal_of_id, t.reversed_by_id, t.is_high_value, t.created_at,
           p_replayed AS replayed
    FROM transactions t
    WHERE t.id = p_transaction_id;
END$$
DELIMITER ;
