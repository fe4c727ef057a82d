-- sp_confirm_transaction: confirm a 'pending_otp' transfer with its one-time code: post it, or pass it on to review.
-- The customer who made the transfer sends the code; the API passes its HMAC-SHA256 (the
-- database never sees the code). Under sp_pending_lock: a key seen before replays the
-- transaction as it now is; then the code must still be valid (otp_expires_at) and match.
-- A wrong code uses one attempt (committed before the error is raised); the last wrong one,
-- or an expired code, cancels the transfer ('failed') and releases its hold. A right code
-- posts it (sp_pending_post: the hold is captured in the same transaction) or, when a
-- review rule was hit, moves it to 'pending_review' with the money still held.
-- Parameters:
--   p_transaction_id   the pending transfer
--   p_otp_hash         HMAC-SHA256 of the code the customer typed
--   p_idempotency_key  the confirm request's key (a repeat replays)
--   p_actor_id         the customer (the transfer's initiator)
--   p_session_id       their session
-- Returns: the transaction, in sp_emit_transaction's shape.
-- Errors: SESSION_REVOKED, TRANSACTION_NOT_FOUND (not theirs), IDEMPOTENCY_CONFLICT,
--         TRANSACTION_NOT_PENDING, OTP_EXPIRED, OTP_INVALID, OTP_ATTEMPTS_EXCEEDED, and
--         sp_pending_post's.
-- Example: CALL sp_confirm_transaction(1001, UNHEX(SHA2('x', 256)), 'c-1', 42, '5f0c...');
DROP PROCEDURE IF EXISTS sp_confirm_transaction;
DELIMITER $$
CREATE PROCEDURE sp_confirm_transaction(
    IN p_transaction_id BIGINT UNSIGNED,
    IN p_otp_hash BINARY(32),
    IN p_idempotency_key VARCHAR(128),
    IN p_actor_id BIGINT UNSIGNED,
    IN p_session_id CHAR(32))
MODIFIES SQL DATA
COMMENT 'sp_confirm_transaction: confirm a ''pending_otp'' transfer with its one-time code: post it, or pass it on to review.'
proc: BEGIN
    DECLARE v_initiator BIGINT UNSIGNED DEFAULT NULL;
    DECLARE v_hash BINARY(32);
    DECLARE v_seen BOOLEAN DEFAULT FALSE;
    DECLARE v_status VARCHAR(16);
    DECLARE v_otp BINARY(32);
    DECLARE v_expires DATETIME(6);
    DECLARE v_left INT;
    DECLARE v_review BOOLEAN;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;

    CALL sp_assert_session(p_session_id, p_actor_id);
    SET @bank_actor_id = p_actor_id;
    SELECT t.initiator_id INTO v_initiator
    FROM transactions t JOIN pending_transactions p ON p.transaction_id = t.id
    WHERE t.id = p_transaction_id;
    IF v_initiator IS NULL OR v_initiator <> p_actor_id THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'TRANSACTION_NOT_FOUND: no such transaction';
    END IF;
    SET v_hash = UNHEX(SHA2(CONCAT_WS('|', 'confirm', p_transaction_id, HEX(p_otp_hash)), 256));
    SET TRANSACTION ISOLATION LEVEL READ COMMITTED;
    START TRANSACTION;
    CALL sp_pending_lock(p_transaction_id);
    CALL sp_pending_action_seen(p_transaction_id, p_actor_id, p_idempotency_key, v_hash, v_seen);
    IF v_seen THEN
        COMMIT;
        CALL sp_emit_transaction(p_transaction_id, TRUE);
        LEAVE proc;
    END IF;
    SELECT t.status, p.otp_hash, p.otp_expires_at, p.otp_attempts_left, p.needs_review
      INTO v_status, v_otp, v_expires, v_left, v_review
    FROM transactions t JOIN pending_transactions p ON p.transaction_id = t.id
    WHERE t.id = p_transaction_id;
    IF v_status <> 'pending_otp' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'TRANSACTION_NOT_PENDING: the transaction is not waiting for a code';
    END IF;
    IF v_expires <= NOW(6) THEN
        CALL sp_pending_cancel(p_transaction_id, 'failed', 'expired', 'transaction.expired',
                               'The one-time code expired; the transfer was cancelled and the money released.');
        COMMIT;
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'OTP_EXPIRED: the code has expired; the transfer was cancelled';
    END IF;
    IF p_otp_hash IS NULL OR v_otp <> p_otp_hash THEN
        IF v_left <= 1 THEN
            UPDATE pending_transactions SET otp_attempts_left = 0 WHERE transaction_id = p_transaction_id;
            CALL sp_pending_cancel(p_transaction_id, 'failed', 'released', 'transaction.failed',
                                   'The one-time code was wrong too many times; the transfer was cancelled and the money released.');
            COMMIT;
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'OTP_ATTEMPTS_EXCEEDED: the code was wrong too many times; the transfer was cancelled';
        END IF;
        UPDATE pending_transactions SET otp_attempts_left = v_left - 1 WHERE transaction_id = p_transaction_id;
        COMMIT;
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'OTP_INVALID: the code is not right';
    END IF;
    INSERT INTO transaction_actions (transaction_id, action, actor_id, idempotency_key, request_hash)
    VALUES (p_transaction_id, 'confirm', p_actor_id, p_idempotency_key, v_hash);
    UPDATE pending_transactions SET otp_hash = NULL, confirmed_at = NOW(6)
    WHERE transaction_id = p_transaction_id;
    IF v_review THEN
        UPDATE transactions SET status = 'pending_review' WHERE id = p_transaction_id;
        UPDATE holds h JOIN pending_transactions p ON p.hold_id = h.id
        SET h.expires_at = NULL, h.reason = 'transfer awaiting review'
        WHERE p.transaction_id = p_transaction_id;
        INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, user_id, payload)
        VALUES ('transaction.pending_review', 'transaction', p_transaction_id, p_actor_id,
                JSON_OBJECT('transaction_id', p_transaction_id));
        COMMIT;
    ELSE
        CALL sp_pending_post(p_transaction_id);
    END IF;
    CALL sp_emit_transaction(p_transaction_id, FALSE);
END$$
DELIMITER ;
