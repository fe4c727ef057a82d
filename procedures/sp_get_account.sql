-- sp_get_account: one customer account.
-- Parameters:
--   p_account_id  the account
-- Errors: ACCOUNT_NOT_FOUND (also for system GL accounts).
-- Example: CALL sp_get_account(7);
DROP PROCEDURE IF EXISTS sp_get_account;
DELIMITER $$
CREATE PROCEDURE sp_get_account(IN p_account_id BIGINT UNSIGNED)
READS SQL DATA
COMMENT 'sp_get_account: one customer account.'
BEGIN
    IF NOT EXISTS (SELECT 1 FROM accounts WHERE id = p_account_id AND kind = 'customer') THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ACCOUNT_NOT_FOUND: no such account';
    END IF;
    SELECT * FROM vw_accounts WHERE id = p_account_id;
END$$
DELIMITER ;
