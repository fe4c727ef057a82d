-- vw_fraud_alerts: each fraud alert with its transaction, its score's reasons, the account's
-- status now and who resolved it: the one shape the alert list and a resolution return.
DROP VIEW IF EXISTS vw_fraud_alerts;
CREATE VIEW vw_fraud_alerts AS
SELECT f.id, f.transaction_id, f.account_id, a.account_number, a.status AS account_status,
       f.score, f.verdict, f.status, f.action_taken, f.resolution, f.resolution_note,
       f.resolved_by, u.username AS resolved_by_username, f.created_at, f.resolved_at,
       t.amount, t.currency, t.type AS transaction_type, t.created_at AS transaction_created_at,
       fa.account_number AS from_account_number, ta.account_number AS to_account_number,
       r.model_version, r.reasons
FROM fraud_alerts f
JOIN transactions t ON t.id = f.transaction_id
LEFT JOIN accounts a ON a.id = f.account_id
LEFT JOIN accounts fa ON fa.id = t.from_account_id
LEFT JOIN accounts ta ON ta.id = t.to_account_id
LEFT JOIN users u ON u.id = f.resolved_by
LEFT JOIN transaction_risk_scores r ON r.transaction_id = f.transaction_id;
