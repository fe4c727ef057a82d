-- sp_move_cash: money into or out of a customer account against a GL account, in one call.
-- The shared body of sp_deposit_cash, sp_withdraw_cash and sp_top_up, which differ only in
-- direction, counter-account and the limits that apply:
--   deposit     cash paid in at a teller's counter (staff or a trusted caller only), against
--               the currency's cash vault;
--   withdrawal  cash paid out, against the cash vault. By the customer themself (p_owner_id
--               set: ATM-like self-service) also within the currency's self_cash_* limits;
--   top_up      the customer's own self-service deposit from an external funding source,
--               against the external_funding GL account, within the currency's top_up_* limits.
-- Money paid in (cash or top-up) counts against the currency's max_daily_credit per account,
-- every amount against its max_amount; money out needs the account owner's KYC verified.
-- The rules are fn_amount_error's and fn_debit_error's (status, an active currency, limits,
-- funds); sp_post_journal locks, replays or posts, and commits.
-- Owns its database transaction; one call, all or nothing.
-- A customer's own withdrawal in a session is judged by the risk rules too (fn_risk_assess,
-- under the account's lock; points and hits stored on the header). HIGH refuses it
-- (sp_risk_decline: RISK_DECLINED, kept in risk_declines). Cash asked for at a machine cannot
-- wait for a review, so MEDIUM pays out, its points on the header for the risk worker (which
-- opens a review item or an alert after the fact). A teller's payout is not judged.
-- Parameters:
--   p_type             'deposit', 'withdrawal' or 'top_up'
--   p_account_id       the customer account
--   p_amount           the amount, in the account's currency
--   p_description      free text stored with the transaction
--   p_idempotency_key  the caller's key: a repeated call returns the first result
--   p_actor_id         who acts (the transaction's initiator)
--   p_session_id       the actor's session (NULL: trusted caller)
--   p_owner_id         NULL: staff; else the account must belong to this user (a top-up always
--                      needs the owner as p_owner_id)
--   p_client_ip        the client's address, for the risk rules (NULL: unknown)
--   p_country          the client's country, ISO 3166 alpha-2 (NULL: unknown)
-- Returns: the transaction, in sp_emit_transaction's shape.
-- Errors: INVALID_ARGUMENT, SESSION_REVOKED, FORBIDDEN (cash by a non-staff user),
--         ACCOUNT_NOT_FOUND, ACCOUNT_FROZEN, ACCOUNT_CLOSED, UNKNOWN_CURRENCY, INVALID_AMOUNT,
--         AMOUNT_OUT_OF_RANGE, KYC_REQUIRED, LIMIT_EXCEEDED, DAILY_LIMIT_EXCEEDED,
--         DAILY_CREDIT_LIMIT_EXCEEDED, INSUFFICIENT_FUNDS, IDEMPOTENCY_CONFLICT,
--         BALANCE_OUT_OF_RANGE, RISK_DECLINED.
-- Example: CALL sp_move_cash('deposit', 7, 100.000, 'salary', 'key-1', 42, NULL, NULL, NULL, NULL);
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
    IN p_owner_id BIGINT UNSIGNED,
    IN p_client_ip VARCHAR(45),
    IN p_country CHAR(2))
MODIFIES SQL DATA
COMMENT 'sp_move_cash: money into or out of a customer account against a GL account, in one call.'
proc: BEGIN
    DECLARE v_user_id BIGINT UNSIGNED DEFAULT NULL;
    DECLARE v_kyc VARCHAR(16);
    DECLARE v_currency CHAR(3);
    DECLARE v_exponent INT;
    DECLARE v_active BOOLEAN;
    DECLARE v_status VARCHAR(8);
    DECLARE v_available DECIMAL(20,4);
    DECLARE v_overdraft DECIMAL(20,4);
    DECLARE v_txn_limit DECIMAL(20,4);
    DECLARE v_daily_limit DECIMAL(20,4);
    DECLARE v_spent DECIMAL(20,4);
    DECLARE v_credited DECIMAL(20,4);
    DECLARE v_topped_up DECIMAL(20,4);
    DECLARE v_self_cash DECIMAL(20,4);
    DECLARE v_max_amount DECIMAL(20,4);
    DECLARE v_max_daily_credit DECIMAL(20,4);
    DECLARE v_top_up_max DECIMAL(20,4);
    DECLARE v_top_up_daily DECIMAL(20,4);
    DECLARE v_self_cash_max DECIMAL(20,4);
    DECLARE v_self_cash_daily DECIMAL(20,4);
    DECLARE v_txn_type VARCHAR(16);
    DECLARE v_gl_id BIGINT UNSIGNED;
    DECLARE v_sign INT;
    DECLARE v_self_service BOOLEAN;
    DECLARE v_txn_id BIGINT UNSIGNED;
    DECLARE v_hash BINARY(32);
    DECLARE v_error VARCHAR(255);
    DECLARE v_today DATE DEFAULT fn_bank_date();
    DECLARE v_jod DECIMAL(20,4);
    DECLARE v_risk TEXT DEFAULT NULL;
    DECLARE v_replayed BOOLEAN DEFAULT FALSE;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;
    -- A balance pushed past DECIMAL(20,4) (1264) or an arithmetic overflow (1690).
    DECLARE EXIT HANDLER FOR 1264, 1690 BEGIN
        ROLLBACK;
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'BALANCE_OUT_OF_RANGE: an account balance would leave its range';
    END;

    IF p_type IS NULL OR p_type NOT IN ('deposit', 'withdrawal', 'top_up') THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: type must be deposit, withdrawal or top_up';
    END IF;
    CALL sp_assert_session(p_session_id, p_actor_id);
    IF p_type = 'deposit' AND p_owner_id IS NOT NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'FORBIDDEN: cash is paid in at a teller; a customer tops up instead';
    END IF;
    IF p_type = 'top_up' AND (p_owner_id IS NULL OR p_owner_id <> p_actor_id) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'FORBIDDEN: only the account owner tops up from their own funding source';
    END IF;
    IF p_session_id IS NOT NULL AND p_owner_id IS NULL THEN
        CALL sp_assert_staff(p_actor_id);
    END IF;
    SET @bank_actor_id = p_actor_id;
    SET v_sign = IF(p_type = 'withdrawal', -1, 1);
    SET v_txn_type = IF(p_type = 'withdrawal', 'withdrawal', 'deposit');
    SET v_self_service = p_owner_id IS NOT NULL;
    SET v_hash = UNHEX(SHA2(CONCAT_WS('|', p_type, p_account_id, CAST(p_amount AS CHAR),
                                      IFNULL(p_description, '')), 256));

    SET TRANSACTION ISOLATION LEVEL READ COMMITTED;
    START TRANSACTION;
    SELECT user_id, currency, status, available_balance, overdraft_limit,
           per_transaction_limit, daily_limit,
           IF(daily_spent_date = v_today, daily_spent, 0),
           IF(daily_credited_date = v_today, daily_credited, 0),
           IF(daily_topped_up_date = v_today, daily_topped_up, 0),
           IF(daily_self_cash_date = v_today, daily_self_cash, 0)
      INTO v_user_id, v_currency, v_status, v_available, v_overdraft,
           v_txn_limit, v_daily_limit, v_spent, v_credited, v_topped_up, v_self_cash
    FROM accounts
    WHERE id = p_account_id AND kind = 'customer'
    FOR UPDATE;
    IF v_user_id IS NULL OR (p_owner_id IS NOT NULL AND v_user_id <> p_owner_id) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ACCOUNT_NOT_FOUND: no such account';
    END IF;
    -- A plain read: a locking read joined to currencies would lock the currency row as well.
    SELECT exponent, is_active, max_amount, max_daily_credit, top_up_max_amount, top_up_daily_limit,
           self_cash_max_amount, self_cash_daily_limit
      INTO v_exponent, v_active, v_max_amount, v_max_daily_credit, v_top_up_max, v_top_up_daily,
           v_self_cash_max, v_self_cash_daily
    FROM currencies WHERE code = v_currency;

    -- The first broken rule, not raised: sp_post_journal replays a known key instead.
    SET v_error = IFNULL(fn_amount_error(p_amount, v_exponent, FALSE, v_max_amount),
                         fn_debit_error(v_status, v_active, NULL, NULL, NULL, NULL, NULL, NULL, NULL));
    IF v_error IS NULL AND p_type = 'withdrawal' THEN
        SELECT kyc_status INTO v_kyc FROM users WHERE id = v_user_id;
        IF v_kyc <> 'verified' THEN
            SET v_error = 'KYC_REQUIRED: money leaves an account only once its owner is verified';
        ELSE
            -- Self-service cash (ATM-like) is also within the currency's self_cash_* limits.
            SET v_error = fn_debit_error(NULL, NULL, p_amount,
                                         IF(v_self_service, LEAST(v_txn_limit, v_self_cash_max), v_txn_limit),
                                         p_amount,
                                         IF(v_self_service, LEAST(v_daily_limit - v_spent,
                                                                  v_self_cash_daily - v_self_cash),
                                            v_daily_limit - v_spent),
                                         p_amount, v_available,
                                         v_overdraft - IFNULL((SELECT l.min_balance
                                                               FROM account_type_limits l
                                                               JOIN accounts a ON a.account_type = l.account_type
                                                               WHERE a.id = p_account_id), 0));
            SET v_error = fn_limit_detail(v_error,
                                          IF(v_error LIKE 'LIMIT%',
                                             IF(v_self_service, LEAST(v_txn_limit, v_self_cash_max), v_txn_limit),
                                             IF(v_self_service, LEAST(v_daily_limit, v_self_cash_daily), v_daily_limit)),
                                          IF(v_self_service, LEAST(v_daily_limit - v_spent,
                                                                   v_self_cash_daily - v_self_cash),
                                             v_daily_limit - v_spent),
                                          v_currency, v_exponent);
        END IF;
    ELSEIF v_error IS NULL THEN
        IF p_type = 'top_up' AND p_amount > v_top_up_max THEN
            SET v_error = 'LIMIT_EXCEEDED: amount is over the per-top-up limit';
        ELSEIF p_type = 'top_up' AND v_topped_up + p_amount > v_top_up_daily THEN
            SET v_error = 'DAILY_LIMIT_EXCEEDED: amount is over the daily top-up limit';
        ELSEIF v_credited + p_amount > v_max_daily_credit THEN
            SET v_error = 'DAILY_CREDIT_LIMIT_EXCEEDED: the account cannot receive more today';
        END IF;
    END IF;

    IF v_error IS NULL AND p_type = 'withdrawal' AND v_self_service AND p_session_id IS NOT NULL THEN
        SET v_jod = IF(v_currency = 'JOD', p_amount, fn_jod_equivalent(p_amount, v_currency));
        SET v_risk = fn_risk_assess(p_account_id, NULL, p_amount, v_jod, 'withdrawal', NOW(6),
                                    p_session_id, p_client_ip, p_country);
        IF JSON_VALUE(v_risk, '$.decision') = 'block' THEN
            CALL sp_risk_decline('withdrawal', p_account_id, NULL, p_amount, v_currency, v_jod, v_risk,
                                 p_actor_id, p_session_id, p_client_ip, p_country,
                                 p_idempotency_key, v_hash, v_replayed);
            COMMIT;
            LEAVE proc;
        END IF;
    END IF;
    CALL sp_journal_reset();
    IF v_error IS NULL THEN
        -- Single-table UPDATE assigns left to right: each counter reads its old date first.
        IF p_type = 'withdrawal' THEN
            UPDATE accounts
            SET daily_spent = v_spent + p_amount,
                daily_spent_date = v_today,
                daily_self_cash = IF(v_self_service, v_self_cash + p_amount, daily_self_cash),
                daily_self_cash_date = IF(v_self_service, v_today, daily_self_cash_date)
            WHERE id = p_account_id;
        ELSE
            UPDATE accounts
            SET daily_credited = v_credited + p_amount,
                daily_credited_date = v_today,
                daily_topped_up = IF(p_type = 'top_up', v_topped_up + p_amount, daily_topped_up),
                daily_topped_up_date = IF(p_type = 'top_up', v_today, daily_topped_up_date)
            WHERE id = p_account_id;
        END IF;
        SELECT id INTO v_gl_id FROM accounts
        WHERE gl_type = IF(p_type = 'top_up', 'external_funding', 'cash_vault') AND currency = v_currency;
        INSERT INTO tmp_journal_legs (account_id, amount, currency, entry_type)
        VALUES (p_account_id, v_sign * p_amount, v_currency, 'principal'),
               (v_gl_id, -v_sign * p_amount, v_currency, 'principal');
    END IF;
    -- The header carries the assessment (NULL: not assessed; sp_post_journal clears these).
    SET @bank_rule_points = JSON_VALUE(v_risk, '$.points'), @bank_rule_hits = JSON_EXTRACT(v_risk, '$.hits');
    CALL sp_post_journal(v_txn_type, p_amount, v_currency, 0,
                         IF(p_type = 'withdrawal', p_account_id, NULL),
                         IF(p_type = 'withdrawal', NULL, p_account_id),
                         p_amount, v_currency, 1, p_description, NULL,
                         p_actor_id, p_idempotency_key, v_hash, v_error,
                         CONCAT('transaction.', v_txn_type), v_user_id, NULL,
                         JSON_OBJECT('transaction_id', 0, 'account_id', p_account_id,
                                     'amount', CAST(p_amount AS CHAR), 'currency', v_currency,
                                     'source', IF(p_type = 'top_up', 'external_funding', 'cash')),
                         '$.transaction_id', v_txn_id);
    IF v_txn_id IS NOT NULL THEN
        CALL sp_emit_transaction(v_txn_id, FALSE);
    END IF;
END$$
DELIMITER ;
