-- sp_pending_lock: lock a pending transaction's customer accounts, then its header and pending state.
-- In the ledger's order (customer accounts ascending by id), then the header row and the
-- pending_transactions row: a confirm, an approval, a rejection and the expiry sweep of the
-- same transaction serialise here, and none can deadlock a transfer between the same
-- accounts. Runs in the caller's transaction; reads nothing back (the caller reads the rows
-- it now holds). A batch's customer accounts are its sender and every payee of
-- pending_batch_items, each locked in ascending id order.
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
    DECLARE v_type VARCHAR(16);
    DECLARE v_done BOOLEAN DEFAULT FALSE;
    DECLARE v_account BIGINT UNSIGNED;
    DECLARE c_batch CURSOR FOR
        SELECT from_account_id FROM transactions WHERE id = p_transaction_id
        UNION
        SELECT to_account_id FROM pending_batch_items WHERE batch_id = p_transaction_id
        ORDER BY 1;
    DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_done = TRUE;
    SELECT type, LEAST(from_account_id, to_account_id), GREATEST(from_account_id, to_account_id)
      INTO v_type, v_low, v_high
    FROM transactions WHERE id = p_transaction_id;
    IF v_type = 'batch' THEN
        OPEN c_batch;
        lock_loop: LOOP
            FETCH c_batch INTO v_account;
            IF v_done THEN LEAVE lock_loop; END IF;
            SELECT COUNT(*) INTO v_locked FROM accounts WHERE id = v_account FOR UPDATE;
        END LOOP;
        CLOSE c_batch;
        SET v_done = FALSE;
    ELSE
        SELECT COUNT(*) INTO v_locked FROM accounts WHERE id = v_low FOR UPDATE;
        SELECT COUNT(*) INTO v_locked FROM accounts WHERE id = v_high FOR UPDATE;
    END IF;
    SELECT COUNT(*) INTO v_locked FROM transactions WHERE id = p_transaction_id FOR UPDATE;
    SELECT COUNT(*) INTO v_locked FROM pending_transactions WHERE transaction_id = p_transaction_id FOR UPDATE;
END$$
DELIMITER ;
