-- sp_list_audit_log: audit rows for auditors, newest first, filtered, and the chain's state.
-- The second result verifies the whole chain from genesis to head: every row's hash
-- against its content (fn_audit_row_hash), every link to the row before, no gap, and the
-- chain head on the last row; it names the first broken row. Given an anchor (the head
-- saved outside the database by scripts/audit_anchor.py), it also says whether the chain
-- still extends it: the anchored row keeps its hash and no anchored row is gone. The
-- verification reads every audit row once (it costs what the log is long).
-- Parameters:
--   p_actor_user_id     only rows by this application user (NULL: anyone)
--   p_table_name        subject: only rows about this table (NULL: any)
--   p_row_id            subject: only rows about this row id (NULL: any)
--   p_action            only 'INSERT', 'UPDATE' or 'DELETE' rows (NULL: any)
--   p_event             only rows of this staff act, e.g. 'user.block' (NULL: any)
--   p_from              created_at from (inclusive; NULL: no bound)
--   p_to                created_at to (inclusive; NULL: no bound)
--   p_before_id         the cursor: only ids below it (NULL: from the newest)
--   p_limit             the page size (1..500)
--   p_anchor_id         the anchored last id (NULL: no anchor to compare)
--   p_anchor_hash       the anchored last hash
--   p_anchor_row_count  the anchored row count
--   p_viewer_id         the auditor or admin reading
--   p_session_id        the viewer's session
-- Returns: the page of rows (with actor_username); then one row: verified, rows_checked,
--          head_id, head_hash, first_broken_id, broken_reason, anchor_checked,
--          anchor_matches, anchor_problem.
-- Errors: SESSION_REQUIRED, SESSION_REVOKED, FORBIDDEN, INVALID_ARGUMENT.
-- Example: CALL sp_list_audit_log(NULL, 'users', 42, NULL, NULL, NULL, NULL, NULL, 50, NULL, NULL, NULL, 3, '5f0c...');
DROP PROCEDURE IF EXISTS sp_list_audit_log;
DELIMITER $$
CREATE PROCEDURE sp_list_audit_log(
    IN p_actor_user_id BIGINT UNSIGNED,
    IN p_table_name VARCHAR(64),
    IN p_row_id BIGINT UNSIGNED,
    IN p_action VARCHAR(8),
    IN p_event VARCHAR(64),
    IN p_from DATETIME(6),
    IN p_to DATETIME(6),
    IN p_before_id BIGINT UNSIGNED,
    IN p_limit INT,
    IN p_anchor_id BIGINT UNSIGNED,
    IN p_anchor_hash CHAR(64),
    IN p_anchor_row_count BIGINT UNSIGNED,
    IN p_viewer_id BIGINT UNSIGNED,
    IN p_session_id CHAR(32))
READS SQL DATA
COMMENT 'sp_list_audit_log: audit rows for auditors, newest first, filtered, and the chain''s state.'
BEGIN
    DECLARE v_before BIGINT UNSIGNED DEFAULT IFNULL(p_before_id, 18446744073709551615);
    DECLARE v_genesis CHAR(64) DEFAULT REPEAT('0', 64);
    DECLARE v_count BIGINT UNSIGNED DEFAULT 0;
    DECLARE v_max BIGINT UNSIGNED DEFAULT 0;
    DECLARE v_head_id BIGINT UNSIGNED DEFAULT 0;
    DECLARE v_head_hash CHAR(64) DEFAULT NULL;
    DECLARE v_broken BIGINT UNSIGNED DEFAULT NULL;
    DECLARE v_reason VARCHAR(128) DEFAULT NULL;
    DECLARE v_anchored CHAR(64) DEFAULT NULL;
    DECLARE v_anchor_problem VARCHAR(255) DEFAULT NULL;
    CALL sp_assert_session(p_session_id, p_viewer_id);
    CALL sp_assert_role(p_viewer_id, 'auditor,admin');
    IF p_limit IS NULL OR p_limit < 1 OR p_limit > 500 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: limit must be between 1 and 500';
    END IF;
    IF p_action IS NOT NULL AND p_action NOT IN ('INSERT', 'UPDATE', 'DELETE') THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: action must be INSERT, UPDATE or DELETE';
    END IF;

    SELECT l.id, l.table_name, l.row_id, l.action, l.event, l.reason, l.actor_user_id,
           u.username AS actor_username, l.db_user, l.before_data, l.after_data, l.created_at,
           l.prev_hash, l.row_hash
    FROM audit_log l
    LEFT JOIN users u ON u.id = l.actor_user_id
    WHERE l.id < v_before
      AND (p_actor_user_id IS NULL OR l.actor_user_id = p_actor_user_id)
      AND (p_table_name IS NULL OR l.table_name = p_table_name)
      AND (p_row_id IS NULL OR l.row_id = p_row_id)
      AND (p_action IS NULL OR l.action = p_action)
      AND (p_event IS NULL OR l.event = p_event)
      AND (p_from IS NULL OR l.created_at >= p_from)
      AND (p_to IS NULL OR l.created_at <= p_to)
    ORDER BY l.id DESC
    LIMIT p_limit;

    SELECT last_id, last_hash INTO v_head_id, v_head_hash FROM audit_chain_head WHERE id = 1;
    SELECT COUNT(*), IFNULL(MAX(id), 0) INTO v_count, v_max FROM audit_log;
    SELECT MIN(l.id) INTO v_broken
    FROM audit_log l
    LEFT JOIN audit_log p ON p.id = l.id - 1
    WHERE l.row_hash <> fn_audit_row_hash(l.prev_hash, l.id, l.table_name, l.row_id, l.action,
                                          l.actor_user_id, l.db_user, l.before_data,
                                          l.after_data, l.created_at, l.event, l.reason)
       OR (l.id = 1 AND l.prev_hash <> v_genesis)
       OR (l.id > 1 AND (p.id IS NULL OR l.prev_hash <> p.row_hash));
    IF v_broken IS NOT NULL THEN
        SELECT CASE
                 WHEN l.row_hash <> fn_audit_row_hash(l.prev_hash, l.id, l.table_name, l.row_id,
                                                      l.action, l.actor_user_id, l.db_user,
                                                      l.before_data, l.after_data, l.created_at,
                                                      l.event, l.reason)
                   THEN 'the row no longer matches its hash'
                 WHEN l.id > 1 AND p.id IS NULL THEN 'the row before it is missing'
                 ELSE 'the row does not link to the row before it'
               END INTO v_reason
        FROM audit_log l LEFT JOIN audit_log p ON p.id = l.id - 1
        WHERE l.id = v_broken;
    ELSEIF v_count <> v_max THEN
        SET v_reason = 'rows are missing from the chain';
    ELSEIF v_head_id <> v_max OR NOT (v_head_hash <=> IFNULL((SELECT row_hash FROM audit_log
                                                               WHERE id = v_max), v_genesis)) THEN
        SET v_reason = 'the chain head does not point at the last row';
    END IF;

    IF p_anchor_id IS NOT NULL THEN
        SET v_anchored = (SELECT row_hash FROM audit_log WHERE id = p_anchor_id);
        IF p_anchor_id > 0 AND v_anchored IS NULL THEN
            SET v_anchor_problem = CONCAT('the anchored row ', p_anchor_id, ' is gone: the chain was rewritten');
        ELSEIF p_anchor_id > 0 AND NOT (v_anchored <=> p_anchor_hash) THEN
            SET v_anchor_problem = CONCAT('the anchored row ', p_anchor_id, ' has another hash: the chain was rewritten');
        ELSEIF v_count < IFNULL(p_anchor_row_count, 0) THEN
            SET v_anchor_problem = CONCAT('the log has ', v_count, ' rows, fewer than the anchored ', p_anchor_row_count);
        END IF;
    END IF;

    SELECT v_reason IS NULL AS verified, v_count AS rows_checked, v_head_id AS head_id,
           v_head_hash AS head_hash, v_broken AS first_broken_id, v_reason AS broken_reason,
           p_anchor_id IS NOT NULL AS anchor_checked,
           IF(p_anchor_id IS NULL, NULL, v_anchor_problem IS NULL) AS anchor_matches,
           v_anchor_problem AS anchor_problem;
END$$
DELIMITER ;
