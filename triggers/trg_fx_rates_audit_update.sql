-- trg_fx_rates_audit_update: a change to a stored exchange rate (a DBA's, never the API's) is written to the audit log.
DROP TRIGGER IF EXISTS trg_fx_rates_audit_update;
DELIMITER $$
CREATE TRIGGER trg_fx_rates_audit_update AFTER UPDATE ON fx_rates
FOR EACH ROW
BEGIN
    CALL sp_audit_append('fx_rates', NEW.id, 'UPDATE',
        JSON_OBJECT('base_currency', OLD.base_currency, 'quote_currency', OLD.quote_currency, 'rate', CAST(OLD.rate AS CHAR), 'valid_from', CAST(OLD.valid_from AS CHAR)),
        JSON_OBJECT('base_currency', NEW.base_currency, 'quote_currency', NEW.quote_currency, 'rate', CAST(NEW.rate AS CHAR), 'valid_from', CAST(NEW.valid_from AS CHAR)));
END$$
DELIMITER ;
