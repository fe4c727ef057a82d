-- fn_is_system_login: whether the client's login may act as the bank itself (a system actor).
-- A system actor has no session and acts as the system user. The API's login (bank_app) and
-- the reporting login (bank_readonly) may not; the admin, the schema owner and the scheduled
-- jobs' login (bank_worker) may. USER() is the client's login; inside a routine
-- CURRENT_USER() is the routine's definer, which would make every caller look like the
-- schema owner.
-- Parameters: none
-- Returns: TRUE or FALSE.
-- Errors: none.
-- Example: SELECT fn_is_system_login();
DROP FUNCTION IF EXISTS fn_is_system_login;
DELIMITER $$
CREATE FUNCTION fn_is_system_login()
RETURNS BOOLEAN
NOT DETERMINISTIC NO SQL
COMMENT 'fn_is_system_login: whether the client''s login may act as the bank itself (a system actor).'
BEGIN
    RETURN SUBSTRING_INDEX(USER(), '@', 1) NOT IN ('bank_app', 'bank_readonly');
END$$
DELIMITER ;
