-- fn_amount_error: what is wrong with a money amount for a currency, or NULL.
-- The one statement of the amount rule: positive (or zero where allowed), below 10^13, no
-- more decimals than the currency's ISO 4217 exponent (never rounded silently), and, for an
-- amount that moves money, at most the currency's max_amount (p_max_amount).
-- Parameters:
--   p_amount      the amount to check
--   p_exponent    the currency's ISO 4217 exponent: the decimals it allows
--   p_allow_zero  TRUE where zero is a valid amount
--   p_max_amount  the currency's max_amount; NULL for values that move nothing, such as limits
-- Returns: NULL for a good amount, else the error message, which starts with its code.
-- Errors: returned, not raised: INVALID_AMOUNT, AMOUNT_OUT_OF_RANGE.
-- Example: SELECT fn_amount_error(1.2345, 3, FALSE, NULL);  -- 'INVALID_AMOUNT: too many decimal places ...'
DROP FUNCTION IF EXISTS fn_amount_error;
DELIMITER $$
CREATE FUNCTION fn_amount_error(p_amount DECIMAL(38,12), p_exponent INT, p_allow_zero BOOLEAN,
                                p_max_amount DECIMAL(20,4))
RETURNS VARCHAR(128)
DETERMINISTIC NO SQL
COMMENT 'fn_amount_error: what is wrong with a money amount for a currency, or NULL.'
BEGIN
    IF p_amount IS NULL OR p_amount < 0 OR (p_amount = 0 AND NOT p_allow_zero) THEN
        RETURN 'INVALID_AMOUNT: amount must be greater than zero';
    ELSEIF p_amount >= 10000000000000 THEN
        RETURN 'INVALID_AMOUNT: amount is too large';
    ELSEIF p_amount <> ROUND(p_amount, p_exponent) THEN
        RETURN 'INVALID_AMOUNT: too many decimal places for the currency';
    ELSEIF p_amount > p_max_amount THEN
        RETURN CONCAT('AMOUNT_OUT_OF_RANGE: one transaction moves at most ',
                      CAST(ROUND(p_max_amount, p_exponent) AS CHAR), ' in this currency');
    END IF;
    RETURN NULL;
END$$
DELIMITER ;
