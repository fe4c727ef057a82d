-- sp_publish_fx_rate: publish a new mid rate of a currency against JOD, and every pair derived from it.
-- A manager's or admin's act (the role is re-checked here). The pair names JOD on one side:
-- JOD->X at r sets mid(X) = r; X->JOD at r sets mid(X) = 1/r. At one valid_from it writes
-- JOD->X, X->JOD and, for every other currency Y with a mid, X->Y and Y->X through JOD,
-- each with the receiving currency's fx_spread (schema/12_fx_and_fees.sql has the formulas).
-- Rows are only ever added, so the rate in force at any past instant never changes, and each
-- transaction keeps the rate it used. valid_from is now when NULL; a moment in the past (more
-- than a minute ago, for clock skew) is refused, and one a few seconds old becomes now. It may
-- not precede a rate already scheduled: the derived pairs assume the mids in force then.
-- Publishing again at the same valid_from replaces that schedule (the higher id wins a tie).
-- Locks the JOD currency row, so publications run one at a time. Each row written is audited
-- (trg_fx_rates_audit_insert) with the actor.
-- Parameters:
--   p_base_currency   the currency converted from
--   p_quote_currency  the currency converted into (one of the two is JOD)
--   p_rate            units of p_quote_currency per unit of p_base_currency, at most 10 decimals
--   p_valid_from      when it takes effect (NULL: now)
--   p_reason          free text kept with each row and in the audit log
--   p_actor_id        who publishes
--   p_session_id      the actor's session (NULL: a system actor)
-- Returns: the rows written: id, base_currency, quote_currency, rate, mid_rate, spread,
--          valid_from, published_by, reason, created_at, is_published (1 for the pair asked
--          for, first; 0 for the derived ones).
-- Errors: SESSION_REVOKED, SESSION_REQUIRED, FORBIDDEN, UNKNOWN_CURRENCY, INVALID_ARGUMENT.
-- Example: CALL sp_publish_fx_rate('JOD', 'USD', 1.4150, NULL, 'market move', 3, '5f0c...');
DROP PROCEDURE IF EXISTS sp_publish_fx_rate;
DELIMITER $$
CREATE PROCEDURE sp_publish_fx_rate(
    IN p_base_currency CHAR(3),
    IN p_quote_currency CHAR(3),
    IN p_rate DECIMAL(38,12),
    IN p_valid_from DATETIME(6),
    IN p_reason VARCHAR(255),
    IN p_actor_id BIGINT UNSIGNED,
    IN p_session_id CHAR(32))
MODIFIES SQL DATA
COMMENT 'sp_publish_fx_rate: publish a new mid rate of a currency against JOD, and every pair derived from it.'
BEGIN
    DECLARE v_now DATETIME(6) DEFAULT NOW(6);
    DECLARE v_from DATETIME(6);
    DECLARE v_latest DATETIME(6);
    DECLARE v_currency CHAR(3);
    DECLARE v_mid DECIMAL(20,10);
    DECLARE v_back DECIMAL(20,10);
    DECLARE v_first BIGINT UNSIGNED;
    DECLARE v_lock CHAR(3);
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;

    CALL sp_assert_session(p_session_id, p_actor_id);
    CALL sp_assert_role(p_actor_id, 'manager,admin');
    IF (SELECT COUNT(*) FROM currencies
        WHERE code IN (p_base_currency, p_quote_currency) AND is_active) < 2
       OR p_base_currency = p_quote_currency THEN
        IF p_base_currency = p_quote_currency THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: a rate converts between two different currencies';
        END IF;
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'UNKNOWN_CURRENCY: the bank does not hold that currency';
    END IF;
    IF 'JOD' NOT IN (p_base_currency, p_quote_currency) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: publish rates against JOD; cross rates are derived through it';
    END IF;
    IF p_rate IS NULL OR p_rate <= 0 OR p_rate >= 1000000 OR p_rate <> TRUNCATE(p_rate, 10) THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: a rate is above zero, below 1000000, with at most 10 decimals';
    END IF;
    IF p_valid_from < v_now - INTERVAL 1 MINUTE THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: valid_from is in the past; history does not change';
    END IF;
    SET v_from = GREATEST(IFNULL(p_valid_from, v_now), v_now);
    SET v_currency = IF(p_base_currency = 'JOD', p_quote_currency, p_base_currency);
    SET v_mid = IF(p_base_currency = 'JOD', p_rate, TRUNCATE(CAST(1 AS DECIMAL(40,20)) / p_rate, 10));
    SET v_back = IF(p_base_currency = 'JOD', TRUNCATE(CAST(1 AS DECIMAL(40,20)) / p_rate, 10), p_rate);

    START TRANSACTION;
    SELECT code INTO v_lock FROM currencies WHERE code = 'JOD' FOR UPDATE;
    SET v_latest = (SELECT MAX(valid_from) FROM fx_rates);
    IF v_from < v_latest THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: a rate is already scheduled later; publish at or after its valid_from';
    END IF;
    SET @bank_actor_id = p_actor_id;
    INSERT INTO fx_rates (base_currency, quote_currency, rate, mid_rate, spread, valid_from,
                          published_by, reason, created_at)
    SELECT d.base_currency, d.quote_currency, TRUNCATE(d.mid * (1 - d.spread), 10),
           TRUNCATE(d.mid, 10), d.spread, v_from, p_actor_id, p_reason, v_now
    FROM (
        SELECT 'JOD' AS base_currency, v_currency AS quote_currency,
               CAST(v_mid AS DECIMAL(40,20)) AS mid, c.fx_spread AS spread, 0 AS n
        FROM currencies c WHERE c.code = v_currency
        UNION ALL
        SELECT v_currency, 'JOD', CAST(v_back AS DECIMAL(40,20)), c.fx_spread, 1
        FROM currencies c WHERE c.code = 'JOD'
        UNION ALL
        -- Through JOD: X->Y = mid(Y) / mid(X) and back, with the mids in force at v_from.
        SELECT x.base_currency, x.quote_currency, x.mid, x.spread, x.n
        FROM (SELECT v_currency AS base_currency, o.code AS quote_currency,
                     CAST(m.mid_rate AS DECIMAL(40,20)) / v_mid AS mid, o.fx_spread AS spread,
                     2 AS n
              FROM currencies o
              JOIN fx_rates m ON m.id = (SELECT s.id FROM fx_rates s
                                         WHERE s.base_currency = 'JOD' AND s.quote_currency = o.code
                                           AND s.mid_rate IS NOT NULL AND s.valid_from <= v_from
                                         ORDER BY s.valid_from DESC, s.id DESC LIMIT 1)
              WHERE o.code NOT IN ('JOD', v_currency) AND o.is_active
              UNION ALL
              SELECT o.code, v_currency, CAST(v_mid AS DECIMAL(40,20)) / m.mid_rate,
                     c.fx_spread, 3
              FROM currencies o
              JOIN currencies c ON c.code = v_currency
              JOIN fx_rates m ON m.id = (SELECT s.id FROM fx_rates s
                                         WHERE s.base_currency = 'JOD' AND s.quote_currency = o.code
                                           AND s.mid_rate IS NOT NULL AND s.valid_from <= v_from
                                         ORDER BY s.valid_from DESC, s.id DESC LIMIT 1)
              WHERE o.code NOT IN ('JOD', v_currency) AND o.is_active) x
    ) d
    ORDER BY d.n, d.quote_currency, d.base_currency;
    SET v_first = LAST_INSERT_ID();
    SET @bank_actor_id = NULL;
    COMMIT;
    SELECT id, base_currency, quote_currency, rate, mid_rate, spread, valid_from, published_by,
           reason, created_at,
           (base_currency = p_base_currency AND quote_currency = p_quote_currency) AS is_published
    FROM fx_rates
    WHERE id >= v_first AND valid_from = v_from AND published_by = p_actor_id AND created_at = v_now
    ORDER BY is_published DESC, id;
END$$
DELIMITER ;
