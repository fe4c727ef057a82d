-- trg_accounts_overdraft_guard: the last line of defence for funds. No customer account's
-- balance may go below -overdraft_limit, whatever code path writes it.
DROP TRIGGER IF EXISTS trg_accounts_overdraft_guard;
DELIMITER $$
CREATE TRIGGER trg_accounts_overdraft_guard BEFORE UPDATE ON accounts
FOR EACH ROW
BEGIN
    IF NEW.kind = 'customer' AND NEW.balance < -NEW.overdraft_limit AND NEW.balance < OLD.balance THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INSUFFICIENT_FUNDS: the balance would go below the overdraft limit';
    END IF;
END$$
DELIMITER ;
