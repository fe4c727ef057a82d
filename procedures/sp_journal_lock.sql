-- sp_journal_lock: lock every account named in tmp_journal_legs, in the ledger's lock order.
-- Customer accounts first, then system accounts, each in ascending id order, one row at a
-- time (a set-wise FOR UPDATE locks in scan order, not in this one), so two postings can
-- never wait on each other in a cycle. Rows this transaction holds already cost nothing.
-- sp_post_journal calls it; a caller that must check locked rows before it builds its
-- error (sp_reverse_transaction) calls it first. Runs in the caller's transaction.
-- Parameters: none
-- Errors: none.
-- Example: CALL sp_journal_lock();
DROP PROCEDURE IF EXISTS sp_journal_lock;
DELIMITER $$
CREATE PROCEDURE sp_journal_lock()
READS SQL DATA
COMMENT 'sp_journal_lock: lock every account named in tmp_journal_legs, in the ledger''s lock order.'
BEGIN
    DECLARE v_done BOOLEAN DEFAULT FALSE;
    DECLARE v_account BIGINT UNSIGNED;
    DECLARE v_locked INT;
    DECLARE c_lock CURSOR FOR
        SELECT a.id FROM accounts a
        WHERE a.id IN (SELECT account_id FROM tmp_journal_legs)
        ORDER BY a.kind = 'system', a.id;
    DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_done = TRUE;
    OPEN c_lock;
    lock_loop: LOOP
        FETCH c_lock INTO v_account;
        IF v_done THEN LEAVE lock_loop; END IF;
        SELECT COUNT(*) INTO v_locked FROM accounts WHERE id = v_account FOR UPDATE;
    END LOOP;
    CLOSE c_lock;
END$$
DELIMITER ;
