-- sp_perform_batch_transfer: up to 1,000 transfers from one account, all or nothing.
-- A parent transaction (type 'batch', no entries of its own, amount = the sum) carries the
-- idempotency key; each item is a child transfer posted by sp_post_transfer, so limits and
-- funds are checked cumulatively. One lock pass (sender and all receivers, ascending id)
-- and one commit for the whole batch. An error names the failing item: 'CODE: transfers[i]: ...'.
-- Result: the parent row, then the child rows, in id order.
-- Parameters: p_from_account_id, p_items (JSON array of {"to_account_number", "amount",
--             "description"?}), p_description, p_idempotency_key, p_actor_id, p_session_id,
--             p_owner_id (as in sp_perform_transfer).
-- Errors: BATCH_EMPTY, BATCH_TOO_LARGE, INVALID_ARGUMENT, SESSION_REVOKED, ACCOUNT_NOT_FOUND,
--         IDEMPOTENCY_CONFLICT and those of sp_post_transfer.
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
proc: BEGIN
    DECLARE v_count INT;
    DECLARE v_i INT DEFAULT 0;
    DECLARE v_item_index INT DEFAULT NULL;
    DECLARE v_from_user BIGINT UNSIGNED DEFAULT NULL;
    DECLARE v_currency CHAR(3);
    DECLARE v_total DECIMAL(38,12) DEFAULT 0;
    DECLARE v_account BIGINT UNSIGNED;
    DECLARE v_to_id BIGINT UNSIGNED;
    DECLARE v_to_number VARCHAR(64);
    DECLARE v_amount DECIMAL(38,12);
    DECLARE v_item_description VARCHAR(255);
    DECLARE v_parent_id BIGINT UNSIGNED;
    DECLARE v_txn_id BIGINT UNSIGNED;
    DECLARE v_locked INT;
    DECLARE v_hash BINARY(32);
    DECLARE v_found BOOLEAN DEFAULT FALSE;
    DECLARE v_duplicate BOOLEAN DEFAULT FALSE;
    DECLARE v_done BOOLEAN DEFAULT FALSE;
    DECLARE v_state CHAR(5);
    DECLARE v_message VARCHAR(512);
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
        GET DIAGNOSTICS CONDITION 1 v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT;
        IF v_state = '45000' AND v_item_index IS NOT NULL AND LOCATE(': ', v_message) > 0 THEN
            SET v_message = CONCAT(SUBSTRING_INDEX(v_message, ': ', 1), ': transfers[', v_item_index, ']: ',
                                   SUBSTRING(v_message, LOCATE(': ', v_message) + 2));
            RESIGNAL SET MESSAGE_TEXT = v_message;
        END IF;
        RESIGNAL;
    END;

    CALL sp_assert_session(p_session_id, p_actor_id);
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
    SET v_done = FALSE;
    OPEN c_lock;
    lock_loop: LOOP
        FETCH c_lock INTO v_account;
        IF v_done THEN LEAVE lock_loop; END IF;
        SELECT COUNT(*) INTO v_locked FROM accounts WHERE id = v_account FOR UPDATE;
    END LOOP;
    CLOSE c_lock;
    SET v_done = FALSE;

    SELECT user_id, currency INTO v_from_user, v_currency
    FROM accounts WHERE id = p_from_account_id AND kind = 'customer';
    -- Ownership is checked again per item by sp_post_transfer; this early check keeps a
    -- stranger's batch from learning anything from the replay below.
    IF v_from_user IS NULL OR (p_owner_id IS NOT NULL AND v_from_user <> p_owner_id) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ACCOUNT_NOT_FOUND: no such account';
    END IF;

    SET v_found = FALSE;
    BEGIN
        DECLARE v_existing BIGINT UNSIGNED DEFAULT NULL;
        DECLARE v_existing_hash BINARY(32);
        IF p_idempotency_key IS NOT NULL THEN
            SELECT id, request_hash INTO v_existing, v_existing_hash FROM transactions
            WHERE initiator_id = p_actor_id AND idempotency_key = p_idempotency_key;
            IF v_existing IS NOT NULL THEN
                IF v_existing_hash <> v_hash THEN
                    SIGNAL SQLSTATE '45000'
                        SET MESSAGE_TEXT = 'IDEMPOTENCY_CONFLICT: this Idempotency-Key was used with a different request';
                END IF;
                COMMIT;
                CALL sp_emit_batch(v_existing, TRUE);
                LEAVE proc;
            END IF;
        END IF;
    END;

    BEGIN
        DECLARE EXIT HANDLER FOR 1062 SET v_duplicate = TRUE;
        INSERT INTO transactions (reference, type, status, amount, currency, from_account_id,
                                  initiator_id, idempotency_key, request_hash, description, created_at)
        VALUES (CONCAT('TX', LPAD(HEX(UUID_SHORT()), 16, '0')), 'batch', 'completed', 0, v_currency,
                p_from_account_id, p_actor_id, p_idempotency_key, v_hash, p_description, NOW(6));
    END;
    IF v_duplicate THEN
        ROLLBACK;
        SIGNAL SQLSTATE '45000'
            SET MESSAGE_TEXT = 'IDEMPOTENCY_CONFLICT: this Idempotency-Key is being used by another request';
    END IF;
    SET v_parent_id = LAST_INSERT_ID();

    WHILE v_i < v_count DO
        SET v_item_index = v_i;
        SET v_to_number = JSON_UNQUOTE(JSON_EXTRACT(p_items, CONCAT('$[', v_i, '].to_account_number')));
        SET v_amount = CAST(JSON_UNQUOTE(JSON_EXTRACT(p_items, CONCAT('$[', v_i, '].amount'))) AS DECIMAL(38,12));
        SET v_item_description = JSON_UNQUOTE(JSON_EXTRACT(p_items, CONCAT('$[', v_i, '].description')));
        IF v_item_description = 'null' THEN
            SET v_item_description = NULL;
        END IF;
        SET v_to_id = NULL;
        SELECT id INTO v_to_id FROM accounts WHERE account_number = v_to_number AND kind = 'customer';
        SET v_done = FALSE;
        IF v_to_id IS NULL THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ACCOUNT_NOT_FOUND: no account with that number';
        END IF;
        CALL sp_post_transfer(v_parent_id, p_from_account_id, v_to_id, v_amount, 0,
                              IFNULL(v_item_description, p_description), NULL, NULL, p_actor_id,
                              p_owner_id, v_txn_id, v_found);
        SET v_total = v_total + v_amount;
        SET v_i = v_i + 1;
    END WHILE;
    SET v_item_index = NULL;

    UPDATE transactions SET amount = v_total WHERE id = v_parent_id;
    INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, user_id, payload)
    VALUES ('transaction.batch', 'transaction', v_parent_id, v_from_user,
            JSON_OBJECT('transaction_id', v_parent_id, 'from_account_id', p_from_account_id,
                        'count', v_count, 'amount', CAST(v_total AS CHAR), 'currency', v_currency));
    COMMIT;
    CALL sp_emit_batch(v_parent_id, FALSE);
END$$
DELIMITER ;
