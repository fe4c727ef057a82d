-- sp_replay_idempotent: answer a money call whose idempotency key was seen before.
-- Same key and same payload hash: the original transaction is returned (replayed = 1), in
-- sp_emit_batch's shape when it was a batch, else in sp_emit_transaction's.
-- Same key, different payload: IDEMPOTENCY_CONFLICT. Sets p_found to FALSE when the key is new.
-- Parameters:
--   p_actor_id         who sent the key (keys are per actor)
--   p_idempotency_key  the caller's key
--   p_request_hash     the hash of the request's payload
--   p_found            OUT: TRUE when the key was seen and its transaction returned
-- Errors: IDEMPOTENCY_CONFLICT.
-- Example: CALL sp_replay_idempotent(42, 'key-1', UNHEX(SHA2('...', 256)), @found);
DROP PROCEDURE IF EXISTS sp_replay_idempotent;
DELIMITER $$
CREATE PROCEDURE sp_replay_idempotent(
    IN p_actor_id BIGINT UNSIGNED,
    IN p_idempotency_key VARCHAR(128),
    IN p_request_hash BINARY(32),
    OUT p_found BOOLEAN)
READS SQL DATA
COMMENT 'sp_replay_idempotent: answer a money call whose idempotency key was seen before.'
BEGIN
    DECLARE v_id BIGINT UNSIGNED DEFAULT NULL;
    DECLARE v_hash BINARY(32) DEFAULT NULL;
    DECLARE v_type VARCHAR(16);
    SET p_found = FALSE;
    IF p_idempotency_key IS NOT NULL THEN
        SELECT id, request_hash, type INTO v_id, v_hash, v_type
        FROM transactions
        WHERE initiator_id = p_actor_id AND idempotency_key = p_idempotency_key;
        IF v_id IS NOT NULL THEN
            IF v_hash <> p_request_hash THEN
                SIGNAL SQLSTATE '45000'
                    SET MESSAGE_TEXT = 'IDEMPOTENCY_CONFLICT: this Idempotency-Key was used with a different request';
            END IF;
            SET p_found = TRUE;
            IF v_type = 'batch' THEN
                CALL sp_emit_batch(v_id, TRUE);
            ELSE
                CALL sp_emit_transaction(v_id, TRUE);
            END IF;
        END IF;
    END IF;
END$$
DELIMITER ;
