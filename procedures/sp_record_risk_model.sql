-- sp_record_risk_model: log a model the risk worker trained, with its training window and features.
-- Parameters:
--   p_version       the model's version, unique (it is the scores' model_version)
--   p_kind          'forest' or 'supervised'
--   p_window_from   the earliest transaction time it was trained on
--   p_window_to     the latest transaction time it was trained on
--   p_rows          how many transactions it was trained on
--   p_fraud_labels  how many of them carried a fraud label (NULL: labels not used)
--   p_features      JSON array of the feature names, in the model's column order
--   p_path          the joblib file it was saved to
--   p_metrics       JSON object of training figures (NULL: none)
-- Errors: INVALID_ARGUMENT (an unknown kind, features not a JSON array, no version).
-- Example: CALL sp_record_risk_model('forest-20260101T000000', 'forest', '2025-12-01', '2026-01-01', 50000, NULL, '["amount"]', '/models/forest.joblib', NULL);
DROP PROCEDURE IF EXISTS sp_record_risk_model;
DELIMITER $$
CREATE PROCEDURE sp_record_risk_model(
    IN p_version VARCHAR(64),
    IN p_kind VARCHAR(16),
    IN p_window_from DATETIME(6),
    IN p_window_to DATETIME(6),
    IN p_rows INT UNSIGNED,
    IN p_fraud_labels INT UNSIGNED,
    IN p_features TEXT,
    IN p_path VARCHAR(1000),
    IN p_metrics TEXT)
MODIFIES SQL DATA
COMMENT 'sp_record_risk_model: log a model the risk worker trained, with its training window and features.'
BEGIN
    IF IFNULL(p_version, '') = '' OR p_kind IS NULL OR p_kind NOT IN ('forest', 'supervised')
       OR p_features IS NULL OR NOT JSON_VALID(p_features) OR JSON_TYPE(p_features) <> 'ARRAY' THEN
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'INVALID_ARGUMENT: a model needs a version, a kind (forest or supervised) and a JSON array of features';
    END IF;
    INSERT INTO risk_models (version, kind, window_from, window_to, training_rows, fraud_labels,
                             features, path, metrics)
    VALUES (p_version, p_kind, p_window_from, p_window_to, IFNULL(p_rows, 0), p_fraud_labels,
            p_features, IFNULL(p_path, ''), p_metrics);
END$$
DELIMITER ;
