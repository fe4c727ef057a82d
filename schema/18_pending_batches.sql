-- 18: a held batch's children, fixed when the batch was created.
-- A customer's batch that the confirmation or review rules hold is created as its parent
-- transaction alone ('pending_otp' or 'pending_review', the whole amount + fees held on the
-- sender, pending_transactions as for a transfer). Its child transfers and their ledger legs
-- are computed then, at the rates, fees and GL sub-accounts of that moment, and kept here
-- until a confirm or an approval posts them (sp_pending_post_batch) or the batch is
-- cancelled; the rows stay afterwards as the record of what was held.
CREATE TABLE pending_batch_items (
    batch_id         BIGINT UNSIGNED NOT NULL,
    seq              INT UNSIGNED    NOT NULL,
    to_account_id    BIGINT UNSIGNED NOT NULL,
    amount           DECIMAL(20,4)   NOT NULL,
    currency         CHAR(3)         NOT NULL,
    fee              DECIMAL(20,4)   NOT NULL,
    target_amount    DECIMAL(20,4)   NOT NULL,
    target_currency  CHAR(3)         NOT NULL,
    fx_rate          DECIMAL(30,20)  NULL,
    description      VARCHAR(255)    NULL,
    PRIMARY KEY (batch_id, seq),
    KEY idx_pending_batch_items_to (to_account_id),
    CONSTRAINT fk_pending_batch_items_batch FOREIGN KEY (batch_id) REFERENCES transactions (id),
    CONSTRAINT fk_pending_batch_items_to FOREIGN KEY (to_account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE pending_batch_legs (
    batch_id    BIGINT UNSIGNED NOT NULL,
    seq         INT UNSIGNED    NOT NULL,
    txn_seq     INT UNSIGNED    NOT NULL,
    account_id  BIGINT UNSIGNED NOT NULL,
    amount      DECIMAL(20,4)   NOT NULL,
    currency    CHAR(3)         NOT NULL,
    entry_type  VARCHAR(16)     NOT NULL,
    PRIMARY KEY (batch_id, seq),
    KEY idx_pending_batch_legs_account (account_id),
    CONSTRAINT fk_pending_batch_legs_batch FOREIGN KEY (batch_id) REFERENCES transactions (id),
    CONSTRAINT fk_pending_batch_legs_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
