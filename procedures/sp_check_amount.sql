-- sp_check_amount: validate a money amount for a currency.
-- Positive, at most 10^13, and no more decimals than the currency's ISO 4217 exponent
-- (amounts are never rounded silently: 1.2345 JOD is an error, not 1.235).
-- Parameters: p_amount, p_currency, p_allow_zero (fees may be zero).
-- Errors: INVALID_AMOUNT, UNKNOWN_CURRENCY.
-- Example: CALL sp_check_amount(10.500, 'JOD', FALSE);
DROP PROCEDURE IF EXISTS sp_check_amount;
DELIMITER $$
CREATE PROCEDURE sp_check_amount(IN p_amount DECIMAL(38,12), IN p_currency CHAR(3), IN p_allow_zero BOOLEAN)
READS SQL DATA
BEGIN
    DECLARE v_exponent INT DEFAULT NULL;
    SELECT exponent INTO v_exponent FROM currencies WHERE code = p_currency AND is_active;
    IF v_exponent IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'UNKNOWN_CURRENCY: currency is not supported';
    END IF;
    IF p_amount IS NULL OR p_amount < 0 OR (p_amount = 0 AND NOT p_allow_zero) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_AMOUNT: amount must be greater than zero';
    END IF;
    IF p_amount >= 10000000000000 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_AMOUNT: amount is too large';
    END IF;
    IF p_amount <> ROUND(p_amount, v_exponent) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_AMOUNT: too many decimal places for the currency';
    END IF;
END$$
DELIMITER ;
