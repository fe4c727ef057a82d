-- sp_perform_batch_transfer: up to 1,000 transfers from one account, all or nothing.
-- A parent transaction (type 'batch', no entries of its own, amount = the sum) carries the
-- idempotency key; each item becomes a child transfer. The batch is posted set-wise: one
-- lock pass (sender and all payees, ascending id), one validation query over the items,
-- one INSERT per kind of row, one UPDATE per side, one commit. The rules are those of
-- sp_perform_transfer (ownership, KYC, status, amount and its currency bounds,
-- per-transaction and daily limits, funds, FX only from the minimum amount up, at the rate
-- in force rounded DOWN to the payee's exponent), with limits and funds checked cumulatively
-- in item order (fn_debit_error per item and over the running total; fn_amount_error; an
-- inactive currency on either side is UNKNOWN_CURRENCY). An error names the first failing
-- item: 'CODE: transfers[i]: ...'. A refused request whose key is known replays instead.
-- Parameters:
--   p_from_account_id  the sender's account
--   p_items            JSON array of {"to_account_number", "amount", "description"?}
--   p_description      free text stored with the parent transaction
--   p_idempotency_key  the caller's key: a repeated call returns the first result
--   p_actor_id         who acts (the transactions' initiator)
--   p_session_id       the actor's session (NULL: trusted caller)
--   p_owner_id         as in sp_perform_transfer
-- Returns: the parent row, then the child rows, in id order.
-- Errors: BATCH_EMPTY, BATCH_TOO_LARGE, INVALID_ARGUMENT, SESSION_REVOKED, FORBIDDEN,
--         ACCOUNT_NOT_FOUND, KYC_REQUIRED, SAME_ACCOUNT, INVALID_AMOUNT, AMOUNT_OUT_OF_RANGE,
--         LIMIT_EXCEEDED, DAILY_LIMIT_EXCEEDED, INSUFFICIENT_FUNDS, ACCOUNT_FROZEN,
--         ACCOUNT_CLOSED, UNKNOWN_CURRENCY, FX_RATE_UNAVAILABLE, FX_AMOUNT_TOO_SMALL, IDEMPOTENCY_CONFLICT,
--         BALANCE_OUT_OF_RANGE.
-- Example: CALL sp_perform_batch_transfer(7, '[{"to_account_number":"123456789012","amount":"5.000"}]',
--                                         'payroll', 'batch-1', 42, NULL, 42);
DROP PROCEDURE IF EXISTS sp_perform_batch_transfer;
DELIMITER $$
CREATE PROCEDURE sp_perform_batch_transfer(
    IN p_from_account_id BIGINT UNSIGNED,
    IN p_items LONGTEXT,
    IN p_description VARCHAR(255),
    IN p_idempotency_key VARCHAR(128),
    IN p_actor_id BIGINT UNSIGNED,
    IN p_session_id CHAR(32),
    IN p_owner_id BIGINT UNSIGNED)
MODIFIES SQL DATA
COMMENT 'sp_perform_batch_transfer: up to 1,000 transfers from one account, all or nothing.'
proc: BEGIN
    DECLARE v_count INT;
    DECLARE v_from_user BIGINT UNSIGNED DEFAULT NULL;
    DECLARE v_currency CHAR(3);
    DECLARE v_exponent INT;
    DECLARE v_max_amount DECIMAL(20,4);
    DECLARE v_min_fx DECIMAL(20,4);
    DECLARE v_active BOOLEAN;
    DECLARE v_kyc VARCHAR(16);
    DECLARE v_status VARCHAR(8);
    DECLARE v_balance DECIMAL(20,4);
    DECLARE v_available DECIMAL(20,4);
    DECLARE v_overdraft DECIMAL(20,4);
    DECLARE v_txn_limit DECIMAL(20,4);
    DECLARE v_daily_limit DECIMAL(20,4);
    DECLARE v_spent DECIMAL(20,4);
    DECLARE v_total DECIMAL(20,4);
    DECLARE v_parent_id BIGINT UNSIGNED;
    DECLARE v_found BOOLEAN DEFAULT FALSE;
    DECLARE v_hash BINARY(32);
    DECLARE v_duplicate BOOLEAN DEFAULT FALSE;
    DECLARE v_done BOOLEAN DEFAULT FALSE;
    DECLARE v_account BIGINT UNSIGNED;
    DECLARE v_locked INT;
    DECLARE v_fx_items INT;
    DECLARE v_bad_index INT DEFAULT NULL;
    DECLARE v_bad_code VARCHAR(32) DEFAULT NULL;
    DECLARE v_message VARCHAR(512) DEFAULT NULL;
    DECLARE c_lock CURSOR FOR
        SELECT a.id FROM accounts a
        WHERE a.id = p_from_account_id
           OR (a.kind = 'customer' AND a.account_number IN (
                SELECT j.n FROM JSON_TABLE(p_items, '$[*]' COLUMNS (n VARCHAR(64) PATH '$.to_account_number')) j))
        ORDER BY a.id;
    DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_done = TRUE;
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

    CALL sp_assert_session(p_session_id, p_actor_id);
    IF p_session_id IS NOT NULL AND p_owner_id IS NULL THEN
        CALL sp_assert_staff(p_actor_id);
    END IF;
    SET @bank_actor_id = p_actor_id;
    IF p_items IS NULL OR NOT JSON_VALID(p_items) OR JSON_TYPE(p_items) <> 'ARRAY' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: transfers must be a JSON array';
    END IF;
    SET v_count = JSON_LENGTH(p_items);
    IF v_count = 0 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'BATCH_EMPTY: a batch needs at least one transfer';
    END IF;
    IF v_count > 1000 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'BATCH_TOO_LARGE: a batch holds at most 1000 transfers';
    END IF;
    SET v_hash = UNHEX(SHA2(CONCAT_WS('|', 'batch', p_from_account_id, p_items, IFNULL(p_description, '')), 256));

    SET TRANSACTION ISOLATION LEVEL READ COMMITTED;
    START TRANSACTION;
    OPEN c_lock;
    lock_loop: LOOP
        FETCH c_lock INTO v_account;
        IF v_done THEN LEAVE lock_loop; END IF;
        SELECT COUNT(*) INTO v_locked FROM accounts WHERE id = v_account FOR UPDATE;
    END LOOP;
    CLOSE c_lock;

    SELECT a.user_id, a.currency, c.exponent, c.max_amount, c.min_fx_amount, c.is_active, u.kyc_status, a.status,
           a.balance, a.available_balance, a.overdraft_limit,
           a.per_transaction_limit, a.daily_limit, IF(a.daily_spent_date = CURDATE(), a.daily_spent, 0)
      INTO v_from_user, v_currency, v_exponent, v_max_amount, v_min_fx, v_active, v_kyc, v_status,
           v_balance, v_available, v_overdraft, v_txn_limit, v_daily_limit, v_spent
    FROM accounts a JOIN currencies c ON c.code = a.currency JOIN users u ON u.id = a.user_id
    WHERE a.id = p_from_account_id AND a.kind = 'customer';
    IF v_from_user IS NULL OR (p_owner_id IS NOT NULL AND v_from_user <> p_owner_id) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ACCOUNT_NOT_FOUND: no such account';
    END IF;

    -- The first broken rule is not raised at once: a refused request that is the retry of
    -- one that passed replays it (the key is looked up under the locks, below).
    IF v_kyc <> 'verified' THEN
        SET v_message = 'KYC_REQUIRED: money leaves an account only once its owner is verified';
    ELSE
        SET v_message = fn_debit_error(v_status, v_active, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    END IF;

    -- Every per-item rule at once; the first failing item (in batch order) is reported.
    SELECT idx, code INTO v_bad_index, v_bad_code FROM (
        SELECT j.idx,
               CASE
                   WHEN a.id IS NULL THEN 'ACCOUNT_NOT_FOUND'
                   WHEN a.id = p_from_account_id THEN 'SAME_ACCOUNT'
                   WHEN j.amount IS NULL OR j.amount NOT REGEXP '^[0-9]{1,13}([.][0-9]{1,12})?$'
                        THEN 'INVALID_AMOUNT'
                   -- A good item costs one call; a bad one a second, to tell malformed from over the bound.
                   WHEN fn_amount_error(CAST(j.amount AS DECIMAL(38,12)), v_exponent, FALSE, v_max_amount) IS NOT NULL
                        THEN IF(fn_amount_error(CAST(j.amount AS DECIMAL(38,12)), v_exponent, FALSE, NULL) IS NULL,
                                'AMOUNT_OUT_OF_RANGE', 'INVALID_AMOUNT')
                   WHEN fn_debit_error(NULL, NULL, CAST(j.amount AS DECIMAL(38,12)), v_txn_limit,
                                       NULL, NULL, NULL, NULL, NULL) IS NOT NULL THEN 'LIMIT_EXCEEDED'
                   -- The receiving side: its status and its currency.
                   WHEN fn_debit_error(a.status, tc.is_active, NULL, NULL, NULL, NULL, NULL, NULL, NULL) IS NOT NULL
                        THEN SUBSTRING_INDEX(fn_debit_error(a.status, tc.is_active, NULL, NULL, NULL, NULL,
                                                            NULL, NULL, NULL), _utf8mb4':' COLLATE utf8mb4_unicode_ci, 1)
                   WHEN a.currency <> v_currency AND fx.rate IS NULL THEN 'FX_RATE_UNAVAILABLE'
                   WHEN a.currency <> v_currency AND CAST(j.amount AS DECIMAL(38,12)) < v_min_fx
                        THEN 'FX_AMOUNT_TOO_SMALL'
                   WHEN TRUNCATE(CAST(j.amount AS DECIMAL(38,12)) * IFNULL(fx.rate, 1), tc.exponent) <= 0
                        THEN 'INVALID_AMOUNT'
               END AS code
        FROM JSON_TABLE(p_items, '$[*]' COLUMNS (
                 idx FOR ORDINALITY,
                 n VARCHAR(64) PATH '$.to_account_number',
                 amount VARCHAR(64) PATH '$.amount')) j
        LEFT JOIN accounts a ON a.account_number = j.n AND a.kind = 'customer'
        LEFT JOIN currencies tc ON tc.code = a.currency
        LEFT JOIN (SELECT r.quote_currency, r.rate FROM fx_rates r
                   WHERE r.base_currency = v_currency AND r.valid_from <= NOW(6)
                     AND NOT EXISTS (SELECT 1 FROM fx_rates n
                                     WHERE n.base_currency = r.base_currency
                                       AND n.quote_currency = r.quote_currency
                                       AND n.valid_from <= NOW(6)
                                       AND (n.valid_from > r.valid_from
                                            OR (n.valid_from = r.valid_from AND n.id > r.id)))) fx
               ON fx.quote_currency = a.currency AND a.currency <> v_currency
    ) checked
    WHERE code IS NOT NULL AND v_message IS NULL
    ORDER BY idx
    LIMIT 1;
    IF v_bad_code IS NOT NULL THEN
        SET v_message = CONCAT(v_bad_code, ': transfers[', v_bad_index - 1, ']: ', CASE v_bad_code
            WHEN 'ACCOUNT_NOT_FOUND' THEN 'no account with that number'
            WHEN 'SAME_ACCOUNT' THEN 'cannot transfer to the same account'
            WHEN 'INVALID_AMOUNT' THEN CONCAT('amount must be a positive decimal with at most ',
                                              v_exponent, ' decimal places, converting to more than zero')
            WHEN 'AMOUNT_OUT_OF_RANGE' THEN CONCAT('one transaction moves at most ',
                                                   CAST(ROUND(v_max_amount, v_exponent) AS CHAR))
            WHEN 'FX_AMOUNT_TOO_SMALL' THEN CONCAT('a conversion needs at least ',
                                                   CAST(ROUND(v_min_fx, v_exponent) AS CHAR))
            WHEN 'LIMIT_EXCEEDED' THEN 'amount is over the per-transaction limit'
            WHEN 'ACCOUNT_FROZEN' THEN 'the receiving account is frozen'
            WHEN 'ACCOUNT_CLOSED' THEN 'the receiving account is closed'
            WHEN 'UNKNOWN_CURRENCY' THEN 'the receiving account''s currency is no longer supported'
            ELSE 'no exchange rate for this currency pair' END);
    END IF;
    IF v_message IS NOT NULL THEN
        CALL sp_replay_idempotent(p_actor_id, p_idempotency_key, v_hash, v_found);
        IF v_found THEN
            COMMIT;
            LEAVE proc;
        END IF;
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END IF;

    BEGIN
        DECLARE EXIT HANDLER FOR 1062 SET v_duplicate = TRUE;
        INSERT INTO transactions (reference, type, status, amount, currency, from_account_id,
                                  initiator_id, idempotency_key, request_hash, description, created_at)
        VALUES (fn_new_reference(), 'batch', 'completed', 0, v_currency,
                p_from_account_id, p_actor_id, p_idempotency_key, v_hash, p_description, NOW(6));
    END;
    IF v_duplicate THEN
        -- The same key was committed meanwhile by a call on other accounts.
        ROLLBACK;
        CALL sp_replay_idempotent(p_actor_id, p_idempotency_key, v_hash, v_found);
        LEAVE proc;
    END IF;
    SET v_parent_id = LAST_INSERT_ID();

    -- The children, in item order (their ids ascend with it).
    INSERT INTO transactions (reference, type, status, amount, currency, from_account_id, to_account_id,
                              target_amount, target_currency, fx_rate, initiator_id, description,
                              parent_id, created_at)
    SELECT fn_new_reference(), 'transfer', 'completed', j.amount, v_currency,
           p_from_account_id, a.id,
           IF(a.currency = v_currency, j.amount, TRUNCATE(j.amount * (
               SELECT r.rate FROM fx_rates r
               WHERE r.base_currency = v_currency AND r.quote_currency = a.currency AND r.valid_from <= NOW(6)
               ORDER BY r.valid_from DESC, r.id DESC LIMIT 1), tc.exponent)),
           a.currency,
           IF(a.currency = v_currency, 1, (
               SELECT r.rate FROM fx_rates r
               WHERE r.base_currency = v_currency AND r.quote_currency = a.currency AND r.valid_from <= NOW(6)
               ORDER BY r.valid_from DESC, r.id DESC LIMIT 1)),
           p_actor_id, IFNULL(j.description, p_description), v_parent_id, NOW(6)
    FROM JSON_TABLE(p_items, '$[*]' COLUMNS (
             idx FOR ORDINALITY,
             n VARCHAR(64) PATH '$.to_account_number',
             amount DECIMAL(38,12) PATH '$.amount',
             description VARCHAR(255) PATH '$.description')) j
    JOIN accounts a ON a.account_number = j.n AND a.kind = 'customer'
    JOIN currencies tc ON tc.code = a.currency
    ORDER BY j.idx;

    -- Limits and funds, cumulatively in item order.
    SELECT item, SUBSTRING_INDEX(fn_debit_error(NULL, NULL, NULL, NULL, running, v_daily_limit - v_spent,
                                                running, v_available, v_overdraft),
                                 _utf8mb4':' COLLATE utf8mb4_unicode_ci, 1)
      INTO v_bad_index, v_bad_code
    FROM (SELECT ROW_NUMBER() OVER (ORDER BY t.id) AS item, SUM(t.amount) OVER (ORDER BY t.id) AS running
          FROM transactions t WHERE t.parent_id = v_parent_id) r
    WHERE fn_debit_error(NULL, NULL, NULL, NULL, running, v_daily_limit - v_spent,
                         running, v_available, v_overdraft) IS NOT NULL
    ORDER BY item
    LIMIT 1;
    IF v_bad_code IS NOT NULL THEN
        SET v_message = CONCAT(v_bad_code, ': transfers[', v_bad_index - 1, ']: ',
                               IF(v_bad_code = 'DAILY_LIMIT_EXCEEDED', 'the batch goes over the daily limit here',
                                  'the available balance does not cover the batch up to here'));
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END IF;

    -- Customer legs: balance_after runs in item order on every account.
    INSERT INTO ledger_entries (transaction_id, account_id, amount, currency, balance_after, entry_type, created_at)
    SELECT t.id, p_from_account_id, -t.amount, v_currency,
           v_balance - SUM(t.amount) OVER (ORDER BY t.id), 'principal', NOW(6)
    FROM transactions t WHERE t.parent_id = v_parent_id
    ORDER BY t.id;
    INSERT INTO ledger_entries (transaction_id, account_id, amount, currency, balance_after, entry_type, created_at)
    SELECT t.id, t.to_account_id, t.target_amount, t.target_currency,
           a.balance + SUM(t.target_amount) OVER (PARTITION BY t.to_account_id ORDER BY t.id), 'principal', NOW(6)
    FROM transactions t JOIN accounts a ON a.id = t.to_account_id
    WHERE t.parent_id = v_parent_id
    ORDER BY t.id;

    SELECT SUM(amount), SUM(target_currency <> currency) INTO v_total, v_fx_items
    FROM transactions WHERE parent_id = v_parent_id;
    UPDATE accounts
    SET balance = balance - v_total, available_balance = available_balance - v_total,
        daily_spent = v_spent + v_total, daily_spent_date = CURDATE()
    WHERE id = p_from_account_id;
    UPDATE accounts a
    JOIN (SELECT to_account_id, SUM(target_amount) AS total FROM transactions
          WHERE parent_id = v_parent_id GROUP BY to_account_id) s ON s.to_account_id = a.id
    SET a.balance = a.balance + s.total, a.available_balance = a.available_balance + s.total;

    IF v_fx_items > 0 THEN
        -- FX legs against the position accounts: system rows, locked after the customer rows.
        SELECT COUNT(*) INTO v_locked FROM accounts
        WHERE kind = 'system' AND gl_type = 'fx_position'
          AND currency IN (SELECT target_currency FROM transactions WHERE parent_id = v_parent_id
                           UNION SELECT v_currency)
        ORDER BY id
        FOR UPDATE;
        INSERT INTO ledger_entries (transaction_id, account_id, amount, currency, balance_after, entry_type, created_at)
        SELECT t.id, g.id, t.amount, v_currency, g.balance + SUM(t.amount) OVER (ORDER BY t.id), 'fx', NOW(6)
        FROM transactions t
        JOIN accounts g ON g.kind = 'system' AND g.gl_type = 'fx_position' AND g.currency = v_currency
        WHERE t.parent_id = v_parent_id AND t.target_currency <> t.currency
        ORDER BY t.id;
        INSERT INTO ledger_entries (transaction_id, account_id, amount, currency, balance_after, entry_type, created_at)
        SELECT t.id, g.id, -t.target_amount, t.target_currency,
               g.balance - SUM(t.target_amount) OVER (PARTITION BY g.id ORDER BY t.id), 'fx', NOW(6)
        FROM transactions t
        JOIN accounts g ON g.kind = 'system' AND g.gl_type = 'fx_position' AND g.currency = t.target_currency
        WHERE t.parent_id = v_parent_id AND t.target_currency <> t.currency
        ORDER BY t.id;
        UPDATE accounts g
        JOIN (SELECT target_currency AS currency, -SUM(target_amount) AS delta FROM transactions
              WHERE parent_id = v_parent_id AND target_currency <> currency GROUP BY target_currency
              UNION ALL
              SELECT v_currency, SUM(amount) FROM transactions
              WHERE parent_id = v_parent_id AND target_currency <> currency) s
          ON g.kind = 'system' AND g.gl_type = 'fx_position' AND g.currency = s.currency
        SET g.balance = g.balance + s.delta, g.available_balance = g.available_balance + s.delta;
    END IF;

    UPDATE transactions SET amount = v_total WHERE id = v_parent_id;
    INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, user_id, payload)
    SELECT 'transaction.transfer', 'transaction', t.id, v_from_user,
           JSON_OBJECT('transaction_id', t.id, 'batch_id', v_parent_id, 'from_account_id', p_from_account_id,
                       'to_account_id', t.to_account_id, 'amount', CAST(t.amount AS CHAR),
                       'currency', t.currency, 'target_amount', CAST(t.target_amount AS CHAR),
                       'target_currency', t.target_currency)
    FROM transactions t WHERE t.parent_id = v_parent_id
    ORDER BY t.id;
    INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, user_id, payload)
    VALUES ('transaction.batch', 'transaction', v_parent_id, v_from_user,
            JSON_OBJECT('transaction_id', v_parent_id, 'from_account_id', p_from_account_id,
                        'count', v_count, 'amount', CAST(v_total AS CHAR), 'currency', v_currency));
    COMMIT;
    CALL sp_emit_batch(v_parent_id, FALSE);
END$$
DELIMITER ;
