-- sp_perform_transfer: move money from one customer account to another, in one call.
-- Same currency: sender -amount, receiver +amount. Different currencies: converted at the
-- rate in force and rounded to the receiver's exponent; the FX position GL accounts take
-- the other legs (sender -100 JOD, FX-JOD +100 JOD, FX-USD -141 USD, receiver +141 USD),
-- so each currency nets to zero. A fee (sender's currency) is its own pair of entries.
-- This procedure owns the database transaction; the locks, rules and postings are in
-- sp_post_transfer.
-- Parameters: p_from_account_id, p_to_account_number, p_amount (sender's currency), p_fee
--             (NULL or 0 for none), p_description, p_idempotency_key, p_actor_id,
--             p_session_id (NULL: trusted caller), p_owner_id (NULL: staff; else the sender
--             account must belong to this user).
-- Errors: SESSION_REVOKED, ACCOUNT_NOT_FOUND, IDEMPOTENCY_CONFLICT and those of sp_post_transfer.
-- Example: CALL sp_perform_transfer(7, '123456789012', 100.000, 0, 'rent', 'tr-1', 42, NULL, 42);
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
    IN p_owner_id BIGINT UNSIGNED)
MODIFIES SQL DATA
proc: BEGIN
    DECLARE v_to_id BIGINT UNSIGNED DEFAULT NULL;
    DECLARE v_txn_id BIGINT UNSIGNED;
    DECLARE v_hash BINARY(32);
    DECLARE v_replayed BOOLEAN DEFAULT FALSE;
    DECLARE v_found BOOLEAN DEFAULT FALSE;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;

    CALL sp_assert_session(p_session_id, p_actor_id);
    SET @bank_actor_id = p_actor_id;
    SELECT id INTO v_to_id FROM accounts WHERE account_number = p_to_account_number AND kind = 'customer';
    IF v_to_id IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ACCOUNT_NOT_FOUND: no account with that number';
    END IF;
    SET v_hash = UNHEX(SHA2(CONCAT_WS('|', 'transfer', p_from_account_id, p_to_account_number,
                                      CAST(p_amount AS CHAR), CAST(IFNULL(p_fee, 0) AS CHAR),
                                      IFNULL(p_description, '')), 256));

    SET TRANSACTION ISOLATION LEVEL READ COMMITTED;
    START TRANSACTION;
    CALL sp_post_transfer(NULL, p_from_account_id, v_to_id, p_amount, p_fee, p_description,
                          p_idempotency_key, v_hash, p_actor_id, p_owner_id, v_txn_id, v_replayed);
    IF v_txn_id IS NULL THEN
        -- The same key was committed by a concurrent call on other accounts.
        ROLLBACK;
        CALL sp_replay_idempotent(p_actor_id, p_idempotency_key, v_hash, v_found);
        LEAVE proc;
    END IF;
    COMMIT;
    CALL sp_emit_transaction(v_txn_id, v_replayed);
END$$
DELIMITER ;
