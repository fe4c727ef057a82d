-- 14: notifications, the in-app inbox.
-- One row per message to one user: a one-time code in development (when no SMTP server is
-- configured), and the events later issues fan out from the outbox. Rows are never
-- deleted by the service; read_at marks them read.
CREATE TABLE notifications (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    user_id         BIGINT UNSIGNED NOT NULL,
    kind            VARCHAR(32)     NOT NULL,
    title           VARCHAR(200)    NOT NULL,
    body            VARCHAR(2000)   NOT NULL,
    transaction_id  BIGINT UNSIGNED NULL,
    created_at      DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    read_at         DATETIME(6)     NULL,
    PRIMARY KEY (id),
    KEY idx_notifications_user (user_id, id),
    CONSTRAINT fk_notifications_user FOREIGN KEY (user_id) REFERENCES users (id),
    CONSTRAINT fk_notifications_transaction FOREIGN KEY (transaction_id) REFERENCES transactions (id),
    CONSTRAINT chk_notifications_kind CHECK (kind REGEXP '^[a-z][a-z_.]{0,31}$')
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
