-- vw_fx_position: the bank's FX book: each FX position GL account's balance, and its value in
-- each base currency at the published quotes (vw_fx_valuation_rates). Customers' conversions
-- leave the bank long the currency it received and short the one it paid out; summed per
-- base currency the book is worth at least zero unless conversions paid out more than the
-- quotes allow (vw_ledger_integrity_check reports fx_position_negative).
-- Example: SELECT base_currency, SUM(value_in_base) FROM vw_fx_position GROUP BY base_currency;
-- Columns:
--   base_currency   the currency the book is valued in
--   currency        the currency of the position
--   account_id      the FX position GL account
--   position        its balance, in currency
--   valuation_rate  what one unit of currency is worth in base_currency
--   value_in_base   the position's value in base_currency
DROP VIEW IF EXISTS vw_fx_position;
CREATE VIEW vw_fx_position AS
SELECT v.base_currency, p.currency, p.id AS account_id, p.balance AS position,
       v.rate AS valuation_rate, p.balance * v.rate AS value_in_base
FROM accounts p
JOIN vw_fx_valuation_rates v ON v.currency = p.currency
WHERE p.kind = 'system' AND p.gl_type = 'fx_position';
