-- sp_fx_quote: what a transfer of p_amount from p_from into p_to would post now, with its fee.
-- The same rules as a transfer to another customer: the amount is checked for the sender's
-- currency (fn_amount_error, max_amount, min_fx_amount for a conversion), converted at
-- fn_fx_convert now (through the JOD mids, rounded once, down, to the receiver's exponent;
-- zero is refused) at the rate fn_fx_applied_rate records, as a transfer posts it; the fee
-- is fn_transfer_fee(p_from, amount, kind) and total_debited is amount + fee, where kind is
-- 'transfer_own' when p_to_account_number is one of the caller's own accounts (in p_to) and
-- 'transfer_external' otherwise (any other number, or none: the number of someone else's
-- account is neither looked up nor confirmed).
-- A quote reserves nothing: the transfer posts at the rate in force when it posts.
-- expires_at is the earlier of 60 seconds from now and the next rate already scheduled for
-- the pair; until then, barring a rate published meanwhile, a transfer posts these amounts.
-- Parameters:
--   p_from               the sender's currency
--   p_to                 the receiver's currency
--   p_amount             the amount sent, in p_from
--   p_session_id         the caller's session (NULL: a system actor)
--   p_user_id            the caller
--   p_to_account_number  the receiving account, when known (NULL: another customer's)
-- Returns: one row: from_currency, to_currency, amount, rate, converted_amount, fee,
--          total_debited, rate_valid_from, quoted_at, expires_at, valid_seconds.
-- Errors: SESSION_REVOKED, SESSION_REQUIRED, UNKNOWN_CURRENCY, INVALID_AMOUNT,
--         AMOUNT_OUT_OF_RANGE, FX_AMOUNT_TOO_SMALL, FX_RATE_UNAVAILABLE, INVALID_ARGUMENT
--         (no fee schedule for the currency; the caller's own p_to_account_number is not in p_to).
-- Example: CALL sp_fx_quote('JOD', 'USD', 100.000, '5f0c...', 42, NULL);
DROP PROCEDURE IF EXISTS sp_fx_quote;
DELIMITER $$
CREATE PROCEDURE sp_fx_quote(
    IN p_from CHAR(3),
    IN p_to CHAR(3),
    IN p_amount DECIMAL(38,12),
    IN p_session_id CHAR(32),
    IN p_user_id BIGINT UNSIGNED,
    IN p_to_account_number VARCHAR(34))
READS SQL DATA
COMMENT 'sp_fx_quote: what a transfer of p_amount from p_from into p_to would post now, with its fee.'
BEGIN
    DECLARE v_now DATETIME(6) DEFAULT NOW(6);
    DECLARE v_from_exponent INT DEFAULT NULL;
    DECLARE v_to_exponent INT DEFAULT NULL;
    DECLARE v_max_amount DECIMAL(20,4);
    DECLARE v_min_fx DECIMAL(20,4);
    DECLARE v_error VARCHAR(128);
    DECLARE v_rate DECIMAL(30,20);
    DECLARE v_target DECIMAL(38,12);
    DECLARE v_fee DECIMAL(20,4);
    DECLARE v_valid_from DATETIME(6) DEFAULT NULL;
    DECLARE v_expires DATETIME(6) DEFAULT v_now + INTERVAL 60 SECOND;
    DECLARE v_own_currency CHAR(3) DEFAULT NULL;

    CALL sp_assert_session(p_session_id, p_user_id);
    SELECT exponent, max_amount, min_fx_amount INTO v_from_exponent, v_max_amount, v_min_fx
    FROM currencies WHERE code = p_from AND is_active;
    SET v_to_exponent = (SELECT exponent FROM currencies WHERE code = p_to AND is_active);
    IF v_from_exponent IS NULL OR v_to_exponent IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'UNKNOWN_CURRENCY: the bank does not hold that currency';
    END IF;
    SET v_error = fn_amount_error(p_amount, v_from_exponent, FALSE, v_max_amount);
    IF v_error IS NOT NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_error;
    END IF;
    IF p_from = p_to THEN
        SET v_rate = 1, v_target = p_amount;
    ELSE
        IF p_amount < v_min_fx THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'FX_AMOUNT_TOO_SMALL: the amount is below the minimum for a conversion';
        END IF;
        SET v_rate = fn_fx_applied_rate(p_from, p_to, v_now);
        IF v_rate IS NULL THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'FX_RATE_UNAVAILABLE: no exchange rate for this currency pair';
        END IF;
        SET v_target = fn_fx_convert(p_from, p_to, p_amount, v_to_exponent, v_now);
        IF v_target <= 0 THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_AMOUNT: the converted amount rounds to zero';
        END IF;
        SET v_valid_from = (SELECT valid_from FROM fx_rates
                            WHERE base_currency = p_from AND quote_currency = p_to AND valid_from <= v_now
                            ORDER BY valid_from DESC, id DESC LIMIT 1);
        SET v_expires = LEAST(v_expires, IFNULL((SELECT MIN(valid_from) FROM fx_rates
                                                 WHERE base_currency = p_from AND quote_currency = p_to
                                                   AND valid_from > v_now), v_expires));
    END IF;
    SELECT MAX(currency) INTO v_own_currency FROM accounts
    WHERE account_number = p_to_account_number AND user_id = p_user_id AND kind = 'customer';
    IF v_own_currency <> p_to THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: that account of yours is not in the receiving currency';
    END IF;
    SET v_fee = fn_transfer_fee(p_from, p_amount,
                                IF(v_own_currency IS NULL, 'transfer_external', 'transfer_own'));
    IF v_fee IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: no fee schedule for this currency';
    END IF;
    SELECT p_from AS from_currency, p_to AS to_currency, CAST(p_amount AS DECIMAL(20,4)) AS amount,
           v_rate AS rate, CAST(v_target AS DECIMAL(20,4)) AS converted_amount, v_fee AS fee,
           CAST(p_amount + v_fee AS DECIMAL(20,4)) AS total_debited, v_valid_from AS rate_valid_from,
           v_now AS quoted_at, v_expires AS expires_at,
           FLOOR(TIMESTAMPDIFF(MICROSECOND, v_now, v_expires) / 1000000) AS valid_seconds;
END$$
DELIMITER ;
