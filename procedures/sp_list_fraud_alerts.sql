-- sp_list_fraud_alerts: fraud alerts the viewer may see, newest first, filtered and keyset-paged.
-- Each alert comes in vw_fraud_alerts' shape: its transaction (amount, currency, type, time,
-- the two account numbers), the score's model version and reasons, the account's status now
-- (a freeze the alert's action applied may have been lifted since) and who resolved it.
-- Risk staff (p_all: analysts, managers, auditors, admins, re-checked here) see every alert;
-- anyone else the alerts on their own payments (the sender's account is theirs) and on
-- deposits to their accounts, as sp_list_risk_scores shows them scores, without the staff's
-- side of it (who resolved it and their note stay NULL). An account filter on an account
-- that is not the viewer's is ACCOUNT_NOT_FOUND for them.
-- Parameters:
--   p_status      'open' or 'resolved' (NULL: both)
--   p_verdict     'SUSPICIOUS' or 'CRITICAL' (NULL: both)
--   p_since       raised at or after (NULL: no bound)
--   p_until       raised at or before (NULL: no bound)
--   p_account_id  only alerts on this account (NULL: any)
--   p_before_id   the cursor: only alert ids below it (NULL: from the newest)
--   p_limit       the page size (1..500)
--   p_all         TRUE: every alert (risk staff only); FALSE: the viewer's own
--   p_viewer_id   who reads
--   p_session_id  the viewer's session
-- Returns: the page, in vw_fraud_alerts' columns.
-- Errors: SESSION_REQUIRED, SESSION_REVOKED, FORBIDDEN, INVALID_ARGUMENT, ACCOUNT_NOT_FOUND.
-- Example: CALL sp_list_fraud_alerts('open', NULL, NULL, NULL, NULL, NULL, 50, TRUE, 3, '5f0c...');
DROP PROCEDURE IF EXISTS sp_list_fraud_alerts;
DELIMITER $$
CREATE PROCEDURE sp_list_fraud_alerts(
    IN p_status VARCHAR(16),
    IN p_verdict VARCHAR(16),
    IN p_since DATETIME(6),
    IN p_until DATETIME(6),
    IN p_account_id BIGINT UNSIGNED,
    IN p_before_id BIGINT UNSIGNED,
    IN p_limit INT,
    IN p_all BOOLEAN,
    IN p_viewer_id BIGINT UNSIGNED,
    IN p_session_id CHAR(32))
READS SQL DATA
COMMENT 'sp_list_fraud_alerts: fraud alerts the viewer may see, newest first, filtered and keyset-paged.'
BEGIN
    DECLARE v_before BIGINT UNSIGNED DEFAULT IFNULL(p_before_id, 18446744073709551615);
    CALL sp_assert_session(p_session_id, p_viewer_id);
    IF p_all THEN
        CALL sp_assert_role(p_viewer_id, 'analyst,manager,auditor,admin');
    END IF;
    IF p_limit IS NULL OR p_limit < 1 OR p_limit > 500 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: limit must be between 1 and 500';
    END IF;
    IF p_status IS NOT NULL AND p_status NOT IN ('open', 'resolved') THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: status must be open or resolved';
    END IF;
    IF p_verdict IS NOT NULL AND p_verdict NOT IN ('SUSPICIOUS', 'CRITICAL') THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: verdict must be SUSPICIOUS or CRITICAL';
    END IF;

    IF p_account_id IS NOT NULL AND NOT p_all AND NOT EXISTS (
            SELECT 1 FROM accounts WHERE id = p_account_id AND user_id = p_viewer_id AND kind = 'customer') THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ACCOUNT_NOT_FOUND: no such account';
    END IF;
    SELECT v.id, v.transaction_id, v.account_id, v.account_number, v.account_status,
           v.score, v.verdict, v.status, v.action_taken, v.resolution,
           IF(p_all, v.resolution_note, NULL) AS resolution_note,
           IF(p_all, v.resolved_by, NULL) AS resolved_by,
           IF(p_all, v.resolved_by_username, NULL) AS resolved_by_username,
           v.created_at, v.resolved_at, v.amount, v.currency, v.transaction_type,
           v.transaction_created_at, v.from_account_number, v.to_account_number,
           v.model_version, v.reasons
    FROM vw_fraud_alerts v
    JOIN transactions t ON t.id = v.transaction_id
    -- Whose payment it is: the paying account's owner, or the receiver's for a deposit.
    LEFT JOIN accounts a ON a.id = IFNULL(t.from_account_id, t.to_account_id) AND a.kind = 'customer'
    WHERE (p_all OR a.user_id = p_viewer_id)
      AND v.id < v_before
      AND (p_status IS NULL OR v.status = p_status)
      AND (p_verdict IS NULL OR v.verdict = p_verdict)
      AND (p_since IS NULL OR v.created_at >= p_since)
      AND (p_until IS NULL OR v.created_at <= p_until)
      AND (p_account_id IS NULL OR IF(p_all, v.account_id, a.id) = p_account_id)
    ORDER BY v.id DESC
    LIMIT p_limit;
END$$
DELIMITER ;
