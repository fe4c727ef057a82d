-- sp_pending_action_seen: whether this actor already acted on a held transaction with this key.
-- A confirm, an approval and a rejection are idempotent per actor and Idempotency-Key
-- (transaction_actions): the same key for the same request is a replay, the same key for
-- another request is refused. Runs in the caller's transaction, after sp_pending_lock, so
-- two calls with one key serialise on the held transaction's rows.
-- Parameters:
--   p_transaction_id   the held transaction acted on
--   p_actor_id         who acts
--   p_idempotency_key  the caller's key
--   p_request_hash     SHA-256 of what the request asks (action, transaction, its arguments)
--   p_seen             OUT: TRUE when this is a replay of an action already taken
-- Errors: IDEMPOTENCY_CONFLICT (the key was used with a different request).
-- Example: CALL sp_pending_action_seen(1001, 42, 'confirm-1', UNHEX(SHA2('...', 256)), @seen);
DROP PROCEDURE IF EXISTS sp_pending_action_seen;
DELIMITER $$
CREATE PROCEDURE sp_pending_action_seen(
    IN p_transaction_id BIGINT UNSIGNED,
    IN p_actor_id BIGINT UNSIGNED,
    IN p_idempotency_key VARCHAR(128),
    IN p_request_hash BINARY(32),
    OUT p_seen BOOLEAN)
READS SQL DATA
COMMENT 'sp_pending_action_seen: whether this actor already acted on a held transaction with this key.'
BEGIN
    DECLARE v_seen_txn BIGINT UNSIGNED DEFAULT NULL;
    DECLARE v_seen_hash BINARY(32);
    SELECT transaction_id, request_hash INTO v_seen_txn, v_seen_hash
    FROM transaction_actions WHERE actor_id = p_actor_id AND idempotency_key = p_idempotency_key;
    IF v_seen_txn IS NOT NULL AND (v_seen_txn <> p_transaction_id OR v_seen_hash <> p_request_hash) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'IDEMPOTENCY_CONFLICT: this Idempotency-Key was used with a different request';
    END IF;
    SET p_seen = v_seen_txn IS NOT NULL;
END$$
DELIMITER ;
