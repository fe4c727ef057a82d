-- sp_list_reviews: the staff review queue: transactions waiting in 'pending_review', oldest first, with their rule hits.
-- Tellers, managers and admins read it. A held batch is listed by its parent (type 'batch',
-- no receiver; its items are posted together on approval). Keyset-paged by transaction id (ascending).
-- Parameters:
--   p_actor_id    the staff member
--   p_session_id  their session
--   p_after_id    the last id of the previous page (NULL: from the oldest)
--   p_limit       at most this many rows
-- Returns: one row per transaction: sp_emit_transaction's columns, then review_hits (a JSON
--          array of rule names; 'risk_review' when only the risk rules' MEDIUM level holds it),
--          amount_jod, held_amount, owner_id, confirmed_at, rule_points and rule_hits (the risk
--          rules' points and their hits with reasons, JSON; NULL when not assessed).
-- Errors: SESSION_REQUIRED, SESSION_REVOKED, FORBIDDEN.
-- Example: CALL sp_list_reviews(3, '5f0c...', NULL, 50);
DROP PROCEDURE IF EXISTS sp_list_reviews;
DELIMITER $$
CREATE PROCEDURE sp_list_reviews(
    IN p_actor_id BIGINT UNSIGNED,
    IN p_session_id CHAR(32),
    IN p_after_id BIGINT UNSIGNED,
    IN p_limit INT UNSIGNED)
READS SQL DATA
COMMENT 'sp_list_reviews: the staff review queue: transactions waiting in ''pending_review'', oldest first, with their rule hits.'
BEGIN
    CALL sp_assert_session(p_session_id, p_actor_id);
    CALL sp_assert_role(p_actor_id, 'teller,manager,admin');
    SELECT t.id, t.reference, t.type, t.status, t.amount, t.currency, t.fee,
           t.from_account_id, f.account_number AS from_account_number,
           t.to_account_id, r.account_number AS to_account_number,
           t.target_amount, t.target_currency, t.fx_rate, t.description,
           t.parent_id, t.reversal_of_id, t.reversed_by_id, t.is_high_value, t.created_at,
           FALSE AS replayed,
           p.review_hits, p.amount_jod, h.amount AS held_amount, f.user_id AS owner_id,
           p.confirmed_at, t.rule_points, t.rule_hits
    FROM transactions t
    JOIN pending_transactions p ON p.transaction_id = t.id
    JOIN holds h ON h.id = p.hold_id
    JOIN accounts f ON f.id = t.from_account_id
    LEFT JOIN accounts r ON r.id = t.to_account_id
    WHERE t.status = 'pending_review' AND t.id > IFNULL(p_after_id, 0)
    ORDER BY t.id
    LIMIT p_limit;
END$$
DELIMITER ;
