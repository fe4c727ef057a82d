-- sp_list_fraud_alerts: fraud alerts for risk staff, newest first, filtered and keyset-paged.
-- Each alert comes in vw_fraud_alerts' shape: its transaction (amount, currency, type, time,
-- the two account numbers), the score's model version and reasons, the account's status now
-- (a freeze the alert's action applied may have been lifted since) and who resolved it.
-- Alerts are staff data: the viewer's current role must be an analyst's, manager's,
-- auditor's or admin's.
-- Parameters:
--   p_status      'open' or 'resolved' (NULL: both)
--   p_verdict     'SUSPICIOUS' or 'CRITICAL' (NULL: both)
--   p_since       raised at or after (NULL: no bound)
--   p_until       raised at or before (NULL: no bound)
--   p_account_id  only alerts on this account (NULL: any)
--   p_before_id   the cursor: only alert ids below it (NULL: from the newest)
--   p_limit       the page size (1..500)
--   p_viewer_id   the staff member reading
--   p_session_id  the viewer's session
-- Returns: the page, in vw_fraud_alerts' columns.
-- Errors: SESSION_REQUIRED, SESSION_REVOKED, FORBIDDEN, INVALID_ARGUMENT.
-- Example: CALL sp_list_fraud_alerts('open', NULL, NULL, NULL, NULL, NULL, 50, 3, '5f0c...');
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
    IN p_viewer_id BIGINT UNSIGNED,
    IN p_session_id CHAR(32))
READS SQL DATA
COMMENT 'sp_list_fraud_alerts: fraud alerts for risk staff, newest first, filtered and keyset-paged.'
BEGIN
    DECLARE v_before BIGINT UNSIGNED DEFAULT IFNULL(p_before_id, 18446744073709551615);
    CALL sp_assert_session(p_session_id, p_viewer_id);
    CALL sp_assert_role(p_viewer_id, 'analyst,manager,auditor,admin');
    IF p_limit IS NULL OR p_limit < 1 OR p_limit > 500 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: limit must be between 1 and 500';
    END IF;
    IF p_status IS NOT NULL AND p_status NOT IN ('open', 'resolved') THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: status must be open or resolved';
    END IF;
    IF p_verdict IS NOT NULL AND p_verdict NOT IN ('SUSPICIOUS', 'CRITICAL') THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: verdict must be SUSPICIOUS or CRITICAL';
    END IF;

    SELECT v.*
    FROM vw_fraud_alerts v
    WHERE v.id < v_before
      AND (p_status IS NULL OR v.status = p_status)
      AND (p_verdict IS NULL OR v.verdict = p_verdict)
      AND (p_since IS NULL OR v.created_at >= p_since)
      AND (p_until IS NULL OR v.created_at <= p_until)
      AND (p_account_id IS NULL OR v.account_id = p_account_id)
    ORDER BY v.id DESC
    LIMIT p_limit;
END$$
DELIMITER ;
