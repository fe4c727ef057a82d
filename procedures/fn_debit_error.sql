-- fn_debit_error: what stops money leaving (or reaching) an account, or NULL.
-- The one statement of the account-side rules of every money path, in their precedence:
-- the account's status (frozen, then closed), its currency still active, the
-- per-transaction limit, the room left in the day's limit, then the funds (available
-- balance, so active holds count, down to minus the overdraft). Pure: the caller passes
-- the values it read under its row locks, so a set-wise caller applies it per row, and
-- cumulatively by passing running totals. A NULL argument skips its check (a credit passes
-- only the status and the currency; a path that reports some rules before others calls it
-- once per group, NULLs elsewhere).
-- Parameters:
--   p_status           the account's status (NULL: not checked)
--   p_currency_active  its currency's is_active (NULL: not checked)
--   p_amount           this transaction's amount, against the per-transaction limit
--   p_txn_limit        the per-transaction limit (NULL: not checked)
--   p_day_total        what counts against today's limit: this amount, or a batch's running sum
--   p_day_room         what today's limit still allows (limit minus what was spent today)
--   p_debit            what the account pays in all (amount + fee, cumulative)
--   p_available        the available balance before it (NULL: funds not checked)
--   p_overdraft        the overdraft the account may use
-- Returns: NULL when nothing stops it, else 'CODE: text'.
-- Errors: returned, not raised: ACCOUNT_FROZEN, ACCOUNT_CLOSED, UNKNOWN_CURRENCY,
--         LIMIT_EXCEEDED, DAILY_LIMIT_EXCEEDED, INSUFFICIENT_FUNDS.
-- Example: SELECT fn_debit_error('active', TRUE, 100, 50000, 100, 100000, 100.5, 90, 0);  -- INSUFFICIENT_FUNDS
DROP FUNCTION IF EXISTS fn_debit_error;
DELIMITER $$
CREATE FUNCTION fn_debit_error(p_status VARCHAR(8), p_currency_active BOOLEAN,
                               p_amount DECIMAL(38,12), p_txn_limit DECIMAL(38,12),
                               p_day_total DECIMAL(38,12), p_day_room DECIMAL(38,12),
                               p_debit DECIMAL(38,12), p_available DECIMAL(38,12),
                               p_overdraft DECIMAL(38,12))
RETURNS VARCHAR(128) CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci
DETERMINISTIC NO SQL
COMMENT 'fn_debit_error: what stops money leaving (or reaching) an account, or NULL.'
BEGIN
    IF p_status = 'frozen' THEN
        RETURN 'ACCOUNT_FROZEN: the account is frozen';
    ELSEIF p_status = 'closed' THEN
        RETURN 'ACCOUNT_CLOSED: the account is closed';
    ELSEIF NOT p_currency_active THEN
        RETURN 'UNKNOWN_CURRENCY: the account''s currency is no longer supported';
    ELSEIF p_amount > p_txn_limit THEN
        RETURN 'LIMIT_EXCEEDED: amount is over the per-transaction limit';
    ELSEIF p_day_total > p_day_room THEN
        RETURN 'DAILY_LIMIT_EXCEEDED: amount is over the daily limit';
    ELSEIF p_available - p_debit < -p_overdraft THEN
        RETURN 'INSUFFICIENT_FUNDS: the available balance does not cover the amount';
    END IF;
    RETURN NULL;
END$$
DELIMITER ;
