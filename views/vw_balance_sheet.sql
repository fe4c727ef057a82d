-- vw_balance_sheet: balances per currency and per line: each system (GL) account type,
-- and customer deposits by account type. Signed as in the ledger (customer money is
-- positive, the cash vault holding it negative), so each currency's lines sum to zero.
DROP VIEW IF EXISTS vw_balance_sheet;
CREATE VIEW vw_balance_sheet AS
SELECT a.currency,
       a.kind,
       IF(a.kind = 'system', a.gl_type, CONCAT('customer_', a.account_type)) AS line,
       COUNT(*) AS accounts,
       SUM(a.balance) AS balance
FROM accounts a
GROUP BY a.currency, a.kind, IF(a.kind = 'system', a.gl_type, CONCAT('customer_', a.account_type));
