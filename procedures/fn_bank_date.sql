-- fn_bank_date: today's date in the bank's time zone, the calendar day daily limits count.
-- bank_settings.time_zone through CONVERT_TZ when the server has its time zone tables,
-- else bank_settings.utc_offset (default Asia/Amman, UTC+3). Follows SET TIMESTAMP.
-- Parameters: none
-- Returns: DATE.
-- Errors: none.
-- Example: SELECT fn_bank_date();  -- 2026-12-02 at 22:30 UTC on 2026-12-01
DROP FUNCTION IF EXISTS fn_bank_date;
DELIMITER $$
CREATE FUNCTION fn_bank_date()
RETURNS DATE
READS SQL DATA
COMMENT 'fn_bank_date: today''s date in the bank''s time zone, the calendar day daily limits count.'
BEGIN
    RETURN (SELECT DATE(IFNULL(CONVERT_TZ(UTC_TIMESTAMP(6), '+00:00', time_zone),
                               CONVERT_TZ(UTC_TIMESTAMP(6), '+00:00', utc_offset)))
            FROM bank_settings WHERE id = 1);
END$$
DELIMITER ;
