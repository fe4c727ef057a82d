-- fn_review_hits: the review rules an outgoing transaction hits, as a JSON array of rule names, or NULL.
-- The rule set of transaction_rules (kind 'review', active rows): review_amount (at least
-- threshold_jod), review_new_beneficiary (above threshold_jod and no completed payment
-- from this account to that receiver before), review_velocity (max_count or more outgoing
-- transactions of any status from the account within window_seconds before this one, so
-- this one is one too many). Pure reads: the transfer calls it under the sender's lock (so concurrent
-- transfers count each other), and a risk engine or a report may call it for a what-if.
-- Parameters:
--   p_from_account_id  the paying account
--   p_to_account_id    the receiving account (NULL: none, as for a withdrawal)
--   p_amount_jod       the amount in JOD (fn_jod_equivalent)
-- Returns: a JSON array such as '["review_amount"]', NULL when no rule is hit.
-- Errors: none.
-- Example: SELECT fn_review_hits(7, 9, 3500.000);  -- ["review_amount", "review_new_beneficiary"]
DROP FUNCTION IF EXISTS fn_review_hits;
DELIMITER $$
CREATE FUNCTION fn_review_hits(p_from_account_id BIGINT UNSIGNED, p_to_account_id BIGINT UNSIGNED,
                               p_amount_jod DECIMAL(38,12))
RETURNS VARCHAR(512) CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci
READS SQL DATA
COMMENT 'fn_review_hits: the review rules an outgoing transaction hits, as a JSON array of rule names, or NULL.'
BEGIN
    DECLARE v_amount DECIMAL(20,4);
    DECLARE v_new DECIMAL(20,4);
    DECLARE v_count INT UNSIGNED;
    DECLARE v_window INT UNSIGNED;
    DECLARE v_nth DATETIME(6) DEFAULT NULL;
    DECLARE v_hits VARCHAR(512);
    SELECT MAX(IF(rule = 'review_amount', threshold_jod, NULL)),
           MAX(IF(rule = 'review_new_beneficiary', threshold_jod, NULL)),
           MAX(IF(rule = 'review_velocity', max_count, NULL)),
           MAX(IF(rule = 'review_velocity', window_seconds, NULL))
      INTO v_amount, v_new, v_count, v_window
    FROM transaction_rules WHERE kind = 'review' AND is_active;
    IF v_count > 0 THEN
        -- The v_count-th most recent outgoing transaction of the account (one index probe):
        -- inside the window, this one makes more than v_count.
        SET v_count = v_count - 1;
        SELECT created_at INTO v_nth FROM transactions
        WHERE from_account_id = p_from_account_id
        ORDER BY id DESC LIMIT v_count, 1;
    END IF;
    SET v_hits = CONCAT_WS(', ',
        IF(p_amount_jod >= v_amount, '"review_amount"', NULL),
        IF(p_amount_jod > v_new AND p_to_account_id IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM transactions FORCE INDEX (idx_transactions_payer_payee)
                           WHERE to_account_id = p_to_account_id
                             AND from_account_id = p_from_account_id
                             AND status IN ('completed', 'reversed')),
           '"review_new_beneficiary"', NULL),
        IF(v_nth >= NOW(6) - INTERVAL v_window SECOND, '"review_velocity"', NULL));
    RETURN IF(v_hits = '', NULL, CONCAT('[', v_hits, ']'));
END$$
DELIMITER ;
