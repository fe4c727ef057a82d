-- trg_accounts_audit_update: changes to an account's owner, type, status or limits are audited.
-- Balance movements are not copied here: each one is already an immutable ledger entry
-- with its balance_after, and auditing them twice would serialise every posting on the
-- audit chain's head.
DROP TRIGGER IF EXISTS trg_accounts_audit_update;
DELIMITER $$
CREATE TRIGGER trg_accounts_audit_update AFTER UPDATE ON accounts
FOR EACH ROW
BEGIN
    IF NOT (OLD.account_number <=> NEW.account_number AND OLD.user_id <=> NEW.user_id
            AND OLD.kind <=> NEW.kind AND OLD.gl_type <=> NEW.gl_type
            AND OLD.account_type <=> NEW.account_type AND OLD.currency <=> NEW.currency
            AND OLD.status <=> NEW.status AND OLD.overdraft_limit <=> NEW.overdraft_limit
            AND OLD.per_transaction_limit <=> NEW.per_transaction_limit
            AND OLD.daily_limit <=> NEW.daily_limit) THEN
        CALL sp_audit_append('accounts', NEW.id, 'UPDATE',
            JSON_OBJECT('account_number', OLD.account_number, 'user_id', OLD.user_id, 'kind', OLD.kind, 'gl_type', OLD.gl_type, 'account_type', OLD.account_type, 'currency', OLD.currency, 'status', OLD.status, 'balance', CAST(OLD.balance AS CHAR), 'overdraft_limit', CAST(OLD.overdraft_limit AS CHAR), 'per_transaction_limit', CAST(OLD.per_transaction_limit AS CHAR), 'daily_limit', CAST(OLD.daily_limit AS CHAR)),
            JSON_OBJECT('account_number', NEW.account_number, 'user_id', NEW.user_id, 'kind', NEW.kind, 'gl_type', NEW.gl_type, 'account_type', NEW.account_type, 'currency', NEW.currency, 'status', NEW.status, 'balance', CAST(NEW.balance AS CHAR), 'overdraft_limit', CAST(NEW.overdraft_limit AS CHAR), 'per_transaction_limit', CAST(NEW.per_transaction_limit AS CHAR), 'daily_limit', CAST(NEW.daily_limit AS CHAR)));
    END IF;
END$$
DELIMITER ;
