-- vw_accounts: customer accounts in the shape the API and reports return them.
-- System (GL) accounts are left out; see vw_balance_sheet for those.
DROP VIEW IF EXISTS vw_accounts;
CREATE VIEW vw_accounts AS
SELECT a.id, a.account_number, a.user_id, a.account_type, a.currency, a.status,
       a.balance, a.available_balance, a.held_amount, a.overdraft_limit,
       a.per_transaction_limit, a.daily_limit, a.created_at, a.updated_at
FROM accounts a
WHERE a.kind = 'customer';
