-- trg_fee_schedules_audit_insert: a fee schedule row's INSERT (a DBA's change) is written to the hash-chained audit log.
DROP TRIGGER IF EXISTS trg_fee_schedules_audit_insert;
DELIMITER $$
CREATE TRIGGER trg_fee_schedules_audit_insert AFTER INSERT ON fee_schedules
FOR EACH ROW
BEGIN
    CALL sp_audit_append('fee_schedules', NEW.id, 'INSERT',
        NULL,
        JSON_OBJECT('currency', NEW.currency, 'kind', NEW.kind, 'percent', CAST(NEW.percent AS CHAR), 'min_fee', CAST(NEW.min_fee AS CHAR), 'max_fee', CAST(NEW.max_fee AS CHAR)));
END$$
DELIMITER ;
