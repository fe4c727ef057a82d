-- sp_resolve_fraud_alert: an analyst's verdict on an open fraud alert, recorded once as its resolution, a label and an audit row.
-- The resolution (confirmed_fraud or false_positive) closes the alert and becomes the
-- transaction's label in transaction_labels (source 'analyst', known from now: the risk
-- worker's learning loop reads it; an earlier label of the transaction gives way to it). The
-- audit log gets a row with the act ('fraud_alert.resolve'), the actor, the note as reason,
-- before and after. Analysts and admins resolve, never an alert on their own account nor on
-- a user of their rank or above (sp_assert_may_act_on). Under the alert's row lock, of two
-- racing resolutions one wins and the other is ALERT_ALREADY_RESOLVED. Resolving moves no
-- money and changes no account: a freeze the alert's action applied stays until staff
-- unfreeze the account (sp_admin_set_account_status); the answer says the account's status.
-- Parameters:
--   p_alert_id    the fraud alert
--   p_resolution  'confirmed_fraud' or 'false_positive'
--   p_note        why (required; the audit reason is its first 255 characters)
--   p_actor_id    the analyst or admin
--   p_session_id  their session
-- Returns: one row: the alert in vw_fraud_alerts' shape, with label_is_fraud, label_source
--          and labelled_at.
-- Errors: SESSION_REQUIRED, SESSION_REVOKED, FORBIDDEN, INVALID_ARGUMENT,
--         FRAUD_ALERT_NOT_FOUND, ALERT_ALREADY_RESOLVED.
-- Example: CALL sp_resolve_fraud_alert(12, 'false_positive', 'customer confirmed the purchase', 3, '5f0c...');
DROP PROCEDURE IF EXISTS sp_resolve_fraud_alert;
DELIMITER $$
CREATE PROCEDURE sp_resolve_fraud_alert(
    IN p_alert_id BIGINT UNSIGNED,
    IN p_resolution VARCHAR(32),
    IN p_note VARCHAR(1000),
    IN p_actor_id BIGINT UNSIGNED,
    IN p_session_id CHAR(32))
MODIFIES SQL DATA
COMMENT 'sp_resolve_fraud_alert: an analyst''s verdict on an open fraud alert, recorded once as its resolution, a label and an audit row.'
BEGIN
    DECLARE v_transaction_id BIGINT UNSIGNED DEFAULT NULL;
    DECLARE v_status VARCHAR(16);
    DECLARE v_owner BIGINT UNSIGNED DEFAULT NULL;
    DECLARE v_owner_role VARCHAR(16);
    DECLARE v_now DATETIME(6) DEFAULT NOW(6);
    DECLARE v_note VARCHAR(1000) DEFAULT TRIM(p_note);
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        SET @bank_audit_event = NULL, @bank_audit_reason = NULL;
        RESIGNAL;
    END;

    CALL sp_assert_staff_act(p_session_id, p_actor_id, 'analyst,admin', LEFT(v_note, 255));
    IF p_resolution IS NULL OR p_resolution NOT IN ('confirmed_fraud', 'false_positive') THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: resolution must be confirmed_fraud or false_positive';
    END IF;
    START TRANSACTION;
    SELECT f.transaction_id, f.status, a.user_id INTO v_transaction_id, v_status, v_owner
    FROM fraud_alerts f
    LEFT JOIN accounts a ON a.id = f.account_id
    WHERE f.id = p_alert_id
    FOR UPDATE;
    IF v_transaction_id IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'FRAUD_ALERT_NOT_FOUND: no such fraud alert';
    END IF;
    SELECT role INTO v_owner_role FROM users WHERE id = v_owner;
    IF v_owner IS NOT NULL AND v_owner_role <> 'system' THEN
        CALL sp_assert_may_act_on(p_actor_id, v_owner);
    END IF;
    IF v_status <> 'open' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ALERT_ALREADY_RESOLVED: the alert has already been resolved';
    END IF;

    UPDATE fraud_alerts
    SET status = 'resolved', resolution = p_resolution, resolution_note = v_note,
        resolved_by = p_actor_id, resolved_at = v_now
    WHERE id = p_alert_id;
    INSERT INTO transaction_labels (transaction_id, is_fraud, source, labelled_by, labelled_at, note)
    VALUES (v_transaction_id, p_resolution = 'confirmed_fraud', 'analyst', p_actor_id, v_now, v_note)
    ON DUPLICATE KEY UPDATE is_fraud = VALUES(is_fraud), source = VALUES(source),
                            labelled_by = VALUES(labelled_by), labelled_at = VALUES(labelled_at),
                            note = VALUES(note);
    SET @bank_actor_id = p_actor_id, @bank_audit_event = 'fraud_alert.resolve',
        @bank_audit_reason = LEFT(v_note, 255);
    CALL sp_audit_append('fraud_alerts', p_alert_id, 'UPDATE',
                         JSON_OBJECT('status', 'open', 'resolution', NULL),
                         JSON_OBJECT('status', 'resolved', 'resolution', p_resolution,
                                     'resolved_by', p_actor_id, 'transaction_id', v_transaction_id,
                                     'label_is_fraud', p_resolution = 'confirmed_fraud'));
    SET @bank_audit_event = NULL, @bank_audit_reason = NULL;
    INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, user_id, payload)
    VALUES ('fraud_alert.resolved', 'fraud_alert', p_alert_id, p_actor_id,
            JSON_OBJECT('alert_id', p_alert_id, 'transaction_id', v_transaction_id,
                        'resolution', p_resolution, 'actor_id', p_actor_id));
    COMMIT;

    SELECT v.*, l.is_fraud AS label_is_fraud, l.source AS label_source, l.labelled_at
    FROM vw_fraud_alerts v
    LEFT JOIN transaction_labels l ON l.transaction_id = v.transaction_id
    WHERE v.id = p_alert_id;
END$$
DELIMITER ;
