-- sp_record_pin_attempt: count a wrong PIN, or clear the count after a right one.
-- Three wrong PINs in a row lock money movement for 15 minutes. A wrong one is also logged
-- in login_events (outcome 'pin_failure'), where the risk rules count failed attempts.
-- Parameters:
--   p_user_id  the user
--   p_success  TRUE after a right PIN, FALSE after a wrong one
-- Returns: one row: pin_failed_count, pin_locked_until (NULL unless locked now).
-- Errors: USER_NOT_FOUND.
-- Example: CALL sp_record_pin_attempt(42, FALSE);
DROP PROCEDURE IF EXISTS sp_record_pin_attempt;
DELIMITER $$
CREATE PROCEDURE sp_record_pin_attempt(IN p_user_id BIGINT UNSIGNED, IN p_success BOOLEAN)
COMMENT 'sp_record_pin_attempt: count a wrong PIN, or clear the count after a right one.'
BEGIN
    DECLARE v_count INT UNSIGNED;
    DECLARE v_locked DATETIME(6);
    DECLARE v_now DATETIME(6) DEFAULT NOW(6);

    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;

    START TRANSACTION;
    SELECT pin_failed_count, pin_locked_until INTO v_count, v_locked
    FROM users WHERE id = p_user_id AND role <> 'system' FOR UPDATE;
    IF v_count IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'USER_NOT_FOUND: no such user';
    END IF;

    IF p_success THEN
        SET v_count = 0, v_locked = NULL;
    ELSEIF v_count + 1 >= 3 THEN
        SET v_count = 0, v_locked = v_now + INTERVAL 15 MINUTE;
    ELSE
        SET v_count = v_count + 1;
    END IF;
    UPDATE users SET pin_failed_count = v_count, pin_locked_until = v_locked WHERE id = p_user_id;
    IF NOT p_success THEN
        INSERT INTO login_events (user_id, username, outcome)
        SELECT id, username, 'pin_failure' FROM users WHERE id = p_user_id;
    END IF;
    COMMIT;

    SELECT v_count AS pin_failed_count, IF(v_locked > v_now, v_locked, NULL) AS pin_locked_until;
END$$
DELIMITER ;
