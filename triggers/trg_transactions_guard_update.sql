-- trg_transactions_guard_update: a transaction header changes only along its life cycle.
-- Allowed, for every database user (the schema owner included):
--   status           pending_otp    -> pending_review, completed, rejected, failed
--                    pending_review -> completed, rejected, failed
--                    completed      -> reversed (and only together with reversed_by_id)
--   reversed_by_id   set once, from NULL, when the status becomes 'reversed'
--   amount           a batch parent's 0 becomes the sum of its children's amounts, once
--   updated_at       maintained by the server
-- Every other column (currency, accounts, keys, rates, created_at, ...) is immutable.
-- A wrong posting is corrected by a reversal, never by editing the header.
-- Errors: IMMUTABLE_RECORD.
DROP TRIGGER IF EXISTS trg_transactions_guard_update;
DELIMITER $$
CREATE TRIGGER trg_transactions_guard_update BEFORE UPDATE ON transactions
FOR EACH ROW
BEGIN
    IF NOT (NEW.id <=> OLD.id
            AND NEW.reference <=> OLD.reference
            AND NEW.type <=> OLD.type
            AND NEW.currency <=> OLD.currency
            AND NEW.fee <=> OLD.fee
            AND NEW.from_account_id <=> OLD.from_account_id
            AND NEW.to_account_id <=> OLD.to_account_id
            AND NEW.target_amount <=> OLD.target_amount
            AND NEW.target_currency <=> OLD.target_currency
            AND NEW.fx_rate <=> OLD.fx_rate
            AND NEW.initiator_id <=> OLD.initiator_id
            AND NEW.idempotency_key <=> OLD.idempotency_key
            AND NEW.request_hash <=> OLD.request_hash
            AND NEW.description <=> OLD.description
            AND NEW.parent_id <=> OLD.parent_id
            AND NEW.reversal_of_id <=> OLD.reversal_of_id
            AND NEW.is_high_value <=> OLD.is_high_value
            AND NEW.created_at <=> OLD.created_at) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'IMMUTABLE_RECORD: only a transaction''s status may change';
    END IF;
    IF NOT (NEW.amount <=> OLD.amount
            OR (OLD.type = 'batch' AND OLD.amount = 0
                AND NEW.amount = (SELECT SUM(c.amount) FROM transactions c WHERE c.parent_id = OLD.id))) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'IMMUTABLE_RECORD: a transaction''s amount cannot change';
    END IF;
    IF NOT (NEW.status <=> OLD.status
            OR (OLD.status = 'pending_otp'
                AND NEW.status IN ('pending_review', 'completed', 'rejected', 'failed'))
            OR (OLD.status = 'pending_review' AND NEW.status IN ('completed', 'rejected', 'failed'))
            OR (OLD.status = 'completed' AND NEW.status = 'reversed'
                AND OLD.reversed_by_id IS NULL AND NEW.reversed_by_id IS NOT NULL)) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'IMMUTABLE_RECORD: that status change is not allowed';
    END IF;
    IF NOT (NEW.reversed_by_id <=> OLD.reversed_by_id
            OR (OLD.reversed_by_id IS NULL AND NEW.status = 'reversed' AND OLD.status <> 'reversed')) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'IMMUTABLE_RECORD: reversed_by_id is set once, by the reversal';
    END IF;
END$$
DELIMITER ;
