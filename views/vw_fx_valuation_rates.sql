-- vw_fx_valuation_rates: what one unit of `currency` is worth in `base_currency` for valuing
-- the FX book: the best the published quotes convert it into the base, directly or through
-- one other currency (1 for the base itself).
-- Why the best path: if no cycle of quotes multiplies to more than one, these values satisfy
-- value(c) >= rate(c->d) * value(d) for every pair, so every conversion the bank books at a
-- published quote, rounded in its favour, adds a non-negative amount to the book's value in
-- every base currency. A negative book then means a leak (or rates that moved since).
-- One intermediate currency covers every path among three currencies; a fourth currency
-- needs a second hop here.
-- Columns: currency, base_currency, rate.
-- Example: SELECT * FROM vw_fx_valuation_rates WHERE base_currency = 'JOD';
DROP VIEW IF EXISTS vw_fx_valuation_rates;
CREATE VIEW vw_fx_valuation_rates AS
SELECT c.code AS currency, b.code AS base_currency,
       CASE WHEN c.code = b.code THEN CAST(1 AS DECIMAL(40,20))
            ELSE GREATEST(
                IFNULL((SELECT d.rate FROM vw_fx_rates_current d
                        WHERE d.base_currency = c.code AND d.quote_currency = b.code), 0),
                IFNULL((SELECT MAX(x.rate * y.rate)
                        FROM vw_fx_rates_current x
                        JOIN vw_fx_rates_current y ON y.base_currency = x.quote_currency
                        WHERE x.base_currency = c.code AND x.quote_currency <> b.code
                          AND y.quote_currency = b.code), 0))
       END AS rate
FROM currencies c
CROSS JOIN currencies b;
