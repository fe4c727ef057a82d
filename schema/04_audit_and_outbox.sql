-- The append-only, hash-chained audit log and the events outbox.
--
-- audit_log.id is assigned from audit_chain_head (not AUTO_INCREMENT) so the chain is
-- gapless: row n's prev_hash is row n-1's row_hash. row_hash is
-- SHA2(CONCAT_WS('|', prev_hash, id, table_name, row_id, action, actor_user_id,
--                db_user, before_data, after_data, created_at), 256).
-- before/after are JSON stored as text so the hash is reproducible on every engine.

CREATE TABLE audit_log (
    id              BIGINT UNSIGNED NOT NULL,
    table_name      VARCHAR(64)     NOT NULL,
    row_id          BIGINT UNSIGNED NOT NULL,
    action          VARCHAR(8)      NOT NULL,
    actor_user_id   BIGINT UNSIGNED NULL,
    db_user         VARCHAR(128)    NOT NULL,
    before_data     MEDIUMTEXT      NULL,
    after_data      MEDIUMTEXT      NULL,
    created_at      DATETIME(6)     NOT NULL,
    prev_hash       CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    row_hash        CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    PRIMARY KEY (id),
    KEY idx_audit_log_row (table_name, row_id),
    KEY idx_audit_log_created (created_at),
    CONSTRAINT chk_audit_log_action CHECK (action IN ('INSERT', 'UPDATE', 'DELETE')),
    CONSTRAINT chk_audit_log_before CHECK (before_data IS NULL OR JSON_VALID(before_data)),
    CONSTRAINT chk_audit_log_after CHECK (after_data IS NULL OR JSON_VALID(after_data))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The tail of the chain; locked by every audit insert so the chain stays linear.
CREATE TABLE audit_chain_head (
    id              TINYINT UNSIGNED NOT NULL,
    last_id         BIGINT UNSIGNED  NOT NULL,
    last_hash       CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT chk_audit_chain_head_single CHECK (id = 1)
) ENGINE=InnoDB;

INSERT INTO audit_chain_head (id, last_id, last_hash) VALUES (1, 0, REPEAT('0', 64));

-- Written by every procedure that changes money or status, in its own transaction.
-- A dispatcher reads it in id order (at-least-once delivery).
CREATE TABLE outbox_events (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    event_type      VARCHAR(64)     NOT NULL,
    aggregate_type  VARCHAR(32)     NOT NULL,
    aggregate_id    BIGINT UNSIGNED NOT NULL,
    user_id         BIGINT UNSIGNED NULL,
    payload         TEXT            NOT NULL,
    created_at      DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    dispatched_at   DATETIME(6)     NULL,
    PRIMARY KEY (id),
    KEY idx_outbox_events_pending (dispatched_at, id),
    CONSTRAINT chk_outbox_events_payload CHECK (JSON_VALID(payload))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
