-- sp_set_account_status: freeze, unfreeze or close a customer account (staff action, audited).
-- A frozen account neither sends nor receives; a closed one must have a zero balance and no holds.
-- Parameters:
--   p_account_id  the account
--   p_status      'active', 'frozen' or 'closed'
--   p_reason      why, for the audit log
--   p_actor_id    the staff member, for the audit log
-- Errors: ACCOUNT_NOT_FOUND, INVALID_ARGUMENT, ACCOUNT_CLOSED (a closed account stays closed),
--         ACCOUNT_NOT_EMPTY.
-- Example: CALL sp_set_account_status(7, 'frozen', 'suspected fraud', 3);
DROP PROCEDURE IF EXISTS sp_set_account_status;
DELIMITER $$
CREATE PROCEDURE sp_set_account_status(
    IN p_account_id BIGINT UNSIGNED,
    IN p_status VARCHAR(8),
    IN p_reason VARCHAR(255),
    IN p_actor_id BIGINT UNSIGNED)
MODIFIES SQL DATA
COMMENT 'sp_set_account_status: freeze, unfreeze or close a customer account (staff action, audited).'
BEGIN
    DECLARE v_status VARCHAR(8) DEFAULT NULL;
    DECLARE v_balance DECIMAL(20,4);
    DECLARE v_held DECIMAL(20,4);
    DECLARE v_user BIGINT UNSIGNED;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;

    SET @bank_actor_id = p_actor_id;
    IF p_status IS NULL OR p_status NOT IN ('active', 'frozen', 'closed') THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: status must be active, frozen or closed';
    END IF;
    START TRANSACTION;
    SELECT status, balance, held_amount, user_id INTO v_status, v_balance, v_held, v_user
    FROM accounts WHERE id = p_account_id AND kind = 'customer' FOR UPDATE;
    IF v_status IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ACCOUNT_NOT_FOUND: no such account';
    END IF;
    IF v_status = 'closed' AND p_status <> 'closed' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ACCOUNT_CLOSED: a closed account cannot be reopened';
    END IF;
    IF p_status = 'closed' AND (v_balance <> 0 OR v_held <> 0) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ACCOUNT_NOT_EMPTY: move the balance out and release holds before closing';
    END IF;
    UPDATE accounts SET status = p_status WHERE id = p_account_id;
    INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, user_id, payload)
    VALUES (CONCAT('account.', p_status), 'account', p_account_id, v_user,
            JSON_OBJECT('account_id', p_account_id, 'from_status', v_status, 'to_status', p_status,
                        'reason', p_reason));
    COMMIT;
    SELECT * FROM vw_accounts WHERE id = p_account_id;
END$$
DELIMITER ;
