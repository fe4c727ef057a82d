-- fn_fx_rate: the rate that converts one unit of p_from into p_to at an instant, or NULL.
-- The one rate lookup: the fx_rates row of the pair in force at p_at (the latest valid_from
-- not after it; the higher id wins a tie). A row already carries the spread and the
-- derivation through JOD (schema/12_fx_and_fees.sql), so nothing is computed here.
-- The same currency converts at 1.
-- Parameters:
--   p_from  the currency converted from
--   p_to    the currency converted into
--   p_at    the instant (NULL: now)
-- Returns: DECIMAL(20,10), NULL when the pair has no rate in force at p_at.
-- Errors: none.
-- Example: SELECT fn_fx_rate('JOD', 'USD', NOW(6));  -- 1.4100000000
DROP FUNCTION IF EXISTS fn_fx_rate;
DELIMITER $$
CREATE FUNCTION fn_fx_rate(p_from CHAR(3), p_to CHAR(3), p_at DATETIME(6))
RETURNS DECIMAL(20,10)
READS SQL DATA
COMMENT 'fn_fx_rate: the rate that converts one unit of p_from into p_to at an instant, or NULL.'
BEGIN
    IF p_from IS NULL OR p_to IS NULL THEN
        RETURN NULL;
    ELSEIF p_from = p_to THEN
        RETURN IF(EXISTS (SELECT 1 FROM currencies WHERE code = p_from), 1, NULL);
    END IF;
    RETURN (SELECT rate FROM fx_rates
            WHERE base_currency = p_from AND quote_currency = p_to
              AND valid_from <= IFNULL(p_at, NOW(6))
            ORDER BY valid_from DESC, id DESC
            LIMIT 1);
END$$
DELIMITER ;
