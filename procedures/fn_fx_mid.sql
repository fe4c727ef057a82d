-- fn_fx_mid: the bank's published mid of a currency against JOD at an instant (1 for JOD).
-- The mid (fx_rates.mid_rate of the JOD->currency row in force) is what exact conversions
-- go through; fn_fx_convert and fn_fx_applied_rate read it here, so both agree on it.
-- Parameters:
--   p_currency  the currency
--   p_at        the instant
-- Returns: DECIMAL(20,10); NULL when no mid is published for the currency at p_at.
-- Errors: none.
-- Example: SELECT fn_fx_mid('USD', NOW(6));  -- 1.4100000000
DROP FUNCTION IF EXISTS fn_fx_mid;
DELIMITER $$
CREATE FUNCTION fn_fx_mid(p_currency CHAR(3), p_at DATETIME(6))
RETURNS DECIMAL(20,10)
READS SQL DATA
COMMENT 'fn_fx_mid: the bank''s published mid of a currency against JOD at an instant (1 for JOD).'
BEGIN
    IF p_currency = 'JOD' THEN
        RETURN 1;
    END IF;
    RETURN (SELECT mid_rate FROM fx_rates
            WHERE base_currency = 'JOD' AND quote_currency = p_currency AND valid_from <= p_at
            ORDER BY valid_from DESC, id DESC LIMIT 1);
END$$
DELIMITER ;
