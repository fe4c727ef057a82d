-- vw_transactions: journal headers with the account numbers and owners on each side,
-- in the shape every money procedure returns, and the risk worker's score once it has one.
DROP VIEW IF EXISTS vw_transactions;
CREATE VIEW vw_transactions AS
SELECT t.id, t.reference, t.type, t.status, t.amount, t.currency, t.fee,
       t.from_account_id, fa.account_number AS from_account_number, fa.user_id AS from_user_id,
       t.to_account_id, ta.account_number AS to_account_number, ta.user_id AS to_user_id,
       t.target_amount, t.target_currency, t.fx_rate, t.description,
       t.parent_id, t.reversal_of_id, t.reversed_by_id, t.is_high_value, t.initiator_id,
       t.created_at, r.score AS risk_score, r.verdict AS risk_verdict
FROM transactions t
LEFT JOIN accounts fa ON fa.id = t.from_account_id
LEFT JOIN accounts ta ON ta.id = t.to_account_id
LEFT JOIN transaction_risk_scores r ON r.transaction_id = t.id;
