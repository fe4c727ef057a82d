-- sp_reverse_transaction: correct a completed transaction by posting the opposite entries.
-- The new transaction posts the opposite of each of the original's entries, and the two are
-- linked both ways (reversal_of_id / reversed_by_id).
-- The original is marked 'reversed'; its entries stay as they were. Every entry is
-- reversed, the fee pair too (the sender gets the fee back from fee income). If the
-- receiver has already spent the money, so that taking it back would push it below its
-- overdraft (available balance down to the type's min_balance less the overdraft), the
-- reversal is refused with REVERSAL_WOULD_OVERDRAW.
-- Locks: the original header, then its accounts (sp_journal_lock: customer accounts
-- ascending, then system accounts ascending); sp_post_journal replays, posts and commits.
-- Parameters:
--   p_transaction_id   the transaction to reverse
--   p_reason           why (required)
--   p_idempotency_key  the caller's key: a repeated call returns the first result
--   p_actor_id         a manager
-- Returns: the reversal, in sp_emit_transaction's shape.
-- Errors: FORBIDDEN (the actor is not a manager or admin now, see sp_assert_role),
--         TRANSACTION_NOT_FOUND, NOT_REVERSIBLE, ALREADY_REVERSED, ACCOUNT_CLOSED,
--         REVERSAL_WOULD_OVERDRAW, IDEMPOTENCY_CONFLICT, INVALID_ARGUMENT (no reason),
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
    DECLARE v_error VARCHAR(512) DEFAULT NULL;
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

    -- The first broken rule, not raised: sp_post_journal replays a known key instead.
    IF v_status = 'reversed' THEN
        SET v_error = 'ALREADY_REVERSED: the transaction has already been reversed';
    ELSEIF v_type IN ('reversal', 'batch') OR v_status <> 'completed' THEN
        SET v_error = 'NOT_REVERSIBLE: only completed postings can be reversed (reverse batch items one by one)';
    END IF;

    -- The opposite of each of the original's entries, in its order.
    CALL sp_journal_reset();
    IF v_error IS NULL THEN
        INSERT INTO tmp_journal_legs (account_id, amount, currency, entry_type)
        SELECT account_id, -amount, currency, entry_type FROM ledger_entries
        WHERE transaction_id = p_transaction_id ORDER BY id;
        CALL sp_journal_lock(TRUE);
        IF EXISTS (SELECT 1 FROM accounts a JOIN ledger_entries e ON e.account_id = a.id
                   WHERE e.transaction_id = p_transaction_id AND a.status = 'closed') THEN
            SET v_error = 'ACCOUNT_CLOSED: an account in this transaction is closed';
        ELSEIF EXISTS (SELECT 1
                       FROM (SELECT account_id, SUM(amount) AS net FROM tmp_journal_legs
                             GROUP BY account_id) d
                       JOIN accounts a ON a.id = d.account_id
                       LEFT JOIN account_type_limits l ON l.account_type = a.account_type
                       WHERE a.kind = 'customer' AND d.net < 0
                         AND fn_debit_error(NULL, NULL, NULL, NULL, NULL, NULL, -d.net, a.available_balance,
                                            a.overdraft_limit - IFNULL(l.min_balance, 0)) IS NOT NULL) THEN
            SET v_error = 'REVERSAL_WOULD_OVERDRAW: the receiver no longer holds the money; taking it back would go below its overdraft';
        END IF;
    END IF;
    CALL sp_post_journal('reversal', v_amount, v_currency, 0, v_to, v_from,
                         v_target_amount, v_target_currency, NULL,
                         LEFT(CONCAT('Reversal: ', p_reason), 255), p_transaction_id,
                         p_actor_id, p_idempotency_key, v_hash, v_error,
                         'transaction.reversed', NULL, p_transaction_id,
                         JSON_OBJECT('transaction_id', p_transaction_id, 'reversal_id', 0,
                                     'reason', p_reason),
                         '$.reversal_id', v_txn_id);
    IF v_txn_id IS NOT NULL THEN
        CALL sp_emit_transaction(v_txn_id, FALSE);
    END IF;
END$$
DELIMITER ;
