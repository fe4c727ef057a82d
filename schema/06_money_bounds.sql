-- Money bounds: what one transaction and one day may move, held as data per currency;
-- the external-funding GL account that customers' self-service top-ups draw on (a customer
-- is not a cash counter: cash in and out is a teller's act); the per-account daily
-- counters those bounds are checked against; and FX quotes without a gainful round trip.
--
-- currencies (amounts in the currency itself):
--   max_amount             the most any one transaction may move (any path, staff included)
--   max_daily_credit       the most one customer account may be paid in from outside the
--                          bank in a day (cash deposits and top-ups; transfers are bounded
--                          by their sender's daily_limit instead)
--   min_fx_amount          the smallest amount a cross-currency transfer may send
--   top_up_max_amount      one self-service top-up from an external funding source
--   top_up_daily_limit     a customer account's top-ups per day
--   self_cash_max_amount   one self-service (ATM-like) cash withdrawal by the customer
--   self_cash_daily_limit  a customer account's self-service cash withdrawals per day
-- The CHECK keeps every bound far below DECIMAL(20,4)'s 10^16, so no account can approach
-- the column's range through any path in practice.

ALTER TABLE currencies
    ADD COLUMN max_amount            DECIMAL(20,4) NOT NULL DEFAULT 1000000000,
    ADD COLUMN max_daily_credit      DECIMAL(20,4) NOT NULL DEFAULT 10000000000,
    ADD COLUMN min_fx_amount         DECIMAL(20,4) NOT NULL DEFAULT 1,
    ADD COLUMN top_up_max_amount     DECIMAL(20,4) NOT NULL DEFAULT 1000,
    ADD COLUMN top_up_daily_limit    DECIMAL(20,4) NOT NULL DEFAULT 2000,
    ADD COLUMN self_cash_max_amount  DECIMAL(20,4) NOT NULL DEFAULT 1000,
    ADD COLUMN self_cash_daily_limit DECIMAL(20,4) NOT NULL DEFAULT 2000;

ALTER TABLE currencies
    ADD CONSTRAINT chk_currencies_money_bounds CHECK (
        max_amount > 0 AND max_amount <= 1000000000000
        AND max_daily_credit >= max_amount AND max_daily_credit <= 10000000000000
        AND min_fx_amount > 0
        AND top_up_max_amount > 0 AND top_up_daily_limit >= top_up_max_amount
        AND top_up_daily_limit <= max_daily_credit
        AND self_cash_max_amount > 0 AND self_cash_daily_limit >= self_cash_max_amount);

-- Per-account daily counters (a counter whose date is not today counts as zero):
-- daily_credited counts cash deposits and top-ups, daily_topped_up top-ups only,
-- daily_self_cash the customer's own cash withdrawals.
ALTER TABLE accounts
    ADD COLUMN daily_credited        DECIMAL(20,4) NOT NULL DEFAULT 0,
    ADD COLUMN daily_credited_date   DATE          NULL,
    ADD COLUMN daily_topped_up       DECIMAL(20,4) NOT NULL DEFAULT 0,
    ADD COLUMN daily_topped_up_date  DATE          NULL,
    ADD COLUMN daily_self_cash       DECIMAL(20,4) NOT NULL DEFAULT 0,
    ADD COLUMN daily_self_cash_date  DATE          NULL;

ALTER TABLE accounts DROP CONSTRAINT chk_accounts_gl_type;

ALTER TABLE accounts
    ADD CONSTRAINT chk_accounts_gl_type CHECK (
        (kind = 'customer' AND gl_type IS NULL)
        OR (kind = 'system' AND gl_type IN ('cash_vault', 'fee_income', 'fx_position',
                                             'interest_expense', 'biller_settlement', 'suspense',
                                             'external_funding')));

-- The other leg of every top-up: money that arrived from outside the bank (a card, another
-- bank), one per currency. Its balance is minus everything customers have topped up.
INSERT INTO accounts (account_number, user_id, kind, gl_type, account_type, currency,
                      per_transaction_limit, daily_limit)
SELECT CONCAT('GL-', c.code, '-EXTERNAL_FUNDING'), 1, 'system', 'external_funding', 'gl', c.code, 0, 0
FROM currencies c
ORDER BY c.code;

-- EUR->USD at 1.087 with USD->EUR at 0.92 paid 1.00004 per round trip, and
-- JOD->EUR->USD->JOD 1.0019: a quote replaces it (the newest row of a pair is in force)
-- so that every cycle of quotes multiplies to less than one.
INSERT INTO fx_rates (base_currency, quote_currency, rate, valid_from) VALUES
    ('EUR', 'USD', 1.0840000000, '2000-01-01');
