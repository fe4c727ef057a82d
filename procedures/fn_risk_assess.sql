-- fn_risk_assess: the risk rules a proposed outgoing transaction hits, with its points, level and decision, as JSON.
-- The rules and their parameters are risk_rules' active rows, the bands risk_levels'. Every
-- window ends at p_at (exclusive), so an import or a what-if at a past instant judges what was
-- known then. What it reads, each once and bounded:
--   the sender's account, its owner's zone (users.time_zone, else bank_settings.time_zone, else
--   its utc_offset) and the session (its login's country, whether the device was new);
--   the sender's last outgoing payments (batch items not counted apart from their batch; at
--   most as many as the largest of the velocity counts and 10, within amount_vs_average's
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
--          "hits": [{"rule": "high_amount", "points": 20, "reason": "..."}, ...]}, hits in the
--          rules' order (amounts, withdrawal, attempts, hour, velocity, average, beneficiary,
--          device, addresses, country).
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
    -- The rules: w_ their points (NULL when inactive or not hit), r_ their reason templates
    -- (fn_risk_reason fills a hit's), v_ their parameters.
    DECLARE w_very_high, w_high, w_withdrawal, w_failed, w_hour, w_v5, w_v15, w_average,
            w_beneficiary, w_device, w_blacklist, w_anonymiser, w_country_change INT;
    DECLARE r_very_high, r_high, r_withdrawal, r_failed, r_hour, r_v5, r_v15, r_average,
            r_beneficiary, r_device, r_blacklist, r_anonymiser, r_country_change VARCHAR(255);
    DECLARE v_very_high, v_high, v_withdrawal, v_amount5, v_amount15 DECIMAL(20,4);
    DECLARE v_failed_count, v_count5, v_count15, v_average_count INT UNSIGNED;
    DECLARE v_failed_window, v_window5, v_window15, v_average_window INT UNSIGNED;
    DECLARE v_hour_from, v_hour_to TINYINT UNSIGNED;
    DECLARE v_multiplier DECIMAL(10,4);
    DECLARE v_medium, v_high_band INT;
    DECLARE v_read INT UNSIGNED;
    -- What is known about the payment.
    DECLARE v_hour INT;
    DECLARE v_session_country CHAR(2);
    DECLARE v_new_device BOOLEAN DEFAULT FALSE;
    DECLARE v_failed INT UNSIGNED DEFAULT 0;
    DECLARE v_paid_before BOOLEAN DEFAULT TRUE;
    DECLARE v_ip BINARY(16) DEFAULT fn_ip_bytes(p_client_ip);
    DECLARE v_blacklisted BOOLEAN DEFAULT FALSE;
    DECLARE v_anonymiser BOOLEAN DEFAULT FALSE;
    DECLARE v_n5 INT UNSIGNED DEFAULT 0;
    DECLARE v_sum5 DECIMAL(38,12) DEFAULT 0;
    DECLARE v_n15 INT UNSIGNED DEFAULT 0;
    DECLARE v_sum15 DECIMAL(38,12) DEFAULT 0;
    DECLARE v_paid INT UNSIGNED DEFAULT 0;
    DECLARE v_average DECIMAL(38,12);
    DECLARE v_scale DECIMAL(38,12) DEFAULT IF(p_amount > 0, p_amount_jod / p_amount, 1);
    DECLARE v_points INT DEFAULT 0;
    DECLARE v_hits TEXT;

    SELECT MAX(IF(code = 'very_high_amount', points, NULL)), MAX(IF(code = 'very_high_amount', reason, NULL)),
           MAX(IF(code = 'very_high_amount', threshold_jod, NULL)),
           MAX(IF(code = 'high_amount', points, NULL)), MAX(IF(code = 'high_amount', reason, NULL)),
           MAX(IF(code = 'high_amount', threshold_jod, NULL)),
           MAX(IF(code = 'withdrawal_risk', points, NULL)), MAX(IF(code = 'withdrawal_risk', reason, NULL)),
           MAX(IF(code = 'withdrawal_risk', threshold_jod, NULL)),
           MAX(IF(code = 'failed_attempts', points, NULL)), MAX(IF(code = 'failed_attempts', reason, NULL)),
           MAX(IF(code = 'failed_attempts', max_count, NULL)), MAX(IF(code = 'failed_attempts', window_seconds, NULL)),
           MAX(IF(code = 'unusual_hour', points, NULL)), MAX(IF(code = 'unusual_hour', reason, NULL)),
           MAX(IF(code = 'unusual_hour', hour_from, NULL)), MAX(IF(code = 'unusual_hour', hour_to, NULL)),
           MAX(IF(code = 'velocity_5m', points, NULL)), MAX(IF(code = 'velocity_5m', reason, NULL)),
           MAX(IF(code = 'velocity_5m', max_count, NULL)), MAX(IF(code = 'velocity_5m', window_seconds, NULL)),
           MAX(IF(code = 'velocity_5m', threshold_jod, NULL)),
           MAX(IF(code = 'velocity_15m', points, NULL)), MAX(IF(code = 'velocity_15m', reason, NULL)),
           MAX(IF(code = 'velocity_15m', max_count, NULL)), MAX(IF(code = 'velocity_15m', window_seconds, NULL)),
           MAX(IF(code = 'velocity_15m', threshold_jod, NULL)),
           MAX(IF(code = 'amount_vs_average', points, NULL)), MAX(IF(code = 'amount_vs_average', reason, NULL)),
           MAX(IF(code = 'amount_vs_average', multiplier, NULL)),
           MAX(IF(code = 'amount_vs_average', max_count, NULL)),
           MAX(IF(code = 'amount_vs_average', window_seconds, NULL)),
           MAX(IF(code = 'new_beneficiary', points, NULL)), MAX(IF(code = 'new_beneficiary', reason, NULL)),
           MAX(IF(code = 'new_device', points, NULL)), MAX(IF(code = 'new_device', reason, NULL)),
           MAX(IF(code = 'blacklisted_ip', points, NULL)), MAX(IF(code = 'blacklisted_ip', reason, NULL)),
           MAX(IF(code = 'anonymiser_ip', points, NULL)), MAX(IF(code = 'anonymiser_ip', reason, NULL)),
           MAX(IF(code = 'country_change', points, NULL)), MAX(IF(code = 'country_change', reason, NULL)),
           (SELECT MAX(IF(decision = 'review', min_points, NULL)) FROM risk_levels),
           (SELECT MAX(IF(decision = 'block', min_points, NULL)) FROM risk_levels)
      INTO w_very_high, r_very_high, v_very_high, w_high, r_high, v_high,
           w_withdrawal, r_withdrawal, v_withdrawal,
           w_failed, r_failed, v_failed_count, v_failed_window,
           w_hour, r_hour, v_hour_from, v_hour_to,
           w_v5, r_v5, v_count5, v_window5, v_amount5,
           w_v15, r_v15, v_count15, v_window15, v_amount15,
           w_average, r_average, v_multiplier, v_average_count, v_average_window,
           w_beneficiary, r_beneficiary, w_device, r_device, w_blacklist, r_blacklist,
           w_anonymiser, r_anonymiser, w_country_change, r_country_change, v_medium, v_high_band
    FROM risk_rules WHERE is_active AND points > 0;

    -- The sender's owner, their hour, the session, the failed attempts, the beneficiary and
    -- the address, in one statement.
    SELECT HOUR(COALESCE(CONVERT_TZ(p_at, @@session.time_zone, COALESCE(u.time_zone, b.time_zone)),
                         CONVERT_TZ(p_at, @@session.time_zone, b.utc_offset))),
           s.country, IFNULL(s.new_device, FALSE),
           IF(w_failed IS NULL, 0,
              (SELECT COUNT(*) FROM login_events e
               WHERE e.user_id = a.user_id AND e.created_at >= p_at - INTERVAL v_failed_window SECOND
                 AND e.created_at < p_at
                 AND e.outcome IN ('failure', 'mfa_failure', 'reauth_failure', 'pin_failure'))),
           p_to_account_id IS NULL OR w_beneficiary IS NULL
              OR EXISTS (SELECT 1 FROM transactions x FORCE INDEX (idx_transactions_payer_payee)
                         WHERE x.to_account_id = p_to_account_id AND x.from_account_id = p_from_account_id
                           AND x.status IN ('completed', 'reversed') AND x.created_at < p_at),
           IFNULL((SELECT MAX(l.list_kind = 'blacklist') FROM risk_ip_lists l
                   WHERE v_ip IS NOT NULL AND l.ip_from <= v_ip AND l.ip_to >= v_ip), FALSE),
           IFNULL((SELECT MAX(l.list_kind = 'anonymiser') FROM risk_ip_lists l
                   WHERE v_ip IS NOT NULL AND l.ip_from <= v_ip AND l.ip_to >= v_ip), FALSE)
      INTO v_hour, v_session_country, v_new_device, v_failed, v_paid_before, v_blacklisted,
           v_anonymiser
    FROM accounts a
    JOIN users u ON u.id = a.user_id
    JOIN bank_settings b ON b.id = 1
    LEFT JOIN auth_sessions s ON s.id = p_session_id
    WHERE a.id = p_from_account_id;

    SET v_read = GREATEST(IFNULL(v_count5, 0), IFNULL(v_count15, 0), 10);
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
            AND created_at >= p_at - INTERVAL GREATEST(IFNULL(v_average_window, 0), IFNULL(v_window5, 0),
                                                       IFNULL(v_window15, 0)) SECOND
          ORDER BY created_at DESC
          LIMIT v_read) recent;

    -- The hits, in the rules' order; an inactive rule's points are NULL and it never fires.
    SET w_very_high = IF(p_amount_jod >= v_very_high, w_very_high, NULL),
        w_high = IF(p_amount_jod >= v_high AND NOT IFNULL(p_amount_jod >= v_very_high, FALSE), w_high, NULL),
        w_withdrawal = IF(p_type = 'withdrawal' AND p_amount_jod >= v_withdrawal, w_withdrawal, NULL),
        w_failed = IF(v_failed >= v_failed_count, w_failed, NULL),
        w_hour = IF(v_hour >= v_hour_from AND v_hour < v_hour_to, w_hour, NULL),
        w_v5 = IF(v_n5 >= v_count5 OR (v_n5 > 0 AND (v_sum5 + p_amount) * v_scale >= v_amount5), w_v5, NULL),
        w_v15 = IF(v_n15 >= v_count15 OR (v_n15 > 0 AND (v_sum15 + p_amount) * v_scale >= v_amount15),
                   w_v15, NULL),
        w_average = IF(v_paid >= v_average_count AND p_amount >= v_multiplier * v_average, w_average, NULL),
        w_beneficiary = IF(NOT v_paid_before, w_beneficiary, NULL),
        w_device = IF(v_new_device, w_device, NULL),
        w_blacklist = IF(v_blacklisted, w_blacklist, NULL),
        w_anonymiser = IF(v_anonymiser, w_anonymiser, NULL),
        w_country_change = IF(p_country IS NOT NULL AND v_session_country IS NOT NULL
                              AND UPPER(p_country) <> UPPER(v_session_country), w_country_change, NULL);
    SET v_points = LEAST(IFNULL(w_very_high, 0) + IFNULL(w_high, 0) + IFNULL(w_withdrawal, 0)
                         + IFNULL(w_failed, 0) + IFNULL(w_hour, 0) + IFNULL(w_v5, 0) + IFNULL(w_v15, 0)
                         + IFNULL(w_average, 0) + IFNULL(w_beneficiary, 0) + IFNULL(w_device, 0)
                         + IFNULL(w_blacklist, 0) + IFNULL(w_anonymiser, 0) + IFNULL(w_country_change, 0),
                         150);
    SET v_hits = CONCAT_WS(', ',
        IF(w_very_high IS NULL, NULL, JSON_OBJECT('rule', 'very_high_amount', 'points', CAST(w_very_high AS INT), 'reason', fn_risk_reason(r_very_high, v_very_high, NULL, NULL, NULL, NULL, NULL))),
        IF(w_high IS NULL, NULL, JSON_OBJECT('rule', 'high_amount', 'points', CAST(w_high AS INT), 'reason', fn_risk_reason(r_high, v_high, NULL, NULL, NULL, NULL, NULL))),
        IF(w_withdrawal IS NULL, NULL, JSON_OBJECT('rule', 'withdrawal_risk', 'points', CAST(w_withdrawal AS INT), 'reason', fn_risk_reason(r_withdrawal, v_withdrawal, NULL, NULL, NULL, NULL, NULL))),
        IF(w_failed IS NULL, NULL, JSON_OBJECT('rule', 'failed_attempts', 'points', CAST(w_failed AS INT), 'reason', fn_risk_reason(r_failed, NULL, NULL, v_failed_count, v_failed_window, NULL, NULL))),
        IF(w_hour IS NULL, NULL, JSON_OBJECT('rule', 'unusual_hour', 'points', CAST(w_hour AS INT), 'reason', fn_risk_reason(r_hour, NULL, NULL, NULL, NULL, v_hour_from, v_hour_to))),
        IF(w_v5 IS NULL, NULL, JSON_OBJECT('rule', 'velocity_5m', 'points', CAST(w_v5 AS INT), 'reason', fn_risk_reason(r_v5, v_amount5, NULL, v_count5, v_window5, NULL, NULL))),
        IF(w_v15 IS NULL, NULL, JSON_OBJECT('rule', 'velocity_15m', 'points', CAST(w_v15 AS INT), 'reason', fn_risk_reason(r_v15, v_amount15, NULL, v_count15, v_window15, NULL, NULL))),
        IF(w_average IS NULL, NULL, JSON_OBJECT('rule', 'amount_vs_average', 'points', CAST(w_average AS INT), 'reason', fn_risk_reason(r_average, NULL, v_multiplier, v_average_count, v_average_window, NULL, NULL))),
        IF(w_beneficiary IS NULL, NULL, JSON_OBJECT('rule', 'new_beneficiary', 'points', CAST(w_beneficiary AS INT), 'reason', r_beneficiary)),
        IF(w_device IS NULL, NULL, JSON_OBJECT('rule', 'new_device', 'points', CAST(w_device AS INT), 'reason', r_device)),
        IF(w_blacklist IS NULL, NULL, JSON_OBJECT('rule', 'blacklisted_ip', 'points', CAST(w_blacklist AS INT), 'reason', r_blacklist)),
        IF(w_anonymiser IS NULL, NULL, JSON_OBJECT('rule', 'anonymiser_ip', 'points', CAST(w_anonymiser AS INT), 'reason', r_anonymiser)),
        IF(w_country_change IS NULL, NULL,
           JSON_OBJECT('rule', 'country_change', 'points', CAST(w_country_change AS INT), 'reason', r_country_change)));
    RETURN JSON_OBJECT('points', CAST(v_points AS INT),
                       'level', CASE WHEN v_points >= v_high_band THEN 'HIGH'
                                     WHEN v_points >= v_medium THEN 'MEDIUM' ELSE 'LOW' END,
                       'decision', CASE WHEN v_points >= v_high_band THEN 'block'
                                        WHEN v_points >= v_medium THEN 'review' ELSE 'approve' END,
                       'hits', JSON_EXTRACT(CONCAT('[', IFNULL(v_hits, ''), ']'), '$'));
END$$
DELIMITER ;
