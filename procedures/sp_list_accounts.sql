-- sp_list_accounts: a user's customer accounts, oldest first.
-- Parameters: p_user_id. Errors: none (an unknown user has no accounts).
-- Example: CALL sp_list_accounts(42);
DROP PROCEDURE IF EXISTS sp_list_accounts;
DELIMITER $$
CREATE PROCEDURE sp_list_accounts(IN p_user_id BIGINT UNSIGNED)
READS SQL DATA
BEGIN
    SELECT * FROM vw_accounts WHERE user_id = p_user_id ORDER BY id;
END$$
DELIMITER ;
