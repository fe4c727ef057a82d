-- 19: what the bank has learned about a transaction, and what a CRITICAL score does.
-- transaction_labels holds one verdict per transaction once it is known: an analyst's
-- resolution of a fraud alert ('analyst'), or a label delivered later from outside, such as
-- a chargeback file or the delayed labels of a backtest ('feedback'). labelled_at is when the
-- label became known; features built for a transaction may use only labels known by the time
-- of that transaction, so a backtest never sees the future.
CREATE TABLE transaction_labels (
    transaction_id  BIGINT UNSIGNED NOT NULL,
    is_fraud        BOOLEAN         NOT NULL,
    source          VARCHAR(16)     NOT NULL,
    labelled_by     BIGINT UNSIGNED NULL,
    labelled_at     DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    note            VARCHAR(1000)   NULL,
    PRIMARY KEY (transaction_id),
    KEY idx_transaction_labels_time (labelled_at),
    CONSTRAINT fk_transaction_labels_txn FOREIGN KEY (transaction_id) REFERENCES transactions (id),
    CONSTRAINT fk_transaction_labels_user FOREIGN KEY (labelled_by) REFERENCES users (id),
    CONSTRAINT chk_transaction_labels_source CHECK (source IN ('analyst', 'feedback'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci
  COMMENT = 'Known fraud verdicts per transaction, with when each became known';

-- What the risk worker does when it scores a transaction CRITICAL: 'freeze' the sender's
-- account and notify staff, or 'alert' only.
ALTER TABLE bank_settings
    ADD COLUMN fraud_critical_action VARCHAR(8) NOT NULL DEFAULT 'freeze',
    ADD CONSTRAINT chk_bank_settings_fraud_action CHECK (fraud_critical_action IN ('freeze', 'alert'));
