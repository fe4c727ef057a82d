-- fn_jod_equivalent: an amount's value in JOD at the rate in force now, for the thresholds of transaction_rules.
-- The one conversion the confirmation and review rules use (fn_fx_rate, spread included).
-- Parameters:
--   p_amount    the amount
--   p_currency  its currency
-- Returns: DECIMAL(20,4); NULL when the currency has no rate into JOD.
-- Errors: none.
-- Example: SELECT fn_jod_equivalent(1410.00, 'USD');  -- about 1000
DROP FUNCTION IF EXISTS fn_jod_equivalent;
DELIMITER $$
CREATE FUNCTION fn_jod_equivalent(p_amount DECIMAL(38,12), p_currency CHAR(3))
RETURNS DECIMAL(20,4)
READS SQL DATA
COMMENT 'fn_jod_equivalent: an amount''s value in JOD at the rate in force now, for the thresholds of transaction_rules.'
BEGIN
    RETURN ROUND(p_amount * fn_fx_rate(p_currency, 'JOD', NOW(6)), 4);
END$$
DELIMITER ;
