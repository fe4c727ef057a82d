-- The double-entry ledger: accounts, journal headers (transactions), their entries,
-- and holds. Only stored procedures write here; accounts.balance is a cache of the
-- sum of the account's entries, kept in the same database transaction.

CREATE TABLE accounts (
    id                BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    account_number    VARCHAR(34)     NOT NULL,
    user_id           BIGINT UNSIGNED NOT NULL,
    kind              VARCHAR(8)      NOT NULL DEFAULT 'customer',
    gl_type           VARCHAR(24)     NULL,
    account_type      VARCHAR(16)     NOT NULL,
    currency          CHAR(3)         NOT NULL,
    status            VARCHAR(8)      NOT NULL DEFAULT 'active',
    balance           DECIMAL(20,4)   NOT NULL DEFAULT 0,
    available_balance DECIMAL(20,4)   NOT NULL DEFAULT 0,
    held_amount       DECIMAL(20,4)   NOT NULL DEFAULT 0,
    overdraft_limit   DECIMAL(20,4)   NOT NULL DEFAULT 0,
    per_transaction_limit DECIMAL(20,4) NOT NULL DEFAULT 50000,
    daily_limit       DECIMAL(20,4)   NOT NULL DEFAULT 100000,
    daily_spent       DECIMAL(20,4)   NOT NULL DEFAULT 0,
    daily_spent_date  DATE            NULL,
    created_at        DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at        DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    PRIMARY KEY (id),
    UNIQUE KEY uq_accounts_number (account_number),
    UNIQUE KEY uq_accounts_gl (gl_type, currency),
    KEY idx_accounts_user (user_id),
    CONSTRAINT fk_accounts_user FOREIGN KEY (user_id) REFERENCES users (id),
    CONSTRAINT fk_accounts_currency FOREIGN KEY (currency) REFERENCES currencies (code),
    CONSTRAINT chk_accounts_kind CHECK (kind IN ('customer', 'system')),
    CONSTRAINT chk_accounts_gl_type CHECK (
        (kind = 'customer' AND gl_type IS NULL)
        OR (kind = 'system' AND gl_type IN ('cash_vault', 'fee_income', 'fx_position',
                                             'interest_expense', 'biller_settlement', 'suspense'))),
    CONSTRAINT chk_accounts_type CHECK (account_type IN ('savings', 'checking', 'wallet', 'fixed_deposit', 'gl')),
    CONSTRAINT chk_accounts_status CHECK (status IN ('active', 'frozen', 'closed')),
    CONSTRAINT chk_accounts_limits CHECK (overdraft_limit >= 0 AND per_transaction_limit >= 0 AND daily_limit >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The journal header. A batch is a parent row (type 'batch', no entries) whose
-- children carry the entries. idempotency_key is unique per initiator.
CREATE TABLE transactions (
    id                BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    reference         VARCHAR(24)     NOT NULL,
    type              VARCHAR(16)     NOT NULL,
    status            VARCHAR(16)     NOT NULL,
    amount            DECIMAL(20,4)   NOT NULL,
    currency          CHAR(3)         NOT NULL,
    fee               DECIMAL(20,4)   NOT NULL DEFAULT 0,
    from_account_id   BIGINT UNSIGNED NULL,
    to_account_id     BIGINT UNSIGNED NULL,
    target_amount     DECIMAL(20,4)   NULL,
    target_currency   CHAR(3)         NULL,
    fx_rate           DECIMAL(20,10)  NULL,
    initiator_id      BIGINT UNSIGNED NOT NULL,
    idempotency_key   VARCHAR(128)    NULL,
    request_hash      BINARY(32)      NULL,
    description       VARCHAR(255)    NULL,
    parent_id         BIGINT UNSIGNED NULL,
    reversal_of_id    BIGINT UNSIGNED NULL,
    reversed_by_id    BIGINT UNSIGNED NULL,
    is_high_value     BOOLEAN         NOT NULL DEFAULT FALSE,
    created_at        DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at        DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    PRIMARY KEY (id),
    UNIQUE KEY uq_transactions_reference (reference),
    UNIQUE KEY uq_transactions_idempotency (initiator_id, idempotency_key),
    UNIQUE KEY uq_transactions_reversal_of (reversal_of_id),
    KEY idx_transactions_from (from_account_id, id),
    KEY idx_transactions_to (to_account_id, id),
    KEY idx_transactions_parent (parent_id),
    KEY idx_transactions_created (created_at),
    KEY idx_transactions_status (status, id),
    CONSTRAINT fk_transactions_currency FOREIGN KEY (currency) REFERENCES currencies (code),
    CONSTRAINT fk_transactions_initiator FOREIGN KEY (initiator_id) REFERENCES users (id),
    CONSTRAINT chk_transactions_type CHECK (type IN ('deposit', 'withdrawal', 'transfer', 'batch',
                                                     'reversal', 'bill_payment', 'interest', 'fee')),
    CONSTRAINT chk_transactions_status CHECK (status IN ('completed', 'pending_otp', 'pending_review',
                                                         'rejected', 'reversed', 'failed')),
    CONSTRAINT chk_transactions_amount CHECK (amount >= 0 AND fee >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One signed line per account touched. Entries of a transaction sum to zero per currency.
CREATE TABLE ledger_entries (
    id                BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    transaction_id    BIGINT UNSIGNED NOT NULL,
    account_id        BIGINT UNSIGNED NOT NULL,
    amount            DECIMAL(20,4)   NOT NULL,
    currency          CHAR(3)         NOT NULL,
    balance_after     DECIMAL(20,4)   NOT NULL,
    entry_type        VARCHAR(16)     NOT NULL DEFAULT 'principal',
    created_at        DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (id),
    KEY idx_ledger_entries_account (account_id, id),
    KEY idx_ledger_entries_account_time (account_id, created_at),
    KEY idx_ledger_entries_transaction (transaction_id),
    CONSTRAINT fk_ledger_entries_transaction FOREIGN KEY (transaction_id) REFERENCES transactions (id),
    CONSTRAINT fk_ledger_entries_account FOREIGN KEY (account_id) REFERENCES accounts (id),
    CONSTRAINT chk_ledger_entries_nonzero CHECK (amount <> 0),
    CONSTRAINT chk_ledger_entries_type CHECK (entry_type IN ('principal', 'fee', 'fx'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Money reserved on an account (pending card authorisations, pending reviews).
-- available_balance = balance - sum(active holds).
CREATE TABLE holds (
    id                BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    account_id        BIGINT UNSIGNED NOT NULL,
    transaction_id    BIGINT UNSIGNED NULL,
    amount            DECIMAL(20,4)   NOT NULL,
    reason            VARCHAR(255)    NOT NULL,
    status            VARCHAR(16)     NOT NULL DEFAULT 'active',
    expires_at        DATETIME(6)     NULL,
    created_at        DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    released_at       DATETIME(6)     NULL,
    PRIMARY KEY (id),
    KEY idx_holds_account (account_id, status),
    KEY idx_holds_transaction (transaction_id),
    CONSTRAINT fk_holds_account FOREIGN KEY (account_id) REFERENCES accounts (id),
    CONSTRAINT chk_holds_amount CHECK (amount > 0),
    CONSTRAINT chk_holds_status CHECK (status IN ('active', 'released', 'captured', 'expired'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- System (GL) accounts, one of each type per currency, owned by the system user.
INSERT INTO accounts (account_number, user_id, kind, gl_type, account_type, currency,
                      per_transaction_limit, daily_limit)
SELECT CONCAT('GL-', c.code, '-', UPPER(g.gl_type)), 1, 'system', g.gl_type, 'gl', c.code, 0, 0
FROM currencies c
CROSS JOIN (SELECT 'cash_vault' AS gl_type UNION ALL SELECT 'fee_income'
            UNION ALL SELECT 'fx_position' UNION ALL SELECT 'interest_expense'
            UNION ALL SELECT 'biller_settlement' UNION ALL SELECT 'suspense') g
ORDER BY c.code, g.gl_type;
