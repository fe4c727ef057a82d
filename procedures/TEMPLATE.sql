-- sp_name: one sentence saying what the routine does, repeated as its COMMENT.
-- Then what a caller needs that the code does not say at a glance: the rule it applies and
-- why, the locks it takes and in what order, what it writes. No blank comment lines.
-- Parameters:
--   p_first   what the first parameter means (NULL: what a NULL means)
--   p_second  one line per parameter, in the order of the CREATE; a longer meaning
--             continues under the first word of the meaning
-- Returns: one row: column, column (optional: a result set per query, or nothing).
-- Errors: CODE (when it is raised), OTHER_CODE; or none.
-- Example: CALL sp_name(7, 'two');
DROP PROCEDURE IF EXISTS sp_name;
DELIMITER $$
CREATE PROCEDURE sp_name(
    IN p_first BIGINT UNSIGNED,
    IN p_second VARCHAR(64))
MODIFIES SQL DATA
COMMENT 'sp_name: one sentence saying what the routine does, repeated as its COMMENT.'
BEGIN
    DECLARE v_found BOOLEAN DEFAULT FALSE;
    DECLARE EXIT HANDLER FOR SQLEXCEPTION
    BEGIN
        ROLLBACK;
        RESIGNAL;
    END;

    START TRANSACTION;
    IF NOT v_found THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'CODE: what went wrong, in words for the client';
    END IF;
    COMMIT;
END$$
DELIMITER ;

-- About this file (not part of a routine; delete it in the copy):
-- The header above is the one every file in procedures/ follows, checked by
-- tests/db/test_routine_comments.py. A routine without parameters says "-- Parameters: none";
-- "-- Returns:" may be left out; a function is a DROP FUNCTION / CREATE FUNCTION whose
-- example is a SELECT. For a new routine, copy this file to procedures/<name>.sql and
-- rename sp_name throughout.
-- A procedure that owns its transaction (START TRANSACTION ... COMMIT) declares exactly
-- this exit handler, ROLLBACK then RESIGNAL (sp_check_integrity adds its lock release
-- between the two); a read, or a helper that runs inside its caller's transaction, has none.
-- The migrator does not load this file (TEMPLATE_FILE in scripts/migrate.py): it is a
-- skeleton, and loading it would create a routine named sp_name in every database. It is
-- still valid SQL: tests/test_migrator.py loads procedures/ with the mariadb client.
