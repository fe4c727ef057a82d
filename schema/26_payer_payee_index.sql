-- 26: "has this account paid that one before?" is asked on every outgoing transfer (the risk
-- rules' first payment to a beneficiary, the review rules' new beneficiary). Through the
-- receiver's index it read every payment the receiver ever had, so a payee many customers
-- pay (a merchant, a biller) slowed every payment to it as its history grew; one probe of
-- this index answers it.
ALTER TABLE transactions ADD KEY idx_transactions_payer_payee (from_account_id, to_account_id, status);
