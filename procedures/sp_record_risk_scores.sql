-- sp_record_risk_scores: record the risk worker's scores of a claimed batch, with their alerts and actions.
-- The verdict is decided here from the score (SAFE below 0.5, SUSPICIOUS below 0.8,
-- CRITICAL from 0.8). A SUSPICIOUS score opens a fraud alert for review (action 'review');
-- a CRITICAL one opens an alert and applies bank_settings.fraud_critical_action: 'freeze'
-- freezes the customer account the money came from (else the one it went to), audited with
-- the system user as actor and an account.frozen outbox event, and notifies every active
-- manager, admin and analyst in the in-app inbox; 'alert' (or an account no longer active)
-- only alerts. It writes set-wise inside the caller's transaction (the claim's), so the
-- scores, alerts, freezes and notifications of a batch commit or roll back together. The
-- primary key of transaction_risk_scores is the last guard against scoring a row twice: a
-- duplicate fails the whole batch.
-- Parameters:
--   p_scores  JSON array of {"id", "score" (0..1), "rule_score" (0..1 or null),
--             "model_score" (0..1 or null), "model_version", "reasons" (JSON text of
--             an array of up to three strings)}
-- Returns: one row: scored, suspicious, critical, frozen.
-- Errors: INVALID_ARGUMENT (not a JSON array, a score outside 0..1, no transaction id),
--         CONFLICT (called outside a transaction).
-- Example: CALL sp_record_risk_scores('[{"id": 7, "score": 0.12, "rule_score": null, "model_score": 0.12, "model_version": "forest-1", "reasons": "[]"}]');
DROP PROCEDURE IF EXISTS sp_record_risk_scores;
DELIMITER $$
CREATE PROCEDURE sp_record_risk_scores(
    IN p_scores LONGTEXT)
MODIFIES SQL DATA
COMMENT 'sp_record_risk_scores: record the risk worker''s scores of a claimed batch, with their alerts and actions.'
BEGIN
    DECLARE v_action VARCHAR(8);
    DECLARE v_scored INT UNSIGNED;
    DECLARE v_frozen INT UNSIGNED DEFAULT 0;

    IF @@in_transaction = 0 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'CONFLICT: start a transaction first; a batch is recorded whole or not at all';
    END IF;
    IF p_scores IS NULL OR NOT JSON_VALID(p_scores) OR JSON_TYPE(p_scores) <> 'ARRAY' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: scores must be a JSON array';
    END IF;
    IF EXISTS (SELECT 1 FROM JSON_TABLE(p_scores, '$[*]' COLUMNS (
                   id BIGINT UNSIGNED PATH '$.id',
                   score DECIMAL(10,6) PATH '$.score',
                   rule_score DECIMAL(10,6) PATH '$.rule_score',
                   model_score DECIMAL(10,6) PATH '$.model_score')) j
               WHERE j.id IS NULL OR j.score IS NULL OR j.score NOT BETWEEN 0 AND 1
                  OR j.rule_score NOT BETWEEN 0 AND 1 OR j.model_score NOT BETWEEN 0 AND 1) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: each score needs a transaction id and scores between 0 and 1';
    END IF;

    INSERT INTO transaction_risk_scores (transaction_id, score, verdict, rule_score, model_score,
                                         model_version, reasons)
    SELECT j.id, j.score,
           CASE WHEN j.score >= 0.8 THEN 'CRITICAL' WHEN j.score >= 0.5 THEN 'SUSPICIOUS' ELSE 'SAFE' END,
           j.rule_score, j.model_score, j.model_version, IFNULL(j.reasons, '[]')
    FROM JSON_TABLE(p_scores, '$[*]' COLUMNS (
        id BIGINT UNSIGNED PATH '$.id',
        score DECIMAL(5,4) PATH '$.score',
        rule_score DECIMAL(5,4) PATH '$.rule_score',
        model_score DECIMAL(5,4) PATH '$.model_score',
        model_version VARCHAR(64) PATH '$.model_version',
        reasons TEXT PATH '$.reasons')) j;
    SET v_scored = ROW_COUNT();

    SELECT fraud_critical_action INTO v_action FROM bank_settings LIMIT 1;
    INSERT INTO fraud_alerts (transaction_id, account_id, score, verdict, status, action_taken)
    SELECT s.transaction_id, IF(fa.kind = 'customer', fa.id, ta.id), s.score, s.verdict, 'open',
           CASE WHEN s.verdict = 'SUSPICIOUS' THEN 'review'
                WHEN v_action = 'freeze'
                     AND IF(fa.kind = 'customer', fa.status, ta.status) = 'active' THEN 'freeze'
                ELSE 'alert' END
    FROM JSON_TABLE(p_scores, '$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$.id')) j
    JOIN transaction_risk_scores s ON s.transaction_id = j.id
    JOIN transactions t ON t.id = j.id
    LEFT JOIN accounts fa ON fa.id = t.from_account_id
    LEFT JOIN accounts ta ON ta.id = t.to_account_id AND ta.kind = 'customer'
    WHERE s.verdict IN ('SUSPICIOUS', 'CRITICAL');

    IF ROW_COUNT() > 0 THEN
        SET @bank_actor_id = 1,
            @bank_audit_event = 'account.freeze',
            @bank_audit_reason = 'risk worker: a CRITICAL fraud score (see fraud_alerts)';
        INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, user_id, payload)
        SELECT 'account.frozen', 'account', a.id, a.user_id,
               JSON_OBJECT('account_id', a.id, 'from_status', a.status, 'to_status', 'frozen',
                           'actor_id', 1, 'reason', @bank_audit_reason,
                           'transaction_id', MIN(f.transaction_id))
        FROM fraud_alerts f
        JOIN JSON_TABLE(p_scores, '$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$.id')) j
          ON j.id = f.transaction_id
        JOIN accounts a ON a.id = f.account_id
        WHERE f.action_taken = 'freeze' AND a.status = 'active'
        GROUP BY a.id, a.user_id, a.status;
        UPDATE accounts a
        JOIN (SELECT DISTINCT f.account_id FROM fraud_alerts f
              JOIN JSON_TABLE(p_scores, '$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$.id')) j
                ON j.id = f.transaction_id
              WHERE f.action_taken = 'freeze') x ON x.account_id = a.id
        SET a.status = 'frozen'
        WHERE a.status = 'active';
        SET v_frozen = ROW_COUNT();
        SET @bank_audit_event = NULL, @bank_audit_reason = NULL;
        INSERT INTO notifications (user_id, kind, title, body, transaction_id)
        SELECT u.id, 'fraud.critical', 'CRITICAL fraud score',
               CONCAT('Transaction ', t.reference, ' scored ', f.score, '; account ',
                      IFNULL(a.account_number, '-'),
                      IF(f.action_taken = 'freeze', ' was frozen.', ' was not frozen (alert only).')),
               f.transaction_id
        FROM fraud_alerts f
        JOIN JSON_TABLE(p_scores, '$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$.id')) j
          ON j.id = f.transaction_id
        JOIN transactions t ON t.id = f.transaction_id
        LEFT JOIN accounts a ON a.id = f.account_id
        JOIN users u ON u.role IN ('manager', 'admin', 'analyst') AND u.status = 'active'
        WHERE f.verdict = 'CRITICAL';
    END IF;

    SELECT v_scored AS scored,
           (SELECT COUNT(*) FROM fraud_alerts f
            JOIN JSON_TABLE(p_scores, '$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$.id')) j
              ON j.id = f.transaction_id WHERE f.verdict = 'SUSPICIOUS') AS suspicious,
           (SELECT COUNT(*) FROM fraud_alerts f
            JOIN JSON_TABLE(p_scores, '$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$.id')) j
              ON j.id = f.transaction_id WHERE f.verdict = 'CRITICAL') AS critical,
           v_frozen AS frozen;
END$$
DELIMITER ;
