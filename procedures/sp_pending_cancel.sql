-- sp_pending_cancel: end a pending transaction without posting it, give its hold back, and tell the customer.
-- Runs in the caller's transaction, after sp_pending_lock. The status becomes p_status
-- ('failed': the code was wrong three times or expired; 'rejected': staff said no), the
-- hold p_hold_status ('released' or 'expired'), the sender's day total drops by the amount
-- when it is still the day it counted in, and the customer gets an in-app notification
-- and an outbox event. Writes no ledger entry: nothing was posted.
-- Parameters:
--   p_transaction_id  the pending transaction (locked)
--   p_status          'failed' or 'rejected'
--   p_hold_status     'released' or 'expired'
--   p_kind            the notification's kind, e.g. 'transaction.rejected'
--   p_body            the notification's text
-- Errors: none.
-- Example: CALL sp_pending_cancel(1001, 'failed', 'expired', 'transaction.expired', 'The code expired.');
DROP PROCEDURE IF EXISTS sp_pending_cancel;
DELIMITER $$
CREATE PROCEDURE sp_pending_cancel(
    IN p_transaction_id BIGINT UNSIGNED,
    IN p_status VARCHAR(16),
    IN p_hold_status VARCHAR(16),
    IN p_kind VARCHAR(32),
    IN p_body VARCHAR(2000))
MODIFIES SQL DATA
COMMENT 'sp_pending_cancel: end a pending transaction without posting it, give its hold back, and tell the customer.'
BEGIN
    DECLARE v_hold BIGINT UNSIGNED;
    DECLARE v_held DECIMAL(20,4);
    DECLARE v_account BIGINT UNSIGNED;
    DECLARE v_amount DECIMAL(20,4);
    DECLARE v_day DATE;
    DECLARE v_user BIGINT UNSIGNED;
    DECLARE v_reference VARCHAR(24);
    SELECT p.hold_id, h.amount, t.from_account_id, t.amount, DATE(t.created_at), a.user_id, t.reference
      INTO v_hold, v_held, v_account, v_amount, v_day, v_user, v_reference
    FROM pending_transactions p
    JOIN holds h ON h.id = p.hold_id
    JOIN transactions t ON t.id = p.transaction_id
    JOIN accounts a ON a.id = t.from_account_id
    WHERE p.transaction_id = p_transaction_id;
    UPDATE transactions SET status = p_status WHERE id = p_transaction_id;
    UPDATE holds SET status = p_hold_status, released_at = NOW(6) WHERE id = v_hold AND status = 'active';
    UPDATE accounts
    SET held_amount = held_amount - v_held, available_balance = available_balance + v_held,
        daily_spent = IF(daily_spent_date = v_day, GREATEST(daily_spent - v_amount, 0), daily_spent)
    WHERE id = v_account;
    INSERT INTO notifications (user_id, kind, title, body, transaction_id)
    VALUES (v_user, p_kind, CONCAT('Transfer ', v_reference, ' ', p_status), p_body, p_transaction_id);
    INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, user_id, payload)
    VALUES (CONCAT('transaction.', p_status), 'transaction', p_transaction_id, v_user,
            JSON_OBJECT('transaction_id', p_transaction_id, 'status', p_status,
                        'hold', p_hold_status));
END$$
DELIMITER ;
