-- trg_transactions_flag_high_value: mark transactions at or above their currency's
-- high-value threshold (currencies.high_value_threshold) for review and reporting.
DROP TRIGGER IF EXISTS trg_transactions_flag_high_value;
DELIMITER $$
CREATE TRIGGER trg_transactions_flag_high_value BEFORE INSERT ON transactions
FOR EACH ROW
BEGIN
    SET NEW.is_high_value = NEW.type <> 'batch' AND NEW.amount >= (
        SELECT high_value_threshold FROM currencies WHERE code = NEW.currency);
END$$
DELIMITER ;
