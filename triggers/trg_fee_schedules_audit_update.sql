-- trg_fee_schedules_audit_update: a fee schedule row's UPDATE (a DBA's change) is written to the hash-chained audit log.
DROP TRIGGER IF EXISTS trg_fee_schedules_audit_update;
DELIMITER $$
CREATE TRIGGER trg_fee_schedules_audit_update AFTER UPDATE ON fee_schedules
FOR EACH ROW
BEGIN
    CALL sp_audit_append('fee_schedules', NEW.id, 'UPDATE',
        JSON_OBJECT('currency', OLD.currency, 'kind', OLD.kind, 'percent', CAST(OLD.percent AS CHAR), 'min_fee', CAST(OLD.min_fee AS CHAR), 'max_fee', CAST(OLD.max_fee AS CHAR)),
        JSON_OBJECT('currency', NEW.currency, 'kind', NEW.kind, 'percent', CAST(NEW.percent AS CHAR), 'min_fee', CAST(NEW.min_fee AS CHAR), 'max_fee', CAST(NEW.max_fee AS CHAR)));
END$$
DELIMITER ;
