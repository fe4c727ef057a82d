-- 21: the risk worker's model registry.
-- One row per model the worker trained: an Isolation Forest (with its calibration) or a
-- supervised model learned from transaction_labels. The model itself is a joblib file under
-- the worker's model directory (BANK_WORKER_MODEL_DIR); the row says what it was trained
-- on (the window of transaction times, the feature list) so a score's model_version can be
-- traced to it. Written only through sp_record_risk_model.
CREATE TABLE risk_models (
    version         VARCHAR(64)     NOT NULL,
    kind            VARCHAR(16)     NOT NULL,
    trained_at      DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    window_from     DATETIME(6)     NULL,
    window_to       DATETIME(6)     NULL,
    training_rows   INT UNSIGNED    NOT NULL,
    fraud_labels    INT UNSIGNED    NULL,
    features        TEXT            NOT NULL,
    path            VARCHAR(1000)   NOT NULL,
    metrics         TEXT            NULL,
    PRIMARY KEY (version),
    KEY idx_risk_models_kind (kind, trained_at),
    CONSTRAINT chk_risk_models_kind CHECK (kind IN ('forest', 'supervised')),
    CONSTRAINT chk_risk_models_features CHECK (JSON_VALID(features)),
    CONSTRAINT chk_risk_models_metrics CHECK (metrics IS NULL OR JSON_VALID(metrics))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci
  COMMENT = 'Models the risk worker trained: kind, training window, features, file';
