-- trg_accounts_audit_delete: a removed account (only possible before any posting) is audited.
DROP TRIGGER IF EXISTS trg_accounts_audit_delete;
DELIMITER $$
CREATE TRIGGER trg_accounts_audit_delete AFTER DELETE ON accounts
FOR EACH ROW
BEGIN
    CALL sp_audit_append('accounts', OLD.id, 'DELETE',
        JSON_OBJECT('account_number', OLD.account_number, 'user_id', OLD.user_id, 'kind', OLD.kind, 'gl_type', OLD.gl_type, 'account_type', OLD.account_type, 'currency', OLD.currency, 'status', OLD.status, 'balance', CAST(OLD.balance AS CHAR), 'overdraft_limit', CAST(OLD.overdraft_limit AS CHAR), 'per_transaction_limit', CAST(OLD.per_transaction_limit AS CHAR), 'daily_limit', CAST(OLD.daily_limit AS CHAR)), NULL);
END$$
DELIMITER ;
