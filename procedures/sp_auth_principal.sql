-- sp_auth_principal: who is calling, re-checked against the database on this request.
-- Checks the session with sp_assert_session (a revoked session or blocked user fails
-- here, on the very next request) and returns the user's current role. When an account
-- id is given it also returns that account's owner, so "is this account yours?" costs
-- no extra round trip; system (GL) accounts and unknown ids give a NULL owner.
-- Parameters:
--   p_session_id  the JWT's session id
--   p_user_id     the JWT's subject
--   p_account_id  an account the request is about (or NULL)
-- Returns: one row: user_id, username, role, status, kyc_status, mfa_enabled, has_pin,
--          account_owner_id.
-- Errors: SESSION_REVOKED.
-- Example: CALL sp_auth_principal('0123456789abcdef0123456789abcdef', 42, 7);
DROP PROCEDURE IF EXISTS sp_auth_principal;
DELIMITER $$
CREATE PROCEDURE sp_auth_principal(
    IN p_session_id CHAR(32),
    IN p_user_id    BIGINT UNSIGNED,
    IN p_account_id BIGINT UNSIGNED
)
COMMENT 'sp_auth_principal: who is calling, re-checked against the database on this request.'
BEGIN
    CALL sp_assert_session(p_session_id, p_user_id);

    SELECT u.id AS user_id, u.username, u.role, u.status, u.kyc_status, u.mfa_enabled,
           u.pin_hash IS NOT NULL AS has_pin,
           (SELECT a.user_id FROM accounts a
             WHERE a.id = p_account_id AND a.kind = 'customer') AS account_owner_id
    FROM users u
    WHERE u.id = p_user_id;
END$$
DELIMITER ;
