-- 24: customer accounts opened before limits became data (schema 16) still carry the old
-- column defaults (50,000 per transaction, 100,000 a day); they take their type's limits
-- now. An account whose limits staff set to anything else keeps them. The change is audited
-- by trg_accounts_audit_update like any other limit change.
UPDATE accounts a
JOIN account_type_limits l ON l.account_type = a.account_type
SET a.per_transaction_limit = l.per_transaction_limit,
    a.daily_limit = l.daily_limit
WHERE a.kind = 'customer'
  AND a.per_transaction_limit = 50000
  AND a.daily_limit = 100000;

