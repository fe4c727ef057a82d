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
