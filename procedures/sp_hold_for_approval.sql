-- sp_hold_for_approval: create a transfer pending its one-time code or staff review, with amount + fee held, when a rule asks for it.
-- The decision point of a transfer that passed every other rule (limits, funds), run in the
-- caller's transaction under its locks on both customer accounts. A customer's transfer
-- above the 'otp_high_value' threshold waits for its code ('pending_otp'); one that hits a
-- review rule (fn_review_hits) waits for staff ('pending_review'), after its code when it
-- needs both. Then sp_pending_create writes the header (not posted: no entries), a hold of
-- amount + fee on the sender (balance unchanged, available balance down), the day's spending
-- (the limit counts what is held), the pending state, an outbox event; this commits and
-- returns the row.
-- Nothing is written and p_held is FALSE when no rule applies. A repeated key replays.
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
--   p_otp_wanted       TRUE for a customer's own transfer (the code rule applies)
--   p_otp_hash         HMAC-SHA256 of the code the API will send (stored only if needed)
--   p_spent_today      the sender's day total including this amount
--   p_held             OUT: TRUE when the transfer was held (or replayed) and its row returned
-- Returns: when held, the transaction in sp_emit_transaction's shape.
-- Errors: INVALID_ARGUMENT (a code is needed and p_otp_hash is NULL), FX_RATE_UNAVAILABLE
--         (no rate into JOD for the thresholds).
-- Example: CALL sp_hold_for_approval(7, 9, 900, 'JOD', 9, 900, 'JOD', 1, 'x', 42, 'k', UNHEX(SHA2('x', 256)), 42, TRUE, UNHEX(SHA2('c', 256)), 900, @held);
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
    IN p_otp_wanted BOOLEAN,
    IN p_otp_hash BINARY(32),
    IN p_spent_today DECIMAL(20,4),
    OUT p_held BOOLEAN)
MODIFIES SQL DATA
COMMENT 'sp_hold_for_approval: create a transfer pending its one-time code or staff review, with amount + fee held, when a rule asks for it.'
proc: BEGIN
    DECLARE v_jod DECIMAL(20,4);
    DECLARE v_otp_threshold DECIMAL(20,4) DEFAULT NULL;
    DECLARE v_attempts INT UNSIGNED;
    DECLARE v_ttl INT UNSIGNED;
    DECLARE v_hits VARCHAR(512);
    DECLARE v_otp BOOLEAN;
    DECLARE v_txn_id BIGINT UNSIGNED DEFAULT NULL;
    SET p_held = FALSE;
    SET v_jod = IF(p_currency = 'JOD', p_amount, fn_jod_equivalent(p_amount, p_currency));
    IF v_jod IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'FX_RATE_UNAVAILABLE: no exchange rate into JOD for the confirmation rules';
    END IF;
    SELECT threshold_jod, max_count, window_seconds INTO v_otp_threshold, v_attempts, v_ttl
    FROM transaction_rules WHERE rule = 'otp_high_value' AND is_active;
    SET v_otp = p_otp_wanted AND v_jod > IFNULL(v_otp_threshold, v_jod);
    SET v_hits = fn_review_hits(p_from_account_id, p_to_account_id, v_jod);
    IF NOT v_otp AND v_hits IS NULL THEN
        LEAVE proc;
    END IF;
    IF v_otp AND p_otp_hash IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: this transfer needs a one-time code';
    END IF;
    SET p_held = TRUE;
    CALL sp_pending_create('transfer', v_otp, p_from_account_id, p_to_account_id, p_amount,
                           p_currency, p_fee, p_target_amount, p_target_currency, p_fx_rate,
                           p_description, p_actor_id, p_idempotency_key, p_request_hash,
                           p_event_user_id, p_otp_hash, v_ttl, v_attempts, v_hits, v_jod,
                           p_amount + p_fee, p_spent_today, v_txn_id);
    IF v_txn_id IS NULL THEN
        LEAVE proc;
    END IF;
    COMMIT;
    CALL sp_emit_transaction(v_txn_id, FALSE);
END$$
DELIMITER ;
