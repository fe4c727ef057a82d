-- sp_import_transactions: post a batch of historical card payments at their original times (admin only).
-- Each row of p_rows is one payment of the source's customer to a merchant (a terminal):
-- {"line": 2, "id": "11", "at": "2018-04-01 00:17:44", "customer": "2000", "terminal": "7997",
--  "amount": "66.38", "fraud": 0, "scenario": 0} (line, fraud and scenario optional). Set-wise:
-- thousands of rows per call, all or nothing. The rules of sp_post_journal are kept for the
-- whole batch: double entry (two principal legs per payment), each account's balance_after
-- running over its legs in posting order from its locked balance, the balance and available
-- balance updated once per account, one outbox event per transaction. Posting order is the
-- rows' time order (then their order in p_rows); created_at of header and entries is the
-- row's time. Customers and merchants new to the source become a verified customer user
-- (login disabled) with a checking account (import_parties); a customer whose payments would
-- take the balance below its floor (type minimum less overdraft) first gets an imported
-- funding deposit of the shortfall from the cash vault, one second before its first payment
-- of the batch. A row already imported (import_source_rows: source, id) is not posted again
-- but must carry the same time, parties and amount (else IDEMPOTENCY_CONFLICT). History is
-- what the legacy core posted: the live checks (limits, KYC, frozen accounts, review) are not
-- re-run on it, and no daily counter moves. Imports of one source are serialised on its
-- import_sources row; accounts are then locked in ascending id order, the cash vault last.
-- Every row is checked before anything is written; a bad one is named by its line.
-- Parameters:
--   p_source      the source label (^[a-z][a-z0-9-]{1,9}$, e.g. 'handbook')
--   p_currency    the currency of its amounts (fixed by the source's first import)
--   p_rows        the JSON array of rows (at most 10,000)
--   p_actor_id    the admin importing (the transactions' initiator)
--   p_session_id  the actor's session (NULL: the operator's own login, a trusted caller)
-- Returns: one row per input row, in input order: source_id, transaction_id, imported
--          (TRUE: posted by this call; FALSE: it was imported before).
-- Errors: SESSION_REQUIRED, SESSION_REVOKED, FORBIDDEN (not an admin), INVALID_ARGUMENT (a
--         bad source, batch or row: the message names the line), UNKNOWN_CURRENCY,
--         INVALID_AMOUNT, AMOUNT_OUT_OF_RANGE (named by line), IDEMPOTENCY_CONFLICT,
--         USERNAME_TAKEN (a party's login name is taken by a user not of the import),
--         BALANCE_OUT_OF_RANGE.
-- Example: CALL sp_import_transactions('handbook', 'JOD', '[{"id": "11", "at": "2018-04-01 00:17:44",
--                                      "customer": "2000", "terminal": "7997", "amount": "66.38"}]', 1, NULL);
DROP PROCEDURE IF EXISTS sp_import_transactions;
DELIMITER $$
CREATE PROCEDURE sp_import_transactions(
    IN p_source VARCHAR(16),
    IN p_currency CHAR(3),
    IN p_rows LONGTEXT,
    IN p_actor_id BIGINT UNSIGNED,
    IN p_session_id CHAR(32))
MODIFIES SQL DATA
COMMENT 'sp_import_transactions: post a batch of historical card payments at their original times (admin only).'
proc: BEGIN
    DECLARE v_exponent INT DEFAULT NULL;
    DECLARE v_max_amount DECIMAL(20,4);
    DECLARE v_source_currency CHAR(3) DEFAULT NULL;
    DECLARE v_vault_id BIGINT UNSIGNED;
    DECLARE v_error VARCHAR(512) DEFAULT NULL;
    DECLARE v_count INT;
    DECLARE v_attempts INT DEFAULT 0;
    DECLARE v_locked INT;
    DECLARE v_reason VARCHAR(255) DEFAULT CONCAT('historical import from ', IFNULL(p_source, '?'));
    DECLARE v_account BIGINT UNSIGNED;
    DECLARE v_done BOOLEAN DEFAULT FALSE;
    DECLARE c_lock CURSOR FOR
        SELECT account_id FROM tmp_import_parties WHERE account_id IS NOT NULL ORDER BY account_id;
    DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_done = TRUE;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        SET @bank_audit_event = NULL, @bank_audit_reason = NULL;
        RESIGNAL;
    END;
    DECLARE EXIT HANDLER FOR 1264, 1690 BEGIN
        ROLLBACK;
        SET @bank_audit_event = NULL, @bank_audit_reason = NULL;
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'BALANCE_OUT_OF_RANGE: an account balance would leave its range';
    END;

    CALL sp_assert_staff_act(p_session_id, p_actor_id, 'admin', v_reason);
    IF p_source IS NULL OR NOT p_source REGEXP '^[a-z][a-z0-9-]{1,9}$' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: source must be 2-10 lower-case letters, digits or dashes';
    END IF;
    SELECT exponent, max_amount INTO v_exponent, v_max_amount
    FROM currencies WHERE code = p_currency AND is_active;
    IF v_exponent IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'UNKNOWN_CURRENCY: currency is not supported';
    END IF;
    IF p_rows IS NULL OR NOT JSON_VALID(p_rows) OR JSON_TYPE(p_rows) <> 'ARRAY' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: rows must be a JSON array';
    END IF;
    IF JSON_LENGTH(p_rows) > 10000 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: at most 10,000 rows per call';
    END IF;

    CREATE TEMPORARY TABLE IF NOT EXISTS tmp_import_rows (
        ord             INT UNSIGNED    NOT NULL,
        line            VARCHAR(16)     NULL,
        source_id       VARCHAR(64)     NULL,
        at_text         VARCHAR(64)     NULL,
        customer        VARCHAR(64)     NULL,
        terminal        VARCHAR(64)     NULL,
        amount_text     VARCHAR(64)     NULL,
        fraud_text      VARCHAR(16)     NULL,
        scenario_text   VARCHAR(16)     NULL,
        at              DATETIME(6)     NULL,
        amount          DECIMAL(20,4)   NULL,
        from_account_id BIGINT UNSIGNED NULL,
        to_account_id   BIGINT UNSIGNED NULL,
        transaction_id  BIGINT UNSIGNED NULL,
        imported        BOOLEAN         NOT NULL DEFAULT FALSE,
        problem         VARCHAR(255)    NULL,
        PRIMARY KEY (ord),
        KEY (source_id)
    ) ENGINE = MEMORY;
    CREATE TEMPORARY TABLE IF NOT EXISTS tmp_import_parties (
        kind            VARCHAR(8)      NOT NULL,
        external_id     VARCHAR(20)     NOT NULL,
        username        VARCHAR(64)     NOT NULL,
        number_base     BIGINT UNSIGNED NULL,
        account_number  VARCHAR(34)     NULL,
        user_id         BIGINT UNSIGNED NULL,
        account_id      BIGINT UNSIGNED NULL,
        PRIMARY KEY (kind, external_id)
    ) ENGINE = MEMORY;
    CREATE TEMPORARY TABLE IF NOT EXISTS tmp_import_postings (
        seq             INT UNSIGNED    NOT NULL AUTO_INCREMENT,
        ord             INT UNSIGNED    NULL,
        type            VARCHAR(16)     NOT NULL,
        at              DATETIME(6)     NOT NULL,
        from_account_id BIGINT UNSIGNED NULL,
        to_account_id   BIGINT UNSIGNED NOT NULL,
        event_user_id   BIGINT UNSIGNED NOT NULL,
        amount          DECIMAL(20,4)   NOT NULL,
        idempotency_key VARCHAR(128)    NOT NULL,
        description     VARCHAR(255)    NOT NULL,
        transaction_id  BIGINT UNSIGNED NULL,
        PRIMARY KEY (seq),
        KEY (idempotency_key)
    ) ENGINE = MEMORY;
    CREATE TEMPORARY TABLE IF NOT EXISTS tmp_import_legs (
        posting_seq     INT UNSIGNED    NOT NULL,
        leg             TINYINT UNSIGNED NOT NULL,
        account_id      BIGINT UNSIGNED NOT NULL,
        amount          DECIMAL(20,4)   NOT NULL,
        PRIMARY KEY (posting_seq, leg)
    ) ENGINE = MEMORY;
    DELETE FROM tmp_import_rows;
    DELETE FROM tmp_import_parties;
    DELETE FROM tmp_import_postings;
    DELETE FROM tmp_import_legs;

    INSERT INTO tmp_import_rows (ord, line, source_id, at_text, customer, terminal, amount_text,
                                 fraud_text, scenario_text)
    SELECT j.ord, j.line, j.source_id, j.at_text, j.customer, j.terminal, j.amount_text,
           j.fraud_text, j.scenario_text
    FROM JSON_TABLE(p_rows, '$[*]' COLUMNS (
        ord FOR ORDINALITY,
        line VARCHAR(16) PATH '$.line',
        source_id VARCHAR(64) PATH '$.id',
        at_text VARCHAR(64) PATH '$.at',
        customer VARCHAR(64) PATH '$.customer',
        terminal VARCHAR(64) PATH '$.terminal',
        amount_text VARCHAR(64) PATH '$.amount',
        fraud_text VARCHAR(16) PATH '$.fraud',
        scenario_text VARCHAR(16) PATH '$.scenario')) j;

    -- Every row's first problem, the first row's reported: nothing is written before this.
    UPDATE tmp_import_rows SET problem = CASE
            WHEN source_id IS NULL OR NOT source_id REGEXP '^[A-Za-z0-9_-]{1,32}$'
                THEN 'the transaction id is missing or not 1-32 letters, digits, _ or -'
            WHEN at_text IS NULL OR NOT at_text REGEXP
                 '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[ T]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,6})?$'
              OR CAST(SUBSTRING(at_text, 9, 2) AS UNSIGNED)
                 > DAYOFMONTH(LAST_DAY(CONCAT(LEFT(at_text, 7), '-01')))
              OR LEFT(at_text, 4) < '1970'
                THEN 'the time is missing or not a date and time (YYYY-MM-DD HH:MM:SS)'
            WHEN customer IS NULL OR NOT customer REGEXP '^[a-z0-9_-]{1,20}$'
                THEN 'the customer id is missing or not 1-20 digits, lower-case letters, _ or -'
            WHEN terminal IS NULL OR NOT terminal REGEXP '^[a-z0-9_-]{1,20}$'
                THEN 'the terminal id is missing or not 1-20 digits, lower-case letters, _ or -'
            WHEN amount_text IS NULL OR NOT amount_text REGEXP '^[0-9]{1,13}(\\.[0-9]{1,12})?$'
                THEN 'the amount is missing or not a decimal number'
            WHEN fn_amount_error(CAST(amount_text AS DECIMAL(38,12)), v_exponent, FALSE, v_max_amount) IS NOT NULL
                THEN fn_amount_error(CAST(amount_text AS DECIMAL(38,12)), v_exponent, FALSE, v_max_amount)
            WHEN fraud_text IS NOT NULL AND fraud_text NOT IN ('0', '1', 'true', 'false')
                THEN 'the fraud label must be 0 or 1'
            WHEN scenario_text IS NOT NULL AND NOT scenario_text REGEXP '^[0-9]{1,4}$'
                THEN 'the fraud scenario must be a whole number'
            WHEN line IS NOT NULL AND NOT line REGEXP '^[0-9]{1,9}$'
                THEN 'the line must be a whole number'
    END;
    -- An amount's problem keeps fn_amount_error's code; every other is INVALID_ARGUMENT.
    SELECT IF(coded, CONCAT(SUBSTRING_INDEX(problem, ':', 1), ': line ', at_line, ': ',
                            TRIM(SUBSTRING(problem, CHAR_LENGTH(SUBSTRING_INDEX(problem, ':', 1)) + 2))),
              CONCAT('INVALID_ARGUMENT: line ', at_line, ': ', problem))
      INTO v_error
    FROM (SELECT ord, problem, IFNULL(line, CONCAT('#', ord)) AS at_line,
                 problem LIKE 'INVALID_AMOUNT:%' OR problem LIKE 'AMOUNT_OUT_OF_RANGE:%' AS coded
          FROM tmp_import_rows) p
    WHERE problem IS NOT NULL
    ORDER BY ord
    LIMIT 1;
    IF v_error IS NULL THEN
        SELECT CONCAT('INVALID_ARGUMENT: line ', IFNULL(MAX(line), CONCAT('#', MAX(ord))),
                      ': transaction id ', source_id, ' appears more than once in the batch')
          INTO v_error
        FROM tmp_import_rows
        GROUP BY source_id
        HAVING COUNT(*) > 1
        ORDER BY MAX(ord)
        LIMIT 1;
    END IF;
    IF v_error IS NOT NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_error;
    END IF;
    UPDATE tmp_import_rows
    SET at = CAST(REPLACE(at_text, 'T', ' ') AS DATETIME(6)),
        amount = CAST(amount_text AS DECIMAL(38,12));

    SET @bank_actor_id = p_actor_id, @bank_audit_event = 'import.history', @bank_audit_reason = v_reason;
    SET TRANSACTION ISOLATION LEVEL READ COMMITTED;
    START TRANSACTION;
    -- The source's row serialises its imports; its currency is fixed by its first one.
    INSERT IGNORE INTO import_sources (source, currency, created_by)
    VALUES (p_source, p_currency, p_actor_id);
    SELECT currency INTO v_source_currency FROM import_sources WHERE source = p_source FOR UPDATE;
    IF v_source_currency <> p_currency THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: this source is imported in another currency';
    END IF;

    -- Rows imported before: same facts, or a conflict; they are answered, not posted.
    UPDATE tmp_import_rows r
    JOIN import_source_rows s ON s.source = p_source AND s.source_id = r.source_id
    SET r.transaction_id = s.transaction_id;
    SELECT CONCAT('IDEMPOTENCY_CONFLICT: line ', IFNULL(r.line, CONCAT('#', r.ord)),
                  ': transaction id ', r.source_id, ' was imported before with other values')
      INTO v_error
    FROM tmp_import_rows r
    JOIN transactions t ON t.id = r.transaction_id
    LEFT JOIN import_parties c ON c.source = p_source AND c.kind = 'customer' AND c.external_id = r.customer
    LEFT JOIN import_parties m ON m.source = p_source AND m.kind = 'merchant' AND m.external_id = r.terminal
    WHERE NOT (t.amount = r.amount AND t.created_at = r.at
               AND t.from_account_id <=> c.account_id AND t.to_account_id <=> m.account_id)
    ORDER BY r.ord
    LIMIT 1;
    IF v_error IS NOT NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_error;
    END IF;

    -- The parties of the new rows, known or created (login disabled: password hash '!').
    INSERT INTO tmp_import_parties (kind, external_id, username)
    SELECT DISTINCT 'customer', customer, CONCAT(p_source, '.c', customer)
    FROM tmp_import_rows WHERE transaction_id IS NULL;
    INSERT INTO tmp_import_parties (kind, external_id, username)
    SELECT DISTINCT 'merchant', terminal, CONCAT(p_source, '.m', terminal)
    FROM tmp_import_rows WHERE transaction_id IS NULL;
    UPDATE tmp_import_parties p
    JOIN import_parties i ON i.source = p_source AND i.kind = p.kind AND i.external_id = p.external_id
    SET p.user_id = i.user_id, p.account_id = i.account_id;
    -- Lock order: the known parties' accounts ascending, then the cash vault; both before the
    -- first audited write (a new user), so no lock is taken after the audit chain's head.
    SET v_done = FALSE;  -- an empty SELECT ... INTO above sets it too
    OPEN c_lock;
    lock_loop: LOOP
        FETCH c_lock INTO v_account;
        IF v_done THEN LEAVE lock_loop; END IF;
        SELECT COUNT(*) INTO v_locked FROM accounts WHERE id = v_account FOR UPDATE;
    END LOOP;
    CLOSE c_lock;
    SELECT id INTO v_vault_id FROM accounts
    WHERE gl_type = 'cash_vault' AND currency = p_currency AND gl_shard = 0
    FOR UPDATE;
    IF EXISTS (SELECT 1 FROM users u JOIN tmp_import_parties p ON u.username = p.username
               WHERE p.user_id IS NULL) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'USERNAME_TAKEN: an imported party''s login name is already registered';
    END IF;
    INSERT INTO users (username, role, status, kyc_status, password_hash)
    SELECT username, 'customer', 'active', 'verified', '!'
    FROM tmp_import_parties WHERE user_id IS NULL ORDER BY kind, external_id;
    UPDATE tmp_import_parties p JOIN users u ON u.username = p.username
    SET p.user_id = u.id
    WHERE p.user_id IS NULL;
    INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, user_id, payload)
    SELECT 'user.registered', 'user', user_id, user_id,
           JSON_OBJECT('user_id', user_id, 'username', username, 'imported_from', p_source)
    FROM tmp_import_parties WHERE account_id IS NULL ORDER BY user_id;
    -- Account numbers as sp_create_account draws them (10 digits and MOD 97-10 check digits).
    SET v_count = 1;
    WHILE v_count > 0 DO
        SET v_attempts = v_attempts + 1;
        IF v_attempts > 20 THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INTERNAL: could not allocate account numbers';
        END IF;
        UPDATE tmp_import_parties SET number_base = 1000000000 + FLOOR(RAND() * 8999999999)
        WHERE account_id IS NULL;
        UPDATE tmp_import_parties
        SET account_number = CONCAT(number_base, LPAD(98 - MOD(number_base * 100, 97), 2, '0'))
        WHERE account_id IS NULL;
        SELECT COUNT(*) - COUNT(DISTINCT account_number) INTO v_count
        FROM tmp_import_parties WHERE account_id IS NULL;
        IF v_count = 0 THEN
            SELECT COUNT(*) INTO v_count
            FROM accounts a JOIN tmp_import_parties p ON a.account_number = p.account_number
            WHERE p.account_id IS NULL;
        END IF;
    END WHILE;
    INSERT INTO accounts (account_number, user_id, kind, account_type, currency)
    SELECT account_number, user_id, 'customer', 'checking', p_currency
    FROM tmp_import_parties WHERE account_id IS NULL ORDER BY user_id;
    UPDATE tmp_import_parties p JOIN accounts a ON a.account_number = p.account_number
    SET p.account_id = a.id
    WHERE p.account_id IS NULL;
    INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, user_id, payload)
    SELECT 'account.opened', 'account', a.id, a.user_id,
           JSON_OBJECT('account_id', a.id, 'account_number', a.account_number,
                       'account_type', a.account_type, 'currency', a.currency,
                       'imported_from', p_source)
    FROM tmp_import_parties p
    JOIN accounts a ON a.id = p.account_id
    LEFT JOIN import_parties i ON i.account_id = a.id
    WHERE i.account_id IS NULL
    ORDER BY a.id;
    INSERT INTO import_parties (source, kind, external_id, user_id, account_id)
    SELECT p_source, p.kind, p.external_id, p.user_id, p.account_id
    FROM tmp_import_parties p
    LEFT JOIN import_parties i ON i.account_id = p.account_id
    WHERE i.account_id IS NULL;

    UPDATE tmp_import_rows r
    JOIN tmp_import_parties c ON c.kind = 'customer' AND c.external_id = r.customer
    SET r.from_account_id = c.account_id
    WHERE r.transaction_id IS NULL;
    UPDATE tmp_import_rows r
    JOIN tmp_import_parties m ON m.kind = 'merchant' AND m.external_id = r.terminal
    SET r.to_account_id = m.account_id
    WHERE r.transaction_id IS NULL;

    -- Funding first: the shortfall below the floor over the batch, a second before the
    -- customer's first payment in it. Then the payments, in time order.
    INSERT INTO tmp_import_postings (ord, type, at, from_account_id, to_account_id, event_user_id,
                                     amount, idempotency_key, description)
    SELECT NULL, 'deposit', f.first_at - INTERVAL 1 SECOND, NULL, f.account_id, a.user_id,
           f.total - (a.available_balance + a.overdraft_limit - IFNULL(l.min_balance, 0)),
           CONCAT('import:', p_source, ':fund:', f.first_id),
           CONCAT('imported funding (', p_source, ')')
    FROM (SELECT from_account_id AS account_id, SUM(amount) AS total, MIN(at) AS first_at,
                 MIN(source_id) AS first_id
          FROM tmp_import_rows WHERE transaction_id IS NULL
          GROUP BY from_account_id) f
    JOIN accounts a ON a.id = f.account_id
    LEFT JOIN account_type_limits l ON l.account_type = a.account_type
    WHERE f.total > a.available_balance + a.overdraft_limit - IFNULL(l.min_balance, 0)
    ORDER BY f.first_at, f.account_id;
    INSERT INTO tmp_import_postings (ord, type, at, from_account_id, to_account_id, event_user_id,
                                     amount, idempotency_key, description)
    SELECT r.ord, 'transfer', r.at, r.from_account_id, r.to_account_id, c.user_id, r.amount,
           CONCAT('import:', p_source, ':', r.source_id),
           CONCAT('imported payment (', p_source, ' ', r.source_id, ')')
    FROM tmp_import_rows r
    JOIN tmp_import_parties c ON c.kind = 'customer' AND c.external_id = r.customer
    WHERE r.transaction_id IS NULL
    ORDER BY r.at, r.ord;

    -- Headers in posting order: (at, funding before payments, input order).
    INSERT INTO transactions (reference, type, status, amount, currency, fee, from_account_id,
                              to_account_id, target_amount, target_currency, fx_rate,
                              initiator_id, idempotency_key, request_hash, description, created_at)
    SELECT fn_new_reference(), type, 'completed', amount, p_currency, 0, from_account_id,
           to_account_id, amount, p_currency, 1, p_actor_id, idempotency_key,
           UNHEX(SHA2(CONCAT_WS('|', idempotency_key, IFNULL(from_account_id, ''), to_account_id,
                                CAST(amount AS CHAR), CAST(at AS CHAR)), 256)),
           description, at
    FROM tmp_import_postings
    ORDER BY at, ord IS NOT NULL, ord, seq;
    UPDATE tmp_import_postings p
    JOIN transactions t ON t.initiator_id = p_actor_id AND t.idempotency_key = p.idempotency_key
    SET p.transaction_id = t.id;

    INSERT INTO tmp_import_legs (posting_seq, leg, account_id, amount)
    SELECT seq, 1, IFNULL(from_account_id, v_vault_id), -amount FROM tmp_import_postings;
    INSERT INTO tmp_import_legs (posting_seq, leg, account_id, amount)
    SELECT seq, 2, to_account_id, amount FROM tmp_import_postings;
    -- balance_after runs over each account's legs in posting order (transaction id order).
    INSERT INTO ledger_entries (transaction_id, account_id, amount, currency, balance_after,
                                entry_type, created_at)
    SELECT p.transaction_id, l.account_id, l.amount, p_currency,
           a.balance + SUM(l.amount) OVER (PARTITION BY l.account_id
                                           ORDER BY p.transaction_id, l.leg),
           'principal', p.at
    FROM tmp_import_legs l
    JOIN tmp_import_postings p ON p.seq = l.posting_seq
    JOIN accounts a ON a.id = l.account_id
    ORDER BY p.transaction_id, l.leg;
    UPDATE accounts a
    JOIN (SELECT account_id, SUM(amount) AS net FROM tmp_import_legs GROUP BY account_id) d
      ON d.account_id = a.id
    SET a.balance = a.balance + d.net, a.available_balance = a.available_balance + d.net;

    INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, user_id, payload)
    SELECT CONCAT('transaction.', type), 'transaction', transaction_id, event_user_id,
           JSON_OBJECT('transaction_id', transaction_id, 'from_account_id', from_account_id,
                       'to_account_id', to_account_id, 'amount', CAST(amount AS CHAR),
                       'currency', p_currency, 'target_amount', CAST(amount AS CHAR),
                       'target_currency', p_currency, 'imported_from', p_source)
    FROM tmp_import_postings
    ORDER BY transaction_id;

    UPDATE tmp_import_rows r
    JOIN tmp_import_postings p ON p.ord = r.ord
    SET r.transaction_id = p.transaction_id, r.imported = TRUE;
    INSERT INTO import_source_rows (source, source_id, transaction_id, source_line, is_fraud, scenario)
    SELECT p_source, source_id, transaction_id, CAST(line AS UNSIGNED),
           CASE fraud_text WHEN '1' THEN TRUE WHEN 'true' THEN TRUE
                           WHEN '0' THEN FALSE WHEN 'false' THEN FALSE END,
           CAST(scenario_text AS UNSIGNED)
    FROM tmp_import_rows
    WHERE imported
    ORDER BY ord;
    COMMIT;
    SET @bank_audit_event = NULL, @bank_audit_reason = NULL;

    SELECT source_id, transaction_id, imported FROM tmp_import_rows ORDER BY ord;
END$$
DELIMITER ;
