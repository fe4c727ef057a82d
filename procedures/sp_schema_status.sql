-- sp_schema_status: the applied versioned migrations, for the API's readiness check.
-- The API connects with EXECUTE only, so it cannot read schema_migrations itself; it
-- compares `version` (the schema file's name, e.g. 01_core.sql) with the schema/NN_*.sql
-- files it was shipped with.
-- Parameters: none
-- Returns: one row per applied schema file, oldest first: version, applied_at.
-- Errors: none.
-- Example: CALL sp_schema_status();
DROP PROCEDURE IF EXISTS sp_schema_status;
DELIMITER $$
CREATE PROCEDURE sp_schema_status()
READS SQL DATA
COMMENT 'sp_schema_status: the applied versioned migrations, for the API''s readiness check.'
BEGIN
    SELECT version, applied_at FROM schema_migrations ORDER BY applied_at, version;
END$$
DELIMITER ;
