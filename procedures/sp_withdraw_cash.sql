-- sp_withdraw_cash: cash paid out of a customer account, within its limits and funds.
-- By a teller (p_owner_id NULL) at the counter, or by the customer themself (p_owner_id set:
-- ATM-like self-service, also within the currency's self_cash_max_amount and
-- self_cash_daily_limit). The owner's KYC must be verified either way.
-- Parameters:
--   p_account_id       the customer account
--   p_amount           the amount, in the account's currency
--   p_description      free text stored with the transaction
--   p_idempotency_key  the caller's key: a repeated call returns the first result
--   p_actor_id         who acts (the transaction's initiator)
--   p_session_id       the actor's session (NULL: trusted caller)
--   p_owner_id         NULL: staff; else the customer themself, who must own the account
--   p_client_ip        the client's address, for the risk rules (NULL: unknown)
--   p_country          the client's country, ISO 3166 alpha-2 (NULL: unknown)
-- Errors: see sp_move_cash.
-- Example: CALL sp_withdraw_cash(7, 50.000, 'ATM', 'wd-1', 42, NULL, 42, NULL, NULL);
DROP PROCEDURE IF EXISTS sp_withdraw_cash;
DELIMITER $$
CREATE PROCEDURE sp_withdraw_cash(
    IN p_account_id BIGINT UNSIGNED,
    IN p_amount DECIMAL(38,12),
    IN p_description VARCHAR(255),
    IN p_idempotency_key VARCHAR(128),
    IN p_actor_id BIGINT UNSIGNED,
    IN p_session_id CHAR(32),
    IN p_owner_id BIGINT UNSIGNED,
    IN p_client_ip VARCHAR(45),
    IN p_country CHAR(2))
MODIFIES SQL DATA
COMMENT 'sp_withdraw_cash: cash paid out of a customer account, within its limits and funds.'
BEGIN
    CALL sp_move_cash('withdrawal', p_account_id, p_amount, p_description, p_idempotency_key,
                      p_actor_id, p_session_id, p_owner_id, p_client_ip, p_country);
END$$
DELIMITER ;
