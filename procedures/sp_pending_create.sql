-- sp_pending_create: write a held transaction: its header, the hold on the sender, the pending state and an outbox event, without committing.
-- The writing half of a hold decision (sp_hold_for_approval for a transfer,
-- sp_hold_batch_for_approval for a batch), in the caller's transaction under its locks on the
-- customer accounts. The header is inserted 'pending_otp' (a code is needed) or
-- 'pending_review' with no entries; the hold of p_hold_amount on the sender lowers its
-- available balance (the balance stays), and the day's spending becomes p_spent_today (the
-- daily limit counts what is held). The caller commits. A duplicate idempotency key (1062: a
-- retry, or the same key committed meanwhile) rolls back, replays the first result and
-- returns p_transaction_id NULL. The header's rule_points and rule_hits are the session's
-- @bank_rule_points and @bank_rule_hits (the caller's fn_risk_assess; NULL: not assessed),
-- which this clears.
-- Parameters:
--   p_type             the transaction's type ('transfer' or 'batch')
--   p_otp              TRUE: 'pending_otp' (the code first), FALSE: 'pending_review'
--   p_from_account_id  the sender's account (locked by the caller)
--   p_to_account_id    the receiver's account (NULL for a batch)
--   p_amount           the header's amount, in the sender's currency
--   p_currency         the sender's currency
--   p_fee              the header's fee
--   p_target_amount    what the receiver will get (NULL for a batch)
--   p_target_currency  in its currency (NULL for a batch)
--   p_fx_rate          the rate used (NULL for a batch: each child has its own)
--   p_description      free text
--   p_actor_id         the initiator
--   p_idempotency_key  the request's key
--   p_request_hash     the request's payload hash
--   p_event_user_id    the sender's owner
--   p_otp_hash         HMAC-SHA256 of the code (kept only when p_otp)
--   p_otp_ttl          seconds the code is valid
--   p_otp_attempts     attempts the code allows
--   p_review_hits      the review rules hit (JSON array text), NULL for none
--   p_amount_jod       the amount the rules judged, in JOD
--   p_hold_amount      what is held on the sender (amount + fees)
--   p_spent_today      the sender's day total including this amount
--   p_today            the bank's day that total is for (fn_bank_date)
--   p_transaction_id   OUT: the new header, or NULL when a replay answered
-- Returns: on a replay, the earlier result (sp_replay_idempotent); else nothing.
-- Errors: IDEMPOTENCY_CONFLICT (the key was used with a different request).
-- Example: CALL sp_pending_create('transfer', TRUE, 7, 9, 900, 'JOD', 9, 900, 'JOD', 1, 'x', 42, 'k', UNHEX(SHA2('x', 256)), 42, UNHEX(SHA2('c', 256)), 300, 3, NULL, 900, 909, 900, @id);
DROP PROCEDURE IF EXISTS sp_pending_create;
DELIMITER $$
CREATE PROCEDURE sp_pending_create(
    IN p_type VARCHAR(16),
    IN p_otp BOOLEAN,
    IN p_from_account_id BIGINT UNSIGNED,
    IN p_to_account_id BIGINT UNSIGNED,
    IN p_amount DECIMAL(20,4),
    IN p_currency CHAR(3),
    IN p_fee DECIMAL(20,4),
    IN p_target_amount DECIMAL(20,4),
    IN p_target_currency CHAR(3),
    IN p_fx_rate DECIMAL(30,20),
    IN p_description VARCHAR(255),
    IN p_actor_id BIGINT UNSIGNED,
    IN p_idempotency_key VARCHAR(128),
    IN p_request_hash BINARY(32),
    IN p_event_user_id BIGINT UNSIGNED,
    IN p_otp_hash BINARY(32),
    IN p_otp_ttl INT UNSIGNED,
    IN p_otp_attempts INT UNSIGNED,
    IN p_review_hits VARCHAR(512),
    IN p_amount_jod DECIMAL(20,4),
    IN p_hold_amount DECIMAL(20,4),
    IN p_spent_today DECIMAL(20,4),
    IN p_today DATE,
    OUT p_transaction_id BIGINT UNSIGNED)
MODIFIES SQL DATA
COMMENT 'sp_pending_create: write a held transaction: its header, the hold on the sender, the pending state and an outbox event, without committing.'
proc: BEGIN
    DECLARE v_txn_id BIGINT UNSIGNED DEFAULT NULL;
    DECLARE v_hold_id BIGINT UNSIGNED;
    DECLARE v_found BOOLEAN DEFAULT FALSE;
    -- The caller's risk assessment for the header (fn_risk_assess), read once and cleared.
    DECLARE v_rule_points SMALLINT UNSIGNED DEFAULT @bank_rule_points;
    DECLARE v_rule_hits TEXT DEFAULT @bank_rule_hits;
    SET @bank_rule_points = NULL, @bank_rule_hits = NULL;
    SET p_transaction_id = NULL;
    BEGIN
        DECLARE EXIT HANDLER FOR 1062 SET v_txn_id = NULL;
        INSERT INTO transactions (reference, type, status, amount, currency, fee, from_account_id,
                                  to_account_id, target_amount, target_currency, fx_rate,
                                  initiator_id, idempotency_key, request_hash, description,
                                  created_at, rule_points, rule_hits)
        VALUES (fn_new_reference(), p_type, IF(p_otp, 'pending_otp', 'pending_review'),
                p_amount, p_currency, p_fee, p_from_account_id, p_to_account_id, p_target_amount,
                p_target_currency, p_fx_rate, p_actor_id, p_idempotency_key, p_request_hash,
                p_description, NOW(6), v_rule_points, v_rule_hits);
        SET v_txn_id = LAST_INSERT_ID();
    END;
    IF v_txn_id IS NULL THEN
        -- A retry, or the same key committed meanwhile by a call on other accounts.
        ROLLBACK;
        CALL sp_replay_idempotent(p_actor_id, p_idempotency_key, p_request_hash, v_found);
        LEAVE proc;
    END IF;
    INSERT INTO holds (account_id, transaction_id, amount, reason, expires_at)
    VALUES (p_from_account_id, v_txn_id, p_hold_amount,
            CONCAT(p_type, IF(p_otp, ' awaiting its one-time code', ' awaiting review')),
            IF(p_otp, NOW(6) + INTERVAL p_otp_ttl SECOND, NULL));
    SET v_hold_id = LAST_INSERT_ID();
    UPDATE accounts
    SET held_amount = held_amount + p_hold_amount,
        available_balance = available_balance - p_hold_amount,
        daily_spent = p_spent_today, daily_spent_date = p_today
    WHERE id = p_from_account_id;
    INSERT INTO pending_transactions (transaction_id, hold_id, otp_hash, otp_expires_at,
                                      otp_attempts_left, needs_review, review_hits, amount_jod)
    VALUES (v_txn_id, v_hold_id, IF(p_otp, p_otp_hash, NULL),
            IF(p_otp, NOW(6) + INTERVAL p_otp_ttl SECOND, NULL), IF(p_otp, p_otp_attempts, NULL),
            p_review_hits IS NOT NULL, p_review_hits, p_amount_jod);
    INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, user_id, payload)
    VALUES (IF(p_otp, 'transaction.pending_otp', 'transaction.pending_review'), 'transaction',
            v_txn_id, p_event_user_id,
            JSON_OBJECT('transaction_id', v_txn_id, 'type', p_type,
                        'from_account_id', p_from_account_id,
                        'to_account_id', p_to_account_id, 'amount', CAST(p_amount AS CHAR),
                        'currency', p_currency,
                        'review_hits', JSON_EXTRACT(IFNULL(p_review_hits, '[]'), '$')));
    SET p_transaction_id = v_txn_id;
END$$
DELIMITER ;
