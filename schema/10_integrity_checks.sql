-- Bookkeeping for checking the ledger while the bank runs.
--
-- integrity_checks: one row per run of sp_check_integrity (incremental or full), with the
-- transaction and audit ids it covered; the next incremental run starts at the last
-- run's watermark. integrity_scan_range: the one-row window vw_ledger_integrity_recent
-- reads (set by sp_check_integrity under its named lock).

CREATE TABLE integrity_checks (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    kind            VARCHAR(12)     NOT NULL,
    from_txn_id     BIGINT UNSIGNED NOT NULL,
    to_txn_id       BIGINT UNSIGNED NOT NULL,
    watermark_txn_id BIGINT UNSIGNED NOT NULL,
    from_audit_id   BIGINT UNSIGNED NOT NULL,
    to_audit_id     BIGINT UNSIGNED NOT NULL,
    violations      INT UNSIGNED    NOT NULL,
    started_at      DATETIME(6)     NOT NULL,
    finished_at     DATETIME(6)     NOT NULL,
    PRIMARY KEY (id),
    KEY idx_integrity_checks_kind (kind, id),
    CONSTRAINT chk_integrity_checks_kind CHECK (kind IN ('incremental', 'full'))
) ENGINE=InnoDB;

CREATE TABLE integrity_scan_range (
    id              TINYINT UNSIGNED NOT NULL,
    from_txn_id     BIGINT UNSIGNED NOT NULL,
    to_txn_id       BIGINT UNSIGNED NOT NULL,
    from_audit_id   BIGINT UNSIGNED NOT NULL,
    to_audit_id     BIGINT UNSIGNED NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT chk_integrity_scan_range_single CHECK (id = 1)
) ENGINE=InnoDB;

INSERT INTO integrity_scan_range (id, from_txn_id, to_txn_id, from_audit_id, to_audit_id)
VALUES (1, 0, 0, 0, 0);
