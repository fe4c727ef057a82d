-- trg_audit_log_no_update: audit_log is append-only; UPDATE is refused for every database user.
-- A wrong posting is corrected by a reversal (a new transaction), never by editing history.
DROP TRIGGER IF EXISTS trg_audit_log_no_update;
DELIMITER $$
CREATE TRIGGER trg_audit_log_no_update BEFORE UPDATE ON audit_log
FOR EACH ROW
BEGIN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'IMMUTABLE_RECORD: audit_log rows cannot be changed or removed';
END$$
DELIMITER ;
