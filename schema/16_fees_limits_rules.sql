-- Fees charged by the procedures, conversions at full precision, limits as data.
--
-- A conversion goes through the two JOD mids at full precision and is rounded once
-- (fn_fx_convert); the rate a transaction records is that exact rate rounded up at 20
-- decimals (fn_fx_applied_rate), so amount * fx_rate never falls below what was credited.
ALTER TABLE transactions MODIFY COLUMN fx_rate DECIMAL(30,20) NULL;

-- Limits, as data. Per account type: the per-transaction limit and the daily outgoing limit a
-- new account of that type starts with (trg_accounts_type_limits copies them; staff change
-- one account's with sp_set_account_limits), and the minimum balance an outgoing payment may
-- not go below (read at every debit: a change applies at once). Amounts are in the
-- account's own currency. The overdraft is per account (accounts.overdraft_limit, 0 by
-- default): the funds check lets the balance go down to min_balance - overdraft_limit.
-- Change as the schema owner, e.g.
--   UPDATE account_type_limits SET per_transaction_limit = 15000 WHERE account_type = 'checking';
CREATE TABLE account_type_limits (
    account_type          VARCHAR(16)   NOT NULL,
    per_transaction_limit DECIMAL(20,4) NOT NULL DEFAULT 10000,
    daily_limit           DECIMAL(20,4) NOT NULL DEFAULT 20000,
    min_balance           DECIMAL(20,4) NOT NULL DEFAULT 0,
    updated_at            DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
                                        ON UPDATE CURRENT_TIMESTAMP(6),
    PRIMARY KEY (account_type),
    CONSTRAINT chk_account_type_limits_bounds
        CHECK (per_transaction_limit >= 0 AND daily_limit >= 0 AND min_balance >= 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci
  COMMENT = 'Limits per account type, in the account''s currency';

INSERT INTO account_type_limits (account_type) VALUES
    ('savings'), ('checking'), ('wallet'), ('fixed_deposit');

-- The bank's settings, one row. time_zone names the zone whose calendar day the daily limits
-- count (CONVERT_TZ; needs the server's time zone tables), utc_offset is the rule used when
-- those tables are not loaded (Asia/Amman has been UTC+3 all year since 2022). Change as the
-- schema owner: UPDATE bank_settings SET time_zone = 'Europe/Berlin', utc_offset = '+01:00';
CREATE TABLE bank_settings (
    id          TINYINT UNSIGNED NOT NULL DEFAULT 1,
    time_zone   VARCHAR(64)      NOT NULL DEFAULT 'Asia/Amman',
    utc_offset  VARCHAR(6)       NOT NULL DEFAULT '+03:00',
    updated_at  DATETIME(6)      NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
                                 ON UPDATE CURRENT_TIMESTAMP(6),
    PRIMARY KEY (id),
    CONSTRAINT chk_bank_settings_one_row CHECK (id = 1),
    CONSTRAINT chk_bank_settings_offset CHECK (utc_offset REGEXP '^[+-][0-9]{2}:[0-9]{2}$')
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci
  COMMENT = 'Bank-wide settings (one row)';

INSERT INTO bank_settings (id) VALUES (1);

-- Hot rows. Every fee credits its currency's fee income account and every conversion both
-- FX position accounts: one row each, whose lock every such posting would hold through its
-- commit. Each of them is split into gl_shards sub-accounts (gl_shard 0 .. gl_shards - 1;
-- shard 0 is the original account); a posting picks one by its transaction (the id modulo
-- gl_shards; a batch by its key and item). vw_balance_sheet sums them per GL line and
-- vw_ledger_integrity_check reports a missing shard (gl_shard_missing). To use more shards,
-- insert the accounts of the new shard numbers first, then raise bank_settings.gl_shards.
ALTER TABLE bank_settings
    ADD COLUMN gl_shards TINYINT UNSIGNED NOT NULL DEFAULT 8,
    ADD CONSTRAINT chk_bank_settings_gl_shards CHECK (gl_shards BETWEEN 1 AND 64);

ALTER TABLE accounts
    ADD COLUMN gl_shard TINYINT UNSIGNED NOT NULL DEFAULT 0,
    DROP KEY uq_accounts_gl,
    ADD UNIQUE KEY uq_accounts_gl (gl_type, currency, gl_shard);

INSERT INTO accounts (account_number, user_id, kind, gl_type, account_type, currency,
                      per_transaction_limit, daily_limit, gl_shard)
SELECT CONCAT(a.account_number, '-', s.n), 1, 'system', a.gl_type, 'gl', a.currency, 0, 0, s.n
FROM accounts a
CROSS JOIN (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4
            UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7) s
WHERE a.kind = 'system' AND a.gl_type IN ('fee_income', 'fx_position') AND a.gl_shard = 0
ORDER BY a.currency, a.gl_type, s.n;
