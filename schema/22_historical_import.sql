-- 22: historical transactions imported from a legacy core or a labelled data set.
-- sp_import_transactions posts each source row as a completed transfer from a customer
-- account to a merchant account, at its original time, and records here where it came
-- from. A source is a short label (e.g. 'handbook') naming one file format and id space;
-- its rows are imported in one currency. The label and fraud scenario a data set carries
-- are kept beside the bank's transaction, in import_source_rows, which no service user
-- reads: the risk worker must learn labels only as the bank learns them
-- (transaction_labels).
CREATE TABLE import_sources (
    source      VARCHAR(16)     NOT NULL,
    currency    CHAR(3)         NOT NULL,
    created_by  BIGINT UNSIGNED NOT NULL,
    created_at  DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (source),
    CONSTRAINT fk_import_sources_currency FOREIGN KEY (currency) REFERENCES currencies (code),
    CONSTRAINT fk_import_sources_user FOREIGN KEY (created_by) REFERENCES users (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci
  COMMENT = 'Sources of imported history, one currency each';

-- A source's customer or merchant (a card terminal), as the user and account it became.
CREATE TABLE import_parties (
    source       VARCHAR(16)     NOT NULL,
    kind         VARCHAR(8)      NOT NULL,
    external_id  VARCHAR(20)     NOT NULL,
    user_id      BIGINT UNSIGNED NOT NULL,
    account_id   BIGINT UNSIGNED NOT NULL,
    created_at   DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (source, kind, external_id),
    UNIQUE KEY uq_import_parties_account (account_id),
    CONSTRAINT fk_import_parties_source FOREIGN KEY (source) REFERENCES import_sources (source),
    CONSTRAINT fk_import_parties_user FOREIGN KEY (user_id) REFERENCES users (id),
    CONSTRAINT fk_import_parties_account FOREIGN KEY (account_id) REFERENCES accounts (id),
    CONSTRAINT chk_import_parties_kind CHECK (kind IN ('customer', 'merchant'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci
  COMMENT = 'Customers and merchants of imported history, and their bank accounts';

-- One row per imported source row: the bank transaction it became (a re-run skips it), and
-- what the source says about it (is_fraud, scenario: NULL when the source says nothing).
CREATE TABLE import_source_rows (
    source          VARCHAR(16)     NOT NULL,
    source_id       VARCHAR(32)     NOT NULL,
    transaction_id  BIGINT UNSIGNED NOT NULL,
    source_line     INT UNSIGNED    NULL,
    is_fraud        BOOLEAN         NULL,
    scenario        SMALLINT UNSIGNED NULL,
    imported_at     DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (source, source_id),
    UNIQUE KEY uq_import_source_rows_transaction (transaction_id),
    CONSTRAINT fk_import_source_rows_source FOREIGN KEY (source) REFERENCES import_sources (source),
    CONSTRAINT fk_import_source_rows_txn FOREIGN KEY (transaction_id) REFERENCES transactions (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci
  COMMENT = 'Imported source rows: their bank transaction and the source''s own label';
