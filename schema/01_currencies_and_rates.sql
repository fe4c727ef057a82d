-- Currencies with their ISO 4217 exponent, and FX rates.
-- Every amount is stored as DECIMAL(20,4) and rounded to its currency's exponent
-- by the procedures that write it.

CREATE TABLE currencies (
    code                  CHAR(3)        NOT NULL,
    name                  VARCHAR(64)    NOT NULL,
    exponent              TINYINT UNSIGNED NOT NULL,
    high_value_threshold  DECIMAL(20,4)  NOT NULL,
    is_active             BOOLEAN        NOT NULL DEFAULT TRUE,
    created_at            DATETIME(6)    NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (code),
    CONSTRAINT chk_currencies_exponent CHECK (exponent BETWEEN 0 AND 4)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per direction: JOD->USD and USD->JOD are separate quotes (they include spread).
-- The rate in force is the newest row whose valid_from is not in the future.
CREATE TABLE fx_rates (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    base_currency   CHAR(3)         NOT NULL,
    quote_currency  CHAR(3)         NOT NULL,
    rate            DECIMAL(20,10)  NOT NULL,
    valid_from      DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    created_at      DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (id),
    KEY idx_fx_rates_pair (base_currency, quote_currency, valid_from),
    CONSTRAINT fk_fx_rates_base  FOREIGN KEY (base_currency)  REFERENCES currencies (code),
    CONSTRAINT fk_fx_rates_quote FOREIGN KEY (quote_currency) REFERENCES currencies (code),
    CONSTRAINT chk_fx_rates_positive CHECK (rate > 0),
    CONSTRAINT chk_fx_rates_pair CHECK (base_currency <> quote_currency)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO currencies (code, name, exponent, high_value_threshold) VALUES
    ('JOD', 'Jordanian Dinar', 3, 10000.0000),
    ('USD', 'US Dollar',       2, 15000.0000),
    ('EUR', 'Euro',            2, 13000.0000);

INSERT INTO fx_rates (base_currency, quote_currency, rate, valid_from) VALUES
    ('JOD', 'USD', 1.4100000000, '2000-01-01'),
    ('USD', 'JOD', 0.7090000000, '2000-01-01'),
    ('JOD', 'EUR', 1.3000000000, '2000-01-01'),
    ('EUR', 'JOD', 0.7690000000, '2000-01-01'),
    ('USD', 'EUR', 0.9200000000, '2000-01-01'),
    ('EUR', 'USD', 1.0870000000, '2000-01-01');
