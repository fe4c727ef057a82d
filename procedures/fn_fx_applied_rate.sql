-- fn_fx_applied_rate: the rate fn_fx_convert applies to a pair at an instant, rounded up at 20 decimals.
-- What a transaction and a quote record as their rate: for a published pair
-- mid(JOD->to) * (1 - spread) / mid(JOD->from), the exact rate fn_fx_convert uses, rounded
-- UP to 20 decimals so that amount * rate is never below what was credited
-- (vw_ledger_integrity_check: fx_conversion_overpaid; the gap, under 1e-20 per unit, is far
-- below any minor unit); a directly quoted pair records its rate; the same currency, 1.
-- Parameters:
--   p_from  the currency converted from
--   p_to    the currency converted into
--   p_at    the instant (NULL: now)
-- Returns: DECIMAL(30,20), NULL when the pair has no rate in force at p_at.
-- Errors: none.
-- Example: SELECT fn_fx_applied_rate('USD', 'EUR', NOW(6));  -- 0.92907801418439716313
DROP FUNCTION IF EXISTS fn_fx_applied_rate;
DELIMITER $$
CREATE FUNCTION fn_fx_applied_rate(p_from CHAR(3), p_to CHAR(3), p_at DATETIME(6))
RETURNS DECIMAL(30,20)
READS SQL DATA
COMMENT 'fn_fx_applied_rate: the rate fn_fx_convert applies to a pair at an instant, rounded up at 20 decimals.'
BEGIN
    DECLARE v_at DATETIME(6) DEFAULT IFNULL(p_at, NOW(6));
    DECLARE v_rate DECIMAL(20,10) DEFAULT NULL;
    DECLARE v_mid DECIMAL(20,10) DEFAULT NULL;
    DECLARE v_spread DECIMAL(7,6) DEFAULT 0;
    DECLARE v_from_mid DECIMAL(20,10) DEFAULT 1;
    DECLARE v_to_mid DECIMAL(20,10) DEFAULT 1;
    DECLARE v_exact DECIMAL(65,30);
    DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_rate = v_rate;
    IF p_from IS NULL OR p_to IS NULL THEN
        RETURN NULL;
    ELSEIF p_from = p_to THEN
        RETURN IF(EXISTS (SELECT 1 FROM currencies WHERE code = p_from), 1, NULL);
    END IF;
    SELECT rate, mid_rate, spread INTO v_rate, v_mid, v_spread FROM fx_rates
    WHERE base_currency = p_from AND quote_currency = p_to AND valid_from <= v_at
    ORDER BY valid_from DESC, id DESC LIMIT 1;
    IF v_rate IS NULL THEN
        RETURN NULL;
    END IF;
    SET v_from_mid = fn_fx_mid(p_from, v_at), v_to_mid = fn_fx_mid(p_to, v_at);
    IF v_mid IS NULL OR v_from_mid IS NULL OR v_to_mid IS NULL THEN
        RETURN v_rate;
    END IF;
    SET v_exact = CAST(v_to_mid * (1 - v_spread) AS DECIMAL(65,30)) / v_from_mid;
    RETURN IF(TRUNCATE(v_exact, 20) = v_exact, v_exact,
              TRUNCATE(v_exact, 20) + CAST(0.00000000000000000001 AS DECIMAL(30,20)));
END$$
DELIMITER ;
