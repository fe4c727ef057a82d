-- fn_new_reference: a new transaction reference, unique without a lookup.
-- The one place a reference is minted, for every money path, scalar or set-wise: 'TX' and
-- UUID_SHORT() in 16 hex digits (unique per server start and server_id, increasing).
-- Parameters: none
-- Returns: the reference, VARCHAR(24).
-- Errors: none.
-- Example: SELECT fn_new_reference();  -- 'TX5F1E0C0A00000001'
DROP FUNCTION IF EXISTS fn_new_reference;
DELIMITER $$
CREATE FUNCTION fn_new_reference()
RETURNS VARCHAR(24)
NOT DETERMINISTIC NO SQL
COMMENT 'fn_new_reference: a new transaction reference, unique without a lookup.'
BEGIN
    RETURN CONCAT('TX', LPAD(HEX(UUID_SHORT()), 16, '0'));
END$$
DELIMITER ;
