-- sp_pending_lock: lock a pending transaction's customer accounts, then its header and pending state.
-- In the ledger's order (customer accounts ascending by id), then the header row and the
-- pending_transactions row: a confirm, an approval, a rejection and the expiry sweep of the
-- same transaction serialise here, and none can deadlock a transfer between the same
-- accounts. Runs in the caller's transaction; reads nothing back (the caller reads the rows
-- it now holds).
-- Parameters:
--   p_transaction_id  the transaction (its accounts never change)
-- Errors: none.
-- Example: CALL sp_pending_lock(1001);
DROP PROCEDURE IF EXISTS sp_pending_lock;
DELIMITER $$
CREATE PROCEDURE sp_pending_lock(IN p_transaction_id BIGINT UNSIGNED)
READS SQL DATA
COMMENT 'sp_pending_lock: lock a pending transaction''s customer accounts, then its header and pending state.'
BEGIN
    DECLARE v_low BIGINT UNSIGNED;
    DECLARE v_high BIGINT UNSIGNED;
    DECLARE v_locked INT;
    SELECT LEAST(from_account_id, to_account_id), GREATEST(from_account_id, to_account_id)
      INTO v_low, v_high
    FROM transactions WHERE id = p_transaction_id;
    SELECT COUNT(*) INTO v_locked FROM accounts WHERE id = v_low FOR UPDATE;
    SELECT COUNT(*) INTO v_locked FROM accounts WHERE id = v_high FOR UPDATE;
    SELECT COUNT(*) INTO v_locked FROM transactions WHERE id = p_transaction_id FOR UPDATE;
    SELECT COUNT(*) INTO v_locked FROM pending_transactions WHERE transaction_id = p_transaction_id FOR UPDATE;
END$$
DELIMITER ;
