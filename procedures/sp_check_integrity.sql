-- sp_check_integrity: check the ledger's invariants while the bank runs; notify on a find.
-- Incremental (p_full = 0): vw_ledger_integrity_recent over the transactions after
-- p_since_txn_id (NULL: after the last run's watermark) and the audit rows after the last
-- run's. Full (p_full = 1): the whole vw_ledger_integrity_check. Each run is recorded in
-- integrity_checks; when it finds rows, an 'integrity.violation' outbox event (count and
-- the first 20 rows) is written for staff. One run at a time per database (a named lock);
-- a second caller gets outcome 'skipped' at once. The reads are one consistent snapshot
-- and take no locks, so money keeps moving during a check.
-- The watermark stays below transactions younger than 30 s: one still in flight when the
-- check runs (invisible to its snapshot) is checked by the next run.
-- Parameters:
--   p_full          0 or 1
--   p_since_txn_id  incremental start (NULL: the watermark)
-- Returns: one row: outcome ('checked' or 'skipped'), check_id, kind, from_txn_id, to_txn_id,
--          violations, last_full_at; then the rows found (at most 100).
-- Errors: none of its own.
-- Example: CALL sp_check_integrity(0, NULL);
DROP PROCEDURE IF EXISTS sp_check_integrity;
DELIMITER $$
CREATE PROCEDURE sp_check_integrity(IN p_full BOOLEAN, IN p_since_txn_id BIGINT UNSIGNED)
MODIFIES SQL DATA
COMMENT 'sp_check_integrity: check the ledger''s invariants while the bank runs; notify on a find.'
proc: BEGIN
    DECLARE v_lock VARCHAR(64) DEFAULT CONCAT('bank_integrity:', LEFT(SHA2(DATABASE(), 256), 32));
    DECLARE v_kind VARCHAR(12) DEFAULT IF(p_full, 'full', 'incremental');
    DECLARE v_started DATETIME(6) DEFAULT NOW(6);
    DECLARE v_from_txn BIGINT UNSIGNED DEFAULT 0;
    DECLARE v_to_txn BIGINT UNSIGNED DEFAULT 0;
    DECLARE v_watermark BIGINT UNSIGNED DEFAULT 0;
    DECLARE v_from_audit BIGINT UNSIGNED DEFAULT 0;
    DECLARE v_to_audit BIGINT UNSIGNED DEFAULT 0;
    DECLARE v_violations INT UNSIGNED DEFAULT 0;
    DECLARE v_sample LONGTEXT DEFAULT NULL;
    DECLARE v_check_id BIGINT UNSIGNED;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        DO RELEASE_LOCK(v_lock);
        RESIGNAL;
    END;

    IF GET_LOCK(v_lock, 0) IS NOT TRUE THEN
        SELECT 'skipped' AS outcome, NULL AS check_id, v_kind AS kind, NULL AS from_txn_id,
               NULL AS to_txn_id, NULL AS violations,
               (SELECT MAX(finished_at) FROM integrity_checks WHERE kind = 'full') AS last_full_at;
        LEAVE proc;
    END IF;

    SELECT IFNULL(MAX(watermark_txn_id), 0), IFNULL(MAX(to_audit_id), 0)
      INTO v_from_txn, v_from_audit
    FROM integrity_checks
    WHERE id = (SELECT MAX(id) FROM integrity_checks);
    IF p_since_txn_id IS NOT NULL THEN
        SET v_from_txn = p_since_txn_id;
    END IF;

    SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;
    START TRANSACTION WITH CONSISTENT SNAPSHOT;
    SELECT IFNULL(MAX(id), 0) INTO v_to_txn FROM transactions;
    SELECT IFNULL(MAX(id), 0) INTO v_to_audit FROM audit_log;
    SELECT IFNULL((SELECT t.id FROM transactions t
                   WHERE t.id > v_from_txn AND t.created_at < NOW(6) - INTERVAL 30 SECOND
                   ORDER BY t.id DESC LIMIT 1), v_from_txn)
      INTO v_watermark;
    IF p_full THEN
        SET v_from_txn = 0, v_from_audit = 0;
        SELECT COUNT(*) INTO v_violations FROM vw_ledger_integrity_check;
    ELSE
        UPDATE integrity_scan_range
        SET from_txn_id = v_from_txn, to_txn_id = v_to_txn,
            from_audit_id = v_from_audit, to_audit_id = v_to_audit
        WHERE id = 1;
        SELECT COUNT(*) INTO v_violations FROM vw_ledger_integrity_recent;
    END IF;

    IF v_violations > 0 THEN
        IF p_full THEN
            SELECT JSON_ARRAYAGG(JSON_OBJECT('check', s.check_name, 'subject_type', s.subject_type,
                       'subject_id', s.subject_id, 'currency', s.currency,
                       'expected', s.expected, 'actual', s.actual))
              INTO v_sample
            FROM (SELECT * FROM vw_ledger_integrity_check LIMIT 20) s;
        ELSE
            SELECT JSON_ARRAYAGG(JSON_OBJECT('check', s.check_name, 'subject_type', s.subject_type,
                       'subject_id', s.subject_id, 'currency', s.currency,
                       'expected', s.expected, 'actual', s.actual))
              INTO v_sample
            FROM (SELECT * FROM vw_ledger_integrity_recent LIMIT 20) s;
        END IF;
    END IF;

    INSERT INTO integrity_checks (kind, from_txn_id, to_txn_id, watermark_txn_id, from_audit_id,
                                  to_audit_id, violations, started_at, finished_at)
    VALUES (v_kind, v_from_txn, v_to_txn, IF(p_full, GREATEST(v_watermark, v_from_txn), v_watermark),
            v_from_audit, v_to_audit, v_violations, v_started, NOW(6));
    SET v_check_id = LAST_INSERT_ID();
    IF v_violations > 0 THEN
        INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, user_id, payload)
        VALUES ('integrity.violation', 'integrity_check', v_check_id, NULL,
                -- "+ 0": MariaDB renders a routine's local variables as JSON strings.
                JSON_OBJECT('check_id', v_check_id + 0, 'kind', v_kind,
                            'violations', v_violations + 0,
                            'from_txn_id', v_from_txn + 0, 'to_txn_id', v_to_txn + 0,
                            'rows', JSON_EXTRACT(IFNULL(v_sample, '[]'), '$')));
    END IF;

    SELECT 'checked' AS outcome, v_check_id AS check_id, v_kind AS kind,
           v_from_txn AS from_txn_id, v_to_txn AS to_txn_id, v_violations AS violations,
           (SELECT MAX(finished_at) FROM integrity_checks WHERE kind = 'full') AS last_full_at;
    IF v_violations > 0 THEN
        IF p_full THEN
            SELECT * FROM vw_ledger_integrity_check LIMIT 100;
        ELSE
            SELECT * FROM vw_ledger_integrity_recent LIMIT 100;
        END IF;
    END IF;
    COMMIT;
    DO RELEASE_LOCK(v_lock);
END$$
DELIMITER ;
