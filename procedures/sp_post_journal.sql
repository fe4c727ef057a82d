-- sp_post_journal: post one journal transaction from its legs, or replay or refuse it, and commit.
-- The one place where a balance changes. The caller has started the transaction (READ
-- COMMITTED), locked every customer account of the legs in ascending id order and read
-- what it checks (a transfer's two accounts, a batch's sender and payees), applied its rules
-- (fn_amount_error, fn_debit_error, ...) without raising, and put the legs in
-- tmp_journal_legs (sp_journal_reset first; one row per entry: account_id, signed amount,
-- currency, entry_type, in posting order) and, for a batch, its child transactions in
-- tmp_journal_txns (the parameters then describe the parent, which carries the key and no
-- entries of its own). This procedure then:
--   1. locks the system accounts of the legs, after the caller's customer accounts
--      (sp_journal_lock: ascending id order);
--   2. checks the funds of every customer account the legs debit, cumulatively over its
--      legs (fn_debit_error: available balance down to the type's min_balance less the
--      overdraft), after the caller's error;
--   3. on an error, looks the idempotency key up under the locks: a known key replays its
--      transaction (or is IDEMPOTENCY_CONFLICT), else the error is raised. A request that
--      passes does not look the key up: the header INSERT's unique key
--      (initiator_id, idempotency_key) finds it, and a duplicate (1062: a retry, or the same
--      key committed meanwhile on other accounts) rolls back and replays;
--   4. posts: the header (reference from fn_new_reference; a held header becomes 'completed'), the children in seq order
--      (their ids ascend with it), one entry per leg with its balance_after, each account's
--      balance and available balance once, the reversed original's link when
--      p_reversal_of_id is set, the children's outbox events (for p_event_user_id) and then
--      the header's; COMMIT.
-- Anything the caller writes before the call (daily counters) commits or rolls back with it.
-- A new header's rule_points and rule_hits are the session's @bank_rule_points and
-- @bank_rule_hits (the caller's fn_risk_assess; NULL: not assessed), which this clears.
-- Parameters:
--   p_type                the transaction's type
--   p_amount              its amount (the header's; legs carry the entries)
--   p_currency            the amount's currency
--   p_fee                 the fee (0 for none)
--   p_from_account_id     the paying customer account (NULL for none)
--   p_to_account_id       the receiving customer account (NULL for none)
--   p_target_amount       what the receiver gets
--   p_target_currency     in its currency
--   p_fx_rate             the rate used (1 same-currency, NULL where none applies)
--   p_description         free text
--   p_reversal_of_id      the transaction this one reverses (NULL otherwise): marked 'reversed'
--   p_actor_id            the initiator (idempotency keys are per initiator)
--   p_idempotency_key     the caller's key (NULL: none)
--   p_request_hash        the hash of the request's payload
--   p_error               the caller's first broken rule ('CODE: text'), or NULL
--   p_event_type          the outbox event's type
--   p_event_user_id       whom it concerns
--   p_event_aggregate_id  its aggregate (NULL: the new transaction)
--   p_event_payload       its payload; p_event_id_path names the member that gets the new id
--   p_event_id_path       e.g. '$.transaction_id'
--   p_transaction_id      INOUT: on entry NULL, or a held header ('pending_otp' or
--                         'pending_review', locked by the caller: sp_pending_post) that
--                         this posting completes instead of inserting one; on return the
--                         posted transaction, or NULL when a replay answered
-- Returns: on a replay, the earlier result (sp_replay_idempotent); else nothing (the caller
--          emits the new transaction, or the batch).
-- Errors: p_error's code, INSUFFICIENT_FUNDS, IDEMPOTENCY_CONFLICT, ALREADY_REVERSED (a
--         reversal's original was reversed meanwhile under another key).
-- Example: CALL sp_post_journal('deposit', 5, 'JOD', 0, NULL, 7, 5, 'JOD', 1, 'x', NULL, 1,
--                               'k-1', UNHEX(SHA2('x', 256)), NULL, 'transaction.deposit', 2,
--                               NULL, '{"transaction_id": 0}', '$.transaction_id', @id);
DROP PROCEDURE IF EXISTS sp_post_journal;
DELIMITER $$
CREATE PROCEDURE sp_post_journal(
    IN p_type VARCHAR(16),
    IN p_amount DECIMAL(20,4),
    IN p_currency CHAR(3),
    IN p_fee DECIMAL(20,4),
    IN p_from_account_id BIGINT UNSIGNED,
    IN p_to_account_id BIGINT UNSIGNED,
    IN p_target_amount DECIMAL(20,4),
    IN p_target_currency CHAR(3),
    IN p_fx_rate DECIMAL(30,20),
    IN p_description VARCHAR(255),
    IN p_reversal_of_id BIGINT UNSIGNED,
    IN p_actor_id BIGINT UNSIGNED,
    IN p_idempotency_key VARCHAR(128),
    IN p_request_hash BINARY(32),
    IN p_error VARCHAR(512),
    IN p_event_type VARCHAR(64),
    IN p_event_user_id BIGINT UNSIGNED,
    IN p_event_aggregate_id BIGINT UNSIGNED,
    IN p_event_payload JSON,
    IN p_event_id_path VARCHAR(64),
    INOUT p_transaction_id BIGINT UNSIGNED)
MODIFIES SQL DATA
COMMENT 'sp_post_journal: post one journal transaction from its legs, or replay or refuse it, and commit.'
proc: BEGIN
    DECLARE v_error VARCHAR(512) DEFAULT p_error;
    DECLARE v_found BOOLEAN DEFAULT FALSE;
    DECLARE v_duplicate BOOLEAN DEFAULT FALSE;
    DECLARE v_children INT;
    DECLARE v_held_id BIGINT UNSIGNED DEFAULT NULL;
    -- The caller's risk assessment for the header (fn_risk_assess), read once and cleared.
    DECLARE v_rule_points SMALLINT UNSIGNED DEFAULT @bank_rule_points;
    DECLARE v_rule_hits TEXT DEFAULT @bank_rule_hits;
    SET @bank_rule_points = NULL, @bank_rule_hits = NULL;
    IF p_transaction_id IS NOT NULL THEN
        SELECT id INTO v_held_id FROM transactions
        WHERE id = p_transaction_id AND status IN ('pending_otp', 'pending_review');
    END IF;
    SET p_transaction_id = NULL;
    CALL sp_journal_lock(FALSE);

    IF v_error IS NULL THEN
        SELECT fn_debit_error(NULL, NULL, NULL, NULL, NULL, NULL, -d.net, a.available_balance,
                              a.overdraft_limit - IFNULL(l.min_balance, 0))
          INTO v_error
        FROM (SELECT account_id, SUM(amount) AS net FROM tmp_journal_legs GROUP BY account_id) d
        JOIN accounts a ON a.id = d.account_id
        LEFT JOIN account_type_limits l ON l.account_type = a.account_type
        WHERE a.kind = 'customer' AND d.net < 0
          AND fn_debit_error(NULL, NULL, NULL, NULL, NULL, NULL, -d.net, a.available_balance,
                             a.overdraft_limit - IFNULL(l.min_balance, 0)) IS NOT NULL
        ORDER BY a.id
        LIMIT 1;
    END IF;
    IF v_error IS NOT NULL THEN
        -- A refused request may be the retry of one that passed before: replay it.
        CALL sp_replay_idempotent(p_actor_id, p_idempotency_key, p_request_hash, v_found);
        IF v_found THEN
            COMMIT;
            LEAVE proc;
        END IF;
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_error;
    END IF;

    IF v_held_id IS NOT NULL THEN
        UPDATE transactions SET status = 'completed' WHERE id = v_held_id;
        SET p_transaction_id = v_held_id;
    ELSE
        BEGIN
            DECLARE EXIT HANDLER FOR 1062 SET v_duplicate = TRUE;
            INSERT INTO transactions (reference, type, status, amount, currency, fee, from_account_id,
                                      to_account_id, target_amount, target_currency, fx_rate,
                                      initiator_id, idempotency_key, request_hash, description,
                                      reversal_of_id, created_at, rule_points, rule_hits)
            VALUES (fn_new_reference(), p_type, 'completed', p_amount, p_currency, p_fee,
                    p_from_account_id, p_to_account_id, p_target_amount, p_target_currency, p_fx_rate,
                    p_actor_id, p_idempotency_key, p_request_hash, p_description, p_reversal_of_id,
                    NOW(6), v_rule_points, v_rule_hits);
        END;
        IF v_duplicate THEN
            -- A retry, or the same key committed meanwhile by a call on other accounts.
            ROLLBACK;
            CALL sp_replay_idempotent(p_actor_id, p_idempotency_key, p_request_hash, v_found);
            IF NOT v_found AND p_reversal_of_id IS NOT NULL THEN
                SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ALREADY_REVERSED: the transaction has already been reversed';
            END IF;
            LEAVE proc;
        END IF;
        SET p_transaction_id = LAST_INSERT_ID();
    END IF;

    SELECT COUNT(*) INTO v_children FROM tmp_journal_txns;
    -- balance_after runs over each account's legs in posting order, from the locked balance.
    IF v_children = 0 THEN
        INSERT INTO ledger_entries (transaction_id, account_id, amount, currency, balance_after,
                                    entry_type, created_at)
        SELECT p_transaction_id, l.account_id, l.amount, l.currency,
               a.balance + SUM(l.amount) OVER (PARTITION BY l.account_id ORDER BY l.seq),
               l.entry_type, NOW(6)
        FROM tmp_journal_legs l JOIN accounts a ON a.id = l.account_id
        ORDER BY l.seq;
    ELSE
        INSERT INTO transactions (reference, type, status, amount, currency, fee, from_account_id,
                                  to_account_id, target_amount, target_currency, fx_rate,
                                  initiator_id, description, parent_id, created_at)
        SELECT fn_new_reference(), type, 'completed', amount, currency, fee, from_account_id,
               to_account_id, target_amount, target_currency, fx_rate, p_actor_id,
               description, p_transaction_id, NOW(6)
        FROM tmp_journal_txns ORDER BY seq;
        -- A child's seq is its rank among the parent's children by id.
        INSERT INTO ledger_entries (transaction_id, account_id, amount, currency, balance_after,
                                    entry_type, created_at)
        SELECT IF(l.txn_seq = 0, p_transaction_id, c.id), l.account_id, l.amount, l.currency,
               a.balance + SUM(l.amount) OVER (PARTITION BY l.account_id ORDER BY l.seq),
               l.entry_type, NOW(6)
        FROM tmp_journal_legs l
        JOIN accounts a ON a.id = l.account_id
        LEFT JOIN (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS seq FROM transactions
                   WHERE parent_id = p_transaction_id) c ON c.seq = l.txn_seq
        ORDER BY l.seq;
        -- Each child's event: 'transaction.<type>' with its columns and its parent as batch_id.
        INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, user_id, payload)
        SELECT CONCAT('transaction.', c.type), 'transaction', c.id, p_event_user_id,
               JSON_OBJECT('transaction_id', c.id, 'batch_id', c.parent_id,
                           'from_account_id', c.from_account_id, 'to_account_id', c.to_account_id,
                           'amount', CAST(c.amount AS CHAR), 'currency', c.currency,
                           'target_amount', CAST(c.target_amount AS CHAR),
                           'target_currency', c.target_currency)
        FROM transactions c WHERE c.parent_id = p_transaction_id
        ORDER BY c.id;
    END IF;
    UPDATE accounts a
    JOIN (SELECT account_id, SUM(amount) AS net FROM tmp_journal_legs GROUP BY account_id) d
      ON d.account_id = a.id
    SET a.balance = a.balance + d.net, a.available_balance = a.available_balance + d.net;

    IF p_reversal_of_id IS NOT NULL THEN
        UPDATE transactions SET status = 'reversed', reversed_by_id = p_transaction_id
        WHERE id = p_reversal_of_id;
    END IF;
    INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, user_id, payload)
    VALUES (p_event_type, 'transaction', IFNULL(p_event_aggregate_id, p_transaction_id),
            p_event_user_id, JSON_SET(p_event_payload, p_event_id_path, p_transaction_id));
    COMMIT;
END$$
DELIMITER ;
