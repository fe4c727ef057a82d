-- trg_fee_schedules_audit_delete: a fee schedule row's DELETE (a DBA's change) is written to the hash-chained audit log.
DROP TRIGGER IF EXISTS trg_fee_schedules_audit_delete;
DELIMITER $$
CREATE TRIGGER trg_fee_schedules_audit_delete AFTER DELETE ON fee_schedules
FOR EACH ROW
BEGIN
    CALL sp_audit_append('fee_schedules', OLD.id, 'DELETE',
        JSON_OBJECT('currency', OLD.currency, 'kind', OLD.kind, 'percent', CAST(OLD.percent AS CHAR), 'min_fee', CAST(OLD.min_fee AS CHAR), 'max_fee', CAST(OLD.max_fee AS CHAR)),
        NULL);
END$$
DELIMITER ;
