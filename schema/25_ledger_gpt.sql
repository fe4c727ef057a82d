-- LedgerGPT's question log: every question an auditor asks, the SQL that answered it (or
-- why none ran), how many rows came back and who asked. Written only by
-- sp_record_gpt_question, which also appends the row to the hash-chained audit_log; the
-- reading login (bank_readonly) sees views only and cannot write here.
CREATE TABLE ledger_gpt_questions (
    id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    asked_by     VARCHAR(128)    NOT NULL,
    question     VARCHAR(2000)   NOT NULL,
    engine       VARCHAR(16)     NOT NULL,
    outcome      VARCHAR(16)     NOT NULL,
    sql_text     TEXT            NULL,
    row_count    INT UNSIGNED    NULL,
    detail       VARCHAR(500)    NULL,
    created_at   DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (id),
    KEY idx_ledger_gpt_questions_asker (asked_by, created_at),
    CONSTRAINT chk_ledger_gpt_questions_engine CHECK (engine IN ('offline', 'llm')),
    CONSTRAINT chk_ledger_gpt_questions_outcome
        CHECK (outcome IN ('answered', 'shown', 'refused', 'not_understood', 'failed'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT = 'Questions asked of LedgerGPT, with the SQL that ran and who asked';
