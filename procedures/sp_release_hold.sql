-- sp_release_hold: give a hold's amount back to the available balance.
-- Parameters:
--   p_hold_id   the hold
--   p_actor_id  who releases it, for the audit log
-- Errors: HOLD_NOT_FOUND, HOLD_NOT_ACTIVE.
-- Example: CALL sp_release_hold(12, 3);
DROP PROCEDURE IF EXISTS sp_release_hold;
DELIMITER $$
CREATE PROCEDURE sp_release_hold(IN p_hold_id BIGINT UNSIGNED, IN p_actor_id BIGINT UNSIGNED)
MODIFIES SQL DATA
COMMENT 'sp_release_hold: give a hold''s amount back to the available balance.'
BEGIN
    DECLARE v_account BIGINT UNSIGNED DEFAULT NULL;
    DECLARE v_amount DECIMAL(20,4);
    DECLARE v_status VARCHAR(16);
    DECLARE v_locked INT;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;

    SET @bank_actor_id = p_actor_id;
    SELECT account_id INTO v_account FROM holds WHERE id = p_hold_id;
    IF v_account IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'HOLD_NOT_FOUND: no such hold';
    END IF;
    START TRANSACTION;
    -- Account first, then the hold: the same order as placing one.
    SELECT COUNT(*) INTO v_locked FROM accounts WHERE id = v_account FOR UPDATE;
    SELECT amount, status INTO v_amount, v_status FROM holds WHERE id = p_hold_id FOR UPDATE;
    IF v_status <> 'active' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'HOLD_NOT_ACTIVE: the hold was already released or captured';
    END IF;
    UPDATE holds SET status = 'released', released_at = NOW(6) WHERE id = p_hold_id;
    UPDATE accounts
    SET held_amount = held_amount - v_amount, available_balance = available_balance + v_amount
    WHERE id = v_account;
    COMMIT;
    SELECT h.id, h.account_id, h.amount, h.reason, h.status, h.expires_at, h.created_at,
           a.available_balance
    FROM holds h JOIN accounts a ON a.id = h.account_id WHERE h.id = p_hold_id;
END$$
DELIMITER ;
