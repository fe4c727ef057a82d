-- fn_risk_reason: a risk rule's reason in words, its template's placeholders filled from the rule's parameters.
-- {threshold} and {multiplier} without trailing zeros, {count} and {window} as numbers,
-- {from} and {to} as two-digit hours. Called only for a rule that was hit.
-- Parameters:
--   p_template    risk_rules.reason
--   p_threshold   threshold_jod (NULL: none)
--   p_multiplier  multiplier (NULL: none)
--   p_count       max_count (NULL: none)
--   p_window      window_seconds (NULL: none)
--   p_from        hour_from (NULL: none)
--   p_to          hour_to (NULL: none)
-- Returns: the reason, VARCHAR(255).
-- Errors: none.
-- Example: SELECT fn_risk_reason('a high amount: {threshold} JOD or more', 3000.0000, NULL, NULL, NULL, NULL, NULL);
DROP FUNCTION IF EXISTS fn_risk_reason;
DELIMITER $$
CREATE FUNCTION fn_risk_reason(p_template VARCHAR(255), p_threshold DECIMAL(20,4),
                               p_multiplier DECIMAL(10,4), p_count INT UNSIGNED,
                               p_window INT UNSIGNED, p_from TINYINT UNSIGNED, p_to TINYINT UNSIGNED)
RETURNS VARCHAR(255) CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci
DETERMINISTIC NO SQL
COMMENT 'fn_risk_reason: a risk rule''s reason in words, its template''s placeholders filled from the rule''s parameters.'
BEGIN
    RETURN REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(p_template,
        '{threshold}', IFNULL(TRIM(TRAILING '.' FROM TRIM(TRAILING '0' FROM p_threshold)), '')),
        '{multiplier}', IFNULL(TRIM(TRAILING '.' FROM TRIM(TRAILING '0' FROM p_multiplier)), '')),
        '{count}', IFNULL(p_count, '')), '{window}', IFNULL(p_window, '')),
        '{from}', LPAD(IFNULL(p_from, ''), 2, '0')), '{to}', LPAD(IFNULL(p_to, ''), 2, '0'));
END$$
DELIMITER ;
