-- trg_transactions_no_delete: transaction headers are never deleted, by any database user.
-- Their entries reference them and the audit trail depends on them; a mistake is reversed.
-- Errors: IMMUTABLE_RECORD.
DROP TRIGGER IF EXISTS trg_transactions_no_delete;
DELIMITER $$
CREATE TRIGGER trg_transactions_no_delete BEFORE DELETE ON transactions
FOR EACH ROW
BEGIN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'IMMUTABLE_RECORD: transactions cannot be deleted';
END$$
DELIMITER ;
