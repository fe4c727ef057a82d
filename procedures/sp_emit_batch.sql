-- sp_emit_batch: a batch's parent row followed by its child transfers, in id order.
-- All in sp_emit_transaction's shape.
-- Parameters:
--   p_parent_id  the batch's parent transaction
--   p_replayed   1 when an idempotent replay returns an earlier result
-- Errors: none.
-- Example: CALL sp_emit_batch(2001, 0);
DROP PROCEDURE IF EXISTS sp_emit_batch;
DELIMITER $$
CREATE PROCEDURE sp_emit_batch(IN p_parent_id BIGINT UNSIGNED, IN p_replayed BOOLEAN)
READS SQL DATA
COMMENT 'sp_emit_batch: a batch''s parent row followed by its child transfers, in id order.'
BEGIN
    SELECT v.*, p_replayed AS replayed
    FROM vw_transactions v
    WHERE v.id = p_parent_id OR v.parent_id = p_parent_id
    ORDER BY v.id;
END$$
DELIMITER ;
