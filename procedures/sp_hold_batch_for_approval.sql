-- sp_hold_batch_for_approval: create a batch pending its one-time code or staff review, with its whole total held, when a rule asks for it.
-- The decision point of a batch that passed every other rule, run by
-- sp_perform_batch_transfer in its transaction, under its locks on the sender and every payee,
-- with the children and their legs already built in tmp_journal_txns and tmp_journal_legs.
-- The rules of sp_hold_for_approval, on the batch as a whole: its total (amounts + fees) in
-- JOD-equivalent above 'otp_high_value' needs a code (a customer's own batch); the total at
-- or above 'review_amount', the account's velocity, or any item that is a first payment to
-- its payee above 'review_new_beneficiary' (fn_review_hits, per payee at its largest item)
-- sends it to staff, after the code when it needs both, and so does the risk rules' MEDIUM
-- (p_risk; review hit 'risk_review' when no review rule is hit). Then sp_pending_create writes the
-- parent (type 'batch', no entries, no children yet), the hold of amount + fees on the
-- sender and the pending state, and the children and legs are kept in pending_batch_items
-- and pending_batch_legs, so the posting later uses the amounts, fees, rates and GL
-- sub-accounts of now; commits; returns the parent row (sp_emit_batch: no children yet).
-- Nothing is written and p_held is FALSE when no rule applies. A repeated key replays.
-- Parameters:
--   p_from_account_id  the sender's account (locked by the caller)
--   p_amount           the batch's total amount, in the sender's currency
--   p_currency         the sender's currency
--   p_fees             the sum of the items' fees
--   p_description      free text stored with the parent
--   p_actor_id         the initiator
--   p_idempotency_key  the batch's key
--   p_request_hash     the batch's payload hash
--   p_event_user_id    the sender's owner
--   p_otp_wanted       TRUE for a customer's own batch (the code rule applies)
--   p_otp_hash         HMAC-SHA256 of the code the API will send (stored only if needed)
--   p_spent_today      the sender's day total including this batch
--   p_risk             the batch's fn_risk_assess (NULL: not assessed), stored on the parent
--   p_held             OUT: TRUE when the batch was held (or replayed) and its rows returned
-- Returns: when held, the parent row in sp_emit_transaction's shape (sp_emit_batch).
-- Errors: INVALID_ARGUMENT (a code is needed and p_otp_hash is NULL), FX_RATE_UNAVAILABLE
--         (no rate into JOD for the thresholds).
-- Example: CALL sp_hold_batch_for_approval(7, 900, 'JOD', 9, 'payroll', 42, 'b-1', UNHEX(SHA2('x', 256)), 42, TRUE, UNHEX(SHA2('c', 256)), 900, NULL, @held);
DROP PROCEDURE IF EXISTS sp_hold_batch_for_approval;
DELIMITER $$
CREATE PROCEDURE sp_hold_batch_for_approval(
    IN p_from_account_id BIGINT UNSIGNED,
    IN p_amount DECIMAL(20,4),
    IN p_currency CHAR(3),
    IN p_fees DECIMAL(20,4),
    IN p_description VARCHAR(255),
    IN p_actor_id BIGINT UNSIGNED,
    IN p_idempotency_key VARCHAR(128),
    IN p_request_hash BINARY(32),
    IN p_event_user_id BIGINT UNSIGNED,
    IN p_otp_wanted BOOLEAN,
    IN p_otp_hash BINARY(32),
    IN p_spent_today DECIMAL(20,4),
    IN p_risk TEXT,
    OUT p_held BOOLEAN)
MODIFIES SQL DATA
COMMENT 'sp_hold_batch_for_approval: create a batch pending its one-time code or staff review, with its whole total held, when a rule asks for it.'
proc: BEGIN
    DECLARE v_jod DECIMAL(20,4);
    DECLARE v_otp_threshold DECIMAL(20,4) DEFAULT NULL;
    DECLARE v_attempts INT UNSIGNED;
    DECLARE v_ttl INT UNSIGNED;
    DECLARE v_hits VARCHAR(512);
    DECLARE v_new_payee BOOLEAN;
    DECLARE v_otp BOOLEAN;
    DECLARE v_txn_id BIGINT UNSIGNED DEFAULT NULL;
    SET p_held = FALSE;
    SET v_jod = IF(p_currency = 'JOD', p_amount + p_fees, fn_jod_equivalent(p_amount + p_fees, p_currency));
    IF v_jod IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'FX_RATE_UNAVAILABLE: no exchange rate into JOD for the confirmation rules';
    END IF;
    SELECT threshold_jod, max_count, window_seconds INTO v_otp_threshold, v_attempts, v_ttl
    FROM transaction_rules WHERE rule = 'otp_high_value' AND is_active;
    SET v_otp = p_otp_wanted AND v_jod > IFNULL(v_otp_threshold, v_jod);
    -- The total and the velocity; then each payee at its largest item, for a first payment.
    SET v_hits = fn_review_hits(p_from_account_id, NULL, v_jod);
    SELECT COUNT(*) > 0 INTO v_new_payee
    FROM (SELECT to_account_id, MAX(amount) AS largest FROM tmp_journal_txns GROUP BY to_account_id) i
    WHERE JSON_CONTAINS(fn_review_hits(p_from_account_id, i.to_account_id,
                                       IF(p_currency = 'JOD', i.largest,
                                          fn_jod_equivalent(i.largest, p_currency))),
                        '"review_new_beneficiary"');
    -- In fn_review_hits' order.
    SET v_hits = NULLIF(CONCAT_WS(', ',
        IF(JSON_CONTAINS(v_hits, '"review_amount"'), '"review_amount"', NULL),
        IF(v_new_payee, '"review_new_beneficiary"', NULL),
        IF(JSON_CONTAINS(v_hits, '"review_velocity"'), '"review_velocity"', NULL)), '');
    -- The risk rules' MEDIUM holds it as a review rule would (when no review rule did).
    SET v_hits = IFNULL(CONCAT('[', v_hits, ']'),
                        IF(JSON_VALUE(p_risk, '$.decision') = 'review', '["risk_review"]', NULL));
    IF NOT v_otp AND v_hits IS NULL THEN
        LEAVE proc;
    END IF;
    IF v_otp AND p_otp_hash IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: this batch needs a one-time code';
    END IF;
    SET p_held = TRUE;
    -- The parent carries the assessment (sp_pending_create reads and clears these).
    SET @bank_rule_points = JSON_VALUE(p_risk, '$.points'), @bank_rule_hits = JSON_EXTRACT(p_risk, '$.hits');
    CALL sp_pending_create('batch', v_otp, p_from_account_id, NULL, p_amount, p_currency, 0,
                           NULL, NULL, NULL, p_description, p_actor_id, p_idempotency_key,
                           p_request_hash, p_event_user_id, p_otp_hash, v_ttl, v_attempts,
                           v_hits, v_jod, p_amount + p_fees, p_spent_today, fn_bank_date(),
                           v_txn_id);
    IF v_txn_id IS NULL THEN
        LEAVE proc;
    END IF;
    INSERT INTO pending_batch_items (batch_id, seq, to_account_id, amount, currency, fee,
                                     target_amount, target_currency, fx_rate, description)
    SELECT v_txn_id, seq, to_account_id, amount, currency, fee, target_amount, target_currency,
           fx_rate, description
    FROM tmp_journal_txns ORDER BY seq;
    INSERT INTO pending_batch_legs (batch_id, seq, txn_seq, account_id, amount, currency, entry_type)
    SELECT v_txn_id, seq, txn_seq, account_id, amount, currency, entry_type
    FROM tmp_journal_legs ORDER BY seq;
    COMMIT;
    CALL sp_emit_batch(v_txn_id, FALSE);
END$$
DELIMITER ;
