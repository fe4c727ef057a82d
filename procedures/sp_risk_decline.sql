-- sp_risk_decline: refuse a payment the risk rules block, keeping a record of the refusal, unless its key replays an earlier result.
-- The block branch of a posting procedure's decision point (sp_perform_transfer, sp_move_cash
-- for a withdrawal, sp_perform_batch_transfer), run in its transaction under its locks after
-- fn_risk_assess decided 'block'. A known idempotency key replays its transaction instead
-- (p_replayed TRUE: the caller commits and returns), so the retry of a payment that passed is
-- not refused by the history it made itself. Otherwise the caller's transaction is rolled back
-- (nothing of the payment stays), the refusal is written to risk_declines in a transaction of
-- its own and committed, and RISK_DECLINED is raised with the rules' reasons and the record's
-- id. A 'rejected' transaction header would put a payment that never was into the ledger's
-- history, the customer's statement and the idempotency keys; a refusal is not a transaction.
-- Parameters:
--   p_type             'transfer', 'withdrawal' or 'batch'
--   p_from_account_id  the paying account
--   p_to_account_id    the receiving account (NULL for a withdrawal or a batch)
--   p_amount           the amount, in the paying account's currency
--   p_currency         that currency
--   p_amount_jod       its JOD-equivalent
--   p_assessment       fn_risk_assess's JSON
--   p_actor_id         who asked
--   p_session_id       their session
--   p_client_ip        the client's address (NULL: unknown)
--   p_country          the client's country (NULL: unknown)
--   p_idempotency_key  the request's key
--   p_request_hash     the request's payload hash
--   p_replayed         OUT: TRUE when the key replayed an earlier result (nothing refused)
-- Returns: on a replay, the earlier result (sp_replay_idempotent); else nothing.
-- Errors: RISK_DECLINED (always, unless replayed), IDEMPOTENCY_CONFLICT.
-- Example: CALL sp_risk_decline('transfer', 7, 9, 100, 'JOD', 100, '{"points": 60, "hits": []}', 42, NULL, '203.0.113.7', NULL, 'k-1', UNHEX(SHA2('x', 256)), @replayed);
DROP PROCEDURE IF EXISTS sp_risk_decline;
DELIMITER $$
CREATE PROCEDURE sp_risk_decline(
    IN p_type VARCHAR(16),
    IN p_from_account_id BIGINT UNSIGNED,
    IN p_to_account_id BIGINT UNSIGNED,
    IN p_amount DECIMAL(20,4),
    IN p_currency CHAR(3),
    IN p_amount_jod DECIMAL(20,4),
    IN p_assessment TEXT,
    IN p_actor_id BIGINT UNSIGNED,
    IN p_session_id CHAR(32),
    IN p_client_ip VARCHAR(45),
    IN p_country CHAR(2),
    IN p_idempotency_key VARCHAR(128),
    IN p_request_hash BINARY(32),
    OUT p_replayed BOOLEAN)
MODIFIES SQL DATA
COMMENT 'sp_risk_decline: refuse a payment the risk rules block, keeping a record of the refusal, unless its key replays an earlier result.'
BEGIN
    DECLARE v_points INT DEFAULT JSON_VALUE(p_assessment, '$.points');
    DECLARE v_reasons VARCHAR(2000);
    DECLARE v_id BIGINT UNSIGNED;
    DECLARE v_message VARCHAR(512);
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;

    CALL sp_replay_idempotent(p_actor_id, p_idempotency_key, p_request_hash, p_replayed);
    IF NOT p_replayed THEN
        ROLLBACK;
        START TRANSACTION;
        INSERT INTO risk_declines (type, from_account_id, to_account_id, amount, currency, amount_jod,
                                   rule_points, rule_hits, actor_id, session_id, client_ip, country,
                                   idempotency_key)
        VALUES (p_type, p_from_account_id, p_to_account_id, p_amount, p_currency, p_amount_jod,
                v_points, JSON_EXTRACT(p_assessment, '$.hits'), p_actor_id, p_session_id,
                LEFT(p_client_ip, 45), p_country, p_idempotency_key);
        SET v_id = LAST_INSERT_ID();
        COMMIT;
        SELECT GROUP_CONCAT(j.reason ORDER BY j.n SEPARATOR '; ') INTO v_reasons
        FROM JSON_TABLE(p_assessment, '$.hits[*]'
                        COLUMNS (n FOR ORDINALITY, reason VARCHAR(255) PATH '$.reason')) j;
        SET v_message = CONCAT('RISK_DECLINED: refused by the risk rules: ',
                               LEFT(IFNULL(v_reasons, 'no reason recorded'), 400),
                               ' [rule_points=', v_points, '; risk_decline_id=', v_id, ']');
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
    END IF;
END$$
DELIMITER ;
