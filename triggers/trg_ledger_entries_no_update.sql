-- trg_ledger_entries_no_update: ledger_entries is append-only; UPDATE is refused for every database user.
-- A wrong posting is corrected by a reversal (a new transaction), never by editing history.
DROP TRIGGER IF EXISTS trg_ledger_entries_no_update;
DELIMITER $$
CREATE TRIGGER trg_ledger_entries_no_update BEFORE UPDATE ON ledger_entries
FOR EACH ROW
BEGIN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'IMMUTABLE_RECORD: ledger_entries rows cannot be changed or removed';
END$$
DELIMITER ;
