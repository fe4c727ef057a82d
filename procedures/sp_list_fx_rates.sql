-- sp_list_fx_rates: every currency pair with the rate in force at an instant, and the next one scheduled.
-- The rate is fn_fx_rate's (the row in force: latest valid_from not after p_at, higher id on
-- a tie); mid_rate and spread say how it was derived. next_rate and next_valid_from are
-- the earliest rate already published to take effect later, if any.
-- Parameters:
--   p_session_id  the caller's session (NULL: a system actor)
--   p_user_id     the caller
--   p_at          the instant (NULL: now)
-- Returns: one row per pair: base_currency, quote_currency, rate, mid_rate, spread, valid_from,
--          next_rate, next_valid_from; ordered by base_currency, quote_currency.
-- Errors: SESSION_REVOKED, SESSION_REQUIRED.
-- Example: CALL sp_list_fx_rates('5f0c...', 42, NULL);
DROP PROCEDURE IF EXISTS sp_list_fx_rates;
DELIMITER $$
CREATE PROCEDURE sp_list_fx_rates(
    IN p_session_id CHAR(32),
    IN p_user_id BIGINT UNSIGNED,
    IN p_at DATETIME(6))
READS SQL DATA
COMMENT 'sp_list_fx_rates: every currency pair with the rate in force at an instant, and the next one scheduled.'
BEGIN
    DECLARE v_at DATETIME(6) DEFAULT IFNULL(p_at, NOW(6));
    CALL sp_assert_session(p_session_id, p_user_id);
    SELECT r.base_currency, r.quote_currency, r.rate, r.mid_rate, r.spread, r.valid_from,
           n.rate AS next_rate, n.valid_from AS next_valid_from
    FROM fx_rates r
    LEFT JOIN fx_rates n
           ON n.id = (SELECT s.id FROM fx_rates s
                      WHERE s.base_currency = r.base_currency AND s.quote_currency = r.quote_currency
                        AND s.valid_from > v_at
                      ORDER BY s.valid_from, s.id DESC LIMIT 1)
    WHERE r.id = (SELECT c.id FROM fx_rates c
                  WHERE c.base_currency = r.base_currency AND c.quote_currency = r.quote_currency
                    AND c.valid_from <= v_at
                  ORDER BY c.valid_from DESC, c.id DESC LIMIT 1)
    ORDER BY r.base_currency, r.quote_currency;
END$$
DELIMITER ;
