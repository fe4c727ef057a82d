-- sp_list_risk_scores: scored transactions the viewer may see, newest first, keyset-paged.
-- Risk staff (p_all: analysts, managers, auditors, admins, re-checked here) see every score;
-- anyone else sees the scores of what they paid (the sender's account is theirs) and of
-- deposits to their accounts, never the score of someone else's payment to them: its
-- reasons describe the payer's habits. An account filter on an account that is not the
-- viewer's is ACCOUNT_NOT_FOUND for them (never reveal it exists).
-- Parameters:
--   p_verdict     'SAFE', 'SUSPICIOUS' or 'CRITICAL' (NULL: any)
--   p_account_id  only transactions from or to this account (NULL: any)
--   p_since       transactions created at or after (NULL: no bound)
--   p_until       transactions created at or before (NULL: no bound)
--   p_before_id   the cursor: only transaction ids below it (NULL: from the newest)
--   p_limit       the page size (1..500)
--   p_all         TRUE: every score (risk staff only); FALSE: the viewer's own
--   p_viewer_id   who reads
--   p_session_id  the viewer's session
-- Returns: the page: transaction_id, reference, type, status, amount, currency,
--          from_account_number, to_account_number, created_at, score, verdict, rule_score,
--          model_score, model_version, reasons, scored_at.
-- Errors: SESSION_REQUIRED, SESSION_REVOKED, FORBIDDEN, INVALID_ARGUMENT, ACCOUNT_NOT_FOUND.
-- Example: CALL sp_list_risk_scores('CRITICAL', NULL, NULL, NULL, NULL, 50, FALSE, 42, '5f0c...');
DROP PROCEDURE IF EXISTS sp_list_risk_scores;
DELIMITER $$
CREATE PROCEDURE sp_list_risk_scores(
    IN p_verdict VARCHAR(16),
    IN p_account_id BIGINT UNSIGNED,
    IN p_since DATETIME(6),
    IN p_until DATETIME(6),
    IN p_before_id BIGINT UNSIGNED,
    IN p_limit INT,
    IN p_all BOOLEAN,
    IN p_viewer_id BIGINT UNSIGNED,
    IN p_session_id CHAR(32))
READS SQL DATA
COMMENT 'sp_list_risk_scores: scored transactions the viewer may see, newest first, keyset-paged.'
BEGIN
    DECLARE v_before BIGINT UNSIGNED DEFAULT IFNULL(p_before_id, 18446744073709551615);
    CALL sp_assert_session(p_session_id, p_viewer_id);
    IF p_all THEN
        CALL sp_assert_role(p_viewer_id, 'analyst,manager,auditor,admin');
    END IF;
    IF p_limit IS NULL OR p_limit < 1 OR p_limit > 500 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: limit must be between 1 and 500';
    END IF;
    IF p_verdict IS NOT NULL AND p_verdict NOT IN ('SAFE', 'SUSPICIOUS', 'CRITICAL') THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: verdict must be SAFE, SUSPICIOUS or CRITICAL';
    END IF;
    IF p_account_id IS NOT NULL AND NOT p_all AND NOT EXISTS (
            SELECT 1 FROM accounts WHERE id = p_account_id AND user_id = p_viewer_id AND kind = 'customer') THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ACCOUNT_NOT_FOUND: no such account';
    END IF;

    IF p_all THEN
        SELECT r.transaction_id, v.reference, v.type, v.status, v.amount, v.currency,
               v.from_account_number, v.to_account_number, v.created_at, r.score, r.verdict,
               r.rule_score, r.model_score, r.model_version, r.reasons, r.scored_at
        FROM transaction_risk_scores r
        JOIN vw_transactions v ON v.id = r.transaction_id
        WHERE r.transaction_id < v_before
          AND (p_verdict IS NULL OR r.verdict = p_verdict)
          AND (p_account_id IS NULL OR v.from_account_id = p_account_id OR v.to_account_id = p_account_id)
          AND (p_since IS NULL OR v.created_at >= p_since)
          AND (p_until IS NULL OR v.created_at <= p_until)
        ORDER BY r.transaction_id DESC
        LIMIT p_limit;
    ELSE
        SELECT r.transaction_id, v.reference, v.type, v.status, v.amount, v.currency,
               v.from_account_number, v.to_account_number, v.created_at, r.score, r.verdict,
               r.rule_score, r.model_score, r.model_version, r.reasons, r.scored_at
        FROM (
            SELECT t.id FROM accounts a JOIN transactions t ON t.from_account_id = a.id
            WHERE a.user_id = p_viewer_id AND a.kind = 'customer' AND t.id < v_before
              AND (p_account_id IS NULL OR a.id = p_account_id)
            UNION
            SELECT t.id FROM accounts a JOIN transactions t ON t.to_account_id = a.id
            WHERE a.user_id = p_viewer_id AND a.kind = 'customer' AND t.id < v_before
              AND t.from_account_id IS NULL
              AND (p_account_id IS NULL OR a.id = p_account_id)
        ) ids
        JOIN transaction_risk_scores r ON r.transaction_id = ids.id
        JOIN vw_transactions v ON v.id = r.transaction_id
        WHERE (p_verdict IS NULL OR r.verdict = p_verdict)
          AND (p_since IS NULL OR v.created_at >= p_since)
          AND (p_until IS NULL OR v.created_at <= p_until)
        ORDER BY r.transaction_id DESC
        LIMIT p_limit;
    END IF;
END$$
DELIMITER ;
