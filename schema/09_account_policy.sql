-- account_policy: bank-wide rules for opening accounts, one row (id = 1).
-- max_open_accounts: how many open (not closed) customer accounts one customer may hold;
-- sp_create_account refuses more with ACCOUNT_LIMIT_REACHED. Change it as the schema owner:
--   UPDATE account_policy SET max_open_accounts = 20 WHERE id = 1;
CREATE TABLE IF NOT EXISTS account_policy (
    id                TINYINT UNSIGNED NOT NULL DEFAULT 1,
    max_open_accounts INT UNSIGNED     NOT NULL DEFAULT 10,
    updated_at        DATETIME(6)      NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
                                       ON UPDATE CURRENT_TIMESTAMP(6),
    PRIMARY KEY (id),
    CONSTRAINT chk_account_policy_one_row CHECK (id = 1),
    CONSTRAINT chk_account_policy_max CHECK (max_open_accounts >= 1)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin
  COMMENT = 'Bank-wide rules for opening accounts (one row)';

INSERT IGNORE INTO account_policy (id, max_open_accounts) VALUES (1, 10);
