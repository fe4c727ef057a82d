-- People who log in, their sessions and refresh tokens, and every login attempt.
-- Personal data (email, name, phone, date of birth, TOTP secret) is encrypted by the
-- application before it arrives (AES-GCM): the *_enc columns hold ciphertext only.
-- email_hash is a keyed hash of the normalised address, for uniqueness and lookup.

CREATE TABLE users (
    id                   BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    username             VARCHAR(64)     NOT NULL,
    role                 VARCHAR(16)     NOT NULL DEFAULT 'customer',
    status               VARCHAR(16)     NOT NULL DEFAULT 'active',
    kyc_status           VARCHAR(16)     NOT NULL DEFAULT 'pending',
    password_hash        VARCHAR(100)    NOT NULL,
    pin_hash             VARCHAR(100)    NULL,
    pin_failed_count     INT UNSIGNED    NOT NULL DEFAULT 0,
    pin_locked_until     DATETIME(6)     NULL,
    failed_login_count   INT UNSIGNED    NOT NULL DEFAULT 0,
    first_failed_login_at DATETIME(6)    NULL,
    locked_until         DATETIME(6)     NULL,
    email_hash           BINARY(32)      NULL,
    email_enc            VARBINARY(512)  NULL,
    full_name_enc        VARBINARY(512)  NULL,
    phone_enc            VARBINARY(256)  NULL,
    date_of_birth_enc    VARBINARY(256)  NULL,
    mfa_enabled          BOOLEAN         NOT NULL DEFAULT FALSE,
    mfa_secret_enc       VARBINARY(256)  NULL,
    last_login_at        DATETIME(6)     NULL,
    created_at           DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at           DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    PRIMARY KEY (id),
    UNIQUE KEY uq_users_username (username),
    UNIQUE KEY uq_users_email_hash (email_hash),
    CONSTRAINT chk_users_role CHECK (role IN ('customer', 'teller', 'manager', 'auditor', 'admin', 'system')),
    CONSTRAINT chk_users_status CHECK (status IN ('active', 'blocked', 'closed')),
    CONSTRAINT chk_users_kyc CHECK (kyc_status IN ('pending', 'verified', 'rejected'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A session is one login; its refresh tokens form a rotation family.
CREATE TABLE auth_sessions (
    id              CHAR(32)        NOT NULL,
    user_id         BIGINT UNSIGNED NOT NULL,
    status          VARCHAR(16)     NOT NULL DEFAULT 'active',
    revoked_reason  VARCHAR(64)     NULL,
    ip_address      VARCHAR(45)     NULL,
    user_agent      VARCHAR(255)    NULL,
    created_at      DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    expires_at      DATETIME(6)     NOT NULL,
    revoked_at      DATETIME(6)     NULL,
    PRIMARY KEY (id),
    KEY idx_auth_sessions_user (user_id, status),
    CONSTRAINT fk_auth_sessions_user FOREIGN KEY (user_id) REFERENCES users (id),
    CONSTRAINT chk_auth_sessions_status CHECK (status IN ('active', 'revoked'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Only SHA-256 of a refresh token is stored; the token itself lives with the client.
CREATE TABLE refresh_tokens (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    session_id      CHAR(32)        NOT NULL,
    token_hash      BINARY(32)      NOT NULL,
    status          VARCHAR(16)     NOT NULL DEFAULT 'active',
    created_at      DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    expires_at      DATETIME(6)     NOT NULL,
    used_at         DATETIME(6)     NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_refresh_tokens_hash (token_hash),
    KEY idx_refresh_tokens_session (session_id),
    CONSTRAINT fk_refresh_tokens_session FOREIGN KEY (session_id) REFERENCES auth_sessions (id),
    CONSTRAINT chk_refresh_tokens_status CHECK (status IN ('active', 'rotated', 'revoked'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE login_events (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    user_id         BIGINT UNSIGNED NULL,
    username        VARCHAR(64)     NOT NULL,
    outcome         VARCHAR(24)     NOT NULL,
    ip_address      VARCHAR(45)     NULL,
    user_agent      VARCHAR(255)    NULL,
    created_at      DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (id),
    KEY idx_login_events_username (username, created_at),
    KEY idx_login_events_user (user_id, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The user that owns system (GL) accounts and initiates system postings.
INSERT INTO users (id, username, role, status, kyc_status, password_hash)
VALUES (1, 'system', 'system', 'active', 'verified', '!');
