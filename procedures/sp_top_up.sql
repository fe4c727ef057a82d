-- sp_top_up: a customer's self-service deposit into their own account from an external funding source.
-- The source is a card or another bank; the external_funding GL account is the other leg,
-- never the cash vault. Within the currency's top_up_max_amount per top-up and
-- top_up_daily_limit per account and day.
-- Parameters:
--   p_account_id       the customer account
--   p_amount           the amount, in the account's currency
--   p_description      free text stored with the transaction
--   p_idempotency_key  the caller's key: a repeated call returns the first result
--   p_actor_id         the account's owner
--   p_session_id       the actor's session (NULL: trusted caller)
-- Errors: see sp_move_cash (ACCOUNT_NOT_FOUND when the account is not the actor's).
-- Example: CALL sp_top_up(7, 250.000, 'from my card', 'top-1', 42, NULL);
DROP PROCEDURE IF EXISTS sp_top_up;
DELIMITER $$
CREATE PROCEDURE sp_top_up(
    IN p_account_id BIGINT UNSIGNED,
    IN p_amount DECIMAL(38,12),
    IN p_description VARCHAR(255),
    IN p_idempotency_key VARCHAR(128),
    IN p_actor_id BIGINT UNSIGNED,
    IN p_session_id CHAR(32))
MODIFIES SQL DATA
COMMENT 'sp_top_up: a customer''s self-service deposit into their own account from an external funding source.'
BEGIN
    CALL sp_move_cash('top_up', p_account_id, p_amount, p_description, p_idempotency_key,
                      p_actor_id, p_session_id, p_actor_id, NULL, NULL);
END$$
DELIMITER ;
