-- sp_check_amount: validate a money amount for a currency (the rule is fn_amount_error).
-- This checks the amount's form only; a procedure that moves money also passes the
-- currency's max_amount to fn_amount_error.
-- Parameters:
--   p_amount      the amount to check
--   p_currency    its currency
--   p_allow_zero  TRUE where zero is allowed (fees, limits may be zero)
-- Returns: nothing.
-- Errors: INVALID_AMOUNT, UNKNOWN_CURRENCY.
-- Example: CALL sp_check_amount(10.500, 'JOD', FALSE);
DROP PROCEDURE IF EXISTS sp_check_amount;
DELIMITER $$
CREATE PROCEDURE sp_check_amount(IN p_amount DECIMAL(38,12), IN p_currency CHAR(3), IN p_allow_zero BOOLEAN)
READS SQL DATA
COMMENT 'sp_check_amount: validate a money amount for a currency (the rule is fn_amount_error).'
BEGIN
    DECLARE v_exponent INT DEFAULT NULL;
    DECLARE v_error VARCHAR(128);
    SELECT exponent INTO v_exponent FROM currencies WHERE code = p_currency AND is_active;
    IF v_exponent IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'UNKNOWN_CURRENCY: currency is not supported';
    END IF;
    SET v_error = fn_amount_error(p_amount, v_exponent, p_allow_zero, NULL);
    IF v_error IS NOT NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_error;
    END IF;
END$$
DELIMITER ;
