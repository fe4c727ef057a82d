-- trg_fx_rates_audit_insert: every published exchange rate is written to the hash-chained audit log.
DROP TRIGGER IF EXISTS trg_fx_rates_audit_insert;
DELIMITER $$
CREATE TRIGGER trg_fx_rates_audit_insert AFTER INSERT ON fx_rates
FOR EACH ROW
BEGIN
    CALL sp_audit_append('fx_rates', NEW.id, 'INSERT', NULL,
        JSON_OBJECT('base_currency', NEW.base_currency, 'quote_currency', NEW.quote_currency, 'rate', CAST(NEW.rate AS CHAR), 'mid_rate', CAST(NEW.mid_rate AS CHAR), 'spread', CAST(NEW.spread AS CHAR), 'valid_from', CAST(NEW.valid_from AS CHAR), 'published_by', NEW.published_by, 'reason', NEW.reason));
END$$
DELIMITER ;
