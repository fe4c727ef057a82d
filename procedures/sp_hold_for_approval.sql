-- sp_hold_for_approval: create a transfer pending its one-time code or staff review, with amount + fee held, when a rule asks for it.
-- The writing half of a transfer's decision point: sp_perform_transfer decides (the code
-- rule 'otp_high_value' on the JOD-equivalent, the review rules through fn_review_hits)
-- and calls this only when the transfer waits, in its transaction under its locks on both
-- customer accounts. A transfer that needs its code waits 'pending_otp' (and goes on to
-- review after it when p_hits is set); otherwise 'pending_review'. sp_pending_create writes
-- the header (not posted: no entries), a hold of amount + fee on the sender (balance
-- unchanged, available balance down), the day's spending (the limit counts what is held, on
-- the bank's day), the pending state, an outbox event; this commits and returns the row. A
-- repeated key replays.
-- Parameters:
--   p_from_account_id  the sender's account (locked by the caller)
--   p_to_account_id    the receiver's account (locked by the caller)
--   p_amount           the amount, in the sender's currency
--   p_currency         the sender's currency
--   p_fee              the fee, in the sender's currency
--   p_target_amount    what the receiver will get
--   p_target_currency  in its currency
--   p_fx_rate          the rate used (stored now: the posting later uses this one)
--   p_description      free text
--   p_actor_id         the initiator
--   p_idempotency_key  the transfer's key
--   p_request_hash     the transfer's payload hash
--   p_event_user_id    the sender's owner
--   p_otp              TRUE when the transfer waits for its one-time code
--   p_otp_hash         HMAC-SHA256 of the code the API will send (stored when p_otp)
--   p_hits             the review rules hit (fn_review_hits), NULL for none
--   p_amount_jod       the amount's JOD-equivalent the rules compared
--   p_spent_today      the sender's day total including this amount
--   p_today            the bank's day (fn_bank_date) that total counts on
-- Returns: the transaction in sp_emit_transaction's shape.
-- Errors: none of its own (a repeated key with another payload: IDEMPOTENCY_CONFLICT).
-- Example: CALL sp_hold_for_approval(7, 9, 900, 'JOD', 9, 900, 'JOD', 1, 'x', 42, 'k', UNHEX(SHA2('x', 256)), 42, TRUE, UNHEX(SHA2('c', 256)), NULL, 900, 900, '2026-12-01');
DROP PROCEDURE IF EXISTS sp_hold_for_approval;
DELIMITER $$
CREATE PROCEDURE sp_hold_for_approval(
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
    IN p_otp BOOLEAN,
    IN p_otp_hash BINARY(32),
    IN p_hits VARCHAR(512),
    IN p_amount_jod DECIMAL(20,4),
    IN p_spent_today DECIMAL(20,4),
    IN p_today DATE)
MODIFIES SQL DATA
COMMENT 'sp_hold_for_approval: create a transfer pending its one-time code or staff review, with amount + fee held, when a rule asks for it.'
proc: BEGIN
    DECLARE v_attempts INT UNSIGNED;
    DECLARE v_ttl INT UNSIGNED;
    DECLARE v_txn_id BIGINT UNSIGNED DEFAULT NULL;
    IF p_otp THEN
        SELECT max_count, window_seconds INTO v_attempts, v_ttl
        FROM transaction_rules WHERE rule = 'otp_high_value';
    END IF;
    CALL sp_pending_create('transfer', p_otp, p_from_account_id, p_to_account_id, p_amount,
                           p_currency, p_fee, p_target_amount, p_target_currency, p_fx_rate,
                           p_description, p_actor_id, p_idempotency_key, p_request_hash,
                           p_event_user_id, p_otp_hash, v_ttl, v_attempts, p_hits, p_amount_jod,
                           p_amount + p_fee, p_spent_today, p_today, v_txn_id);
    IF v_txn_id IS NULL THEN
        LEAVE proc;
    END IF;
    COMMIT;
    CALL sp_emit_transaction(v_txn_id, FALSE);
END$$
DELIMITER ;
