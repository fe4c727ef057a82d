-- sp_admin_set_account_status: freeze or unfreeze a customer account (manager or admin act, audited).
-- A frozen account neither sends nor receives (every money procedure refuses it); its holds
-- stay. The account row is locked; staff may not freeze or unfreeze their own accounts nor
-- those of a user of their rank or above. The audit row (trg_accounts_audit_update) carries
-- the event, actor and reason. Closing stays with sp_set_account_status (DBA tooling).
-- Parameters:
--   p_account_id  the customer account
--   p_status      'frozen' or 'active'
--   p_reason      why, for the audit log (required)
--   p_actor_id    the manager or admin acting
--   p_session_id  the actor's session
-- Returns: one row: the account as vw_accounts shows it.
-- Errors: SESSION_REQUIRED, SESSION_REVOKED, FORBIDDEN, INVALID_ARGUMENT, ACCOUNT_NOT_FOUND,
--         ACCOUNT_CLOSED, NO_CHANGE (already in that status).
-- Example: CALL sp_admin_set_account_status(7, 'frozen', 'card skimming report', 3, '5f0c...');
DROP PROCEDURE IF EXISTS sp_admin_set_account_status;
DELIMITER $$
CREATE PROCEDURE sp_admin_set_account_status(
    IN p_account_id BIGINT UNSIGNED,
    IN p_status VARCHAR(8),
    IN p_reason VARCHAR(255),
    IN p_actor_id BIGINT UNSIGNED,
    IN p_session_id CHAR(32))
MODIFIES SQL DATA
COMMENT 'sp_admin_set_account_status: freeze or unfreeze a customer account (manager or admin act, audited).'
BEGIN
    DECLARE v_status VARCHAR(8) DEFAULT NULL;
    DECLARE v_owner BIGINT UNSIGNED;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        SET @bank_audit_event = NULL, @bank_audit_reason = NULL;
        RESIGNAL;
    END;

    CALL sp_assert_staff_act(p_session_id, p_actor_id, 'manager,admin', p_reason);
    IF p_status IS NULL OR p_status NOT IN ('active', 'frozen') THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: status must be active or frozen';
    END IF;
    START TRANSACTION;
    SELECT status, user_id INTO v_status, v_owner
    FROM accounts WHERE id = p_account_id AND kind = 'customer' FOR UPDATE;
    IF v_status IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ACCOUNT_NOT_FOUND: no such account';
    END IF;
    CALL sp_assert_may_act_on(p_actor_id, v_owner);
    IF v_status = 'closed' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ACCOUNT_CLOSED: a closed account cannot be frozen or reopened';
    END IF;
    IF v_status = p_status THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'NO_CHANGE: the account already has that status';
    END IF;
    SET @bank_actor_id = p_actor_id,
        @bank_audit_event = IF(p_status = 'frozen', 'account.freeze', 'account.unfreeze'),
        @bank_audit_reason = p_reason;
    UPDATE accounts SET status = p_status WHERE id = p_account_id;
    INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, user_id, payload)
    VALUES (CONCAT('account.', p_status), 'account', p_account_id, v_owner,
            JSON_OBJECT('account_id', p_account_id, 'from_status', v_status, 'to_status', p_status,
                        'actor_id', p_actor_id, 'reason', p_reason));
    COMMIT;
    SET @bank_audit_event = NULL, @bank_audit_reason = NULL;
    SELECT * FROM vw_accounts WHERE id = p_account_id;
END$$
DELIMITER ;
