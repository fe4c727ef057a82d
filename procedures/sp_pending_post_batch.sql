-- sp_pending_post_batch: post a held batch (parent and every child, all or nothing) through sp_post_journal, capturing its hold, and commit.
-- sp_pending_post's work for a transaction of type 'batch', in the caller's transaction
-- after sp_pending_lock (the sender and every payee). The children and their legs are the
-- ones stored when the batch was held (pending_batch_items, pending_batch_legs: the amounts,
-- fees, rates and GL sub-accounts of its creation); they go back into tmp_journal_txns and
-- tmp_journal_legs, the hold is captured (the available balance gets the held total back),
-- and sp_post_journal checks the funds, completes the parent, inserts the children in item
-- order with their entries and events, and commits. The sender or any payee frozen or closed
-- since, or a currency withdrawn, refuses it (the first failing item named): nothing changes
-- and it stays pending.
-- Parameters:
--   p_transaction_id  the held batch's parent (locked)
-- Errors: ACCOUNT_FROZEN, ACCOUNT_CLOSED, UNKNOWN_CURRENCY, INSUFFICIENT_FUNDS (from
--         sp_post_journal).
-- Example: CALL sp_pending_post_batch(1001);
DROP PROCEDURE IF EXISTS sp_pending_post_batch;
DELIMITER $$
CREATE PROCEDURE sp_pending_post_batch(IN p_transaction_id BIGINT UNSIGNED)
MODIFIES SQL DATA
COMMENT 'sp_pending_post_batch: post a held batch (parent and every child, all or nothing) through sp_post_journal, capturing its hold, and commit.'
BEGIN
    DECLARE v_id BIGINT UNSIGNED DEFAULT p_transaction_id;
    DECLARE v_hold BIGINT UNSIGNED;
    DECLARE v_held DECIMAL(20,4);
    DECLARE v_from BIGINT UNSIGNED;
    DECLARE v_amount DECIMAL(20,4);
    DECLARE v_currency CHAR(3);
    DECLARE v_description VARCHAR(255);
    DECLARE v_initiator BIGINT UNSIGNED;
    DECLARE v_from_user BIGINT UNSIGNED;
    DECLARE v_count INT;
    DECLARE v_error VARCHAR(512);
    SELECT p.hold_id, h.amount, t.from_account_id, t.amount, t.currency, t.description,
           t.initiator_id, f.user_id,
           fn_debit_error(f.status, fc.is_active, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
      INTO v_hold, v_held, v_from, v_amount, v_currency, v_description, v_initiator,
           v_from_user, v_error
    FROM pending_transactions p
    JOIN holds h ON h.id = p.hold_id
    JOIN transactions t ON t.id = p.transaction_id
    JOIN accounts f ON f.id = t.from_account_id
    JOIN currencies fc ON fc.code = f.currency
    WHERE p.transaction_id = p_transaction_id;
    IF v_error IS NULL THEN
        -- The receiving side, as the batch checked it: the first payee in item order.
        SELECT CONCAT(SUBSTRING_INDEX(e, _utf8mb4':' COLLATE utf8mb4_unicode_ci, 1),
                      ': transfers[', seq - 1, ']:',
                      SUBSTRING(e, LOCATE(_utf8mb4':' COLLATE utf8mb4_unicode_ci, e) + 1))
          INTO v_error
        FROM (SELECT i.seq,
                     fn_debit_error(a.status, c.is_active, NULL, NULL, NULL, NULL, NULL, NULL, NULL) AS e
              FROM pending_batch_items i
              JOIN accounts a ON a.id = i.to_account_id
              JOIN currencies c ON c.code = a.currency
              WHERE i.batch_id = v_id) r
        WHERE e IS NOT NULL
        ORDER BY seq
        LIMIT 1;
    END IF;
    IF v_error IS NULL THEN
        UPDATE holds SET status = 'captured', released_at = NOW(6) WHERE id = v_hold;
        UPDATE accounts
        SET held_amount = held_amount - v_held, available_balance = available_balance + v_held
        WHERE id = v_from;
    END IF;
    CALL sp_journal_reset();
    INSERT INTO tmp_journal_txns (seq, type, amount, currency, fee, from_account_id,
                                  to_account_id, target_amount, target_currency, fx_rate,
                                  description)
    SELECT seq, 'transfer', amount, currency, fee, v_from, to_account_id, target_amount,
           target_currency, fx_rate, description
    FROM pending_batch_items WHERE batch_id = v_id ORDER BY seq;
    SET v_count = ROW_COUNT();
    INSERT INTO tmp_journal_legs (txn_seq, account_id, amount, currency, entry_type)
    SELECT txn_seq, account_id, amount, currency, entry_type
    FROM pending_batch_legs WHERE batch_id = v_id ORDER BY seq;
    CALL sp_post_journal('batch', v_amount, v_currency, 0, v_from, NULL, NULL, NULL, NULL,
                         v_description, NULL, v_initiator, NULL, NULL, v_error,
                         'transaction.batch', v_from_user, NULL,
                         JSON_OBJECT('transaction_id', 0, 'from_account_id', v_from,
                                     'count', v_count, 'amount', CAST(v_amount AS CHAR),
                                     'currency', v_currency),
                         '$.transaction_id', v_id);
END$$
DELIMITER ;
