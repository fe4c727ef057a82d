-- trg_accounts_audit_insert: every new account is written to the hash-chained audit log.
DROP TRIGGER IF EXISTS trg_accounts_audit_insert;
DELIMITER $$
CREATE TRIGGER trg_accounts_audit_insert AFTER INSERT ON accounts
FOR EACH ROW
BEGIN
    CALL sp_audit_append('accounts', NEW.id, 'INSERT', NULL,
        JSON_OBJECT('account_number', NEW.account_number, 'user_id', NEW.user_id, 'kind', NEW.kind, 'gl_type', NEW.gl_type, 'account_type', NEW.account_type, 'currency', NEW.currency, 'status', NEW.status, 'balance', CAST(NEW.balance AS CHAR), 'overdraft_limit', CAST(NEW.overdraft_limit AS CHAR), 'per_transaction_limit', CAST(NEW.per_transaction_limit AS CHAR), 'daily_limit', CAST(NEW.daily_limit AS CHAR)));
END$$
DELIMITER ;
