-- trg_users_audit_delete: a removed user is audited.
DROP TRIGGER IF EXISTS trg_users_audit_delete;
DELIMITER $$
CREATE TRIGGER trg_users_audit_delete AFTER DELETE ON users
FOR EACH ROW
BEGIN
    CALL sp_audit_append('users', OLD.id, 'DELETE',
        JSON_OBJECT('username', OLD.username, 'role', OLD.role, 'status', OLD.status, 'kyc_status', OLD.kyc_status, 'mfa_enabled', OLD.mfa_enabled = 1, 'pin_set', OLD.pin_hash IS NOT NULL, 'pin_failed_count', OLD.pin_failed_count, 'pin_locked_until', OLD.pin_locked_until, 'failed_login_count', OLD.failed_login_count, 'locked_until', OLD.locked_until, 'password_hash_sha256', SHA2(OLD.password_hash, 256)), NULL);
END$$
DELIMITER ;
