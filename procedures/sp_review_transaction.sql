-- sp_review_transaction: a staff decision on a 'pending_review' transaction: approve (it posts) or reject (its hold is released); audited.
-- Tellers, managers and admins decide; never on a transaction they made, nor on one whose
-- sender is themselves or a user of their rank or above (sp_assert_may_act_on). Under
-- sp_pending_lock: a key seen before replays the transaction as it now is; only a
-- transaction still 'pending_review' can be decided, so of two racing decisions one wins
-- and the other is TRANSACTION_NOT_PENDING. Approval posts through sp_pending_post (the hold
-- captured in the same transaction); rejection ends it 'rejected' (sp_pending_cancel). The
-- customer gets an in-app notification either way, and the audit log a row with the act
-- ('transaction.approve' or 'transaction.reject'), the actor, the reason, before and after.
-- Parameters:
--   p_transaction_id   the transaction
--   p_decision         'approve' or 'reject'
--   p_reason           why (required to reject)
--   p_idempotency_key  the request's key (a repeat replays)
--   p_actor_id         the staff member
--   p_session_id       their session
-- Returns: the transaction, in sp_emit_transaction's shape.
-- Errors: SESSION_REQUIRED, SESSION_REVOKED, FORBIDDEN, INVALID_ARGUMENT,
--         TRANSACTION_NOT_FOUND, IDEMPOTENCY_CONFLICT, TRANSACTION_NOT_PENDING, and
--         sp_pending_post's.
-- Example: CALL sp_review_transaction(1001, 'approve', 'known payee', 'r-1', 3, '5f0c...');
DROP PROCEDURE IF EXISTS sp_review_transaction;
DELIMITER $$
CREATE PROCEDURE sp_review_transaction(
    IN p_transaction_id BIGINT UNSIGNED,
    IN p_decision VARCHAR(8),
    IN p_reason VARCHAR(255),
    IN p_idempotency_key VARCHAR(128),
    IN p_actor_id BIGINT UNSIGNED,
    IN p_session_id CHAR(32))
MODIFIES SQL DATA
COMMENT 'sp_review_transaction: a staff decision on a ''pending_review'' transaction: approve (it posts) or reject (its hold is released); audited.'
proc: BEGIN
    DECLARE v_initiator BIGINT UNSIGNED DEFAULT NULL;
    DECLARE v_owner BIGINT UNSIGNED;
    DECLARE v_hash BINARY(32);
    DECLARE v_seen BOOLEAN DEFAULT FALSE;
    DECLARE v_status VARCHAR(16);
    DECLARE v_reason VARCHAR(255) DEFAULT NULLIF(TRIM(p_reason), '');
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        SET @bank_audit_event = NULL, @bank_audit_reason = NULL;
        RESIGNAL;
    END;

    CALL sp_assert_session(p_session_id, p_actor_id);
    CALL sp_assert_role(p_actor_id, 'teller,manager,admin');
    IF p_decision IS NULL OR p_decision NOT IN ('approve', 'reject') THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: the decision is approve or reject';
    END IF;
    IF p_decision = 'reject' AND v_reason IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: a rejection needs a reason';
    END IF;
    SELECT t.initiator_id, a.user_id INTO v_initiator, v_owner
    FROM transactions t
    JOIN pending_transactions p ON p.transaction_id = t.id
    JOIN accounts a ON a.id = t.from_account_id
    WHERE t.id = p_transaction_id;
    IF v_initiator IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'TRANSACTION_NOT_FOUND: no such transaction';
    END IF;
    IF v_initiator = p_actor_id THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'FORBIDDEN: staff cannot decide on their own transactions';
    END IF;
    CALL sp_assert_may_act_on(p_actor_id, v_owner);
    SET v_hash = UNHEX(SHA2(CONCAT_WS('|', p_decision, p_transaction_id, IFNULL(v_reason, '')), 256));
    SET TRANSACTION ISOLATION LEVEL READ COMMITTED;
    START TRANSACTION;
    CALL sp_pending_lock(p_transaction_id);
    CALL sp_pending_action_seen(p_transaction_id, p_actor_id, p_idempotency_key, v_hash, v_seen);
    IF v_seen THEN
        COMMIT;
        CALL sp_emit_transaction(p_transaction_id, TRUE);
        LEAVE proc;
    END IF;
    SELECT status INTO v_status FROM transactions WHERE id = p_transaction_id;
    IF v_status <> 'pending_review' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'TRANSACTION_NOT_PENDING: the transaction is not waiting for review';
    END IF;
    INSERT INTO transaction_actions (transaction_id, action, actor_id, idempotency_key, request_hash)
    VALUES (p_transaction_id, p_decision, p_actor_id, p_idempotency_key, v_hash);
    UPDATE pending_transactions
    SET decided_by = p_actor_id, decided_at = NOW(6), decision_reason = v_reason
    WHERE transaction_id = p_transaction_id;
    SET @bank_actor_id = p_actor_id, @bank_audit_event = CONCAT('transaction.', p_decision),
        @bank_audit_reason = v_reason;
    CALL sp_audit_append('transactions', p_transaction_id, 'UPDATE',
                         JSON_OBJECT('status', 'pending_review'),
                         JSON_OBJECT('status', IF(p_decision = 'approve', 'completed', 'rejected'),
                                     'decided_by', p_actor_id));
    SET @bank_audit_event = NULL, @bank_audit_reason = NULL;
    IF p_decision = 'approve' THEN
        INSERT INTO notifications (user_id, kind, title, body, transaction_id)
        SELECT v_owner, 'transaction.approved', CONCAT('Transfer ', reference, ' approved'),
               'Your transfer was reviewed and approved; it has been completed.', id
        FROM transactions WHERE id = p_transaction_id;
        CALL sp_pending_post(p_transaction_id);
    ELSE
        CALL sp_pending_cancel(p_transaction_id, 'rejected', 'released', 'transaction.rejected',
                               CONCAT('Your transfer was reviewed and rejected: ', v_reason,
                                      '. The money is available again.'));
        COMMIT;
    END IF;
    CALL sp_emit_transaction(p_transaction_id, FALSE);
END$$
DELIMITER ;
