-- trg_users_audit_insert: every new user is audited. Secrets and encrypted personal data
-- are never copied; a password change shows as a changed password_hash_sha256.
DROP TRIGGER IF EXISTS trg_users_audit_insert;
DELIMITER $$
CREATE TRIGGER trg_users_audit_insert AFTER INSERT ON users
FOR EACH ROW
BEGIN
    CALL sp_audit_append('users', NEW.id, 'INSERT', NULL,
        JSON_OBJECT('username', NEW.username, 'role', NEW.role, 'status', NEW.status, 'kyc_status', NEW.kyc_status, 'mfa_enabled', NEW.mfa_enabled = 1, 'pin_set', NEW.pin_hash IS NOT NULL, 'pin_failed_count', NEW.pin_failed_count, 'pin_locked_until', NEW.pin_locked_until, 'failed_login_count', NEW.failed_login_count, 'locked_until', NEW.locked_until, 'password_hash_sha256', SHA2(NEW.password_hash, 256)));
END$$
DELIMITER ;
