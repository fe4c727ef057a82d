-- fn_limit_detail: a limit error with the limit, what remains today and the currency appended.
-- The one form in which a procedure's message carries values for the problem body: a
-- trailing ' [limit=10000.000; remaining=500.000; currency=JOD]' that api/errors.py turns
-- into members of the problem and strips from the detail. Other messages pass unchanged.
-- Parameters:
--   p_error      'CODE: text' or NULL
--   p_limit      the limit the code names (per transaction or daily)
--   p_remaining  what today's limit still allows (never below 0)
--   p_currency   the account's currency
--   p_exponent   its ISO 4217 exponent
-- Returns: p_error, with the values when its code is LIMIT_EXCEEDED or DAILY_LIMIT_EXCEEDED.
-- Errors: none.
-- Example: SELECT fn_limit_detail('LIMIT_EXCEEDED: amount is over the per-transaction limit', 10000, 500, 'JOD', 3);
DROP FUNCTION IF EXISTS fn_limit_detail;
DELIMITER $$
CREATE FUNCTION fn_limit_detail(p_error VARCHAR(255), p_limit DECIMAL(38,12),
                                p_remaining DECIMAL(38,12), p_currency CHAR(3), p_exponent INT)
RETURNS VARCHAR(255) CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci
DETERMINISTIC NO SQL
COMMENT 'fn_limit_detail: a limit error with the limit, what remains today and the currency appended.'
BEGIN
    IF p_error IS NULL OR SUBSTRING_INDEX(p_error, ':', 1) NOT IN ('LIMIT_EXCEEDED', 'DAILY_LIMIT_EXCEEDED') THEN
        RETURN p_error;
    END IF;
    RETURN CONCAT(p_error, ' [limit=', CAST(ROUND(p_limit, p_exponent) AS CHAR),
                  '; remaining=', CAST(ROUND(GREATEST(p_remaining, 0), p_exponent) AS CHAR),
                  '; currency=', p_currency, ']');
END$$
DELIMITER ;
