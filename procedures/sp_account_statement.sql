-- sp_account_statement: an account's entries over a period, with opening and closing balance.
-- Ask for one more entry than a page to know whether another page follows.
-- Parameters:
--   p_account_id      the account
--   p_from            start of the period (NULL: from the beginning)
--   p_to              end of the period (NULL: until now)
--   p_after_entry_id  the cursor: only entries with a larger id (NULL for the first page)
--   p_limit           the most entries to return (1..1001)
-- Returns: result set 1: account_id, account_number, currency, opening_balance (balance just
--          before p_from), closing_balance (balance at p_to), period_from, period_to. Result
--          set 2: up to p_limit entries in id order after the cursor p_after_entry_id.
-- Errors: ACCOUNT_NOT_FOUND, INVALID_ARGUMENT.
-- Example: CALL sp_account_statement(7, '2026-01-01', '2026-01-31 23:59:59.999999', NULL, 101);
DROP PROCEDURE IF EXISTS sp_account_statement;
DELIMITER $$
CREATE PROCEDURE sp_account_statement(
    IN p_account_id BIGINT UNSIGNED,
    IN p_from DATETIME(6),
    IN p_to DATETIME(6),
    IN p_after_entry_id BIGINT UNSIGNED,
    IN p_limit INT)
READS SQL DATA
COMMENT 'sp_account_statement: an account''s entries over a period, with opening and closing balance.'
BEGIN
    DECLARE v_number VARCHAR(34) DEFAULT NULL;
    DECLARE v_currency CHAR(3);
    DECLARE v_from DATETIME(6) DEFAULT IFNULL(p_from, '1970-01-01 00:00:00');
    DECLARE v_to DATETIME(6) DEFAULT IFNULL(p_to, NOW(6));
    SELECT account_number, currency INTO v_number, v_currency
    FROM accounts WHERE id = p_account_id AND kind = 'customer';
    IF v_number IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'ACCOUNT_NOT_FOUND: no such account';
    END IF;
    IF p_limit IS NULL OR p_limit < 1 OR p_limit > 1001 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: limit must be between 1 and 1000';
    END IF;
    IF v_to < v_from THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: the period ends before it starts';
    END IF;
    SELECT p_account_id AS account_id, v_number AS account_number, v_currency AS currency,
           IFNULL((SELECT e.balance_after FROM ledger_entries e
                   WHERE e.account_id = p_account_id AND e.created_at < v_from
                   ORDER BY e.created_at DESC, e.id DESC LIMIT 1), 0) AS opening_balance,
           IFNULL((SELECT e.balance_after FROM ledger_entries e
                   WHERE e.account_id = p_account_id AND e.created_at <= v_to
                   ORDER BY e.created_at DESC, e.id DESC LIMIT 1), 0) AS closing_balance,
           v_from AS period_from, v_to AS period_to;
    SELECT e.id AS entry_id, e.transaction_id, t.reference, t.type, t.description, e.entry_type,
           e.amount, e.currency, e.balance_after, e.created_at
    FROM ledger_entries e
    JOIN transactions t ON t.id = e.transaction_id
    WHERE e.account_id = p_account_id
      AND e.created_at >= v_from AND e.created_at <= v_to
      AND (p_after_entry_id IS NULL OR e.id > p_after_entry_id)
    ORDER BY e.id
    LIMIT p_limit;
END$$
DELIMITER ;
