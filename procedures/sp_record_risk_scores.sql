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
--   p_model_version  the model version that scored the batch ('rules-only' before a model)
--   p_scores         JSON array with one array per transaction: [id, score (0..1),
--                    rule score (0..1 or null), model score (0..1 or null), [reasons in
--                    words]] (arrays, not objects: a batch is thousands of rows)
-- Returns: one row: scored, suspicious, critical, frozen.
-- Errors: INVALID_ARGUMENT (not a JSON array, a score outside 0..1, no transaction id),
--         CONFLICT (called outside a transaction).
-- Example: CALL sp_record_risk_scores('forest-1', '[[7, 0.12, null, 0.12, ["nothing far from the usual"]]]');
DROP PROCEDURE IF EXISTS sp_record_risk_scores;
DELIMITER $$
CREATE PROCEDURE sp_record_risk_scores(
    IN p_model_version VARCHAR(64),
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
                   id BIGINT UNSIGNED PATH '$[0]',
                   score DECIMAL(10,6) PATH '$[1]',
                   rule_score DECIMAL(10,6) PATH '$[2]',
                   model_score DECIMAL(10,6) PATH '$[3]')) j
               WHERE j.id IS NULL OR j.score IS NULL OR j.score NOT BETWEEN 0 AND 1
                  OR j.rule_score NOT BETWEEN 0 AND 1 OR j.model_score NOT BETWEEN 0 AND 1) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: each score needs a transaction id and scores between 0 and 1';
    END IF;

    INSERT INTO transaction_risk_scores (transaction_id, score, verdict, rule_score, model_score,
                                         model_version, reasons)
    SELECT j.id, j.score,
           CASE WHEN j.score >= 0.8 THEN 'CRITICAL' WHEN j.score >= 0.5 THEN 'SUSPICIOUS' ELSE 'SAFE' END,
           j.rule_score, j.model_score, p_model_version, IFNULL(j.reasons, '[]')
    FROM JSON_TABLE(p_scores, '$[*]' COLUMNS (
        id BIGINT UNSIGNED PATH '$[0]',
        score DECIMAL(5,4) PATH '$[1]',
        rule_score DECIMAL(5,4) PATH '$[2]',
        model_score DECIMAL(5,4) PATH '$[3]',
        reasons JSON PATH '$[4]')) j;
    SET v_scored = ROW_COUNT();

    -- The batch's alerts, parsed once: a few per batch, where the scores are thousands.
    DROP TEMPORARY TABLE IF EXISTS tmp_risk_alerts;
    CREATE TEMPORARY TABLE tmp_risk_alerts (
        transaction_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
        score DECIMAL(5,4) NOT NULL
    ) ENGINE = MEMORY
    SELECT j.id AS transaction_id, j.score
    FROM JSON_TABLE(p_scores, '$[*]' COLUMNS (
        id BIGINT UNSIGNED PATH '$[0]',
        score DECIMAL(5,4) PATH '$[1]')) j
    WHERE j.score >= 0.5;

    SELECT fraud_critical_action INTO v_action FROM bank_settings LIMIT 1;
    INSERT INTO fraud_alerts (transaction_id, account_id, score, verdict, status, action_taken)
    SELECT s.transaction_id, IF(fa.kind = 'customer', fa.id, ta.id), s.score, s.verdict, 'open',
           CASE WHEN s.verdict = 'SUSPICIOUS' THEN 'review'
                WHEN v_action = 'freeze'
                     AND IF(fa.kind = 'customer', fa.status, ta.status) = 'active' THEN 'freeze'
                ELSE 'alert' END
    FROM tmp_risk_alerts x
    JOIN transaction_risk_scores s ON s.transaction_id = x.transaction_id
    JOIN transactions t ON t.id = x.transaction_id
    LEFT JOIN accounts fa ON fa.id = t.from_account_id
    LEFT JOIN accounts ta ON ta.id = t.to_account_id AND ta.kind = 'customer';

    IF EXISTS (SELECT 1 FROM tmp_risk_alerts WHERE score >= 0.8) THEN
        SET @bank_actor_id = 1,
            @bank_audit_event = 'account.freeze',
            @bank_audit_reason = 'risk worker: a CRITICAL fraud score (see fraud_alerts)';
        INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, user_id, payload)
        SELECT 'account.frozen', 'account', a.id, a.user_id,
               JSON_OBJECT('account_id', a.id, 'from_status', a.status, 'to_status', 'frozen',
                           'actor_id', 1, 'reason', @bank_audit_reason,
                           'transaction_id', MIN(f.transaction_id))
        FROM tmp_risk_alerts x
        JOIN fraud_alerts f ON f.transaction_id = x.transaction_id
        JOIN accounts a ON a.id = f.account_id
        WHERE f.action_taken = 'freeze' AND a.status = 'active'
        GROUP BY a.id, a.user_id, a.status;
        UPDATE accounts a
        JOIN (SELECT DISTINCT f.account_id FROM tmp_risk_alerts x
              JOIN fraud_alerts f ON f.transaction_id = x.transaction_id
              WHERE f.action_taken = 'freeze') z ON z.account_id = a.id
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
        FROM tmp_risk_alerts x
        JOIN fraud_alerts f ON f.transaction_id = x.transaction_id
        JOIN transactions t ON t.id = f.transaction_id
        LEFT JOIN accounts a ON a.id = f.account_id
        JOIN users u ON u.role IN ('manager', 'admin', 'analyst') AND u.status = 'active'
        WHERE f.verdict = 'CRITICAL';
    END IF;

    SELECT v_scored AS scored,
           (SELECT COUNT(*) FROM tmp_risk_alerts WHERE score < 0.8) AS suspicious,
           (SELECT COUNT(*) FROM tmp_risk_alerts WHERE score >= 0.8) AS critical,
           v_frozen AS frozen;
    DROP TEMPORARY TABLE tmp_risk_alerts;
END$$
DELIMITER ;
