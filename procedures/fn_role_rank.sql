-- fn_role_rank: how far up the staff ladder a role stands, for who may act on whom.
-- customer 0, teller 1, auditor, analyst and manager 2, admin 3; the system user and unknown roles
-- have no rank (NULL).
-- Parameters:
--   p_role  a users.role value
-- Returns: TINYINT or NULL.
-- Errors: none.
-- Example: SELECT fn_role_rank('manager');
DROP FUNCTION IF EXISTS fn_role_rank;
DELIMITER $$
CREATE FUNCTION fn_role_rank(p_role VARCHAR(16))
RETURNS TINYINT
DETERMINISTIC NO SQL
COMMENT 'fn_role_rank: how far up the staff ladder a role stands, for who may act on whom.'
BEGIN
    RETURN CASE p_role
        WHEN 'customer' THEN 0
        WHEN 'teller' THEN 1
        WHEN 'auditor' THEN 2
        WHEN 'analyst' THEN 2
        WHEN 'manager' THEN 2
        WHEN 'admin' THEN 3
        ELSE NULL
    END;
END$$
DELIMITER ;
