-- trg_accounts_type_limits: a new customer account starts with its type's limits.
-- The per-transaction and daily outgoing limits come from account_type_limits (a type
-- without a row keeps the column defaults); staff change one account's later with
-- sp_set_account_limits.
DROP TRIGGER IF EXISTS trg_accounts_type_limits;
DELIMITER $$
CREATE TRIGGER trg_accounts_type_limits BEFORE INSERT ON accounts
FOR EACH ROW
BEGIN
    IF NEW.kind = 'customer' THEN
        SELECT IFNULL(MAX(per_transaction_limit), NEW.per_transaction_limit),
               IFNULL(MAX(daily_limit), NEW.daily_limit)
          INTO @bank_txn_limit, @bank_daily_limit
        FROM account_type_limits WHERE account_type = NEW.account_type;
        SET NEW.per_transaction_limit = @bank_txn_limit, NEW.daily_limit = @bank_daily_limit;
    END IF;
END$$
DELIMITER ;
