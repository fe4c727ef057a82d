-- vw_audit_changes: the audit log's changes (who changed which row of users, accounts, fee
-- schedules, FX rates, ... and why), without the before and after data (they carry hashes).
-- Columns:
--   id              the audit row's position in the hash chain
--   table_name      the table changed: users, accounts, fx_rates, fee_schedules, ...
--   row_id          the id of the changed row (a user's id for users, an account's for accounts)
--   action          INSERT, UPDATE or DELETE
--   event           the staff act that made it, e.g. admin.set_account_status (NULL: none named)
--   reason          the reason the staff member gave (NULL: none)
--   actor_user_id   the bank user who acted (NULL: a system change)
--   actor_username  that user's username
--   db_user         the database login that made the change
--   created_at      when it was written
-- Example: SELECT * FROM vw_audit_changes WHERE table_name = 'accounts' AND row_id = 7;
DROP VIEW IF EXISTS vw_audit_changes;
CREATE VIEW vw_audit_changes AS
SELECT l.id, l.table_name, l.row_id, l.action, l.event, l.reason, l.actor_user_id,
       u.username AS actor_username, l.db_user, l.created_at
FROM audit_log l
LEFT JOIN users u ON u.id = l.actor_user_id;
