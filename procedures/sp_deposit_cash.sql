-- sp_deposit_cash: cash paid in at a teller's counter (the cash vault GL account is the other leg).
-- Cash is a teller's act: a call with p_owner_id set (a customer) is refused; a customer's
-- own deposit is a top-up (sp_top_up).
-- Parameters:
--   p_account_id       the customer account
--   p_amount           the amount, in the account's currency
--   p_description      free text stored with the transaction
--   p_idempotency_key  the caller's key: a repeated call returns the first result
--   p_actor_id         who acts (the transaction's initiator)
--   p_session_id       the actor's session (NULL: trusted caller)
--   p_owner_id         must be NULL: staff
-- Errors: see sp_move_cash.
-- Example: CALL sp_deposit_cash(7, 1000.000, 'opening deposit', 'dep-1', 42, NULL, NULL);
DROP PROCEDURE IF EXISTS sp_deposit_cash;
DELIMITER $$
CREATE PROCEDURE sp_deposit_cash(
    IN p_account_id BIGINT UNSIGNED,
    IN p_amount DECIMAL(38,12),
    IN p_description VARCHAR(255),
    IN p_idempotency_key VARCHAR(128),
    IN p_actor_id BIGINT UNSIGNED,
    IN p_session_id CHAR(32),
    IN p_owner_id BIGINT UNSIGNED)
MODIFIES SQL DATA
COMMENT 'sp_deposit_cash: cash paid in at a teller''s counter (the cash vault GL account is the other leg).'
BEGIN
    CALL sp_move_cash('deposit', p_account_id, p_amount, p_description, p_idempotency_key,
                      p_actor_id, p_session_id, p_owner_id, NULL, NULL);
END$$
DELIMITER ;
