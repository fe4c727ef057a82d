-- sp_perform_batch_transfer: up to 1,000 transfers from one account, all or nothing.
-- A parent transaction (type 'batch', no entries of its own, amount = the sum) carries the
-- idempotency key; each item becomes a child transfer. The batch is posted set-wise: one
-- lock pass (sender and all payees, ascending id), one validation query over the items,
-- the children and their legs built in tmp_journal_txns and tmp_journal_legs, and
-- sp_post_journal (FX position and fee income accounts, one sub-account per item by the
-- key and the item (schema/16), locked after the customers; replay; one INSERT
-- per kind of row, one UPDATE for all balances, one commit). The rules are those of
-- sp_perform_transfer (ownership, KYC, status, amount and its currency bounds,
-- per-transaction and daily limits, funds, FX only from the minimum amount up, at the rate
-- in force rounded DOWN to the payee's exponent), with limits and funds checked cumulatively
-- in item order (fn_debit_error per item and over the running total; fn_amount_error; an
-- inactive currency on either side is UNKNOWN_CURRENCY). Each item to another customer pays
-- its own fee (fn_transfer_fee, 'transfer_external'; to one's own account 'transfer_own'),
-- as its own pair of entries to the currency's fee income; the funds check counts amount +
-- fee, the daily limit the amounts. A conversion is fn_fx_convert at fn_fx_applied_rate.
-- An error names the first failing item: 'CODE: transfers[i]: ...'. A refused request
-- whose key is known replays instead.
-- A batch in a session (the API) that the confirmation or review rules hold on its total
-- (sp_hold_batch_for_approval) is created as its parent alone, 'pending_otp' or
-- 'pending_review', with amount + fees held; its children are posted on confirmation or
-- approval (sp_pending_post_batch), at the amounts, fees and rates computed here.
-- In a session the risk rules judge the batch as a whole (fn_risk_assess on its total, no
-- receiver, under the sender's lock): MEDIUM holds it for review, HIGH refuses it
-- (sp_risk_decline: RISK_DECLINED, kept in risk_declines); the parent carries the points and
-- hits (rule_points, rule_hits), held or posted.
-- Parameters:
--   p_from_account_id  the sender's account
--   p_items            JSON array of {"to_account_number", "amount", "description"?}
--   p_description      free text stored with the parent transaction
--   p_idempotency_key  the caller's key: a repeated call returns the first result
--   p_actor_id         who acts (the transactions' initiator)
--   p_session_id       the actor's session (NULL: trusted caller)
--   p_owner_id         as in sp_perform_transfer
--   p_otp_hash         HMAC-SHA256 of a one-time code, stored if the batch needs one
--   p_client_ip        the client's address, for the risk rules (NULL: unknown)
--   p_country          the client's country, ISO 3166 alpha-2 (NULL: unknown)
-- Returns: the parent row, then the child rows, in id order; a held batch its parent only.
-- Errors: BATCH_EMPTY, BATCH_TOO_LARGE, INVALID_ARGUMENT, SESSION_REVOKED, FORBIDDEN,
--         ACCOUNT_NOT_FOUND, KYC_REQUIRED, SAME_ACCOUNT, INVALID_AMOUNT, AMOUNT_OUT_OF_RANGE,
--         LIMIT_EXCEEDED, DAILY_LIMIT_EXCEEDED, INSUFFICIENT_FUNDS, ACCOUNT_FROZEN,
--         ACCOUNT_CLOSED, UNKNOWN_CURRENCY, FX_RATE_UNAVAILABLE, FX_AMOUNT_TOO_SMALL, IDEMPOTENCY_CONFLICT,
--         BALANCE_OUT_OF_RANGE, INVALID_ARGUMENT (no fee schedule for the currency), RISK_DECLINED.
-- Example: CALL sp_perform_batch_transfer(7, '[{"to_account_number":"123456789012","amount":"5.000"}]',
--                                         'payroll', 'batch-1', 42, NULL, 42, NULL, NULL, NULL);
DROP PROCEDURE IF EXISTS sp_perform_batch_transfer;
DELIMITER $$
CREATE PROCEDURE sp_perform_batch_transfer(
    IN p_from_account_id BIGINT UNSIGNED,
    IN p_items LONGTEXT,
    IN p_description VARCHAR(255),
    IN p_idempotency_key VARCHAR(128),
    IN p_actor_id BIGINT UNSIGNED,
    IN p_session_id CHAR(32),
    IN p_owner_id BIGINT UNSIGNED,
    IN p_otp_hash BINARY(32),
    IN p_client_ip VARCHAR(45),
    IN p_country CHAR(2))
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
    DECLARE v_over_limit BOOLEAN;
    DECLARE v_kyc VARCHAR(16);
    DECLARE v_status VARCHAR(8);
    DECLARE v_balance DECIMAL(20,4);
    DECLARE v_available DECIMAL(20,4);
    DECLARE v_overdraft DECIMAL(20,4);
    DECLARE v_txn_limit DECIMAL(20,4);
    DECLARE v_daily_limit DECIMAL(20,4);
    DECLARE v_spent DECIMAL(20,4);
    DECLARE v_total DECIMAL(20,4);
    DECLARE v_debited DECIMAL(20,4);
    DECLARE v_parent_id BIGINT UNSIGNED;
    DECLARE v_hash BINARY(32);
    DECLARE v_done BOOLEAN DEFAULT FALSE;
    DECLARE v_account BIGINT UNSIGNED;
    DECLARE v_locked INT;
    DECLARE v_bad_index INT DEFAULT NULL;
    DECLARE v_bad_code VARCHAR(32) DEFAULT NULL;
    DECLARE v_message VARCHAR(512) DEFAULT NULL;
    DECLARE v_today DATE DEFAULT fn_bank_date();
    DECLARE v_shards INT DEFAULT (SELECT gl_shards FROM bank_settings WHERE id = 1);
    DECLARE v_held BOOLEAN DEFAULT FALSE;
    DECLARE v_risk TEXT DEFAULT NULL;
    DECLARE v_replayed BOOLEAN DEFAULT FALSE;
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
           a.per_transaction_limit, a.daily_limit, IF(a.daily_spent_date = v_today, a.daily_spent, 0)
      INTO v_from_user, v_currency, v_exponent, v_max_amount, v_min_fx, v_active, v_kyc, v_status,
           v_balance, v_available, v_overdraft, v_txn_limit, v_daily_limit, v_spent
    FROM accounts a JOIN currencies c ON c.code = a.currency JOIN users u ON u.id = a.user_id
    WHERE a.id = p_from_account_id AND a.kind = 'customer';
    IF v_from_user IS NULL OR (p_owner_id IS NOT NULL AND v_from_user <> p_owner_id) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ACCOUNT_NOT_FOUND: no such account';
    END IF;
    -- Down to the type's minimum balance, less the account's overdraft.
    SET v_overdraft = v_overdraft - IFNULL((SELECT l.min_balance FROM account_type_limits l
                                            JOIN accounts a ON a.account_type = l.account_type
                                            WHERE a.id = p_from_account_id), 0);

    -- The first broken rule is not raised at once: a refused request that is the retry of
    -- one that passed replays it (the key is looked up under the locks, below).
    IF v_kyc <> 'verified' THEN
        SET v_message = 'KYC_REQUIRED: money leaves an account only once its owner is verified';
    ELSE
        SET v_message = fn_debit_error(v_status, v_active, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    END IF;

    -- The per-transaction limit is checked per item only if the largest item breaks it.
    SELECT fn_debit_error(NULL, NULL, MAX(j.amount), v_txn_limit, NULL, NULL, NULL, NULL, NULL) IS NOT NULL
      INTO v_over_limit
    FROM JSON_TABLE(p_items, '$[*]' COLUMNS (
             amount DECIMAL(38,12) PATH '$.amount' NULL ON ERROR)) j;
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
                   WHEN v_over_limit AND fn_debit_error(NULL, NULL, CAST(j.amount AS DECIMAL(38,12)),
                                                        v_txn_limit, NULL, NULL, NULL, NULL, NULL) IS NOT NULL
                        THEN 'LIMIT_EXCEEDED'
                   -- The receiving side: its status and its currency.
                   WHEN fn_debit_error(a.status, tc.is_active, NULL, NULL, NULL, NULL, NULL, NULL, NULL) IS NOT NULL
                        THEN SUBSTRING_INDEX(fn_debit_error(a.status, tc.is_active, NULL, NULL, NULL, NULL,
                                                            NULL, NULL, NULL), _utf8mb4':' COLLATE utf8mb4_unicode_ci, 1)
                   WHEN a.currency <> v_currency AND fx.rate IS NULL THEN 'FX_RATE_UNAVAILABLE'
                   WHEN a.currency <> v_currency AND CAST(j.amount AS DECIMAL(38,12)) < v_min_fx
                        THEN 'FX_AMOUNT_TOO_SMALL'
                   WHEN fn_fx_convert(v_currency, a.currency, CAST(j.amount AS DECIMAL(38,12)),
                                      tc.exponent, NOW(6)) <= 0
                        THEN 'INVALID_AMOUNT'
                   WHEN fn_transfer_fee(v_currency, CAST(j.amount AS DECIMAL(38,12)),
                                        IF(a.user_id = v_from_user, 'transfer_own', 'transfer_external')) IS NULL
                        THEN 'INVALID_ARGUMENT'
               END AS code
        FROM JSON_TABLE(p_items, '$[*]' COLUMNS (
                 idx FOR ORDINALITY,
                 n VARCHAR(64) PATH '$.to_account_number',
                 amount VARCHAR(64) PATH '$.amount')) j
        LEFT JOIN accounts a ON a.account_number = j.n AND a.kind = 'customer'
        LEFT JOIN currencies tc ON tc.code = a.currency
        -- The rate in force to each other currency, looked up once per currency.
        LEFT JOIN (SELECT c.code AS quote_currency, fn_fx_rate(v_currency, c.code, NOW(6)) AS rate
                   FROM currencies c WHERE c.code <> v_currency) fx
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
            WHEN 'INVALID_ARGUMENT' THEN 'no fee schedule for this currency'
            ELSE 'no exchange rate for this currency pair' END);
        SET v_message = fn_limit_detail(v_message, v_txn_limit, v_daily_limit - v_spent, v_currency, v_exponent);
    END IF;
    CALL sp_journal_reset();
    IF v_message IS NULL THEN
        -- The children, in item order, at the rate in force rounded DOWN to the payee's exponent.
        INSERT INTO tmp_journal_txns (seq, type, amount, currency, fee, from_account_id,
                                      to_account_id, target_amount, target_currency, fx_rate,
                                      description)
        SELECT x.idx, 'transfer', x.amount, v_currency, x.fee, p_from_account_id, x.to_id,
               x.target, x.to_currency, x.rate, IFNULL(x.description, p_description)
        FROM (SELECT r.idx, r.amount, r.description, r.to_id, r.to_currency, r.rate,
                     fn_fx_convert(v_currency, r.to_currency, r.amount, r.exponent, NOW(6)) AS target,
                     fn_transfer_fee(v_currency, r.amount, r.fee_kind) AS fee
              FROM (SELECT j.idx, CAST(j.amount AS DECIMAL(20,4)) AS amount, j.description,
                           a.id AS to_id, a.currency AS to_currency, tc.exponent,
                           IF(a.user_id = v_from_user, 'transfer_own', 'transfer_external') AS fee_kind,
                           IF(a.currency = v_currency, 1, fx.rate) AS rate
                    FROM JSON_TABLE(p_items, '$[*]' COLUMNS (
                             idx FOR ORDINALITY,
                             n VARCHAR(64) PATH '$.to_account_number',
                             amount DECIMAL(38,12) PATH '$.amount',
                             description VARCHAR(255) PATH '$.description')) j
                    JOIN accounts a ON a.account_number = j.n AND a.kind = 'customer'
                    JOIN currencies tc ON tc.code = a.currency
                    LEFT JOIN (SELECT c.code AS quote_currency,
                                      fn_fx_applied_rate(v_currency, c.code, NOW(6)) AS rate
                               FROM currencies c WHERE c.code <> v_currency) fx
                           ON fx.quote_currency = a.currency) r) x
        ORDER BY x.idx;

        -- Limits and funds, cumulatively in item order. Amounts and fees are positive, so the
        -- running totals only grow: when the whole batch passes every prefix does, and only a
        -- batch that fails is searched for its first failing item.
        SELECT SUM(amount), SUM(amount + fee) INTO v_total, v_debited FROM tmp_journal_txns;
        IF fn_debit_error(NULL, NULL, NULL, NULL, v_total, v_daily_limit - v_spent,
                          v_debited, v_available, v_overdraft) IS NOT NULL THEN
            SELECT seq, SUBSTRING_INDEX(fn_debit_error(NULL, NULL, NULL, NULL, running,
                                                       v_daily_limit - v_spent, debited,
                                                       v_available, v_overdraft),
                                        _utf8mb4':' COLLATE utf8mb4_unicode_ci, 1)
              INTO v_bad_index, v_bad_code
            FROM (SELECT seq, SUM(amount) OVER (ORDER BY seq) AS running,
                         SUM(amount + fee) OVER (ORDER BY seq) AS debited
                    FROM tmp_journal_txns) r
            WHERE fn_debit_error(NULL, NULL, NULL, NULL, running, v_daily_limit - v_spent,
                                 debited, v_available, v_overdraft) IS NOT NULL
            ORDER BY seq
            LIMIT 1;
        END IF;
        IF v_bad_code IS NOT NULL THEN
            SET v_message = CONCAT(v_bad_code, ': transfers[', v_bad_index - 1, ']: ',
                                   IF(v_bad_code = 'DAILY_LIMIT_EXCEEDED', 'the batch goes over the daily limit here',
                                      'the available balance does not cover the batch up to here'));
            SET v_message = fn_limit_detail(v_message, v_daily_limit, v_daily_limit - v_spent,
                                            v_currency, v_exponent);
        END IF;
    END IF;
    IF v_message IS NULL THEN
        -- Each child's legs: sender, payee, for a conversion the two FX position accounts,
        -- and for a fee the sender's fee entry and the fee income account's.
        INSERT INTO tmp_journal_legs (txn_seq, account_id, amount, currency, entry_type)
        SELECT t.seq,
               CASE k.n WHEN 1 THEN p_from_account_id WHEN 2 THEN t.to_account_id
                        WHEN 5 THEN p_from_account_id ELSE g.id END,
               CASE k.n WHEN 1 THEN -t.amount WHEN 2 THEN t.target_amount WHEN 3 THEN t.amount
                        WHEN 4 THEN -t.target_amount WHEN 5 THEN -t.fee ELSE t.fee END,
               IF(k.n IN (2, 4), t.target_currency, v_currency),
               CASE WHEN k.n <= 2 THEN 'principal' WHEN k.n <= 4 THEN 'fx' ELSE 'fee' END
        FROM tmp_journal_txns t
        JOIN (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
              UNION ALL SELECT 5 UNION ALL SELECT 6) k
          ON k.n <= 2 OR (k.n <= 4 AND t.target_currency <> t.currency) OR (k.n >= 5 AND t.fee > 0)
        LEFT JOIN accounts g ON k.n >= 3 AND k.n <> 5 AND g.kind = 'system'
                            AND g.gl_type = IF(k.n = 6, 'fee_income', 'fx_position')
                            AND g.currency = IF(k.n = 4, t.target_currency, v_currency)
                            -- The item's sub-account: by the batch's key and the item.
                            AND g.gl_shard = (CRC32(IFNULL(p_idempotency_key, '')) + t.seq) MOD v_shards
        ORDER BY t.seq, k.n;
        UPDATE accounts SET daily_spent = v_spent + v_total, daily_spent_date = v_today
        WHERE id = p_from_account_id;
    END IF;
    -- Decision point: hold for confirmation or review instead of posting.
    IF v_message IS NULL AND p_session_id IS NOT NULL THEN
        SET v_risk = fn_risk_assess(p_from_account_id, NULL, v_total,
                                    IF(v_currency = 'JOD', v_total, fn_jod_equivalent(v_total, v_currency)),
                                    'batch', NOW(6), p_session_id, p_client_ip, p_country);
        IF JSON_VALUE(v_risk, '$.decision') = 'block' THEN
            CALL sp_risk_decline('batch', p_from_account_id, NULL, v_total, v_currency,
                                 IF(v_currency = 'JOD', v_total, fn_jod_equivalent(v_total, v_currency)),
                                 v_risk, p_actor_id, p_session_id, p_client_ip, p_country,
                                 p_idempotency_key, v_hash, v_replayed);
            COMMIT;
            LEAVE proc;
        END IF;
        CALL sp_hold_batch_for_approval(p_from_account_id, v_total, v_currency, v_debited - v_total,
                                        p_description, p_actor_id, p_idempotency_key, v_hash,
                                        v_from_user, p_owner_id IS NOT NULL, p_otp_hash,
                                        v_spent + v_total, v_risk, v_held);
        IF v_held THEN
            LEAVE proc;
        END IF;
    END IF;
    -- The parent carries the assessment (NULL: not assessed; sp_post_journal clears these).
    SET @bank_rule_points = JSON_VALUE(v_risk, '$.points'), @bank_rule_hits = JSON_EXTRACT(v_risk, '$.hits');
    CALL sp_post_journal('batch', IFNULL(v_total, 0), v_currency, 0, p_from_account_id, NULL,
                         NULL, NULL, NULL, p_description, NULL,
                         p_actor_id, p_idempotency_key, v_hash, v_message,
                         'transaction.batch', v_from_user, NULL,
                         JSON_OBJECT('transaction_id', 0, 'from_account_id', p_from_account_id,
                                     'count', v_count, 'amount', CAST(v_total AS CHAR),
                                     'currency', v_currency),
                         '$.transaction_id', v_parent_id);
    IF v_parent_id IS NOT NULL THEN
        CALL sp_emit_batch(v_parent_id, FALSE);
    END IF;
END$$
DELIMITER ;
