-- vw_fx_rates_current: the quote in force for each currency pair (the newest fx_rates row
-- whose valid_from is not in the future; the higher id wins a tie), as the transfer
-- procedures choose it.
-- Example: SELECT rate FROM vw_fx_rates_current WHERE base_currency = 'JOD' AND quote_currency = 'USD';
-- Columns:
--   id              the fx_rates row in force
--   base_currency   the currency converted from
--   quote_currency  the currency converted to
--   rate            units of quote_currency per unit of base_currency
--   valid_from      since when the quote is in force
DROP VIEW IF EXISTS vw_fx_rates_current;
CREATE VIEW vw_fx_rates_current AS
SELECT r.id, r.base_currency, r.quote_currency, r.rate, r.valid_from
FROM fx_rates r
WHERE r.valid_from <= NOW(6)
  AND NOT EXISTS (SELECT 1 FROM fx_rates n
                  WHERE n.base_currency = r.base_currency
                    AND n.quote_currency = r.quote_currency
                    AND n.valid_from <= NOW(6)
                    AND (n.valid_from > r.valid_from OR (n.valid_from = r.valid_from AND n.id > r.id)));
