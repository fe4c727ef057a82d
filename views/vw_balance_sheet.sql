-- vw_balance_sheet: balances per currency and per line: each system (GL) account type,
-- and customer deposits by account type. Signed as in the ledger (customer money is
-- positive, the cash vault holding it negative), so each currency's lines sum to zero.
-- Columns:
--   currency  the currency of the line
--   kind      system (a GL account of the bank) or customer (deposits)
--   line      the GL type (cash_vault, fee_income, fx_position, ...) or customer_<account type>
--   accounts  how many accounts the line sums
--   balance   their summed balance, signed as in the ledger
-- Example: SELECT currency, line, balance FROM vw_balance_sheet ORDER BY currency, line;
DROP VIEW IF EXISTS vw_balance_sheet;
CREATE VIEW vw_balance_sheet AS
SELECT a.currency,
       a.kind,
       IF(a.kind = 'system', a.gl_type, CONCAT('customer_', a.account_type)) AS line,
       COUNT(*) AS accounts,
       SUM(a.balance) AS balance
FROM accounts a
GROUP BY a.currency, a.kind, IF(a.kind = 'system', a.gl_type, CONCAT('customer_', a.account_type));
