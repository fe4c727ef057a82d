-- trg_users_role_change_ends_sessions: a user whose role changes is signed out everywhere.
-- The API checks a route's permission against the role in the access token; ending the
-- sessions (and their refresh tokens) when the role changes, by any path, keeps that role
-- the current one. Procedures acting for staff still re-check the role (sp_assert_role).
DROP TRIGGER IF EXISTS trg_users_role_change_ends_sessions;
DELIMITER $$
CREATE TRIGGER trg_users_role_change_ends_sessions AFTER UPDATE ON users
FOR EACH ROW
BEGIN
    IF NOT (OLD.role <=> NEW.role) THEN
        UPDATE auth_sessions
           SET status = 'revoked', revoked_reason = 'role_changed', revoked_at = NOW(6)
         WHERE user_id = NEW.id AND status = 'active';
        UPDATE refresh_tokens rt JOIN auth_sessions s ON s.id = rt.session_id
           SET rt.status = 'revoked'
         WHERE s.user_id = NEW.id AND rt.status = 'active';
    END IF;
END$$
DELIMITER ;
