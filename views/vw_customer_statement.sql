-- vw_customer_statement: every entry on a customer account with its transaction's details,
-- for statements and reports (no personal data, no secrets).
DROP VIEW IF EXISTS vw_customer_statement;
CREATE VIEW vw_customer_statement AS
SELECT a.id AS account_id, a.account_number, a.user_id, a.account_type,
       e.id AS entry_id, e.transaction_id, t.reference, t.type, t.status, t.description,
       e.entry_type, e.amount, e.currency, e.balance_after, e.created_at
FROM ledger_entries e
JOIN accounts a ON a.id = e.account_id AND a.kind = 'customer'
JOIN transactions t ON t.id = e.transaction_id;
