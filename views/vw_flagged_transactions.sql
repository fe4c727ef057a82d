-- vw_flagged_transactions: transactions that want a human look: high-value ones, those
-- waiting for review, and those the risk worker scored SUSPICIOUS or CRITICAL.
-- Columns:
--   id                   the transaction's id
--   reference            its reference
--   type                 deposit, withdrawal, transfer, ...
--   status               completed, pending_review, ...
--   amount               the amount, in currency
--   currency             the currency of the amount
--   from_account_number  the paying account (NULL for a deposit)
--   to_account_number    the receiving account (NULL for a withdrawal)
--   is_high_value        1 when the amount is at or above the high-value threshold
--   risk_score           the risk worker's score from 0 to 1 (NULL: not scored)
--   risk_verdict         SAFE, SUSPICIOUS or CRITICAL (NULL: not scored)
--   model_version        the risk model that scored it
--   flag_reason          risk_critical, pending_review, risk_suspicious or high_value
--   created_at           when it was posted
-- Example: SELECT reference, amount, flag_reason FROM vw_flagged_transactions WHERE risk_verdict = 'CRITICAL';
DROP VIEW IF EXISTS vw_flagged_transactions;
CREATE VIEW vw_flagged_transactions AS
SELECT v.id, v.reference, v.type, v.status, v.amount, v.currency,
       v.from_account_number, v.to_account_number, v.is_high_value,
       r.score AS risk_score, r.verdict AS risk_verdict, r.model_version,
       CASE
           WHEN r.verdict = 'CRITICAL' THEN 'risk_critical'
           WHEN v.status = 'pending_review' THEN 'pending_review'
           WHEN r.verdict = 'SUSPICIOUS' THEN 'risk_suspicious'
           ELSE 'high_value'
       END AS flag_reason,
       v.created_at
FROM vw_transactions v
LEFT JOIN transaction_risk_scores r ON r.transaction_id = v.id
WHERE v.is_high_value
   OR v.status = 'pending_review'
   OR r.verdict IN ('SUSPICIOUS', 'CRITICAL');
