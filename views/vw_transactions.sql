-- vw_transactions: journal headers with the account numbers and owners on each side,
-- in the shape every money procedure returns, and the risk worker's score once it has one.
-- Columns:
--   id                   the transaction's id
--   reference            its reference, e.g. TX20261130ABCD
--   type                 deposit, withdrawal, transfer, batch, reversal, bill_payment, interest or fee
--   status               completed, pending_otp, pending_review, rejected, reversed or failed
--   amount               the amount, in currency (always positive)
--   currency             the currency of the amount: JOD, USD or EUR
--   fee                  the fee the bank charged on it, in currency
--   from_account_id      the paying account's id (NULL for a deposit)
--   from_account_number  the paying account's number
--   from_user_id         the paying account's owner (vw_customers.id)
--   to_account_id        the receiving account's id (NULL for a withdrawal)
--   to_account_number    the receiving account's number
--   to_user_id           the receiving account's owner (vw_customers.id)
--   target_amount        what the receiver got, in target_currency (a conversion)
--   target_currency      the receiving account's currency
--   fx_rate              the rate applied when the currencies differ
--   description          the description given
--   parent_id            the batch it belongs to (NULL: none)
--   reversal_of_id       for a reversal: the transaction it undid
--   reversed_by_id       the reversal that undid this one (NULL: not reversed)
--   is_high_value        1 when the amount is at or above the high-value threshold
--   initiator_id         the user who made it (a teller for cash, the customer for a transfer)
--   created_at           when it was posted
--   risk_score           the risk worker's score, 0 to 1 (NULL: not scored yet)
--   risk_verdict         SAFE, SUSPICIOUS or CRITICAL (NULL: not scored yet)
DROP VIEW IF EXISTS vw_transactions;
CREATE VIEW vw_transactions AS
SELECT t.id, t.reference, t.type, t.status, t.amount, t.currency, t.fee,
       t.from_account_id, fa.account_number AS from_account_number, fa.user_id AS from_user_id,
       t.to_account_id, ta.account_number AS to_account_number, ta.user_id AS to_user_id,
       t.target_amount, t.target_currency, t.fx_rate, t.description,
       t.parent_id, t.reversal_of_id, t.reversed_by_id, t.is_high_value, t.initiator_id,
       t.created_at, r.score AS risk_score, r.verdict AS risk_verdict
FROM transactions t
LEFT JOIN accounts fa ON fa.id = t.from_account_id
LEFT JOIN accounts ta ON ta.id = t.to_account_id
LEFT JOIN transaction_risk_scores r ON r.transaction_id = t.id;
