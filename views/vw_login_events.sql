-- vw_login_events: every sign-in attempt, successful or not, as the login procedures record it.
-- Columns:
--   id          the event's id
--   user_id     the user signed in or tried (NULL: the username is unknown)
--   username    the username typed
--   outcome     success, failure, reauth_failure, mfa_failure, locked or throttled
--   ip_address  the client's address
--   user_agent  the client's browser or program
--   created_at  when it happened
-- Example: SELECT username, COUNT(*) FROM vw_login_events WHERE outcome <> 'success' GROUP BY username;
DROP VIEW IF EXISTS vw_login_events;
CREATE VIEW vw_login_events AS
SELECT e.id, e.user_id, e.username, e.outcome, e.ip_address, e.user_agent, e.created_at
FROM login_events e;
