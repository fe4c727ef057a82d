-- bench_minimal_transfer: the least a transfer can cost here, the benchmarks' ceiling.
--
-- Two UPDATEs on `accounts` in one transaction: no checks, no journal, no idempotency,
-- no limits. The rows are locked in id order so concurrent callers never deadlock.
-- Loaded only into the benchmarks' throwaway databases (bench/minimal_transfer.py),
-- never by the migrator: it bypasses the ledger, so the integrity check flags what it moved.
-- Parameters:
--   p_from    account debited
--   p_to      account credited
--   p_amount  amount moved (no rounding, no bound)
-- Returns one row: id (p_from).
-- Errors: none of its own; a database error rolls back and is re-signalled.
-- Example: CALL bench_minimal_transfer(11, 12, 1);

DROP PROCEDURE IF EXISTS bench_minimal_transfer;

DELIMITER $$
CREATE PROCEDURE bench_minimal_transfer(IN p_from BIGINT UNSIGNED, IN p_to BIGINT UNSIGNED,
                                        IN p_amount DECIMAL(20,4))
MODIFIES SQL DATA
BEGIN
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;
    START TRANSACTION;
    IF p_from < p_to THEN
        UPDATE accounts SET balance = balance - p_amount,
                            available_balance = available_balance - p_amount
        WHERE id = p_from;
        UPDATE accounts SET balance = balance + p_amount,
                            available_balance = available_balance + p_amount
        WHERE id = p_to;
    ELSE
        UPDATE accounts SET balance = balance + p_amount,
                            available_balance = available_balance + p_amount
        WHERE id = p_to;
        UPDATE accounts SET balance = balance - p_amount,
                            available_balance = available_balance - p_amount
        WHERE id = p_from;
    END IF;
    COMMIT;
    SELECT p_from AS id;
END$$
DELIMITER ;
