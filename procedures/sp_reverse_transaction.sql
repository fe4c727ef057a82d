-- sp_reverse_transaction: correct a completed transaction by posting the opposite entries.
-- The new transaction posts the opposite of each of the original's entries, and the two are
-- linked both ways (reversal_of_id / reversed_by_id).
-- The original is marked 'reversed'; its entries stay as they were. If the receiver has
-- already spent the money the reversal fails with INSUFFICIENT_FUNDS (overdraft guard).
-- Locks: the original header, then its customer accounts ascending, then its system accounts ascending.
-- Parameters:
--   p_transaction_id   the transaction to reverse
--   p_reason           why (required)
--   p_idempotency_key  the caller's key: a repeated call returns the first result
--   p_actor_id         a manager
-- Returns: the reversal, in sp_emit_transaction's shape.
-- Errors: FORBIDDEN (the actor is not a manager or admin now, see sp_assert_role),
--         TRANSACTION_NOT_FOUND, NOT_REVERSIBLE, ALREADY_REVERSED, ACCOUNT_CLOSED,
--         INSUFFICIENT_FUNDS, IDEMPOTENCY_CONFLICT, INVALID_ARGUMENT (no reason),
--         BALANCE_OUT_OF_RANGE.
-- Example: CALL sp_reverse_transaction(1001, 'duplicate payment', 'rev-1001', 3);
DROP PROCEDURE IF EXISTS sp_reverse_transaction;
DELIMITER $$
CREATE PROCEDURE sp_reverse_transaction(
    IN p_transaction_id BIGINT UNSIGNED,
    IN p_reason VARCHAR(255),
    IN p_idempotency_key VARCHAR(128),
    IN p_actor_id BIGINT UNSIGNED)
MODIFIES SQL DATA
COMMENT 'sp_reverse_transaction: correct a completed transaction by posting the opposite entries.'
proc: BEGIN
    DECLARE v_type VARCHAR(16) DEFAULT NULL;
    DECLARE v_status VARCHAR(16);
    DECLARE v_amount DECIMAL(20,4);
    DECLARE v_currency CHAR(3);
    DECLARE v_from BIGINT UNSIGNED;
    DECLARE v_to BIGINT UNSIGNED;
    DECLARE v_target_amount DECIMAL(20,4);
    DECLARE v_target_currency CHAR(3);
    DECLARE v_txn_id BIGINT UNSIGNED;
    DECLARE v_hash BINARY(32);
    DECLARE v_found BOOLEAN DEFAULT FALSE;
    DECLARE v_duplicate BOOLEAN DEFAULT FALSE;
    DECLARE v_closed INT DEFAULT 0;
    DECLARE v_done BOOLEAN DEFAULT FALSE;
    DECLARE v_account BIGINT UNSIGNED;
    DECLARE v_entry_amount DECIMAL(20,4);
    DECLARE v_entry_currency CHAR(3);
    DECLARE v_entry_type VARCHAR(16);
    DECLARE v_locked INT;
    DECLARE c_accounts CURSOR FOR
        SELECT DISTINCT a.id FROM ledger_entries e JOIN accounts a ON a.id = e.account_id
        WHERE e.transaction_id = p_transaction_id
        ORDER BY a.kind = 'system', a.id;
    DECLARE c_entries CURSOR FOR
        SELECT account_id, amount, currency, entry_type FROM ledger_entries
        WHERE transaction_id = p_transaction_id ORDER BY id;
    DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_done = TRUE;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;
    -- A balance pushed past DECIMAL(20,4) (1264) or an arithmetic overflow (1690).
    DECLARE EXIT HANDLER FOR 1264, 1690 BEGIN
        ROLLBACK;
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'BALANCE_OUT_OF_RANGE: an account balance would leave its range';
    END;

    CALL sp_assert_role(p_actor_id, 'manager,admin');
    SET @bank_actor_id = p_actor_id;
    IF p_reason IS NULL OR TRIM(p_reason) = '' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: a reversal needs a reason';
    END IF;
    SET v_hash = UNHEX(SHA2(CONCAT_WS('|', 'reversal', p_transaction_id, p_reason), 256));

    SET TRANSACTION ISOLATION LEVEL READ COMMITTED;
    START TRANSACTION;
    SELECT type, status, amount, currency, from_account_id, to_account_id, target_amount, target_currency
      INTO v_type, v_status, v_amount, v_currency, v_from, v_to, v_target_amount, v_target_currency
    FROM transactions WHERE id = p_transaction_id FOR UPDATE;
    IF v_type IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'TRANSACTION_NOT_FOUND: no such transaction';
    END IF;

    CALL sp_replay_idempotent(p_actor_id, p_idempotency_key, v_hash, v_found);
    IF v_found THEN
        COMMIT;
        LEAVE proc;
    END IF;

    IF v_status = 'reversed' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ALREADY_REVERSED: the transaction has already been reversed';
    END IF;
    IF v_type IN ('reversal', 'batch') OR v_status <> 'completed' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'NOT_REVERSIBLE: only completed postings can be reversed (reverse batch items one by one)';
    END IF;

    SET v_done = FALSE;
    OPEN c_accounts;
    lock_loop: LOOP
        FETCH c_accounts INTO v_account;
        IF v_done THEN LEAVE lock_loop; END IF;
        SELECT COUNT(*) INTO v_locked FROM accounts WHERE id = v_account FOR UPDATE;
    END LOOP;
    CLOSE c_accounts;
    SELECT COUNT(*) INTO v_closed
    FROM accounts a JOIN ledger_entries e ON e.account_id = a.id
    WHERE e.transaction_id = p_transaction_id AND a.status = 'closed';
    IF v_closed > 0 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ACCOUNT_CLOSED: an account in this transaction is closed';
    END IF;

    BEGIN
        DECLARE EXIT HANDLER FOR 1062 SET v_duplicate = TRUE;
        INSERT INTO transactions (reference, type, status, amount, currency, from_account_id, to_account_id,
                                  target_amount, target_currency, fx_rate, initiator_id, idempotency_key,
                                  request_hash, description, reversal_of_id, created_at)
        VALUES (CONCAT('TX', LPAD(HEX(UUID_SHORT()), 16, '0')), 'reversal', 'completed', v_amount, v_currency,
                v_to, v_from, v_target_amount, v_target_currency, NULL, p_actor_id, p_idempotency_key,
                v_hash, LEFT(CONCAT('Reversal: ', p_reason), 255), p_transaction_id, NOW(6));
    END;
    IF v_duplicate THEN
        ROLLBACK;
        CALL sp_replay_idempotent(p_actor_id, p_idempotency_key, v_hash, v_found);
        IF NOT v_found THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ALREADY_REVERSED: the transaction has already been reversed';
        END IF;
        LEAVE proc;
    END IF;
    SET v_txn_id = LAST_INSERT_ID();

    SET v_done = FALSE;
    OPEN c_entries;
    post_loop: LOOP
        FETCH c_entries INTO v_account, v_entry_amount, v_entry_currency, v_entry_type;
        IF v_done THEN LEAVE post_loop; END IF;
        CALL sp_post_entry(v_txn_id, v_account, -v_entry_amount, v_entry_currency, v_entry_type);
    END LOOP;
    CLOSE c_entries;

    UPDATE transactions SET status = 'reversed', reversed_by_id = v_txn_id WHERE id = p_transaction_id;
    INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, user_id, payload)
    VALUES ('transaction.reversed', 'transaction', p_transaction_id, NULL,
            JSON_OBJECT('transaction_id', p_transaction_id, 'reversal_id', v_txn_id, 'reason', p_reason));
    COMMIT;
    CALL sp_emit_transaction(v_txn_id, FALSE);
END$$
DELIMITER ;
