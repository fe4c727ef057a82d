-- fn_fx_convert: what p_amount of p_from becomes in p_to at an instant, rounded down once.
-- The one conversion of every money path and the quote. For a pair published by
-- sp_publish_fx_rate (its row in force carries mid_rate) the amount goes through the two
-- JOD mids at full precision: amount * mid(JOD->to) * (1 - spread) / mid(JOD->from) (a mid
-- of JOD itself is 1), the division last, then truncated once to p_exponent, so 141.00 USD
-- is 131.00 EUR at 1.41 and 1.31 (the stored cross rate, truncated to 10 decimals, gives
-- 130.99). A directly quoted pair (no mid on its row or on a JOD leg) converts at its rate.
-- Amounts are positive, so TRUNCATE is floor: no round trip gains (the rounding is in the
-- bank's favour). fn_fx_applied_rate is the rate this implies, for the record.
-- Parameters:
--   p_from      the currency converted from
--   p_to        the currency converted into
--   p_amount    the amount, in p_from
--   p_exponent  the ISO 4217 exponent of p_to
--   p_at        the instant (NULL: now)
-- Returns: DECIMAL(20,4); NULL when the pair has no rate in force at p_at.
-- Errors: none.
-- Example: SELECT fn_fx_convert('USD', 'EUR', 141.00, 2, NOW(6));  -- 131.0000
DROP FUNCTION IF EXISTS fn_fx_convert;
DELIMITER $$
CREATE FUNCTION fn_fx_convert(p_from CHAR(3), p_to CHAR(3), p_amount DECIMAL(38,12),
                              p_exponent INT, p_at DATETIME(6))
RETURNS DECIMAL(20,4)
READS SQL DATA
COMMENT 'fn_fx_convert: what p_amount of p_from becomes in p_to at an instant, rounded down once.'
BEGIN
    DECLARE v_at DATETIME(6) DEFAULT IFNULL(p_at, NOW(6));
    DECLARE v_rate DECIMAL(20,10) DEFAULT NULL;
    DECLARE v_mid DECIMAL(20,10) DEFAULT NULL;
    DECLARE v_spread DECIMAL(7,6) DEFAULT 0;
    DECLARE v_from_mid DECIMAL(20,10) DEFAULT 1;
    DECLARE v_to_mid DECIMAL(20,10) DEFAULT 1;
    DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_rate = v_rate;
    IF p_from = p_to THEN
        RETURN TRUNCATE(p_amount, p_exponent);
    END IF;
    SELECT rate, mid_rate, spread INTO v_rate, v_mid, v_spread FROM fx_rates
    WHERE base_currency = p_from AND quote_currency = p_to AND valid_from <= v_at
    ORDER BY valid_from DESC, id DESC LIMIT 1;
    IF v_rate IS NULL THEN
        RETURN NULL;
    END IF;
    SET v_from_mid = fn_fx_mid(p_from, v_at), v_to_mid = fn_fx_mid(p_to, v_at);
    IF v_mid IS NULL OR v_from_mid IS NULL OR v_to_mid IS NULL THEN
        RETURN TRUNCATE(p_amount * v_rate, p_exponent);
    END IF;
    RETURN TRUNCATE(p_amount * v_to_mid * (1 - v_spread) / v_from_mid, p_exponent);
END$$
DELIMITER ;
