-- Login hardening: exact usernames, lockout per client, single-use TOTP.
--
-- * Usernames are normalised by the API (NFKC, casefold, ^[a-z0-9][a-z0-9._-]{2,31}$)
--   and compared byte for byte: a case- or accent-insensitive collation would let
--   'BOB' or 'bób' find 'bob'. Existing rows are lowercase ASCII demo names.
-- * login_client_throttles: failures per (username, client address); five lock that
--   pair only (15 minutes, doubling with each further lock within a day), so an
--   attacker locks out their own address, not the user.
-- * login_username_throttles: failures per username from every address; past a
--   ceiling, addresses the user has never logged in from are slowed (a growing delay),
--   never locked, and the user's own clients are not slowed at all.
-- * users.mfa_last_step: the last TOTP time step accepted for the user; that step and
--   earlier ones are refused, so a code works once.
-- * mfa_challenges_spent: an MFA challenge (its JWT id) opens at most one session.

ALTER TABLE users
    MODIFY username VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    ADD COLUMN mfa_last_step BIGINT NULL AFTER mfa_secret_enc;

ALTER TABLE login_events
    MODIFY username VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    ADD KEY idx_login_events_user_ip (user_id, ip_address, outcome, created_at);

CREATE TABLE login_client_throttles (
    username          VARCHAR(64)  CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    ip_address        VARCHAR(45)  NOT NULL,
    failures          INT UNSIGNED NOT NULL DEFAULT 0,
    window_started_at DATETIME(6)  NULL,
    lock_level        INT UNSIGNED NOT NULL DEFAULT 0,
    locked_at         DATETIME(6)  NULL,
    locked_until      DATETIME(6)  NULL,
    PRIMARY KEY (username, ip_address)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE login_username_throttles (
    username          VARCHAR(64)  CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    failures          INT UNSIGNED NOT NULL DEFAULT 0,
    window_started_at DATETIME(6)  NOT NULL,
    slow_until        DATETIME(6)  NULL,
    PRIMARY KEY (username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE mfa_challenges_spent (
    challenge_id  CHAR(32)        NOT NULL,
    user_id       BIGINT UNSIGNED NOT NULL,
    spent_at      DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (challenge_id),
    KEY idx_mfa_challenges_spent_user (user_id, spent_at),
    CONSTRAINT fk_mfa_challenges_spent_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
