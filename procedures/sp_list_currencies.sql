-- sp_list_currencies: the active currencies with their ISO 4217 exponent.
-- Parameters: none
-- Errors: none.
-- Example: CALL sp_list_currencies();
DROP PROCEDURE IF EXISTS sp_list_currencies;
DELIMITER $$
CREATE PROCEDURE sp_list_currencies()
READS SQL DATA
COMMENT 'sp_list_currencies: the active currencies with their ISO 4217 exponent.'
BEGIN
    SELECT code, name, exponent, high_value_threshold
    FROM currencies
    WHERE is_active
    ORDER BY code;
END$$
DELIMITER ;
