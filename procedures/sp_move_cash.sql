-- sp_move_cash: cash in or out of a customer account against the currency's cash vault.
-- The shared body of sp_deposit_cash and sp_withdraw_cash (they differ only in direction
-- and in which checks apply). Owns its database transaction; one call, all or nothing.
-- Parameters: p_type ('deposit' or 'withdrawal'), p_account_id, p_amount, p_description,
--             p_idempotency_key, p_actor_id, p_session_id (NULL: trusted caller),
--             p_owner_id (NULL: staff; else the account must belong to this user).
-- Errors: SESSION_REVOKED, FORBIDDEN (a staff call, p_owner_id NULL, by a non-staff user),
--         ACCOUNT_NOT_FOUND, ACCOUNT_FROZEN, ACCOUNT_CLOSED, INVALID_AMOUNT,
--         LIMIT_EXCEEDED, DAILY_LIMIT_EXCEEDED, INSUFFICIENT_FUNDS, IDEMPOTENCY_CONFLICT.
-- Example: CALL sp_move_cash('deposit', 7, 100.000, 'salary', 'key-1', 42, NULL, NULL);
DROP PROCEDURE IF EXISTS sp_move_cash;
DELIMITER $$
CREATE PROCEDURE sp_move_cash(
    IN p_type VARCHAR(16),
    IN p_account_id BIGINT UNSIGNED,
    IN p_amount DECIMAL(38,12),
    IN p_description VARCHAR(255),
    IN p_idempotency_key VARCHAR(128),
    IN p_actor_id BIGINT UNSIGNED,
    IN p_session_id CHAR(32),
    IN p_owner_id BIGINT UNSIGNED)
MODIFIES SQL DATA
proc: BEGIN
    DECLARE v_user_id BIGINT UNSIGNED DEFAULT NULL;
    DECLARE v_currency CHAR(3);
    DECLARE v_status VARCHAR(8);
    DECLARE v_available DECIMAL(20,4);
    DECLARE v_overdraft DECIMAL(20,4);
    DECLARE v_txn_limit DECIMAL(20,4);
    DECLARE v_daily_limit DECIMAL(20,4);
    DECLARE v_spent DECIMAL(20,4);
    DECLARE v_spent_date DATE;
    DECLARE v_vault_id BIGINT UNSIGNED;
    DECLARE v_sign INT;
    DECLARE v_txn_id BIGINT UNSIGNED;
    DECLARE v_hash BINARY(32);
    DECLARE v_found BOOLEAN DEFAULT FALSE;
    DECLARE v_duplicate BOOLEAN DEFAULT FALSE;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;

    IF p_type NOT IN ('deposit', 'withdrawal') THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: type must be deposit or withdrawal';
    END IF;
    CALL sp_assert_session(p_session_id, p_actor_id);
    IF p_session_id IS NOT NULL AND p_owner_id IS NULL THEN
        CALL sp_assert_staff(p_actor_id);
    END IF;
    SET @bank_actor_id = p_actor_id;
    SET v_sign = IF(p_type = 'deposit', 1, -1);
    SET v_hash = UNHEX(SHA2(CONCAT_WS('|', p_type, p_account_id, CAST(p_amount AS CHAR),
                                      IFNULL(p_description, '')), 256));

    SET TRANSACTION ISOLATION LEVEL READ COMMITTED;
    START TRANSACTION;
    SELECT user_id, currency, status, available_balance, overdraft_limit, per_transaction_limit,
           daily_limit, daily_spent, daily_spent_date
      INTO v_user_id, v_currency, v_status, v_available, v_overdraft, v_txn_limit,
           v_daily_limit, v_spent, v_spent_date
    FROM accounts
    WHERE id = p_account_id AND kind = 'customer'
    FOR UPDATE;
    IF v_user_id IS NULL OR (p_owner_id IS NOT NULL AND v_user_id <> p_owner_id) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ACCOUNT_NOT_FOUND: no such account';
    END IF;

    CALL sp_replay_idempotent(p_actor_id, p_idempotency_key, v_hash, v_found);
    IF v_found THEN
        COMMIT;
        LEAVE proc;
    END IF;

    CALL sp_check_amount(p_amount, v_currency, FALSE);
    IF v_status = 'frozen' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ACCOUNT_FROZEN: the account is frozen';
    ELSEIF v_status = 'closed' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ACCOUNT_CLOSED: the account is closed';
    END IF;
    IF p_type = 'withdrawal' THEN
        IF p_amount > v_txn_limit THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'LIMIT_EXCEEDED: amount is over the per-transaction limit';
        END IF;
        IF IF(v_spent_date = CURDATE(), v_spent, 0) + p_amount > v_daily_limit THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'DAILY_LIMIT_EXCEEDED: amount is over the daily limit';
        END IF;
        IF v_available - p_amount < -v_overdraft THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INSUFFICIENT_FUNDS: the available balance does not cover the amount';
        END IF;
    END IF;

    BEGIN
        DECLARE EXIT HANDLER FOR 1062 SET v_duplicate = TRUE;
        INSERT INTO transactions (reference, type, status, amount, currency, from_account_id, to_account_id,
                                  target_amount, target_currency, fx_rate, initiator_id, idempotency_key,
                                  request_hash, description, created_at)
        VALUES (CONCAT('TX', LPAD(HEX(UUID_SHORT()), 16, '0')), p_type, 'completed', p_amount, v_currency,
                IF(p_type = 'withdrawal', p_account_id, NULL), IF(p_type = 'deposit', p_account_id, NULL),
                p_amount, v_currency, 1, p_actor_id, p_idempotency_key, v_hash, p_description, NOW(6));
    END;
    IF v_duplicate THEN
        ROLLBACK;
        CALL sp_replay_idempotent(p_actor_id, p_idempotency_key, v_hash, v_found);
        LEAVE proc;
    END IF;
    SET v_txn_id = LAST_INSERT_ID();

    SELECT id INTO v_vault_id FROM accounts WHERE gl_type = 'cash_vault' AND currency = v_currency FOR UPDATE;
    CALL sp_post_entry(v_txn_id, p_account_id, v_sign * p_amount, v_currency, 'principal');
    CALL sp_post_entry(v_txn_id, v_vault_id, -v_sign * p_amount, v_currency, 'principal');
    IF p_type = 'withdrawal' THEN
        UPDATE accounts
        SET daily_spent = IF(daily_spent_date = CURDATE(), daily_spent, 0) + p_amount,
            daily_spent_date = CURDATE()
        WHERE id = p_account_id;
    END IF;
    INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, user_id, payload)
    VALUES (CONCAT('transaction.', p_type), 'transaction', v_txn_id, v_user_id,
            JSON_OBJECT('transaction_id', v_txn_id, 'account_id', p_account_id,
                        'amount', CAST(p_amount AS CHAR), 'currency', v_currency));
    COMMIT;
    CALL sp_emit_transaction(v_txn_id, FALSE);
END$$
DELIMITER ;
