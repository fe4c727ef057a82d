-- sp_perform_transfer: move money from one customer account to another, in one call.
-- Same currency: sender -amount, receiver +amount. Different currencies: at least the
-- sender currency's min_fx_amount, converted at the rate in force (fn_fx_rate) and
-- rounded DOWN to the receiver's exponent (in the bank's favour, so no round trip gains; a
-- result of zero is refused); the FX position GL accounts take the other
-- legs (sender -100 JOD, FX-JOD +100 JOD, FX-USD -141 USD, receiver +141 USD), so each
-- currency nets to zero.
-- Bounds: the amount is at most the sender currency's max_amount and the sender's
-- per_transaction_limit, and the day's total (a calendar day in the bank's time zone,
-- fn_bank_date) at most its daily_limit (both start from account_type_limits); a breach's
-- message carries the limit and what remains today (fn_limit_detail). The balance may not
-- go below the type's min_balance minus the account's overdraft. All before anything is
-- written. There is no receiver limit: one that anyone could fill by paying you
-- would be a denial of service. The sender's owner must have verified KYC. An overflow of a
-- balance column is BALANCE_OUT_OF_RANGE, with nothing written.
-- Fees: the procedure decides them, not the client. A transfer to another customer pays
-- fn_transfer_fee(currency, amount, 'transfer_external'); between one's own accounts
-- 'transfer_own' (free by default). A fee (sender's currency) is its own pair of entries:
-- sender -fee, fee income +fee; the funds check counts amount + fee. p_fee is honoured only
-- on a trusted or staff call (p_owner_id NULL): a system posting's own fee, or 0 to waive.
-- A conversion is fn_fx_convert (through the JOD mids at full precision, rounded down once)
-- and records fn_fx_applied_rate, exactly what sp_fx_quote answers.
-- Locks the sender and receiver in ascending id order, then the GL accounts it needs in
-- ascending id order (fee income and FX position: the transaction's sub-accounts, its id
-- modulo bank_settings.gl_shards, so concurrent postings do not queue on one row); replays a known idempotency key under those locks.
-- The rules are fn_amount_error's and fn_debit_error's (status of either account, active
-- currencies, limits, funds); sp_perform_batch_transfer applies them set-wise.
-- The one money path that does not post through sp_post_journal: this is the hottest path
-- in the bank, and the generic journal (a temporary table of legs, a lock cursor, set-wise
-- entries) costs it more than the 5 % the ledger allows it. It posts the same rows the
-- journal would (tests/ledger/test_ledger_posting.py runs the same scenarios through both
-- and compares), leanly: the key looked up only when a rule is broken or the header INSERT
-- finds it (1062), entries and balances written directly from the balances read under the
-- locks, the result row by primary key.
-- A transfer in a session (the API) that the confirmation or review rules hold is created
-- 'pending_otp' or 'pending_review' with amount + fee held instead (sp_hold_for_approval).
-- In a session the risk rules judge it too (fn_risk_assess, under the sender's lock): MEDIUM
-- holds it for review like a review rule (after its code when it needs one), HIGH refuses it
-- (sp_risk_decline: RISK_DECLINED, the refusal kept in risk_declines); the points and hits are
-- stored on the header (rule_points, rule_hits), held or posted.
-- Off the locks: the settings, the code rule's threshold, the fee, the amount's form, the
-- conversion and the JOD-equivalent are read or computed before the rows are locked (they
-- depend only on the accounts' currencies, which never change); under the locks run only
-- what depends on the locked rows (status, limits, funds, the review rules' look-ups, the
-- writes), with the GL sub-accounts locked and written last.
-- Parameters:
--   p_from_account_id    the sender's account
--   p_to_account_number  the receiver's account number
--   p_amount             the amount, in the sender's currency
--   p_fee                NULL: the fee schedule's; a staff or trusted call (p_owner_id
--                        NULL) may set the fee itself (0 waives it); ignored for customers
--   p_description        free text stored with the transaction
--   p_idempotency_key    the caller's key: a repeated call returns the first result
--   p_actor_id           who acts (the transaction's initiator)
--   p_session_id         the actor's session (NULL: trusted caller)
--   p_owner_id           NULL: staff; else the sender account must belong to this user
--   p_otp_hash           HMAC-SHA256 of a one-time code, stored if the transfer needs one
--   p_client_ip          the client's address, for the risk rules (NULL: unknown)
--   p_country            the client's country, ISO 3166 alpha-2 (NULL: unknown)
-- Returns: the transaction, in sp_emit_transaction's shape.
-- Errors: SESSION_REVOKED, FORBIDDEN (a staff call, p_owner_id NULL, by a non-staff user),
--         ACCOUNT_NOT_FOUND, SAME_ACCOUNT, IDEMPOTENCY_CONFLICT, KYC_REQUIRED, ACCOUNT_FROZEN,
--         ACCOUNT_CLOSED, UNKNOWN_CURRENCY, INVALID_AMOUNT, AMOUNT_OUT_OF_RANGE, LIMIT_EXCEEDED,
--         DAILY_LIMIT_EXCEEDED, INSUFFICIENT_FUNDS, FX_RATE_UNAVAILABLE, FX_AMOUNT_TOO_SMALL,
--         BALANCE_OUT_OF_RANGE, INVALID_ARGUMENT (no fee schedule for the currency),
--         RISK_DECLINED.
-- Example: CALL sp_perform_transfer(7, '123456789012', 100.000, NULL, 'rent', 'tr-1', 42, NULL, 42, NULL, NULL, NULL);
DROP PROCEDURE IF EXISTS sp_perform_transfer;
DELIMITER $$
CREATE PROCEDURE sp_perform_transfer(
    IN p_from_account_id BIGINT UNSIGNED,
    IN p_to_account_number VARCHAR(34),
    IN p_amount DECIMAL(38,12),
    IN p_fee DECIMAL(38,12),
    IN p_description VARCHAR(255),
    IN p_idempotency_key VARCHAR(128),
    IN p_actor_id BIGINT UNSIGNED,
    IN p_session_id CHAR(32),
    IN p_owner_id BIGINT UNSIGNED,
    IN p_otp_hash BINARY(32),
    IN p_client_ip VARCHAR(45),
    IN p_country CHAR(2))
MODIFIES SQL DATA
COMMENT 'sp_perform_transfer: move money from one customer account to another, in one call.'
proc: BEGIN
    DECLARE v_to_id BIGINT UNSIGNED DEFAULT NULL;
    DECLARE v_exponent INT;
    DECLARE v_max_amount DECIMAL(20,4);
    DECLARE v_min_fx DECIMAL(20,4);
    DECLARE v_kyc VARCHAR(16);
    DECLARE v_txn_id BIGINT UNSIGNED DEFAULT NULL;
    DECLARE v_hash BINARY(32);
    DECLARE v_error VARCHAR(255) DEFAULT NULL;
    DECLARE v_min_balance DECIMAL(20,4) DEFAULT 0;
    DECLARE v_today DATE;
    DECLARE v_found BOOLEAN DEFAULT FALSE;
    DECLARE v_from_user BIGINT UNSIGNED DEFAULT NULL;
    DECLARE v_from_currency CHAR(3);
    DECLARE v_from_status VARCHAR(8);
    DECLARE v_from_balance DECIMAL(20,4);
    DECLARE v_from_available DECIMAL(20,4);
    DECLARE v_from_overdraft DECIMAL(20,4);
    DECLARE v_from_txn_limit DECIMAL(20,4);
    DECLARE v_from_daily_limit DECIMAL(20,4);
    DECLARE v_from_spent DECIMAL(20,4);
    DECLARE v_from_spent_date DATE;
    DECLARE v_to_user BIGINT UNSIGNED;
    DECLARE v_to_currency CHAR(3);
    DECLARE v_to_status VARCHAR(8);
    DECLARE v_to_balance DECIMAL(20,4);
    DECLARE v_fee DECIMAL(38,12) DEFAULT NULL;
    DECLARE v_fee_kind VARCHAR(32);
    DECLARE v_pre_currency CHAR(3);
    DECLARE v_rate DECIMAL(30,20) DEFAULT 1;
    DECLARE v_target DECIMAL(20,4);
    DECLARE v_spent_today DECIMAL(20,4);
    DECLARE v_fee_gl BIGINT UNSIGNED;
    DECLARE v_fx_from_gl BIGINT UNSIGNED;
    DECLARE v_fx_to_gl BIGINT UNSIGNED;
    DECLARE v_from_active BOOLEAN;
    DECLARE v_to_active BOOLEAN;
    DECLARE v_to_exponent INT;
    DECLARE v_from_number VARCHAR(34);
    DECLARE v_to_number VARCHAR(34);
    DECLARE v_fee_gl_balance DECIMAL(20,4);
    DECLARE v_fx_from_balance DECIMAL(20,4);
    DECLARE v_fx_to_balance DECIMAL(20,4);
    DECLARE v_pre_to_currency CHAR(3);
    DECLARE v_pre_error VARCHAR(255) DEFAULT NULL;
    DECLARE v_pre_rate DECIMAL(30,20) DEFAULT NULL;
    DECLARE v_pre_target DECIMAL(20,4) DEFAULT NULL;
    DECLARE v_reference VARCHAR(24);
    DECLARE v_gl_shards TINYINT UNSIGNED;
    DECLARE v_jod DECIMAL(20,4) DEFAULT NULL;
    DECLARE v_otp_threshold DECIMAL(20,4) DEFAULT NULL;
    DECLARE v_otp BOOLEAN DEFAULT FALSE;
    DECLARE v_hits VARCHAR(512) DEFAULT NULL;
    DECLARE v_risk TEXT DEFAULT NULL;
    DECLARE v_rule_points SMALLINT UNSIGNED DEFAULT NULL;
    DECLARE v_rule_hits TEXT DEFAULT NULL;
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

    CALL sp_assert_session(p_session_id, p_actor_id);
    IF p_session_id IS NOT NULL AND p_owner_id IS NULL THEN
        CALL sp_assert_staff(p_actor_id);
    END IF;
    SET @bank_actor_id = p_actor_id;
    -- An account's currency never changes, so its currency's rules, the settings and the
    -- rules' thresholds can be read before the locks (one row whether or not the accounts
    -- exist), and everything that depends only on them is computed here, off the locks.
    SELECT t.id, c.exponent, c.max_amount, c.min_fx_amount, c.is_active, tc.is_active, tc.exponent,
           u.kyc_status, a.account_number, t.account_number, a.currency, t.currency,
           IF(a.user_id = t.user_id, 'transfer_own', 'transfer_external'), IFNULL(l.min_balance, 0),
           s.gl_shards, r.threshold_jod
      INTO v_to_id, v_exponent, v_max_amount, v_min_fx, v_from_active, v_to_active, v_to_exponent,
           v_kyc, v_from_number, v_to_number, v_pre_currency, v_pre_to_currency, v_fee_kind,
           v_min_balance, v_gl_shards, v_otp_threshold
    FROM (SELECT 1 AS one) x
    LEFT JOIN accounts t ON t.account_number = p_to_account_number AND t.kind = 'customer'
    LEFT JOIN accounts a ON a.id = p_from_account_id
    LEFT JOIN account_type_limits l ON l.account_type = a.account_type
    LEFT JOIN currencies c ON c.code = a.currency
    LEFT JOIN users u ON u.id = a.user_id
    LEFT JOIN currencies tc ON tc.code = t.currency
    LEFT JOIN bank_settings s ON s.id = 1
    LEFT JOIN transaction_rules r ON r.rule = 'otp_high_value' AND r.is_active;
    IF v_to_id IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ACCOUNT_NOT_FOUND: no account with that number';
    END IF;
    SET v_fee = IF(p_owner_id IS NULL AND p_fee IS NOT NULL, p_fee,
                   fn_transfer_fee(v_pre_currency, p_amount, v_fee_kind));
    -- The amount's and the fee's form (raised under the locks, in the ledger's precedence).
    SET v_pre_error = IFNULL(fn_amount_error(p_amount, v_exponent, FALSE, v_max_amount),
                             IF(v_fee IS NULL,
                                'INVALID_ARGUMENT: no fee schedule for this currency',
                                fn_amount_error(v_fee, v_exponent, TRUE, v_max_amount)));
    IF v_pre_error IS NULL AND v_pre_currency <> v_pre_to_currency AND p_amount >= v_min_fx THEN
        SET v_pre_rate = fn_fx_applied_rate(v_pre_currency, v_pre_to_currency, NOW(6));
        -- Down to the receiver's ISO 4217 exponent, once, through the JOD mids.
        SET v_pre_target = fn_fx_convert(v_pre_currency, v_pre_to_currency, p_amount, v_to_exponent, NOW(6));
    END IF;
    IF p_session_id IS NOT NULL AND v_pre_error IS NULL THEN
        -- The JOD-equivalent the confirmation and review thresholds compare.
        SET v_jod = IF(v_pre_currency = 'JOD', p_amount, fn_jod_equivalent(p_amount, v_pre_currency));
    END IF;
    SET v_reference = fn_new_reference();
    SET v_hash = UNHEX(SHA2(CONCAT_WS('|', 'transfer', p_from_account_id, p_to_account_number,
                                      CAST(p_amount AS CHAR), CAST(IFNULL(p_fee, 0) AS CHAR),
                                      IFNULL(p_description, '')), 256));
    SET v_today = fn_bank_date();
    SET TRANSACTION ISOLATION LEVEL READ COMMITTED;
    START TRANSACTION;

    -- Ascending id order: two opposite transfers between the same pair cannot deadlock.
    IF p_from_account_id < v_to_id THEN
        SELECT user_id, currency, status, balance, available_balance, overdraft_limit,
               per_transaction_limit, daily_limit, daily_spent, daily_spent_date
          INTO v_from_user, v_from_currency, v_from_status, v_from_balance, v_from_available,
               v_from_overdraft, v_from_txn_limit, v_from_daily_limit, v_from_spent, v_from_spent_date
        FROM accounts WHERE id = p_from_account_id AND kind = 'customer' FOR UPDATE;
        SELECT user_id, currency, status, balance INTO v_to_user, v_to_currency, v_to_status, v_to_balance
        FROM accounts WHERE id = v_to_id AND kind = 'customer' FOR UPDATE;
    ELSE
        SELECT user_id, currency, status, balance INTO v_to_user, v_to_currency, v_to_status, v_to_balance
        FROM accounts WHERE id = v_to_id AND kind = 'customer' FOR UPDATE;
        SELECT user_id, currency, status, balance, available_balance, overdraft_limit,
               per_transaction_limit, daily_limit, daily_spent, daily_spent_date
          INTO v_from_user, v_from_currency, v_from_status, v_from_balance, v_from_available,
               v_from_overdraft, v_from_txn_limit, v_from_daily_limit, v_from_spent, v_from_spent_date
        FROM accounts WHERE id = p_from_account_id AND kind = 'customer' FOR UPDATE;
    END IF;
    IF v_from_user IS NULL OR (p_owner_id IS NOT NULL AND v_from_user <> p_owner_id) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ACCOUNT_NOT_FOUND: no such account';
    END IF;
    IF v_to_user IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ACCOUNT_NOT_FOUND: no account with that number';
    END IF;

    -- The first broken rule, in the ledger's precedence, not raised yet.
    IF p_from_account_id = v_to_id THEN
        SET v_error = 'SAME_ACCOUNT: cannot transfer to the same account';
    ELSEIF v_kyc <> 'verified' THEN
        SET v_error = 'KYC_REQUIRED: money leaves an account only once its owner is verified';
    ELSE
        SET v_spent_today = IF(v_from_spent_date = v_today, v_from_spent, 0);
        -- Either account frozen comes before either account closed.
        SET v_error = IFNULL(v_pre_error,
                             fn_debit_error(CASE WHEN 'frozen' IN (v_from_status, v_to_status) THEN 'frozen'
                                                 WHEN 'closed' IN (v_from_status, v_to_status) THEN 'closed'
                                                 ELSE v_from_status END,
                                            v_from_active AND v_to_active,
                                            p_amount, v_from_txn_limit,
                                            p_amount, v_from_daily_limit - v_spent_today,
                                            p_amount + v_fee, v_from_available,
                                            v_from_overdraft - v_min_balance));
        IF v_error IS NOT NULL THEN
            SET v_error = fn_limit_detail(v_error, IF(v_error LIKE 'LIMIT%', v_from_txn_limit, v_from_daily_limit),
                                          v_from_daily_limit - v_spent_today, v_from_currency, v_exponent);
        END IF;
        SET v_spent_today = v_spent_today + p_amount;
    END IF;
    IF v_error IS NULL THEN
        IF v_from_currency = v_to_currency THEN
            SET v_target = p_amount;
        ELSEIF p_amount < v_min_fx THEN
            SET v_error = 'FX_AMOUNT_TOO_SMALL: the amount is below the minimum for a conversion';
        ELSE
            -- Computed before the locks (the currencies are the accounts' own).
            SET v_rate = v_pre_rate;
            SET v_target = v_pre_target;
            IF v_rate IS NULL THEN
                SET v_error = 'FX_RATE_UNAVAILABLE: no exchange rate for this currency pair';
            ELSEIF v_target <= 0 THEN
                SET v_error = 'INVALID_AMOUNT: the converted amount rounds to zero';
            END IF;
        END IF;
    END IF;
    IF v_error IS NOT NULL THEN
        -- Under the locks, a call with the same key on the same accounts has committed or not
        -- started: a refused request that is the retry of one that passed replays it.
        CALL sp_replay_idempotent(p_actor_id, p_idempotency_key, v_hash, v_found);
        IF v_found THEN
            COMMIT;
            LEAVE proc;
        END IF;
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_error;
    END IF;

    -- Decision point: hold for confirmation or review instead of posting. A customer's own
    -- transfer above the 'otp_high_value' threshold waits for its code; one that hits a
    -- review rule (fn_review_hits, under the sender's lock so concurrent transfers count
    -- each other) waits for staff, after its code when it needs both.
    IF p_session_id IS NOT NULL THEN
        IF v_jod IS NULL THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'FX_RATE_UNAVAILABLE: no exchange rate into JOD for the confirmation rules';
        END IF;
        SET v_otp = p_owner_id IS NOT NULL AND v_jod > IFNULL(v_otp_threshold, v_jod);
        SET v_hits = fn_review_hits(p_from_account_id, v_to_id, v_jod);
        SET v_risk = fn_risk_assess(p_from_account_id, v_to_id, p_amount, v_jod, 'transfer', NOW(6),
                                    p_session_id, p_client_ip, p_country);
        SET v_rule_points = JSON_VALUE(v_risk, '$.points'), v_rule_hits = JSON_EXTRACT(v_risk, '$.hits');
        IF JSON_VALUE(v_risk, '$.decision') = 'block' THEN
            CALL sp_risk_decline('transfer', p_from_account_id, v_to_id, p_amount, v_from_currency, v_jod,
                                 v_risk, p_actor_id, p_session_id, p_client_ip, p_country,
                                 p_idempotency_key, v_hash, v_replayed);
            COMMIT;
            LEAVE proc;
        END IF;
        -- MEDIUM holds it as a review rule would ('risk_review', when no review rule did).
        IF JSON_VALUE(v_risk, '$.decision') = 'review' AND v_hits IS NULL THEN
            SET v_hits = '["risk_review"]';
        END IF;
        IF v_otp OR v_hits IS NOT NULL THEN
            IF v_otp AND p_otp_hash IS NULL THEN
                SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: this transfer needs a one-time code';
            END IF;
            -- The held header carries the assessment (sp_pending_create reads and clears these).
            SET @bank_rule_points = v_rule_points, @bank_rule_hits = v_rule_hits;
            CALL sp_hold_for_approval(p_from_account_id, v_to_id, p_amount, v_from_currency, v_fee,
                                      v_target, v_to_currency, v_rate, p_description, p_actor_id,
                                      p_idempotency_key, v_hash, v_from_user, v_otp, p_otp_hash,
                                      v_hits, v_jod, v_spent_today, v_today);
            LEAVE proc;
        END IF;
    END IF;

    BEGIN
        DECLARE EXIT HANDLER FOR 1062 SET v_txn_id = NULL;
        INSERT INTO transactions (reference, type, status, amount, currency, fee, from_account_id, to_account_id,
                                  target_amount, target_currency, fx_rate, initiator_id, idempotency_key,
                                  request_hash, description, parent_id, created_at, rule_points, rule_hits)
        VALUES (v_reference, 'transfer', 'completed', p_amount,
                v_from_currency, v_fee, p_from_account_id, v_to_id, v_target, v_to_currency, v_rate,
                p_actor_id, p_idempotency_key, v_hash, p_description, NULL, NOW(6), v_rule_points, v_rule_hits);
        SET v_txn_id = LAST_INSERT_ID();
    END;
    IF v_txn_id IS NULL THEN
        -- A retry, or the same key committed meanwhile by a call on other accounts.
        ROLLBACK;
        CALL sp_replay_idempotent(p_actor_id, p_idempotency_key, v_hash, v_found);
        LEAVE proc;
    END IF;

    INSERT INTO ledger_entries (transaction_id, account_id, amount, currency, balance_after, entry_type, created_at)
    VALUES (v_txn_id, p_from_account_id, -p_amount, v_from_currency, v_from_balance - p_amount, 'principal', NOW(6)),
           (v_txn_id, v_to_id, v_target, v_to_currency, v_to_balance + v_target, 'principal', NOW(6));
    IF v_fee > 0 THEN
        INSERT INTO ledger_entries (transaction_id, account_id, amount, currency, balance_after, entry_type, created_at)
        VALUES (v_txn_id, p_from_account_id, -v_fee, v_from_currency,
                v_from_balance - p_amount - v_fee, 'fee', NOW(6));
    END IF;
    UPDATE accounts
    SET balance = balance - p_amount - v_fee,
        available_balance = available_balance - p_amount - v_fee,
        daily_spent = v_spent_today,
        daily_spent_date = v_today
    WHERE id = p_from_account_id;
    UPDATE accounts
    SET balance = balance + v_target, available_balance = available_balance + v_target
    WHERE id = v_to_id;

    INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, user_id, payload)
    VALUES ('transaction.transfer', 'transaction', v_txn_id, v_from_user,
            JSON_OBJECT('transaction_id', v_txn_id, 'from_account_id', p_from_account_id,
                        'to_account_id', v_to_id, 'to_user_id', v_to_user,
                        'amount', CAST(p_amount AS CHAR), 'currency', v_from_currency,
                        'target_amount', CAST(v_target AS CHAR), 'target_currency', v_to_currency));
    -- The GL sub-accounts last, so their locks are held for the least time.
    IF v_fee > 0 OR v_from_currency <> v_to_currency THEN
        SELECT MAX(IF(gl_type = 'fee_income' AND currency = v_from_currency, id, NULL)),
               MAX(IF(gl_type = 'fx_position' AND currency = v_from_currency, id, NULL)),
               MAX(IF(gl_type = 'fx_position' AND currency = v_to_currency, id, NULL))
          INTO v_fee_gl, v_fx_from_gl, v_fx_to_gl
        FROM accounts
        WHERE kind = 'system' AND gl_type IN ('fee_income', 'fx_position')
          AND currency IN (v_from_currency, v_to_currency)
          -- The transaction's sub-account of each (schema/16: hot rows spread).
          AND gl_shard = v_txn_id MOD v_gl_shards;
        -- System accounts are locked after customer accounts, ascending by id (PK range order).
        SELECT SUM(IF(id = v_fee_gl, balance, 0)), SUM(IF(id = v_fx_from_gl, balance, 0)),
               SUM(IF(id = v_fx_to_gl, balance, 0))
          INTO v_fee_gl_balance, v_fx_from_balance, v_fx_to_balance
        FROM accounts
        WHERE id IN (IF(v_fee > 0, v_fee_gl, 0),
                     IF(v_from_currency <> v_to_currency, v_fx_from_gl, 0),
                     IF(v_from_currency <> v_to_currency, v_fx_to_gl, 0))
        FOR UPDATE;
        IF v_from_currency <> v_to_currency THEN
            INSERT INTO ledger_entries (transaction_id, account_id, amount, currency, balance_after, entry_type, created_at)
            VALUES (v_txn_id, v_fx_from_gl, p_amount, v_from_currency, v_fx_from_balance + p_amount, 'fx', NOW(6)),
                   (v_txn_id, v_fx_to_gl, -v_target, v_to_currency, v_fx_to_balance - v_target, 'fx', NOW(6));
            UPDATE accounts
            SET balance = balance + IF(id = v_fx_from_gl, p_amount, -v_target),
                available_balance = available_balance + IF(id = v_fx_from_gl, p_amount, -v_target)
            WHERE id IN (v_fx_from_gl, v_fx_to_gl);
        END IF;
        IF v_fee > 0 THEN
            INSERT INTO ledger_entries (transaction_id, account_id, amount, currency, balance_after, entry_type, created_at)
            VALUES (v_txn_id, v_fee_gl, v_fee, v_from_currency, v_fee_gl_balance + v_fee, 'fee', NOW(6));
            UPDATE accounts SET balance = balance + v_fee, available_balance = available_balance + v_fee
            WHERE id = v_fee_gl;
        END IF;
    END IF;

    COMMIT;
    -- sp_emit_transaction's row, by primary key, with the account numbers already known.
    SELECT id, reference, type, status, amount, currency, fee,
           from_account_id, v_from_number AS from_account_number,
           to_account_id, v_to_number AS to_account_number,
           target_amount, target_currency, fx_rate, description,
           parent_id, reversal_of_id, reversed_by_id, is_high_value, created_at,
           FALSE AS replayed
    FROM transactions WHERE id = v_txn_id;
END$$
DELIMITER ;
