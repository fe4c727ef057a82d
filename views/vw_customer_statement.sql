-- vw_customer_statement: every entry on a customer account with its transaction's details,
-- for statements and reports (no personal data, no secrets).
-- Columns:
--   account_id      the customer account's id
--   account_number  its account number
--   user_id         the account owner's user id (vw_customers.id)
--   account_type    savings, checking, wallet or fixed_deposit
--   entry_id        the ledger entry's id (statement order)
--   transaction_id  the transaction the entry belongs to
--   reference       that transaction's reference
--   type            its type: deposit, withdrawal, transfer, reversal, ...
--   status          its status: completed, reversed, ...
--   description     its description
--   entry_type      principal, fee or fx
--   amount          the entry's signed amount: positive credits, negative debits the account
--   currency        the account's currency
--   balance_after   the account's balance after this entry
--   created_at      when the entry was posted
-- Example: SELECT created_at, description, amount, balance_after FROM vw_customer_statement WHERE account_number = '423093553080' ORDER BY entry_id;
DROP VIEW IF EXISTS vw_customer_statement;
CREATE VIEW vw_customer_statement AS
SELECT a.id AS account_id, a.account_number, a.user_id, a.account_type,
       e.id AS entry_id, e.transaction_id, t.reference, t.type, t.status, t.description,
       e.entry_type, e.amount, e.currency, e.balance_after, e.created_at
FROM ledger_entries e
JOIN accounts a ON a.id = e.account_id AND a.kind = 'customer'
JOIN transactions t ON t.id = e.transaction_id;
