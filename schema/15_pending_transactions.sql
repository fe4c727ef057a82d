-- 15: high-value confirmation (a one-time code) and staff review, with the money held.
-- transaction_rules holds the thresholds a DBA changes without a deploy (amounts in
-- JOD-equivalent, converted at fn_fx_rate); pending_transactions is the state of a
-- transaction created 'pending_otp' or 'pending_review': its hold, its code (HMAC-SHA256
-- under the API's key, never the code), the rule hits; transaction_actions makes each
-- confirm, approve and reject idempotent per actor and key.
CREATE TABLE transaction_rules (
    rule            VARCHAR(32)     NOT NULL,
    kind            VARCHAR(8)      NOT NULL,
    threshold_jod   DECIMAL(20,4)   NULL,
    max_count       INT UNSIGNED    NULL,
    window_seconds  INT UNSIGNED    NULL,
    is_active       BOOLEAN         NOT NULL DEFAULT TRUE,
    description     VARCHAR(255)    NOT NULL,
    PRIMARY KEY (rule),
    CONSTRAINT chk_transaction_rules_kind CHECK (kind IN ('otp', 'review'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO transaction_rules (rule, kind, threshold_jod, max_count, window_seconds, description) VALUES
    ('otp_high_value', 'otp', 500, 3, 300,
     'a customer transfer above threshold_jod needs a one-time code: max_count attempts, valid window_seconds'),
    ('review_amount', 'review', 3000, NULL, NULL,
     'an outgoing transfer of threshold_jod or more waits for staff'),
    ('review_new_beneficiary', 'review', 1000, NULL, NULL,
     'the first payment from an account to a receiver, above threshold_jod, waits for staff'),
    ('review_velocity', 'review', NULL, 10, 900,
     'more than max_count outgoing transactions from one account within window_seconds wait for staff');

CREATE TABLE pending_transactions (
    transaction_id     BIGINT UNSIGNED  NOT NULL,
    hold_id            BIGINT UNSIGNED  NOT NULL,
    otp_hash           BINARY(32)       NULL,
    otp_expires_at     DATETIME(6)      NULL,
    otp_attempts_left  TINYINT UNSIGNED NULL,
    needs_review       BOOLEAN          NOT NULL,
    review_hits        JSON             NULL,
    amount_jod         DECIMAL(20,4)    NOT NULL,
    confirmed_at       DATETIME(6)      NULL,
    decided_by         BIGINT UNSIGNED  NULL,
    decided_at         DATETIME(6)      NULL,
    decision_reason    VARCHAR(255)     NULL,
    created_at         DATETIME(6)      NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (transaction_id),
    KEY idx_pending_transactions_expiry (otp_expires_at),
    CONSTRAINT fk_pending_transactions_transaction FOREIGN KEY (transaction_id) REFERENCES transactions (id),
    CONSTRAINT fk_pending_transactions_hold FOREIGN KEY (hold_id) REFERENCES holds (id),
    CONSTRAINT fk_pending_transactions_decided_by FOREIGN KEY (decided_by) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE transaction_actions (
    id               BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    transaction_id   BIGINT UNSIGNED NOT NULL,
    action           VARCHAR(8)      NOT NULL,
    actor_id         BIGINT UNSIGNED NOT NULL,
    idempotency_key  VARCHAR(128)    NOT NULL,
    request_hash     BINARY(32)      NOT NULL,
    created_at       DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (id),
    UNIQUE KEY uq_transaction_actions_key (actor_id, idempotency_key),
    KEY idx_transaction_actions_transaction (transaction_id),
    CONSTRAINT fk_transaction_actions_transaction FOREIGN KEY (transaction_id) REFERENCES transactions (id),
    CONSTRAINT fk_transaction_actions_actor FOREIGN KEY (actor_id) REFERENCES users (id),
    CONSTRAINT chk_transaction_actions_action CHECK (action IN ('confirm', 'approve', 'reject'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Expiry without anyone acting, where the server's event_scheduler is ON; the API's
-- periodic sweep calls the same procedure otherwise (api/pending.py).
CREATE EVENT IF NOT EXISTS ev_expire_pending_transactions
    ON SCHEDULE EVERY 30 SECOND
    DO CALL sp_expire_pending_transactions(FALSE);
