-- sp_emit_transaction: the one shape in which every money procedure returns a transaction.
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
    SELECT v.*, p_replayed AS replayed
    FROM vw_transactions v
    WHERE v.id = p_transaction_id;
END$$
DELIMITER ;
