-- fn_fx_rate: the rate in force from one currency to another at an instant, or NULL.
-- The one statement of which rate applies: the newest fx_rates row of the pair whose
-- valid_from is not after p_at (ties: the later row). Every path that converts calls it,
-- scalar (sp_perform_transfer) or once per currency (sp_perform_batch_transfer).
-- Parameters:
--   p_from  the currency converted from (fx_rates.base_currency)
--   p_to    the currency converted to (fx_rates.quote_currency)
--   p_at    the instant (NOW(6) for a posting)
-- Returns: the rate, DECIMAL(20,10); NULL when the pair has none in force.
-- Errors: none.
-- Example: SELECT fn_fx_rate('JOD', 'USD', NOW(6));  -- 1.4100000000
DROP FUNCTION IF EXISTS fn_fx_rate;
DELIMITER $$
CREATE FUNCTION fn_fx_rate(p_from CHAR(3), p_to CHAR(3), p_at DATETIME(6))
RETURNS DECIMAL(20,10)
NOT DETERMINISTIC READS SQL DATA
COMMENT 'fn_fx_rate: the rate in force from one currency to another at an instant, or NULL.'
BEGIN
    RETURN (SELECT rate FROM fx_rates
            WHERE base_currency = p_from AND quote_currency = p_to AND valid_from <= p_at
            ORDER BY valid_from DESC, id DESC LIMIT 1);
END$$
DELIMITER ;
