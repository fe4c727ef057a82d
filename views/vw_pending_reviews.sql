-- vw_pending_reviews: transactions held for staff review and what became of them.
-- Columns:
--   transaction_id       the held transaction's id
--   reference            its reference
--   type                 transfer or batch
--   status               pending_review while it waits; completed, rejected or failed after
--   amount               the amount, in currency
--   currency             the currency of the amount
--   amount_jod           the amount's value in JOD, which the review rules compare
--   from_account_number  the account it pays from
--   to_account_number    the account it pays to (NULL for a batch)
--   review_hits          the review rules it hit, a JSON array (review_amount, ...)
--   decided_by_user_id   the staff member who approved or rejected it (NULL: waiting)
--   decided_by           their username
--   decided_at           when they decided (NULL: waiting)
--   decision_reason      the reason they gave
--   created_at           when it was held
-- Example: SELECT reference, amount, currency FROM vw_pending_reviews WHERE status = 'pending_review';
DROP VIEW IF EXISTS vw_pending_reviews;
CREATE VIEW vw_pending_reviews AS
SELECT p.transaction_id, t.reference, t.type, t.status, t.amount, t.currency, p.amount_jod,
       fa.account_number AS from_account_number, ta.account_number AS to_account_number,
       p.review_hits, p.decided_by AS decided_by_user_id, u.username AS decided_by,
       p.decided_at, p.decision_reason, p.created_at
FROM pending_transactions p
JOIN transactions t ON t.id = p.transaction_id
LEFT JOIN accounts fa ON fa.id = t.from_account_id
LEFT JOIN accounts ta ON ta.id = t.to_account_id
LEFT JOIN users u ON u.id = p.decided_by
WHERE p.needs_review;
