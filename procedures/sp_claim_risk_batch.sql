-- sp_claim_risk_batch: claim the next committed, unscored transactions for the risk worker.
-- Scored: payments that posted (status completed or reversed) of the kinds a customer makes
-- (deposit, withdrawal, transfer, bill_payment; a batch's items are transfers). A batch's
-- parent row, reversals, interest and fees (the bank's own postings) are not scored; a held
-- transaction (pending_otp, pending_review) is claimed once it posts. Rows come in id order,
-- locked FOR UPDATE SKIP LOCKED, so concurrent workers take disjoint sets and a row still
-- being written (uncommitted) is skipped. It runs inside the caller's transaction, which
-- keeps the locks until sp_record_risk_scores has written the scores and the caller
-- commits: a worker that dies in between loses its locks and nothing else.
-- Parameters:
--   p_after_id  claim only ids above this one (NULL or 0: from the start)
--   p_limit     how many at most, 1 to 50000
-- Returns: one row: claimed (how many), rows (NULL when none: per transaction, in id order,
--          id, amount, from_account_id (0: none), to_account_id (0: none), cross-currency
--          (1 or 0), created_at in microseconds since 1970-01-01; all comma-separated: one
--          string of numbers costs a client driver far less to read than thousands of rows).
-- Errors: INVALID_ARGUMENT (p_limit out of range), CONFLICT (called outside a
--         transaction: the locks would end with the statement).
-- Example: CALL sp_claim_risk_batch(0, 2000);
DROP PROCEDURE IF EXISTS sp_claim_risk_batch;
DELIMITER $$
CREATE PROCEDURE sp_claim_risk_batch(
    IN p_after_id BIGINT UNSIGNED,
    IN p_limit INT UNSIGNED)
MODIFIES SQL DATA
COMMENT 'sp_claim_risk_batch: claim the next committed, unscored transactions for the risk worker.'
BEGIN
    IF p_limit IS NULL OR p_limit < 1 OR p_limit > 50000 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: claim between 1 and 50000 transactions';
    END IF;
    IF @@in_transaction = 0 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'CONFLICT: start a transaction first; the claim lasts until it ends';
    END IF;
    DROP TEMPORARY TABLE IF EXISTS tmp_risk_claim;
    CREATE TEMPORARY TABLE tmp_risk_claim ENGINE = MEMORY
    SELECT t.id, t.amount, IFNULL(t.from_account_id, 0) AS from_id,
           IFNULL(t.to_account_id, 0) AS to_id,
           IF(t.target_currency IS NOT NULL AND t.target_currency <> t.currency, 1, 0) AS cross_currency,
           TIMESTAMPDIFF(MICROSECOND, '1970-01-01', t.created_at) AS created_us
    FROM transactions t
    WHERE t.id > IFNULL(p_after_id, 0)
      AND t.status IN ('completed', 'reversed')
      AND t.type IN ('deposit', 'withdrawal', 'transfer', 'bill_payment')
      AND NOT EXISTS (SELECT 1 FROM transaction_risk_scores s WHERE s.transaction_id = t.id)
    ORDER BY t.id
    LIMIT p_limit
    FOR UPDATE SKIP LOCKED;
    SET SESSION group_concat_max_len = 1073741824;
    SELECT COUNT(*) AS claimed,
           GROUP_CONCAT(CONCAT_WS(',', id, amount, from_id, to_id, cross_currency, created_us)
                        ORDER BY id SEPARATOR ',') AS `rows`
    FROM tmp_risk_claim;
    DROP TEMPORARY TABLE tmp_risk_claim;
END$$
DELIMITER ;
