-- vw_ledger_integrity_check: every broken invariant of the ledger, one row each. Must be empty.
--   unbalanced_transaction  entries of a transaction do not sum to zero in a currency
--   balance_mismatch        accounts.balance is not the sum of the account's entries
--   available_mismatch      available_balance is not balance minus the held amount
--   hold_mismatch           held_amount is not the sum of the account's active holds
--   entry_currency          an entry's currency differs from its account's
--   audit_hash_mismatch     an audit row's content no longer matches its hash
--   audit_chain_broken      an audit row's prev_hash is not the previous row's hash, or a row is missing
--   audit_head_mismatch     the chain head does not point at the last audit row
--   fx_conversion_overpaid  a conversion credited more than its amount at its recorded rate
--   fx_round_trip_gain      a cycle of published quotes (A->B->A, A->B->C->A) multiplies to
--                           more than one: round trips would pay out
--   fx_position_negative    the FX book (vw_fx_position) is worth less than zero in a base
--                           currency, beyond one minor unit: money leaked through conversions
--                           (or rates moved against the bank since; either way, look)
--   gl_shard_missing        a fee income or FX position account lacks one of its
--                           bank_settings.gl_shards sub-accounts: postings picking it fail
-- Columns:
--   check_name    which invariant is broken (the names above)
--   subject_type  what the row is about: transaction, account, ledger_entry, audit_log, ...
--   subject_id    the id of that subject
--   currency      the currency concerned (NULL: not about money)
--   expected      what the value should be
--   actual        what it is
-- Example: SELECT * FROM vw_ledger_integrity_check;
DROP VIEW IF EXISTS vw_ledger_integrity_check;
CREATE VIEW vw_ledger_integrity_check AS
SELECT 'unbalanced_transaction' AS check_name, 'transaction' AS subject_type,
       e.transaction_id AS subject_id, e.currency,
       CAST(0 AS DECIMAL(20,4)) AS expected, SUM(e.amount) AS actual
FROM ledger_entries e
GROUP BY e.transaction_id, e.currency
HAVING SUM(e.amount) <> 0
UNION ALL
SELECT 'balance_mismatch', 'account', a.id, a.currency, IFNULL(s.total, 0), a.balance
FROM accounts a
LEFT JOIN (SELECT account_id, SUM(amount) AS total FROM ledger_entries GROUP BY account_id) s
       ON s.account_id = a.id
WHERE a.balance <> IFNULL(s.total, 0)
UNION ALL
SELECT 'available_mismatch', 'account', a.id, a.currency, a.balance - a.held_amount, a.available_balance
FROM accounts a
WHERE a.available_balance <> a.balance - a.held_amount
UNION ALL
SELECT 'hold_mismatch', 'account', a.id, a.currency, IFNULL(h.total, 0), a.held_amount
FROM accounts a
LEFT JOIN (SELECT account_id, SUM(amount) AS total FROM holds WHERE status = 'active' GROUP BY account_id) h
       ON h.account_id = a.id
WHERE a.held_amount <> IFNULL(h.total, 0)
UNION ALL
SELECT 'entry_currency', 'ledger_entry', e.id, e.currency, NULL, NULL
FROM ledger_entries e
JOIN accounts a ON a.id = e.account_id
WHERE e.currency <> a.currency
UNION ALL
SELECT 'audit_hash_mismatch', 'audit_log', l.id, NULL, NULL, NULL
FROM audit_log l
WHERE l.row_hash <> fn_audit_row_hash(l.prev_hash, l.id, l.table_name, l.row_id, l.action,
                                      l.actor_user_id, l.db_user, l.before_data, l.after_data, l.created_at,
                                      l.event, l.reason)
UNION ALL
SELECT 'audit_chain_broken', 'audit_log', l.id, NULL, NULL, NULL
FROM audit_log l
LEFT JOIN audit_log p ON p.id = l.id - 1
WHERE (l.id = 1 AND l.prev_hash <> REPEAT('0', 64))
   OR (l.id > 1 AND (p.id IS NULL OR l.prev_hash <> p.row_hash))
UNION ALL
SELECT 'audit_head_mismatch', 'audit_chain_head', h.id, NULL, NULL, NULL
FROM audit_chain_head h
LEFT JOIN audit_log l ON l.id = h.last_id
WHERE (h.last_id > 0 AND (l.id IS NULL OR l.row_hash <> h.last_hash))
   OR h.last_id <> (SELECT IFNULL(MAX(id), 0) FROM audit_log)
UNION ALL
SELECT 'fx_conversion_overpaid', 'transaction', t.id, t.target_currency,
       t.amount * t.fx_rate, t.target_amount
FROM transactions t
WHERE t.target_currency <> t.currency AND t.type <> 'batch'
  AND t.target_amount > t.amount * t.fx_rate
UNION ALL
SELECT 'fx_round_trip_gain', 'fx_rate', x.id, x.base_currency, 1, x.rate * y.rate
FROM vw_fx_rates_current x
JOIN vw_fx_rates_current y ON y.base_currency = x.quote_currency AND y.quote_currency = x.base_currency
WHERE x.rate * y.rate > 1
UNION ALL
SELECT 'fx_round_trip_gain', 'fx_rate', x.id, x.base_currency, 1, x.rate * y.rate * z.rate
FROM vw_fx_rates_current x
JOIN vw_fx_rates_current y ON y.base_currency = x.quote_currency AND y.quote_currency <> x.base_currency
JOIN vw_fx_rates_current z ON z.base_currency = y.quote_currency AND z.quote_currency = x.base_currency
WHERE x.rate * y.rate * z.rate > 1
UNION ALL
SELECT 'fx_position_negative', 'currency', NULL, f.base_currency, 0, SUM(f.value_in_base)
FROM vw_fx_position f
JOIN currencies c ON c.code = f.base_currency
GROUP BY f.base_currency, c.exponent
HAVING SUM(f.value_in_base) < -1 / POWER(10, c.exponent)
UNION ALL
SELECT 'gl_shard_missing', 'account', z.id, z.currency, b.gl_shards, COUNT(a.id)
FROM accounts z
CROSS JOIN bank_settings b
LEFT JOIN accounts a ON a.kind = 'system' AND a.gl_type = z.gl_type AND a.currency = z.currency
                    AND a.gl_shard < b.gl_shards
WHERE z.kind = 'system' AND z.gl_type IN ('fee_income', 'fx_position') AND z.gl_shard = 0
GROUP BY z.id, z.currency, b.gl_shards
HAVING COUNT(a.id) <> b.gl_shards;
