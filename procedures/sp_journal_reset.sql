-- sp_journal_reset: an empty tmp_journal_legs for the next sp_post_journal call.
-- The session's temporary table of legs (one row per ledger entry to post, in posting
-- order): created on first use, emptied on every later one. Its shape is declared here
-- only; callers fill it with INSERT INTO tmp_journal_legs (account_id, amount, currency,
-- entry_type).
-- Parameters: none
-- Errors: none.
-- Example: CALL sp_journal_reset();
DROP PROCEDURE IF EXISTS sp_journal_reset;
DELIMITER $$
CREATE PROCEDURE sp_journal_reset()
MODIFIES SQL DATA
COMMENT 'sp_journal_reset: an empty tmp_journal_legs for the next sp_post_journal call.'
BEGIN
    CREATE TEMPORARY TABLE IF NOT EXISTS tmp_journal_legs (
        seq         INT UNSIGNED    NOT NULL AUTO_INCREMENT,
        account_id  BIGINT UNSIGNED NOT NULL,
        amount      DECIMAL(20,4)   NOT NULL,
        currency    CHAR(3)         NOT NULL,
        entry_type  VARCHAR(16)     NOT NULL,
        PRIMARY KEY (seq)
    ) ENGINE = MEMORY;
    DELETE FROM tmp_journal_legs;
END$$
DELIMITER ;
