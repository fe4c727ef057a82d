-- sp_admin_set_user_kyc: record a staff KYC decision on a user (audited with its reason).
-- Money leaves a customer's accounts only once their kyc_status is 'verified'. A teller,
-- manager or admin decides; not about themself, nor about a user of their rank or above.
-- Parameters:
--   p_user_id     the user
--   p_kyc_status  'verified' or 'rejected'
--   p_reason      why, for the audit log (required)
--   p_actor_id    the staff member deciding
--   p_session_id  the staff member's session
-- Returns: one row: the user as sp_emit_user returns it.
-- Errors: SESSION_REQUIRED, SESSION_REVOKED, FORBIDDEN, INVALID_ARGUMENT, USER_NOT_FOUND,
--         NO_CHANGE (the user already has that KYC status).
-- Example: CALL sp_admin_set_user_kyc(42, 'verified', 'passport checked at the counter', 5, '5f0c...');
DROP PROCEDURE IF EXISTS sp_admin_set_user_kyc;
DELIMITER $$
CREATE PROCEDURE sp_admin_set_user_kyc(
    IN p_user_id BIGINT UNSIGNED,
    IN p_kyc_status VARCHAR(16),
    IN p_reason VARCHAR(255),
    IN p_actor_id BIGINT UNSIGNED,
    IN p_session_id CHAR(32))
MODIFIES SQL DATA
COMMENT 'sp_admin_set_user_kyc: record a staff KYC decision on a user (audited with its reason).'
BEGIN
    DECLARE v_kyc VARCHAR(16) DEFAULT NULL;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        SET @bank_audit_event = NULL, @bank_audit_reason = NULL;
        RESIGNAL;
    END;

    CALL sp_assert_staff_act(p_session_id, p_actor_id, 'teller,manager,admin', p_reason);
    IF p_kyc_status IS NULL OR p_kyc_status NOT IN ('verified', 'rejected') THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: status must be verified or rejected';
    END IF;
    START TRANSACTION;
    SELECT kyc_status INTO v_kyc FROM users WHERE id = p_user_id AND role <> 'system' FOR UPDATE;
    CALL sp_assert_may_act_on(p_actor_id, p_user_id);
    IF v_kyc = p_kyc_status THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'NO_CHANGE: the user already has that KYC status';
    END IF;
    SET @bank_actor_id = p_actor_id, @bank_audit_event = CONCAT('user.kyc_', p_kyc_status),
        @bank_audit_reason = p_reason;
    UPDATE users SET kyc_status = p_kyc_status WHERE id = p_user_id;
    INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, user_id, payload)
    VALUES (CONCAT('user.kyc_', p_kyc_status), 'user', p_user_id, p_user_id,
            JSON_OBJECT('user_id', p_user_id, 'from_status', v_kyc, 'to_status', p_kyc_status,
                        'actor_id', p_actor_id, 'reason', p_reason));
    COMMIT;
    SET @bank_audit_event = NULL, @bank_audit_reason = NULL;
    CALL sp_emit_user(p_user_id, NULL);
END$$
DELIMITER ;
