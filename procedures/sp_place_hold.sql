-- sp_place_hold: reserve part of an account's available balance (card authorisation, pending review).
-- The balance is unchanged; available_balance drops by the amount.
-- Parameters:
--   p_account_id  the account
--   p_amount      the amount to reserve
--   p_reason      why, e.g. the card authorisation
--   p_expires_at  when the hold lapses (NULL: until released)
--   p_actor_id    who places it, for the audit log
-- Errors: ACCOUNT_NOT_FOUND, ACCOUNT_FROZEN, ACCOUNT_CLOSED, INVALID_AMOUNT,
--         INSUFFICIENT_FUNDS.
-- Example: CALL sp_place_hold(7, 25.000, 'card authorisation 8812', NULL, 3);
DROP PROCEDURE IF EXISTS sp_place_hold;
DELIMITER $$
CREATE PROCEDURE sp_place_hold(
    IN p_account_id BIGINT UNSIGNED,
    IN p_amount DECIMAL(38,12),
    IN p_reason VARCHAR(255),
    IN p_expires_at DATETIME(6),
    IN p_actor_id BIGINT UNSIGNED)
MODIFIES SQL DATA
COMMENT 'sp_place_hold: reserve part of an account''s available balance (card authorisation, pending review).'
BEGIN
    DECLARE v_currency CHAR(3) DEFAULT NULL;
    DECLARE v_status VARCHAR(8);
    DECLARE v_available DECIMAL(20,4);
    DECLARE v_overdraft DECIMAL(20,4);
    DECLARE v_hold_id BIGINT UNSIGNED;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;

    SET @bank_actor_id = p_actor_id;
    START TRANSACTION;
    SELECT currency, status, available_balance, overdraft_limit
      INTO v_currency, v_status, v_available, v_overdraft
    FROM accounts WHERE id = p_account_id AND kind = 'customer' FOR UPDATE;
    IF v_currency IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ACCOUNT_NOT_FOUND: no such account';
    END IF;
    CALL sp_check_amount(p_amount, v_currency, FALSE);
    IF v_status = 'frozen' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ACCOUNT_FROZEN: the account is frozen';
    ELSEIF v_status = 'closed' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ACCOUNT_CLOSED: the account is closed';
    END IF;
    IF v_available - p_amount < -v_overdraft THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INSUFFICIENT_FUNDS: the available balance does not cover the hold';
    END IF;
    INSERT INTO holds (account_id, amount, reason, expires_at) VALUES (p_account_id, p_amount, IFNULL(p_reason, 'hold'), p_expires_at);
    SET v_hold_id = LAST_INSERT_ID();
    UPDATE accounts
    SET held_amount = held_amount + p_amount, available_balance = available_balance - p_amount
    WHERE id = p_account_id;
    COMMIT;
    SELECT h.id, h.account_id, h.amount, h.reason, h.status, h.expires_at, h.created_at,
           a.available_balance
    FROM holds h JOIN accounts a ON a.id = h.account_id WHERE h.id = v_hold_id;
END$$
DELIMITER ;
