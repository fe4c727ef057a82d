-- sp_risk_score: judge proposed transactions by the risk rules without moving money (a scoring service for staff and outside systems).
-- One row per item, in item order, from fn_risk_assess: the same rules the posting
-- procedures apply, read-only (no lock, nothing written). An item names its sender by account
-- id and, for a transfer, its receiver by account number; its amount is in the sender's
-- currency; 'at' (the session's time zone, NULL: now) sets the instant the windows end at, so
-- a past payment can be judged as of then. No session is known, so the session's rules (new
-- device, country change since login) do not fire; the client address and country do.
-- An item whose sender or receiver is unknown, or that needs a JOD rate that is missing, gets
-- its error instead of a judgement. Managers, admins and analysts call it.
-- Parameters:
--   p_actor_id    the staff member
--   p_session_id  their session
--   p_items       JSON array of {"from_account_id", "to_account_number"?, "amount",
--                 "type"? ('transfer' default, 'withdrawal'), "at"?, "client_ip"?, "country"?}
-- Returns: one row per item: seq (0-based), from_account_id, to_account_id, amount, currency,
--          amount_jod, assessment (fn_risk_assess's JSON, NULL on an error), error ('CODE: text'
--          or NULL).
-- Errors: SESSION_REQUIRED, SESSION_REVOKED, FORBIDDEN, INVALID_ARGUMENT (not a JSON array,
--         more than 100 items).
-- Example: CALL sp_risk_score(3, '5f0c...', '[{"from_account_id": 7, "to_account_number": "123456789012", "amount": "250.000"}]');
DROP PROCEDURE IF EXISTS sp_risk_score;
DELIMITER $$
CREATE PROCEDURE sp_risk_score(
    IN p_actor_id BIGINT UNSIGNED,
    IN p_session_id CHAR(32),
    IN p_items LONGTEXT)
READS SQL DATA
COMMENT 'sp_risk_score: judge proposed transactions by the risk rules without moving money (a scoring service for staff and outside systems).'
BEGIN
    IF p_session_id IS NULL THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'SESSION_REQUIRED: this call needs the caller''s session';
    END IF;
    CALL sp_assert_session(p_session_id, p_actor_id);
    CALL sp_assert_role(p_actor_id, 'manager,admin,analyst');
    IF p_items IS NULL OR NOT JSON_VALID(p_items) OR JSON_TYPE(p_items) <> 'ARRAY' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: items must be a JSON array';
    END IF;
    IF JSON_LENGTH(p_items) > 100 THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: at most 100 transactions are scored at once';
    END IF;
    SELECT s.seq, s.from_account_id, s.to_account_id, s.amount, s.currency, s.amount_jod,
           IF(s.error IS NULL,
              fn_risk_assess(s.from_account_id, s.to_account_id, s.amount, s.amount_jod, s.type,
                             s.at, NULL, s.client_ip, s.country),
              NULL) AS assessment,
           s.error
    FROM (SELECT j.seq - 1 AS seq, a.id AS from_account_id, t.id AS to_account_id,
                 j.amount, a.currency, IFNULL(j.type, 'transfer') AS type,
                 IFNULL(j.at, NOW(6)) AS at, j.client_ip, j.country,
                 IF(a.currency = 'JOD', j.amount, fn_jod_equivalent(j.amount, a.currency)) AS amount_jod,
                 CASE WHEN a.id IS NULL THEN 'ACCOUNT_NOT_FOUND: no such account'
                      WHEN j.to_account_number IS NOT NULL AND t.id IS NULL
                          THEN 'ACCOUNT_NOT_FOUND: no account with that number'
                      WHEN j.amount IS NULL OR j.amount <= 0
                          THEN 'INVALID_AMOUNT: the amount must be positive'
                      WHEN IFNULL(j.type, 'transfer') NOT IN ('transfer', 'withdrawal')
                          THEN 'INVALID_ARGUMENT: type must be transfer or withdrawal'
                      WHEN a.currency <> 'JOD' AND fn_jod_equivalent(j.amount, a.currency) IS NULL
                          THEN 'FX_RATE_UNAVAILABLE: no exchange rate into JOD for the rules'
                 END AS error
          FROM JSON_TABLE(p_items, '$[*]' COLUMNS (
                   seq FOR ORDINALITY,
                   from_account_id BIGINT UNSIGNED PATH '$.from_account_id',
                   to_account_number VARCHAR(34) PATH '$.to_account_number',
                   amount DECIMAL(38,12) PATH '$.amount',
                   type VARCHAR(16) PATH '$.type',
                   at DATETIME(6) PATH '$.at',
                   client_ip VARCHAR(45) PATH '$.client_ip',
                   country CHAR(2) PATH '$.country')) j
          LEFT JOIN accounts a ON a.id = j.from_account_id AND a.kind = 'customer'
          LEFT JOIN accounts t ON t.account_number = j.to_account_number AND t.kind = 'customer') s
    ORDER BY s.seq;
END$$
DELIMITER ;
