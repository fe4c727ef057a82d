-- fn_risk_assess: the risk rules a proposed outgoing transaction hits, with its points, level and decision, as JSON.
-- The rules and their parameters are risk_rules' active rows, the bands risk_levels'. Every
-- window ends at p_at (exclusive), so an import or a what-if at a past instant judges what was
-- known then. What it reads, each once and bounded:
--   the sender's account, its owner's zone (users.time_zone, else bank_settings.time_zone, else
--   its utc_offset) and the session (its login's country, whether the device was new);
--   the sender's last outgoing payments (batch items not counted apart from their batch; at
--   most as many as the largest of the velocity counts and 20, within amount_vs_average's
--   window, by idx_transactions_from_time): the counts and sums of the velocity windows (a
--   window holding more payments than the read has already fires by count, so the cut-off
--   never hides a hit; the sum counts this payment with the earlier ones and needs at least
--   one of them: one large payment alone is the amount rules' case) and the average of the
--   completed ones among them;
--   one probe for an earlier completed payment to the receiver, the user's failed logins and
--   PINs in the window (login_events), and the address lists (risk_ip_lists).
-- very_high_amount replaces high_amount. Amounts compare in JOD (sums in the sender's
-- currency scaled by p_amount_jod / p_amount). The total is capped at 150. Pure reads: the
-- posting procedures call it under the sender's lock, so concurrent payments count each other.
-- Parameters:
--   p_from_account_id  the paying account
--   p_to_account_id    the receiving account (NULL: none, as for a withdrawal or a batch)
--   p_amount           the amount, in the paying account's currency
--   p_amount_jod       its JOD-equivalent (fn_jod_equivalent)
--   p_type             'transfer', 'withdrawal' or 'batch'
--   p_at               the instant judged, in the session's time zone as created_at is
--   p_session_id       the session the payment is made in (NULL: none; its rules do not fire)
--   p_client_ip        the client's address (NULL: unknown; its rules do not fire)
--   p_country          the client's country now, ISO 3166 alpha-2 (NULL: unknown)
-- Returns: JSON text {"points": 45, "level": "MEDIUM", "decision": "review",
--          "hits": [{"rule": "high_amount", "points": 20, "reason": "..."}, ...]}, hits by
--          points, highest first.
-- Errors: none.
-- Example: SELECT fn_risk_assess(7, 9, 3500, 3500, 'transfer', NOW(6), NULL, '203.0.113.7', 'JO');
DROP FUNCTION IF EXISTS fn_risk_assess;
DELIMITER $$
CREATE FUNCTION fn_risk_assess(p_from_account_id BIGINT UNSIGNED, p_to_account_id BIGINT UNSIGNED,
                               p_amount DECIMAL(38,12), p_amount_jod DECIMAL(38,12),
                               p_type VARCHAR(16), p_at DATETIME(6), p_session_id CHAR(32),
                               p_client_ip VARCHAR(45), p_country CHAR(2))
RETURNS TEXT CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci
READS SQL DATA
COMMENT 'fn_risk_assess: the risk rules a proposed outgoing transaction hits, with its points, level and decision, as JSON.'
BEGIN
    DECLARE v_very_high DECIMAL(20,4);
    DECLARE v_count5 INT UNSIGNED;
    DECLARE v_window5 INT UNSIGNED;
    DECLARE v_count15 INT UNSIGNED;
    DECLARE v_window15 INT UNSIGNED;
    DECLARE v_avg_window INT UNSIGNED;
    DECLARE v_failed_window INT UNSIGNED;
    DECLARE v_read INT UNSIGNED;
    DECLARE v_user BIGINT UNSIGNED;
    DECLARE v_hour INT;
    DECLARE v_session_country CHAR(2);
    DECLARE v_new_device BOOLEAN DEFAULT FALSE;
    DECLARE v_n5 INT UNSIGNED DEFAULT 0;
    DECLARE v_sum5 DECIMAL(38,12) DEFAULT 0;
    DECLARE v_n15 INT UNSIGNED DEFAULT 0;
    DECLARE v_sum15 DECIMAL(38,12) DEFAULT 0;
    DECLARE v_paid INT UNSIGNED DEFAULT 0;
    DECLARE v_average DECIMAL(38,12);
    DECLARE v_failed INT UNSIGNED DEFAULT 0;
    DECLARE v_paid_before BOOLEAN DEFAULT TRUE;
    DECLARE v_ip BINARY(16) DEFAULT fn_ip_bytes(p_client_ip);
    DECLARE v_blacklisted BOOLEAN DEFAULT FALSE;
    DECLARE v_anonymiser BOOLEAN DEFAULT FALSE;
    DECLARE v_scale DECIMAL(38,12) DEFAULT IF(p_amount > 0, p_amount_jod / p_amount, 1);
    DECLARE v_points INT DEFAULT 0;
    DECLARE v_hits TEXT;
    DECLARE v_level VARCHAR(8);
    DECLARE v_decision VARCHAR(8);

    SELECT MAX(IF(code = 'very_high_amount', threshold_jod, NULL)),
           MAX(IF(code = 'velocity_5m', max_count, NULL)),
           MAX(IF(code = 'velocity_5m', window_seconds, NULL)),
           MAX(IF(code = 'velocity_15m', max_count, NULL)),
           MAX(IF(code = 'velocity_15m', window_seconds, NULL)),
           MAX(IF(code = 'amount_vs_average', window_seconds, NULL)),
           MAX(IF(code = 'failed_attempts', window_seconds, NULL))
      INTO v_very_high, v_count5, v_window5, v_count15, v_window15, v_avg_window, v_failed_window
    FROM risk_rules WHERE is_active;

    SELECT a.user_id,
           HOUR(COALESCE(CONVERT_TZ(p_at, @@session.time_zone, COALESCE(u.time_zone, b.time_zone)),
                         CONVERT_TZ(p_at, @@session.time_zone, b.utc_offset))),
           s.country, IFNULL(s.new_device, FALSE)
      INTO v_user, v_hour, v_session_country, v_new_device
    FROM accounts a
    JOIN users u ON u.id = a.user_id
    JOIN bank_settings b ON b.id = 1
    LEFT JOIN auth_sessions s ON s.id = p_session_id
    WHERE a.id = p_from_account_id;

    SET v_read = GREATEST(IFNULL(v_count5, 0), IFNULL(v_count15, 0), 20);
    SELECT IFNULL(SUM(created_at >= p_at - INTERVAL IFNULL(v_window5, 0) SECOND), 0),
           IFNULL(SUM(IF(created_at >= p_at - INTERVAL IFNULL(v_window5, 0) SECOND, amount, 0)), 0),
           IFNULL(SUM(created_at >= p_at - INTERVAL IFNULL(v_window15, 0) SECOND), 0),
           IFNULL(SUM(IF(created_at >= p_at - INTERVAL IFNULL(v_window15, 0) SECOND, amount, 0)), 0),
           IFNULL(SUM(status IN ('completed', 'reversed')), 0),
           AVG(IF(status IN ('completed', 'reversed'), amount, NULL))
      INTO v_n5, v_sum5, v_n15, v_sum15, v_paid, v_average
    FROM (SELECT created_at, amount, status FROM transactions
          WHERE from_account_id = p_from_account_id AND parent_id IS NULL
            AND created_at < p_at
            AND created_at >= p_at - INTERVAL GREATEST(IFNULL(v_avg_window, 0), IFNULL(v_window5, 0),
                                                       IFNULL(v_window15, 0)) SECOND
          ORDER BY created_at DESC LIMIT v_read) recent;

    IF p_to_account_id IS NOT NULL THEN
        SET v_paid_before = EXISTS (SELECT 1 FROM transactions
                                    WHERE to_account_id = p_to_account_id
                                      AND from_account_id = p_from_account_id
                                      AND status IN ('completed', 'reversed') AND created_at < p_at);
    END IF;
    IF v_failed_window IS NOT NULL THEN
        SELECT COUNT(*) INTO v_failed FROM login_events
        WHERE user_id = v_user AND created_at >= p_at - INTERVAL v_failed_window SECOND
          AND created_at < p_at
          AND outcome IN ('failure', 'mfa_failure', 'reauth_failure', 'pin_failure');
    END IF;
    IF v_ip IS NOT NULL THEN
        SET v_blacklisted = EXISTS (SELECT 1 FROM risk_ip_lists WHERE list_kind = 'blacklist'
                                       AND ip_from <= v_ip AND ip_to >= v_ip);
        SET v_anonymiser = EXISTS (SELECT 1 FROM risk_ip_lists WHERE list_kind = 'anonymiser'
                                      AND ip_from <= v_ip AND ip_to >= v_ip);
    END IF;

    SELECT IFNULL(SUM(points), 0),
           GROUP_CONCAT(JSON_OBJECT('rule', code, 'points', points, 'reason',
               REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(reason,
                   '{threshold}', IFNULL(TRIM(TRAILING '.' FROM TRIM(TRAILING '0' FROM threshold_jod)), '')),
                   '{multiplier}', IFNULL(TRIM(TRAILING '.' FROM TRIM(TRAILING '0' FROM multiplier)), '')),
                   '{count}', IFNULL(max_count, '')), '{window}', IFNULL(window_seconds, '')),
                   '{from}', LPAD(IFNULL(hour_from, ''), 2, '0')), '{to}', LPAD(IFNULL(hour_to, ''), 2, '0')))
                        ORDER BY points DESC, code SEPARATOR ', ')
      INTO v_points, v_hits
    FROM risk_rules
    WHERE is_active AND points > 0 AND CASE code
        WHEN 'very_high_amount' THEN p_amount_jod >= threshold_jod
        WHEN 'high_amount' THEN p_amount_jod >= threshold_jod AND NOT p_amount_jod >= IFNULL(v_very_high, p_amount_jod + 1)
        WHEN 'withdrawal_risk' THEN p_type = 'withdrawal' AND p_amount_jod >= threshold_jod
        WHEN 'failed_attempts' THEN v_failed >= max_count
        WHEN 'unusual_hour' THEN v_hour >= hour_from AND v_hour < hour_to
        WHEN 'velocity_5m' THEN v_n5 >= max_count
                                OR (v_n5 > 0 AND (v_sum5 + p_amount) * v_scale >= threshold_jod)
        WHEN 'velocity_15m' THEN v_n15 >= max_count
                                 OR (v_n15 > 0 AND (v_sum15 + p_amount) * v_scale >= threshold_jod)
        WHEN 'amount_vs_average' THEN v_paid >= max_count AND p_amount >= multiplier * v_average
        WHEN 'new_beneficiary' THEN NOT v_paid_before
        WHEN 'new_device' THEN v_new_device
        WHEN 'blacklisted_ip' THEN v_blacklisted
        WHEN 'anonymiser_ip' THEN v_anonymiser
        WHEN 'country_change' THEN p_country IS NOT NULL AND v_session_country IS NOT NULL
                                   AND UPPER(p_country) <> UPPER(v_session_country)
        ELSE FALSE END;
    SET v_points = LEAST(v_points, 150);
    SELECT level, decision INTO v_level, v_decision FROM risk_levels
    WHERE min_points <= v_points ORDER BY min_points DESC LIMIT 1;
    RETURN JSON_OBJECT('points', CAST(v_points AS INT), 'level', v_level, 'decision', v_decision,
                       'hits', JSON_EXTRACT(CONCAT('[', IFNULL(v_hits, ''), ']'), '$'));
END$$
DELIMITER ;
