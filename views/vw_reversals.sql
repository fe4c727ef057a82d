-- vw_reversals: each reversal beside the transaction it undid, with who approved it.
-- Columns:
--   id                   the reversal transaction's id
--   reference            the reversal's reference
--   original_id          the id of the transaction it reversed
--   original_reference   that transaction's reference
--   original_type        its type (transfer, deposit, ...)
--   amount               the amount given back, in currency
--   currency             the currency of the amount
--   reason               the reason recorded on the reversal
--   approved_by_user_id  the staff member who reversed it
--   approved_by          their username
--   original_created_at  when the original transaction was posted
--   created_at           when it was reversed
-- Example: SELECT reference, approved_by, reason FROM vw_reversals;
DROP VIEW IF EXISTS vw_reversals;
CREATE VIEW vw_reversals AS
SELECT r.id, r.reference, o.id AS original_id, o.reference AS original_reference,
       o.type AS original_type, r.amount, r.currency, r.description AS reason,
       r.initiator_id AS approved_by_user_id, u.username AS approved_by,
       o.created_at AS original_created_at, r.created_at
FROM transactions r
JOIN transactions o ON o.id = r.reversal_of_id
LEFT JOIN users u ON u.id = r.initiator_id
WHERE r.type = 'reversal';
