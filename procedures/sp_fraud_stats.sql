-- sp_fraud_stats: what the risk worker has scored and alerted, how analysts resolved it, and how far behind it is.
-- Rates are NULL while their denominator is zero: fraud_rate is confirmed-fraud alerts over
-- scored transactions, precision confirmed-fraud alerts over resolved alerts. The rule level
-- of a score comes from its rule_score (rule points / 150: LOW below 30 points, MEDIUM below
-- 60, HIGH from 60; UNKNOWN when the rules did not assess it). The worker's lag compares the
-- newest transaction with the newest scored one: how many transactions lie after it and how
-- much later the newest was created (0 when nothing is behind). Staff data: the viewer's
-- current role must be an analyst's, manager's, auditor's or admin's.
-- Parameters:
--   p_viewer_id   the staff member reading
--   p_session_id  the viewer's session
-- Returns: one row of totals: scored, alerts, open_alerts, resolved_alerts, confirmed_fraud,
--          false_positives, labelled_fraud, fraud_rate, alert_precision,
--          newest_transaction_id, newest_transaction_at, newest_scored_transaction_id,
--          newest_scored_transaction_at, last_scored_at, transactions_behind,
--          seconds_behind; then one row per verdict (verdict, scored, alerts, open_alerts,
--          confirmed_fraud, false_positives); then one row per rule level (level, scored,
--          alerts).
-- Errors: SESSION_REQUIRED, SESSION_REVOKED, FORBIDDEN.
-- Example: CALL sp_fraud_stats(3, '5f0c...');
DROP PROCEDURE IF EXISTS sp_fraud_stats;
DELIMITER $$
CREATE PROCEDURE sp_fraud_stats(
    IN p_viewer_id BIGINT UNSIGNED,
    IN p_session_id CHAR(32))
READS SQL DATA
COMMENT 'sp_fraud_stats: what the risk worker has scored and alerted, how analysts resolved it, and how far behind it is.'
BEGIN
    DECLARE v_scored BIGINT UNSIGNED;
    DECLARE v_alerts BIGINT UNSIGNED;
    DECLARE v_open BIGINT UNSIGNED;
    DECLARE v_confirmed BIGINT UNSIGNED;
    DECLARE v_false BIGINT UNSIGNED;
    DECLARE v_labelled BIGINT UNSIGNED;
    DECLARE v_newest_id BIGINT UNSIGNED;
    DECLARE v_newest_at DATETIME(6);
    DECLARE v_scored_id BIGINT UNSIGNED;
    DECLARE v_scored_txn_at DATETIME(6);
    DECLARE v_last_scored_at DATETIME(6);
    DECLARE v_behind BIGINT UNSIGNED DEFAULT 0;
    CALL sp_assert_session(p_session_id, p_viewer_id);
    CALL sp_assert_role(p_viewer_id, 'analyst,manager,auditor,admin');

    SELECT COUNT(*), MAX(transaction_id), MAX(scored_at)
      INTO v_scored, v_scored_id, v_last_scored_at
    FROM transaction_risk_scores;
    SELECT COUNT(*), IFNULL(SUM(status = 'open'), 0),
           IFNULL(SUM(resolution = 'confirmed_fraud'), 0), IFNULL(SUM(resolution = 'false_positive'), 0)
      INTO v_alerts, v_open, v_confirmed, v_false
    FROM fraud_alerts;
    SELECT COUNT(*) INTO v_labelled
    FROM transaction_labels l JOIN transaction_risk_scores r ON r.transaction_id = l.transaction_id
    WHERE l.is_fraud;
    SELECT MAX(id) INTO v_newest_id FROM transactions;
    SELECT created_at INTO v_newest_at FROM transactions WHERE id = v_newest_id;
    SELECT created_at INTO v_scored_txn_at FROM transactions WHERE id = v_scored_id;
    SELECT COUNT(*) INTO v_behind FROM transactions WHERE id > IFNULL(v_scored_id, 0);

    SELECT v_scored AS scored, v_alerts AS alerts, v_open AS open_alerts,
           v_alerts - v_open AS resolved_alerts, v_confirmed AS confirmed_fraud,
           v_false AS false_positives, v_labelled AS labelled_fraud,
           IF(v_scored = 0, NULL, v_confirmed / v_scored) AS fraud_rate,
           IF(v_confirmed + v_false = 0, NULL, v_confirmed / (v_confirmed + v_false)) AS alert_precision,
           v_newest_id AS newest_transaction_id, v_newest_at AS newest_transaction_at,
           v_scored_id AS newest_scored_transaction_id,
           v_scored_txn_at AS newest_scored_transaction_at, v_last_scored_at AS last_scored_at,
           v_behind AS transactions_behind,
           IF(v_behind = 0, 0,
              GREATEST(0, TIMESTAMPDIFF(MICROSECOND, IFNULL(v_scored_txn_at, v_newest_at), v_newest_at)
                          / 1000000)) AS seconds_behind;

    SELECT v.verdict, IFNULL(s.scored, 0) AS scored, IFNULL(a.alerts, 0) AS alerts,
           IFNULL(a.open_alerts, 0) AS open_alerts, IFNULL(a.confirmed_fraud, 0) AS confirmed_fraud,
           IFNULL(a.false_positives, 0) AS false_positives
    FROM (SELECT 'SAFE' AS verdict, 1 AS ord UNION ALL SELECT 'SUSPICIOUS', 2
          UNION ALL SELECT 'CRITICAL', 3) v
    LEFT JOIN (SELECT verdict, COUNT(*) AS scored FROM transaction_risk_scores GROUP BY verdict) s
           ON s.verdict = v.verdict
    LEFT JOIN (SELECT verdict, COUNT(*) AS alerts, SUM(status = 'open') AS open_alerts,
                      SUM(resolution = 'confirmed_fraud') AS confirmed_fraud,
                      SUM(resolution = 'false_positive') AS false_positives
               FROM fraud_alerts GROUP BY verdict) a ON a.verdict = v.verdict
    ORDER BY v.ord;

    SELECT l.level, IFNULL(s.scored, 0) AS scored, IFNULL(s.alerts, 0) AS alerts
    FROM (SELECT 'LOW' AS level, 1 AS ord UNION ALL SELECT 'MEDIUM', 2
          UNION ALL SELECT 'HIGH', 3 UNION ALL SELECT 'UNKNOWN', 4) l
    LEFT JOIN (SELECT CASE WHEN r.rule_score IS NULL THEN 'UNKNOWN'
                           WHEN r.rule_score * 150 < 30 THEN 'LOW'
                           WHEN r.rule_score * 150 < 60 THEN 'MEDIUM'
                           ELSE 'HIGH' END AS level,
                      COUNT(*) AS scored, COUNT(f.id) AS alerts
               FROM transaction_risk_scores r
               LEFT JOIN fraud_alerts f ON f.transaction_id = r.transaction_id
               GROUP BY 1) s ON s.level = l.level
    ORDER BY l.ord;
END$$
DELIMITER ;
