-- FX at the bank's published mid rates, with a configurable spread, and fees as data.
--
-- Rates. The bank publishes one mid rate per currency against JOD (1 JOD = 1.41 USD =
-- 1.31 EUR). Every directed pair is derived from those mids and stored in fx_rates, so the
-- rate a conversion uses is one row, read by fn_fx_rate (and, directly, by the transfer
-- procedures):
--   JOD->X  mid(X)                      X->JOD  1 / mid(X)
--   X->Y    mid(Y) / mid(X)             (through JOD, computed exactly, then truncated once)
-- each multiplied by (1 - fx_spread of the currency the customer receives) and truncated to
-- 10 decimals. Truncation and a spread >= 0 only ever lower a rate, so every cycle of
-- conversions multiplies to at most one (vw_ledger_integrity_check: fx_round_trip_gain).
-- The converted amount is then rounded once, down, to the receiver's exponent.
-- sp_publish_fx_rate writes a new mid and re-derives every pair it touches at one valid_from.
--
-- Spread: currencies.fx_spread, a fraction (0.005 = 0.5 %) taken on the side the bank sells,
-- i.e. of the currency the customer receives. Default 0: customers get the published mid.
-- A change applies to the rates published after it (rows keep the spread they were derived
-- with, so what was in force never changes); republish the mids to apply it at once.
ALTER TABLE currencies
    ADD COLUMN fx_spread DECIMAL(7,6) NOT NULL DEFAULT 0,
    ADD CONSTRAINT chk_currencies_fx_spread CHECK (fx_spread >= 0 AND fx_spread < 0.1);

ALTER TABLE fx_rates
    ADD COLUMN mid_rate     DECIMAL(20,10)  NULL,
    ADD COLUMN spread       DECIMAL(7,6)    NOT NULL DEFAULT 0,
    ADD COLUMN published_by BIGINT UNSIGNED NULL,
    ADD COLUMN reason       VARCHAR(255)    NULL,
    ADD KEY idx_fx_rates_valid_from (valid_from),
    ADD CONSTRAINT fk_fx_rates_published_by FOREIGN KEY (published_by) REFERENCES users (id);

-- The published mids, in force from this migration on (earlier instants keep the old quotes:
-- 1.30 JOD->EUR and the direct USD/EUR quotes).
INSERT INTO fx_rates (base_currency, quote_currency, rate, mid_rate, spread, valid_from, reason)
SELECT p.base_currency, p.quote_currency, p.mid, p.mid, 0, NOW(6), 'published mid rates'
FROM (SELECT 'JOD' AS base_currency, 'USD' AS quote_currency,
             CAST(1.41 AS DECIMAL(20,10)) AS mid
      UNION ALL SELECT 'USD', 'JOD', TRUNCATE(CAST(1 AS DECIMAL(40,20)) / 1.41, 10)
      UNION ALL SELECT 'JOD', 'EUR', CAST(1.31 AS DECIMAL(20,10))
      UNION ALL SELECT 'EUR', 'JOD', TRUNCATE(CAST(1 AS DECIMAL(40,20)) / 1.31, 10)
      UNION ALL SELECT 'USD', 'EUR', TRUNCATE(CAST(1.31 AS DECIMAL(40,20)) / 1.41, 10)
      UNION ALL SELECT 'EUR', 'USD', TRUNCATE(CAST(1.41 AS DECIMAL(40,20)) / 1.31, 10)) p;

-- Fees: one row per currency and kind of movement. fee = percent % of the amount, at least
-- min_fee and at most max_fee, rounded half away from zero to the currency's exponent
-- (fn_transfer_fee). A DBA changes a row with an UPDATE (audited); no deploy. No row for a
-- currency and kind: fn_transfer_fee answers NULL and a posting must refuse.
CREATE TABLE fee_schedules (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    currency    CHAR(3)         NOT NULL,
    kind        VARCHAR(32)     NOT NULL,
    percent     DECIMAL(7,4)    NOT NULL DEFAULT 0,
    min_fee     DECIMAL(20,4)   NOT NULL DEFAULT 0,
    max_fee     DECIMAL(20,4)   NOT NULL DEFAULT 0,
    updated_at  DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    PRIMARY KEY (id),
    UNIQUE KEY uq_fee_schedules_currency_kind (currency, kind),
    CONSTRAINT fk_fee_schedules_currency FOREIGN KEY (currency) REFERENCES currencies (code),
    CONSTRAINT chk_fee_schedules_kind
        CHECK (kind IN ('transfer_external', 'transfer_own', 'deposit', 'bill_payment')),
    CONSTRAINT chk_fee_schedules_bounds
        CHECK (percent >= 0 AND percent <= 100 AND min_fee >= 0 AND max_fee >= min_fee
               AND max_fee < 1000000000)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A transfer to another customer: 1 %, JOD 0.250..10.000, USD and EUR 0.35..14.00 (about
-- the same in each currency at the published mids). Own accounts, deposits, bills: free.
INSERT INTO fee_schedules (currency, kind, percent, min_fee, max_fee)
SELECT c.code, k.kind,
       IF(k.kind = 'transfer_external', 1, 0),
       IF(k.kind = 'transfer_external', IF(c.code = 'JOD', 0.250, 0.35), 0),
       IF(k.kind = 'transfer_external', IF(c.code = 'JOD', 10.000, 14.00), 0)
FROM currencies c
CROSS JOIN (SELECT 'transfer_external' AS kind UNION ALL SELECT 'transfer_own'
            UNION ALL SELECT 'deposit' UNION ALL SELECT 'bill_payment') k
ORDER BY c.code, k.kind;
