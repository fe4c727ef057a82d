-- sp_list_accounts: a user's customer accounts, oldest first, one keyset page at a time.
-- An unknown user has no accounts.
-- Parameters:
--   p_user_id   the owner
--   p_after_id  the cursor: only accounts with a larger id (NULL = from the first)
--   p_limit     the page size (1..500)
-- Errors: INVALID_ARGUMENT (limit out of range).
-- Example: CALL sp_list_accounts(42, NULL, 100);
DROP PROCEDURE IF EXISTS sp_list_accounts;
DELIMITER $$
CREATE PROCEDURE sp_list_accounts(
    IN p_user_id BIGINT UNSIGNED,
    IN p_after_id BIGINT UNSIGNED,
    IN p_limit INT)
READS SQL DATA
COMMENT 'sp_list_accounts: a user''s customer accounts, oldest first, one keyset page at a time.'
BEGIN
    IF p_limit IS NULL OR p_limit < 1 OR p_limit > 500 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: limit must be between 1 and 500';
    END IF;
    SELECT * FROM vw_accounts
    WHERE user_id = p_user_id AND id > IFNULL(p_after_id, 0)
    ORDER BY id
    LIMIT p_limit;
END$$
DELIMITER ;
