-- sp_expire_pending_transactions: cancel every 'pending_otp' transfer whose code has expired, releasing its hold.
-- Expiry without anyone acting: the event ev_expire_pending_transactions calls it where the
-- server's event_scheduler is ON; the API's periodic sweep calls it otherwise (with
-- p_unless_scheduled TRUE it does nothing while the scheduler runs). One short transaction
-- per transfer, under sp_pending_lock and re-checked there, so a confirm racing the sweep
-- either wins or finds the transfer cancelled ('failed', hold 'expired'; the customer gets
-- an in-app notification).
-- Parameters:
--   p_unless_scheduled  TRUE: skip when @@event_scheduler is ON (the event does the work)
-- Returns: one row: expired (how many were cancelled), skipped (TRUE when the event does it).
-- Errors: none of its own.
-- Example: CALL sp_expire_pending_transactions(TRUE);
DROP PROCEDURE IF EXISTS sp_expire_pending_transactions;
DELIMITER $$
CREATE PROCEDURE sp_expire_pending_transactions(IN p_unless_scheduled BOOLEAN)
MODIFIES SQL DATA
COMMENT 'sp_expire_pending_transactions: cancel every ''pending_otp'' transfer whose code has expired, releasing its hold.'
proc: BEGIN
    DECLARE v_done BOOLEAN DEFAULT FALSE;
    DECLARE v_id BIGINT UNSIGNED;
    DECLARE v_expired INT UNSIGNED DEFAULT 0;
    DECLARE v_still BOOLEAN;
    DECLARE c_due CURSOR FOR
        SELECT p.transaction_id FROM pending_transactions p
        JOIN transactions t ON t.id = p.transaction_id
        WHERE p.otp_expires_at <= NOW(6) AND t.status = 'pending_otp'
        ORDER BY p.transaction_id LIMIT 1000;
    DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_done = TRUE;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;

    IF p_unless_scheduled AND @@GLOBAL.event_scheduler = 'ON' THEN
        SELECT 0 AS expired, TRUE AS skipped;
        LEAVE proc;
    END IF;
    SET TRANSACTION ISOLATION LEVEL READ COMMITTED;
    OPEN c_due;
    due: LOOP
        FETCH c_due INTO v_id;
        IF v_done THEN
            LEAVE due;
        END IF;
        START TRANSACTION;
        CALL sp_pending_lock(v_id);
        SET v_done = FALSE;
        SELECT t.status = 'pending_otp' AND p.otp_expires_at <= NOW(6) INTO v_still
        FROM transactions t JOIN pending_transactions p ON p.transaction_id = t.id
        WHERE t.id = v_id;
        IF v_still THEN
            CALL sp_pending_cancel(v_id, 'failed', 'expired', 'transaction.expired',
                                   'The one-time code expired; the transfer was cancelled and the money released.');
            SET v_expired = v_expired + 1;
        END IF;
        COMMIT;
    END LOOP;
    CLOSE c_due;
    SELECT v_expired AS expired, FALSE AS skipped;
END$$
DELIMITER ;
