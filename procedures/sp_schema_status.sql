-- sp_schema_status: the applied versioned migrations, for the API's readiness check.
--
-- The API connects with EXECUTE only, so it cannot read schema_migrations itself; it
-- compares these rows with the schema/NN_*.sql files it was shipped with.
-- Parameters: none.
-- Returns the rows of schema_migrations, oldest first.
-- Errors: none.
-- Example: CALL sp_schema_status();

DROP PROCEDURE IF EXISTS sp_schema_status;

DELIMITER $$
CREATE PROCEDURE sp_schema_status()
READS SQL DATA
BEGIN
    SELECT * FROM schema_migrations;
END$$
DELIMITER ;
