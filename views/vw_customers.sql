-- vw_customers: every bank user by username and role, without secrets or personal data
-- (passwords, PINs and MFA secrets are never shown; names and contacts are encrypted at rest).
-- Columns:
--   id                  the user's id (vw_accounts.user_id, vw_transactions.from_user_id, ...)
--   username            the login name, e.g. alice
--   role                customer, teller, manager, auditor, admin or system
--   status              active, blocked or closed
--   kyc_status          identity check: pending, verified or rejected
--   mfa_enabled         1 when the user signs in with a one-time code as well
--   failed_login_count  failed sign-ins since the last successful one
--   locked_until        sign-in is refused until then (NULL: not locked)
--   last_login_at       the last successful sign-in
--   created_at          when the user was registered
-- Example: SELECT username, role FROM vw_customers WHERE role = 'customer';
DROP VIEW IF EXISTS vw_customers;
CREATE VIEW vw_customers AS
SELECT u.id, u.username, u.role, u.status, u.kyc_status, u.mfa_enabled, u.failed_login_count,
       u.locked_until, u.last_login_at, u.created_at
FROM users u;
