-- vw_accounts: customer accounts in the shape the API and reports return them.
-- System (GL) accounts are left out; see vw_balance_sheet for those.
-- Columns:
--   id                     the account's id
--   account_number         the 12-digit account number customers quote
--   user_id                the owner's user id (vw_customers.id)
--   account_type           savings, checking, wallet or fixed_deposit
--   currency               JOD, USD or EUR
--   status                 active, frozen or closed
--   balance                the ledger balance: the sum of the account's entries
--   available_balance      what may be spent now: balance minus held_amount
--   held_amount            money on hold for pending transactions
--   overdraft_limit        how far below zero the balance may go
--   per_transaction_limit  the largest single payment allowed
--   daily_limit            the most that may leave the account per bank day
--   created_at             when it was opened
--   updated_at             when it last changed
-- Example: SELECT account_number, balance FROM vw_accounts WHERE user_id = 2;
DROP VIEW IF EXISTS vw_accounts;
CREATE VIEW vw_accounts AS
SELECT a.id, a.account_number, a.user_id, a.account_type, a.currency, a.status,
       a.balance, a.available_balance, a.held_amount, a.overdraft_limit,
       a.per_transaction_limit, a.daily_limit, a.created_at, a.updated_at
FROM accounts a
WHERE a.kind = 'customer';
