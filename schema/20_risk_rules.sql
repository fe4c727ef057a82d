-- 20: the synchronous risk rules, as data, and what they need to know.
-- risk_rules holds one row per rule fn_risk_assess applies before money moves: its points,
-- its parameters and the reason a hit reads with (placeholders {threshold}, {multiplier},
-- {count}, {window}, {from}, {to} are filled from the row). risk_levels maps the total (capped
-- at 150) to a level and a decision. A weak rule (is_weak) is a signal that alone says little
-- (a first payment, an unusual hour, a new device): each weighs under the MEDIUM band, so no
-- single one holds a payment. Change as the schema owner, e.g.
--   UPDATE risk_rules SET points = 40 WHERE code = 'anonymiser_ip';
--   UPDATE risk_rules SET is_active = FALSE WHERE code = 'unusual_hour';
CREATE TABLE risk_rules (
    code            VARCHAR(32)      NOT NULL,
    points          TINYINT UNSIGNED NOT NULL,
    threshold_jod   DECIMAL(20,4)    NULL,
    multiplier      DECIMAL(10,4)    NULL,
    max_count       INT UNSIGNED     NULL,
    window_seconds  INT UNSIGNED     NULL,
    hour_from       TINYINT UNSIGNED NULL,
    hour_to         TINYINT UNSIGNED NULL,
    is_weak         BOOLEAN          NOT NULL DEFAULT FALSE,
    is_active       BOOLEAN          NOT NULL DEFAULT TRUE,
    reason          VARCHAR(255)     NOT NULL,
    updated_at      DATETIME(6)      NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
                                     ON UPDATE CURRENT_TIMESTAMP(6),
    PRIMARY KEY (code),
    CONSTRAINT chk_risk_rules_points CHECK (points <= 150),
    -- A weak signal alone never reaches MEDIUM (30).
    CONSTRAINT chk_risk_rules_weak CHECK (NOT is_weak OR points < 30),
    CONSTRAINT chk_risk_rules_hours CHECK ((hour_from IS NULL AND hour_to IS NULL)
                                           OR (hour_from < 24 AND hour_to <= 24 AND hour_from < hour_to))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci
  COMMENT = 'The synchronous risk rules: points, parameters, reason';

INSERT INTO risk_rules (code, points, threshold_jod, multiplier, max_count, window_seconds,
                        hour_from, hour_to, is_weak, reason) VALUES
    -- Amounts in JOD-equivalent; very_high_amount replaces high_amount (they do not add up).
    ('very_high_amount', 45, 10000, NULL, NULL, NULL, NULL, NULL, FALSE,
     'a very high amount: {threshold} JOD or more'),
    ('high_amount', 20, 3000, NULL, NULL, NULL, NULL, NULL, FALSE,
     'a high amount: {threshold} JOD or more'),
    ('withdrawal_risk', 20, 500, NULL, NULL, NULL, NULL, NULL, FALSE,
     'a cash withdrawal of {threshold} JOD or more'),
    -- Wrong passwords, second factors and PINs of the user.
    ('failed_attempts', 30, NULL, NULL, 3, 900, NULL, NULL, FALSE,
     '{count} or more failed login or PIN attempts in the last {window} seconds'),
    -- The hour in the customer's zone (users.time_zone, else the bank's).
    ('unusual_hour', 10, NULL, NULL, NULL, NULL, 0, 5, TRUE,
     'an unusual hour: between {from}:00 and {to}:00 in the customer''s time zone'),
    -- Outgoing transactions of the account before this one (any status), by count, or by
    -- their sum with this one (when there is an earlier one in the window).
    ('velocity_5m', 20, 5000, NULL, 8, 300, NULL, NULL, FALSE,
     '{count} or more payments, or {threshold} JOD or more, in the last {window} seconds'),
    ('velocity_15m', 20, 10000, NULL, 10, 900, NULL, NULL, FALSE,
     '{count} or more payments, or {threshold} JOD or more, in the last {window} seconds'),
    -- Against the average of the account's last payments within window_seconds (30 days),
    -- once it has at least max_count of them.
    ('amount_vs_average', 25, NULL, 5, 3, 2592000, NULL, NULL, FALSE,
     '{multiplier} times the account''s average payment of the last 30 days or more'),
    ('new_beneficiary', 15, NULL, NULL, NULL, NULL, NULL, NULL, TRUE,
     'the first payment from this account to this beneficiary'),
    ('new_device', 15, NULL, NULL, NULL, NULL, NULL, NULL, TRUE,
     'the session was opened from a device not seen on an earlier login'),
    ('blacklisted_ip', 60, NULL, NULL, NULL, NULL, NULL, NULL, FALSE,
     'the client address is on the bank''s blacklist'),
    ('anonymiser_ip', 35, NULL, NULL, NULL, NULL, NULL, NULL, FALSE,
     'the client address is an anonymiser exit (a VPN, proxy or Tor node)'),
    ('country_change', 35, NULL, NULL, NULL, NULL, NULL, NULL, FALSE,
     'the client''s country changed since the session''s login');

-- The bands: a total from min_points up (to the next band) has this level and decision.
CREATE TABLE risk_levels (
    level       VARCHAR(8)       NOT NULL,
    min_points  TINYINT UNSIGNED NOT NULL,
    decision    VARCHAR(8)       NOT NULL,
    PRIMARY KEY (level),
    UNIQUE KEY uq_risk_levels_min (min_points),
    CONSTRAINT chk_risk_levels_decision CHECK (decision IN ('approve', 'review', 'block'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci
  COMMENT = 'Risk levels: the total''s bands and what each decides';

INSERT INTO risk_levels (level, min_points, decision) VALUES
    ('LOW', 0, 'approve'), ('MEDIUM', 30, 'review'), ('HIGH', 60, 'block');

-- Client address lists: 'blacklist' (blacklisted_ip) and 'anonymiser' (anonymiser_ip), IPv4
-- or IPv6, one address or a CIDR range per row. ip_from and ip_to are the range's first and
-- last address as 16 bytes (IPv4 as IPv4-mapped IPv6, fn_ip_bytes), filled by
-- trg_risk_ip_lists_range from network. E.g.
--   INSERT INTO risk_ip_lists (list_kind, network, note) VALUES ('anonymiser', '185.220.101.0/24', 'Tor exits');
CREATE TABLE risk_ip_lists (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    list_kind   VARCHAR(16)     NOT NULL,
    network     VARCHAR(49)     NOT NULL,
    ip_from     BINARY(16)      NOT NULL,
    ip_to       BINARY(16)      NOT NULL,
    note        VARCHAR(255)    NULL,
    created_at  DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (id),
    UNIQUE KEY uq_risk_ip_lists_network (list_kind, network),
    KEY idx_risk_ip_lists_range (list_kind, ip_from, ip_to),
    CONSTRAINT chk_risk_ip_lists_kind CHECK (list_kind IN ('blacklist', 'anonymiser'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci
  COMMENT = 'Client address lists the risk rules check (blacklist, anonymiser exits)';

-- Payments refused by the risk rules (level HIGH). A refused payment rolls back, so nothing
-- of it is in transactions: the refusal is written after the rollback, here, where staff
-- read it (and the worker may learn from it).
CREATE TABLE risk_declines (
    id               BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    type             VARCHAR(16)     NOT NULL,
    from_account_id  BIGINT UNSIGNED NOT NULL,
    to_account_id    BIGINT UNSIGNED NULL,
    amount           DECIMAL(20,4)   NOT NULL,
    currency         CHAR(3)         NOT NULL,
    amount_jod       DECIMAL(20,4)   NULL,
    rule_points      SMALLINT UNSIGNED NOT NULL,
    rule_hits        JSON            NOT NULL,
    actor_id         BIGINT UNSIGNED NOT NULL,
    session_id       CHAR(32)        NULL,
    client_ip        VARCHAR(45)     NULL,
    country          CHAR(2)         NULL,
    idempotency_key  VARCHAR(128)    NULL,
    created_at       DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (id),
    KEY idx_risk_declines_account (from_account_id, created_at),
    KEY idx_risk_declines_time (created_at),
    CONSTRAINT fk_risk_declines_from FOREIGN KEY (from_account_id) REFERENCES accounts (id),
    CONSTRAINT chk_risk_declines_hits CHECK (JSON_VALID(rule_hits))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci
  COMMENT = 'Payments the risk rules refused (HIGH), written after their rollback';

-- The assessment of a posted or held transaction (NULL: not assessed, e.g. a trusted posting).
ALTER TABLE transactions
    ADD COLUMN rule_points SMALLINT UNSIGNED NULL,
    ADD COLUMN rule_hits   JSON NULL,
    ADD CONSTRAINT chk_transactions_rule_points CHECK (rule_points IS NULL OR rule_points <= 150),
    ADD CONSTRAINT chk_transactions_rule_hits CHECK (rule_hits IS NULL OR JSON_VALID(rule_hits)),
    -- The sender's history by time: the rules' windows end at the assessed instant, which an
    -- import or a what-if sets in the past.
    ADD KEY idx_transactions_from_time (from_account_id, created_at);

-- A customer's own zone for the unusual-hour rule (NULL: the bank's, bank_settings.time_zone).
ALTER TABLE users ADD COLUMN time_zone VARCHAR(64) NULL;

-- What the login knew: the client's country (a trusted proxy's header; NULL: unknown) and
-- whether the device (user agent) was new for a user who had logged in before.
ALTER TABLE auth_sessions
    ADD COLUMN country    CHAR(2) NULL,
    ADD COLUMN new_device BOOLEAN NOT NULL DEFAULT FALSE;
