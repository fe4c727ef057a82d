-- sp_record_gpt_question: log one LedgerGPT question, its SQL and row count, and append it to the audit log.
-- The only write path of LedgerGPT: its own login (bank_gpt_audit) may execute this and
-- nothing else, so the reading login stays on views. The audit row (table
-- ledger_gpt_questions, event 'ledger_gpt.question') carries the whole record, so the
-- hash chain covers what was asked and what ran.
-- Parameters:
--   p_asked_by   who asked: the operating-system user of the CLI (or a bank username)
--   p_question   the question as typed (cut to 2000 characters)
--   p_engine     'offline' or 'llm': which engine wrote the SQL
--   p_outcome    'answered', 'shown' (--sql-only), 'refused', 'not_understood' or 'failed'
--   p_sql        the SQL that ran or would have run (NULL: none)
--   p_row_count  rows returned (NULL: nothing ran)
--   p_detail     the refusal or error in words (NULL: none)
-- Returns: one row: question_id.
-- Errors: none of its own (a bad engine or outcome fails the table's CHECK).
-- Example: CALL sp_record_gpt_question('omar', 'balances of alice', 'offline', 'answered', 'SELECT 1', 1, NULL);
DROP PROCEDURE IF EXISTS sp_record_gpt_question;
DELIMITER $$
CREATE PROCEDURE sp_record_gpt_question(
    IN p_asked_by VARCHAR(128),
    IN p_question VARCHAR(4000),
    IN p_engine VARCHAR(16),
    IN p_outcome VARCHAR(16),
    IN p_sql TEXT,
    IN p_row_count INT UNSIGNED,
    IN p_detail VARCHAR(2000))
MODIFIES SQL DATA
COMMENT 'sp_record_gpt_question: log one LedgerGPT question, its SQL and row count, and append it to the audit log.'
BEGIN
    DECLARE v_id BIGINT UNSIGNED;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        SET @bank_audit_event = NULL;
        RESIGNAL;
    END;

    START TRANSACTION;
    INSERT INTO ledger_gpt_questions (asked_by, question, engine, outcome, sql_text, row_count, detail)
    VALUES (LEFT(p_asked_by, 128), LEFT(p_question, 2000), p_engine, p_outcome, p_sql,
            p_row_count, LEFT(p_detail, 500));
    SET v_id = LAST_INSERT_ID();
    SET @bank_audit_event = 'ledger_gpt.question';
    CALL sp_audit_append('ledger_gpt_questions', v_id, 'INSERT', NULL,
                         JSON_OBJECT('asked_by', LEFT(p_asked_by, 128),
                                     'question', LEFT(p_question, 2000),
                                     'engine', p_engine, 'outcome', p_outcome,
                                     'sql', p_sql, 'row_count', p_row_count,
                                     'detail', LEFT(p_detail, 500)));
    SET @bank_audit_event = NULL;
    COMMIT;
    SELECT v_id AS question_id;
END$$
DELIMITER ;
