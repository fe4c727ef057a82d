-- vw_ledger_integrity_recent: vw_ledger_integrity_check for a window only, so it is cheap.
-- The window is integrity_scan_range (transactions from_txn_id < id <= to_txn_id, audit
-- rows likewise), which sp_check_integrity sets. Must be empty. For the accounts the
-- window's entries touched, the cached balance is compared with the last entry's
-- balance_after, and each new entry's balance_after with the previous entry's plus its
-- amount: with the earlier entries checked by earlier runs, that proves balance = sum of
-- entries without summing an account's whole history. Holds placed without a
-- transaction are covered by the full view only.
--   unbalanced_transaction, balance_mismatch, available_mismatch, hold_mismatch,
--   entry_currency, audit_hash_mismatch, audit_chain_broken, audit_head_mismatch: as in
--   vw_ledger_integrity_check;
--   balance_chain_broken    an entry's balance_after is not the previous one's plus its amount
-- Example: SELECT * FROM vw_ledger_integrity_recent;
DROP VIEW IF EXISTS vw_ledger_integrity_recent;
CREATE VIEW vw_ledger_integrity_recent AS
SELECT 'unbalanced_transaction' AS check_name, 'transaction' AS subject_type,
       e.transaction_id AS subject_id, e.currency,
       CAST(0 AS DECIMAL(20,4)) AS expected, SUM(e.amount) AS actual
FROM integrity_scan_range r
JOIN ledger_entries e ON e.transaction_id > r.from_txn_id AND e.transaction_id <= r.to_txn_id
GROUP BY e.transaction_id, e.currency
HAVING SUM(e.amount) <> 0
UNION ALL
SELECT 'balance_chain_broken', 'ledger_entry', e.id, e.currency,
       IFNULL(p.balance_after, 0) + e.amount, e.balance_after
FROM integrity_scan_range r
JOIN ledger_entries e ON e.transaction_id > r.from_txn_id AND e.transaction_id <= r.to_txn_id
LEFT JOIN ledger_entries p ON p.id = (SELECT MAX(q.id) FROM ledger_entries q
                                     WHERE q.account_id = e.account_id AND q.id < e.id)
WHERE IFNULL(p.balance_after, 0) + e.amount <> e.balance_after
UNION ALL
SELECT 'balance_mismatch', 'account', a.id, a.currency, last.balance_after, a.balance
FROM (SELECT DISTINCT e.account_id FROM integrity_scan_range r
      JOIN ledger_entries e ON e.transaction_id > r.from_txn_id AND e.transaction_id <= r.to_txn_id) t
JOIN accounts a ON a.id = t.account_id
JOIN ledger_entries last ON last.id = (SELECT MAX(l.id) FROM ledger_entries l WHERE l.account_id = a.id)
WHERE a.balance <> last.balance_after
UNION ALL
SELECT 'available_mismatch', 'account', a.id, a.currency, a.balance - a.held_amount, a.available_balance
FROM (SELECT DISTINCT e.account_id FROM integrity_scan_range r
      JOIN ledger_entries e ON e.transaction_id > r.from_txn_id AND e.transaction_id <= r.to_txn_id) t
JOIN accounts a ON a.id = t.account_id
WHERE a.available_balance <> a.balance - a.held_amount
UNION ALL
SELECT 'hold_mismatch', 'account', a.id, a.currency,
       IFNULL((SELECT SUM(h.amount) FROM holds h WHERE h.account_id = a.id AND h.status = 'active'), 0),
       a.held_amount
FROM (SELECT DISTINCT e.account_id FROM integrity_scan_range r
      JOIN ledger_entries e ON e.transaction_id > r.from_txn_id AND e.transaction_id <= r.to_txn_id) t
JOIN accounts a ON a.id = t.account_id
WHERE a.held_amount <> IFNULL((SELECT SUM(h.amount) FROM holds h
                               WHERE h.account_id = a.id AND h.status = 'active'), 0)
UNION ALL
SELECT 'entry_currency', 'ledger_entry', e.id, e.currency, NULL, NULL
FROM integrity_scan_range r
JOIN ledger_entries e ON e.transaction_id > r.from_txn_id AND e.transaction_id <= r.to_txn_id
JOIN accounts a ON a.id = e.account_id
WHERE e.currency <> a.currency
UNION ALL
SELECT 'audit_hash_mismatch', 'audit_log', l.id, NULL, NULL, NULL
FROM integrity_scan_range r
JOIN audit_log l ON l.id > r.from_audit_id AND l.id <= r.to_audit_id
WHERE l.row_hash <> fn_audit_row_hash(l.prev_hash, l.id, l.table_name, l.row_id, l.action,
                                      l.actor_user_id, l.db_user, l.before_data, l.after_data, l.created_at,
                                      l.event, l.reason)
UNION ALL
SELECT 'audit_chain_broken', 'audit_log', l.id, NULL, NULL, NULL
FROM integrity_scan_range r
JOIN audit_log l ON l.id > r.from_audit_id AND l.id <= r.to_audit_id
LEFT JOIN audit_log p ON p.id = l.id - 1
WHERE (l.id = 1 AND l.prev_hash <> REPEAT('0', 64))
   OR (l.id > 1 AND (p.id IS NULL OR l.prev_hash <> p.row_hash))
UNION ALL
SELECT 'audit_head_mismatch', 'audit_chain_head', h.id, NULL, NULL, NULL
FROM audit_chain_head h
LEFT JOIN audit_log l ON l.id = h.last_id
WHERE (h.last_id > 0 AND (l.id IS NULL OR l.row_hash <> h.last_hash))
   OR h.last_id <> (SELECT IFNULL(MAX(id), 0) FROM audit_log);
