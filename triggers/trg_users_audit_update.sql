-- trg_users_audit_update: every change to a user is audited (role, status, lockouts, PIN,
-- credentials). Only the timestamp columns changing alone is not worth a row.
DROP TRIGGER IF EXISTS trg_users_audit_update;
DELIMITER $$
CREATE TRIGGER trg_users_audit_update AFTER UPDATE ON users
FOR EACH ROW
BEGIN
    DECLARE v_before MEDIUMTEXT DEFAULT JSON_OBJECT('username', OLD.username, 'role', OLD.role, 'status', OLD.status, 'kyc_status', OLD.kyc_status, 'mfa_enabled', OLD.mfa_enabled = 1, 'pin_set', OLD.pin_hash IS NOT NULL, 'pin_failed_count', OLD.pin_failed_count, 'pin_locked_until', OLD.pin_locked_until, 'failed_login_count', OLD.failed_login_count, 'locked_until', OLD.locked_until, 'password_hash_sha256', SHA2(OLD.password_hash, 256));
    DECLARE v_after MEDIUMTEXT DEFAULT JSON_OBJECT('username', NEW.username, 'role', NEW.role, 'status', NEW.status, 'kyc_status', NEW.kyc_status, 'mfa_enabled', NEW.mfa_enabled = 1, 'pin_set', NEW.pin_hash IS NOT NULL, 'pin_failed_count', NEW.pin_failed_count, 'pin_locked_until', NEW.pin_locked_until, 'failed_login_count', NEW.failed_login_count, 'locked_until', NEW.locked_until, 'password_hash_sha256', SHA2(NEW.password_hash, 256));
    IF v_before <> v_after OR NOT (OLD.email_hash <=> NEW.email_hash)
       OR NOT (OLD.full_name_enc <=> NEW.full_name_enc) OR NOT (OLD.phone_enc <=> NEW.phone_enc) THEN
        CALL sp_audit_append('users', NEW.id, 'UPDATE', v_before, v_after);
    END IF;
END$$
DELIMITER ;
