-- sp_journal_reset: empty tmp_journal_legs and tmp_journal_txns for the next sp_post_journal call.
-- The session's temporary tables, created on first use and emptied on every later one;
-- their shape is declared here only:
--   tmp_journal_legs  one row per ledger entry to post, in posting order: account_id,
--                     signed amount, currency, entry_type, and txn_seq, the transaction it
--                     belongs to (0: the header sp_post_journal's parameters describe;
--                     n: the child transaction of tmp_journal_txns with seq n)
--   tmp_journal_txns  the child transactions of a batch, seq 1..n in posting order
-- Parameters: none
-- Errors: none.
-- Example: CALL sp_journal_reset();
DROP PROCEDURE IF EXISTS sp_journal_reset;
DELIMITER $$
CREATE PROCEDURE sp_journal_reset()
MODIFIES SQL DATA
COMMENT 'sp_journal_reset: empty tmp_journal_legs and tmp_journal_txns for the next sp_post_journal call.'
BEGIN
    CREATE TEMPORARY TABLE IF NOT EXISTS tmp_journal_legs (
        seq         INT UNSIGNED    NOT NULL AUTO_INCREMENT,
        txn_seq     INT UNSIGNED    NOT NULL DEFAULT 0,
        account_id  BIGINT UNSIGNED NOT NULL,
        amount      DECIMAL(20,4)   NOT NULL,
        currency    CHAR(3)         NOT NULL,
        entry_type  VARCHAR(16)     NOT NULL,
        PRIMARY KEY (seq)
    ) ENGINE = MEMORY;
    CREATE TEMPORARY TABLE IF NOT EXISTS tmp_journal_txns (
        seq              INT UNSIGNED    NOT NULL,
        type             VARCHAR(16)     NOT NULL,
        amount           DECIMAL(20,4)   NOT NULL,
        currency         CHAR(3)         NOT NULL,
        from_account_id  BIGINT UNSIGNED NULL,
        to_account_id    BIGINT UNSIGNED NULL,
        target_amount    DECIMAL(20,4)   NULL,
        target_currency  CHAR(3)         NULL,
        fee              DECIMAL(20,4)   NOT NULL DEFAULT 0,
        fx_rate          DECIMAL(30,20)  NULL,
        description      VARCHAR(255)    NULL,
        PRIMARY KEY (seq)
    ) ENGINE = MEMORY;
    DELETE FROM tmp_journal_legs;
    DELETE FROM tmp_journal_txns;
END$$
DELIMITER ;
