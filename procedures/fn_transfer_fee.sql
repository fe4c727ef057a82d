-- fn_transfer_fee: the fee for moving p_amount of p_currency as p_kind, in that currency.
-- The one statement of the fee rule, from fee_schedules (a DBA changes a row, no deploy):
-- percent % of the amount, at least min_fee, at most max_fee, rounded half away from zero
-- to the currency's ISO 4217 exponent. Reads only its arguments and that row.
-- Parameters:
--   p_currency  the currency of the amount (and of the fee)
--   p_amount    the amount moved (the fee is on top of it)
--   p_kind      'transfer_external' (to another customer), 'transfer_own', 'deposit' or
--               'bill_payment'
-- Returns: DECIMAL(20,4); NULL for a NULL or negative amount, an unknown currency, or a
--          currency and kind without a schedule row (a posting must then refuse).
-- Errors: none.
-- Example: SELECT fn_transfer_fee('JOD', 100.000, 'transfer_external');  -- 1.0000
DROP FUNCTION IF EXISTS fn_transfer_fee;
DELIMITER $$
CREATE FUNCTION fn_transfer_fee(p_currency CHAR(3), p_amount DECIMAL(38,12), p_kind VARCHAR(32))
RETURNS DECIMAL(20,4)
READS SQL DATA
COMMENT 'fn_transfer_fee: the fee for moving p_amount of p_currency as p_kind, in that currency.'
BEGIN
    DECLARE v_exponent INT DEFAULT NULL;
    DECLARE v_percent DECIMAL(7,4) DEFAULT NULL;
    DECLARE v_min DECIMAL(20,4);
    DECLARE v_max DECIMAL(20,4);
    DECLARE CONTINUE HANDLER FOR NOT FOUND SET v_percent = NULL;

    IF p_amount IS NULL OR p_amount < 0 THEN
        RETURN NULL;
    END IF;
    SELECT c.exponent, f.percent, f.min_fee, f.max_fee
      INTO v_exponent, v_percent, v_min, v_max
    FROM fee_schedules f
    JOIN currencies c ON c.code = f.currency
    WHERE f.currency = p_currency AND f.kind = p_kind;
    IF v_percent IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN ROUND(LEAST(v_max, GREATEST(v_min, p_amount * v_percent / 100)), v_exponent);
END$$
DELIMITER ;
