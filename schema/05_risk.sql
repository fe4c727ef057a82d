-- Risk scores written by the scoring worker, and the fraud alerts they raise.

CREATE TABLE transaction_risk_scores (
    transaction_id  BIGINT UNSIGNED NOT NULL,
    score           DECIMAL(5,4)    NOT NULL,
    verdict         VARCHAR(16)     NOT NULL,
    rule_score      DECIMAL(5,4)    NULL,
    model_score     DECIMAL(5,4)    NULL,
    model_version   VARCHAR(64)     NULL,
    reasons         TEXT            NULL,
    scored_at       DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (transaction_id),
    KEY idx_transaction_risk_scores_verdict (verdict, scored_at),
    CONSTRAINT fk_transaction_risk_scores_txn FOREIGN KEY (transaction_id) REFERENCES transactions (id),
    CONSTRAINT chk_transaction_risk_scores_score CHECK (score BETWEEN 0 AND 1),
    CONSTRAINT chk_transaction_risk_scores_verdict CHECK (verdict IN ('SAFE', 'SUSPICIOUS', 'CRITICAL')),
    CONSTRAINT chk_transaction_risk_scores_reasons CHECK (reasons IS NULL OR JSON_VALID(reasons))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE fraud_alerts (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    transaction_id  BIGINT UNSIGNED NOT NULL,
    account_id      BIGINT UNSIGNED NULL,
    score           DECIMAL(5,4)    NOT NULL,
    verdict         VARCHAR(16)     NOT NULL,
    status          VARCHAR(16)     NOT NULL DEFAULT 'open',
    action_taken    VARCHAR(16)     NULL,
    resolution      VARCHAR(32)     NULL,
    resolution_note VARCHAR(1000)   NULL,
    resolved_by     BIGINT UNSIGNED NULL,
    created_at      DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    resolved_at     DATETIME(6)     NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_fraud_alerts_transaction (transaction_id),
    KEY idx_fraud_alerts_status (status, created_at),
    CONSTRAINT fk_fraud_alerts_txn FOREIGN KEY (transaction_id) REFERENCES transactions (id),
    CONSTRAINT chk_fraud_alerts_status CHECK (status IN ('open', 'resolved')),
    CONSTRAINT chk_fraud_alerts_resolution CHECK (resolution IS NULL OR resolution IN
        ('confirmed_fraud', 'false_positive', 'escalated'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
