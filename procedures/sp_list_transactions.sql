-- sp_list_transactions: transaction history, newest first, with keyset pagination.
-- With p_user_id, only transactions that touch one of that user's accounts or that the
-- user initiated; NULL for staff. With p_account_id, only that account's, which must be
-- p_user_id's (ACCOUNT_NOT_FOUND otherwise, as for an account that does not exist).
-- Every filter is optional (NULL = any).
-- A user's history is gathered through the from/to/initiator indexes (a union of index
-- lookups) rather than by scanning the whole journal.
-- Parameters:
--   p_user_id             the viewer (NULL for staff: every transaction)
--   p_account_id          only transactions from or to this account (the viewer's own)
--   p_transaction_type    only this transaction type
--   p_transaction_status  only this status
--   p_from                created_at range start (inclusive)
--   p_to                  created_at range end (inclusive)
--   p_min_amount          only amounts from this one
--   p_max_amount          only amounts up to this one
--   p_before_id           the cursor: only ids below it
--   p_limit               the page size (1..500)
-- Errors: INVALID_ARGUMENT (limit out of range), ACCOUNT_NOT_FOUND.
-- Example: CALL sp_list_transactions(42, NULL, 'transfer', NULL, NULL, NULL, NULL, NULL, NULL, 50);
DROP PROCEDURE IF EXISTS sp_list_transactions;
DELIMITER $$
CREATE PROCEDURE sp_list_transactions(
    IN p_user_id BIGINT UNSIGNED,
    IN p_account_id BIGINT UNSIGNED,
    IN p_transaction_type VARCHAR(16),
    IN p_transaction_status VARCHAR(16),
    IN p_from DATETIME(6),
    IN p_to DATETIME(6),
    IN p_min_amount DECIMAL(38,12),
    IN p_max_amount DECIMAL(38,12),
    IN p_before_id BIGINT UNSIGNED,
    IN p_limit INT)
READS SQL DATA
COMMENT 'sp_list_transactions: transaction history, newest first, with keyset pagination.'
BEGIN
    DECLARE v_before BIGINT UNSIGNED DEFAULT IFNULL(p_before_id, 18446744073709551615);
    IF p_limit IS NULL OR p_limit < 1 OR p_limit > 500 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: limit must be between 1 and 500';
    END IF;
    IF p_account_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM accounts
        WHERE id = p_account_id AND kind = 'customer'
          AND (p_user_id IS NULL OR user_id = p_user_id)) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ACCOUNT_NOT_FOUND: no such account';
    END IF;
    IF p_user_id IS NULL AND p_account_id IS NULL THEN
        SELECT v.*, FALSE AS replayed
        FROM vw_transactions v
        WHERE v.id < v_before
          AND (p_transaction_type IS NULL OR v.type = p_transaction_type)
          AND (p_transaction_status IS NULL OR v.status = p_transaction_status)
          AND (p_from IS NULL OR v.created_at >= p_from)
          AND (p_to IS NULL OR v.created_at <= p_to)
          AND (p_min_amount IS NULL OR v.amount >= p_min_amount)
          AND (p_max_amount IS NULL OR v.amount <= p_max_amount)
        ORDER BY v.id DESC
        LIMIT p_limit;
    ELSE
        SELECT v.*, FALSE AS replayed
        FROM (
            SELECT t.id FROM transactions t JOIN accounts a ON a.id = t.from_account_id
            WHERE (p_user_id IS NULL OR a.user_id = p_user_id)
              AND (p_account_id IS NULL OR a.id = p_account_id) AND t.id < v_before
            UNION
            SELECT t.id FROM transactions t JOIN accounts a ON a.id = t.to_account_id
            WHERE (p_user_id IS NULL OR a.user_id = p_user_id)
              AND (p_account_id IS NULL OR a.id = p_account_id) AND t.id < v_before
            UNION
            SELECT t.id FROM transactions t
            WHERE p_account_id IS NULL AND t.initiator_id = p_user_id AND t.id < v_before
        ) ids
        JOIN vw_transactions v ON v.id = ids.id
        WHERE (p_transaction_type IS NULL OR v.type = p_transaction_type)
          AND (p_transaction_status IS NULL OR v.status = p_transaction_status)
          AND (p_from IS NULL OR v.created_at >= p_from)
          AND (p_to IS NULL OR v.created_at <= p_to)
          AND (p_min_amount IS NULL OR v.amount >= p_min_amount)
          AND (p_max_amount IS NULL OR v.amount <= p_max_amount)
        ORDER BY v.id DESC
        LIMIT p_limit;
    END IF;
END$$
DELIMITER ;
