-- 23: the risk analyst, who works the fraud alerts the risk worker raises.
-- An analyst reads every transaction, risk score and fraud alert and resolves alerts
-- (confirmed_fraud or false_positive); each resolution is also a label in
-- transaction_labels, which the worker learns from.
ALTER TABLE users
    DROP CONSTRAINT chk_users_role,
    ADD CONSTRAINT chk_users_role CHECK (role IN ('customer', 'teller', 'manager', 'auditor',
                                                  'analyst', 'admin', 'system'));

-- The alert list filtered by account, newest first.
ALTER TABLE fraud_alerts ADD KEY idx_fraud_alerts_account (account_id, id);
