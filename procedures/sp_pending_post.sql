-- sp_pending_post: post a held transfer through sp_post_journal, capturing its hold in the same transaction, and commit.
-- Runs in the caller's transaction, after sp_pending_lock. The hold is captured first (the
-- available balance gets the held amount back), then the transfer's legs are built from the
-- header as it was stored (amount, fee, target amount and the rate of its creation: a rate
-- published meanwhile changes nothing) and sp_post_journal checks the funds, posts the
-- entries against this header (it becomes 'completed') and commits. Either account frozen
-- or closed since, or a currency withdrawn, refuses it: nothing changes and it stays pending.
-- A held batch is posted by sp_pending_post_batch.
-- Parameters:
--   p_transaction_id  the pending transaction (locked)
-- Errors: ACCOUNT_FROZEN, ACCOUNT_CLOSED, UNKNOWN_CURRENCY, INSUFFICIENT_FUNDS (from
--         sp_post_journal).
-- Example: CALL sp_pending_post(1001);
DROP PROCEDURE IF EXISTS sp_pending_post;
DELIMITER $$
CREATE PROCEDURE sp_pending_post(IN p_transaction_id BIGINT UNSIGNED)
MODIFIES SQL DATA
COMMENT 'sp_pending_post: post a held transfer through sp_post_journal, capturing its hold in the same transaction, and commit.'
proc: BEGIN
    DECLARE v_id BIGINT UNSIGNED DEFAULT p_transaction_id;
    DECLARE v_hold BIGINT UNSIGNED;
    DECLARE v_held DECIMAL(20,4);
    DECLARE v_from BIGINT UNSIGNED;
    DECLARE v_to BIGINT UNSIGNED;
    DECLARE v_amount DECIMAL(20,4);
    DECLARE v_currency CHAR(3);
    DECLARE v_fee DECIMAL(20,4);
    DECLARE v_target DECIMAL(20,4);
    DECLARE v_target_currency CHAR(3);
    DECLARE v_rate DECIMAL(30,20);
    DECLARE v_description VARCHAR(255);
    DECLARE v_initiator BIGINT UNSIGNED;
    DECLARE v_from_user BIGINT UNSIGNED;
    DECLARE v_to_user BIGINT UNSIGNED;
    DECLARE v_error VARCHAR(512);
    -- The transaction's GL sub-accounts, picked as sp_perform_transfer picks them.
    DECLARE v_shards INT DEFAULT (SELECT gl_shards FROM bank_settings WHERE id = 1);
    IF (SELECT type FROM transactions WHERE id = p_transaction_id) = 'batch' THEN
        CALL sp_pending_post_batch(p_transaction_id);
        LEAVE proc;
    END IF;
    SELECT p.hold_id, h.amount, t.from_account_id, t.to_account_id, t.amount, t.currency, t.fee,
           t.target_amount, t.target_currency, t.fx_rate, t.description, t.initiator_id,
           f.user_id, r.user_id,
           fn_debit_error(CASE WHEN 'frozen' IN (f.status, r.status) THEN 'frozen'
                               WHEN 'closed' IN (f.status, r.status) THEN 'closed'
                               ELSE f.status END,
                          fc.is_active AND rc.is_active, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
      INTO v_hold, v_held, v_from, v_to, v_amount, v_currency, v_fee, v_target, v_target_currency,
           v_rate, v_description, v_initiator, v_from_user, v_to_user, v_error
    FROM pending_transactions p
    JOIN holds h ON h.id = p.hold_id
    JOIN transactions t ON t.id = p.transaction_id
    JOIN accounts f ON f.id = t.from_account_id
    JOIN accounts r ON r.id = t.to_account_id
    JOIN currencies fc ON fc.code = f.currency
    JOIN currencies rc ON rc.code = r.currency
    WHERE p.transaction_id = p_transaction_id;
    IF v_error IS NULL THEN
        UPDATE holds SET status = 'captured', released_at = NOW(6) WHERE id = v_hold;
        UPDATE accounts
        SET held_amount = held_amount - v_held, available_balance = available_balance + v_held
        WHERE id = v_from;
    END IF;
    CALL sp_journal_reset();
    INSERT INTO tmp_journal_legs (account_id, amount, currency, entry_type)
    VALUES (v_from, -v_amount, v_currency, 'principal'), (v_to, v_target, v_target_currency, 'principal');
    IF v_fee > 0 THEN
        INSERT INTO tmp_journal_legs (account_id, amount, currency, entry_type)
        VALUES (v_from, -v_fee, v_currency, 'fee');
        INSERT INTO tmp_journal_legs (account_id, amount, currency, entry_type)
        SELECT id, v_fee, v_currency, 'fee' FROM accounts
        WHERE kind = 'system' AND gl_type = 'fee_income' AND currency = v_currency
          AND gl_shard = v_id MOD v_shards;
    END IF;
    IF v_currency <> v_target_currency THEN
        INSERT INTO tmp_journal_legs (account_id, amount, currency, entry_type)
        SELECT id, IF(currency = v_currency, v_amount, -v_target), currency, 'fx' FROM accounts
        WHERE kind = 'system' AND gl_type = 'fx_position' AND currency IN (v_currency, v_target_currency)
          AND gl_shard = v_id MOD v_shards
        ORDER BY currency = v_target_currency;
    END IF;
    CALL sp_post_journal('transfer', v_amount, v_currency, v_fee, v_from, v_to, v_target,
                         v_target_currency, v_rate, v_description, NULL, v_initiator, NULL, NULL,
                         v_error, 'transaction.transfer', v_from_user, NULL,
                         JSON_OBJECT('transaction_id', 0, 'from_account_id', v_from,
                                     'to_account_id', v_to, 'to_user_id', v_to_user,
                                     'amount', CAST(v_amount AS CHAR), 'currency', v_currency,
                                     'target_amount', CAST(v_target AS CHAR),
                                     'target_currency', v_target_currency),
                         '$.transaction_id', v_id);
END$$
DELIMITER ;
