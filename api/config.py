"""One place for configuration: environment variables (prefix BANK_) and `.env`."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlparse

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_JWT_SECRET = "dev-only-secret-change-me-0123456789abcdef"
DEFAULT_OTP_KEY = "dev-only-otp-key-change-me-0123456789abcdef"
DEFAULT_PII_KEY = "ZGV2LW9ubHktcGlpLWtleS0zMi1ieXRlcy1sb25nISE="
# Development passwords of the database users the migrator creates, by Settings field.
DEFAULT_DB_PASSWORDS = {
    "owner_db_password": "bank_owner_local_pw",
    "app_db_password": "bank_app_local_pw",
    "worker_db_password": "bank_worker_local_pw",
    "readonly_db_password": "bank_readonly_local_pw",
    "gpt_audit_db_password": "bank_gpt_audit_local_pw",
}
# The one repository root (scripts/dbserver.py computes its own: it runs before the venv).
REPO_ROOT = Path(__file__).resolve().parent.parent
# A versioned schema file, `schema/NN_name.sql`; group 1 is its number. The migrator
# refuses any other name in schema/, so whatever lists applied versions uses this too.
SCHEMA_FILE_PATTERN = re.compile(r"^(\d+)_[\w.-]+\.sql$")


class DatabaseAddress(BaseModel):
    """Where a MariaDB/MySQL server is and who to log in as."""

    host: str = "127.0.0.1"
    port: int = 3306
    user: str
    password: str = ""
    database: str = "bank"
    unix_socket: str | None = None

    @classmethod
    def from_url(cls, url: str) -> DatabaseAddress:
        """Parse `mysql://user:pass@host:port/db?unix_socket=/path`."""
        parts = urlparse(url)
        if parts.scheme not in {"mysql", "mariadb", "mysql+aiomysql", "mysql+pymysql"}:
            raise ValueError(f"unsupported database URL scheme {parts.scheme!r}")
        query = dict(item.split("=", 1) for item in parts.query.split("&") if "=" in item)
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 3306,
            user=unquote(parts.username or "root"),
            password=unquote(parts.password or ""),
            database=(parts.path or "/").lstrip("/") or "bank",
            unix_socket=unquote(query["unix_socket"]) if "unix_socket" in query else None,
        )

    def as_role(self, user: str, password: str) -> DatabaseAddress:
        """The same server and database, logged in as another user."""
        return self.model_copy(update={"user": user, "password": password})

    def with_database(self, database: str) -> DatabaseAddress:
        return self.model_copy(update={"database": database})


class Settings(BaseSettings):
    """Every tunable of the service. Safe defaults for local use."""

    model_config = SettingsConfigDict(env_prefix="BANK_", env_file=".env", extra="ignore")

    env: str = "development"
    # Admin URL used by the migrator; the service itself logs in as `bank_app`.
    database_url: str | None = None
    db_name: str = "bank"
    # The schema owner (bank_owner) runs the migrations; the others are service users.
    owner_db_password: str = DEFAULT_DB_PASSWORDS["owner_db_password"]
    app_db_password: str = DEFAULT_DB_PASSWORDS["app_db_password"]
    worker_db_password: str = DEFAULT_DB_PASSWORDS["worker_db_password"]
    readonly_db_password: str = DEFAULT_DB_PASSWORDS["readonly_db_password"]
    # LedgerGPT's question log (sp_record_gpt_question only; see scripts/db_roles.py).
    gpt_audit_db_password: str = DEFAULT_DB_PASSWORDS["gpt_audit_db_password"]
    # The client hosts those users may log in from (MariaDB account hosts; no '%').
    db_user_hosts: list[str] = Field(default_factory=lambda: ["localhost", "127.0.0.1"])
    db_pool_min: int = 2
    db_pool_max: int = 20
    # Deadlock (1213) is retried this many times in total; a lock-wait timeout (1205) once.
    db_retry_attempts: int = 4
    # Deadlines (seconds). A row lock is waited for this long per attempt (InnoDB's 50 s
    # default would hold a request for minutes); a pooled connection this long, then 503.
    db_lock_wait_seconds: int = Field(default=3, ge=1)
    db_pool_wait_seconds: float = Field(default=2.0, gt=0)
    db_connect_timeout_seconds: float = Field(default=3.0, gt=0)
    # Read-only procedures: max_statement_time on MariaDB, and the client-side deadline.
    db_read_timeout_seconds: float = Field(default=5.0, gt=0)
    # Money calls: a client-side deadline only; past it the answer is 503 and the client
    # retries with the same Idempotency-Key (the ledger replays an acknowledged write).
    db_write_timeout_seconds: float = Field(default=8.0, gt=0)
    # A call still running after this long has the database probed: a stalled server is
    # then known to be down within seconds, and new requests get 503 at once.
    db_slow_call_seconds: float = Field(default=2.0, gt=0)
    # /ready and the recovery probe, on their own connection; reconnect backoff cap.
    db_probe_timeout_seconds: float = Field(default=0.8, gt=0)
    db_reconnect_max_seconds: float = Field(default=2.0, gt=0)
    # The integrity check in the background (0 disables): incremental every N seconds,
    # the whole vw_ledger_integrity_check every M hours.
    integrity_check_seconds: float = Field(default=60.0, ge=0)
    integrity_full_check_hours: float = Field(default=168.0, gt=0)
    # Expired one-time codes cancelled every N seconds by the API when the database's
    # event_scheduler is OFF (it is ON: the event ev_expire_pending_transactions does it).
    # 0 disables the sweep.
    pending_sweep_seconds: float = Field(default=15.0, ge=0)
    # The audit chain's head saved outside the database (`python -m scripts.audit_anchor
    # save --file ...`); when set, GET /audit/logs says whether the chain still extends it.
    audit_anchor_file: Path | None = None

    # The risk worker (python -m ai_worker, as bank_worker). It claims this many committed
    # transactions at a time, polls every N seconds when there is nothing to score, and
    # rescans from the oldest unscored id every sweep (a held payment that posted late, a
    # batch a stopped worker left). Models live in worker_model_dir (joblib, one file per
    # version, logged in risk_models).
    worker_batch_size: int = Field(default=2000, ge=1, le=50000)
    worker_poll_seconds: float = Field(default=0.1, gt=0)
    worker_sweep_seconds: float = Field(default=30.0, gt=0)
    worker_reconnect_max_seconds: float = Field(default=30.0, gt=0)
    worker_model_dir: Path = REPO_ROOT / ".run" / "models"
    # The Isolation Forest is first trained once this many transactions exist (before that:
    # rules only), on the most recent worker_training_rows, and again every N hours.
    worker_min_training_rows: int = Field(default=1000, ge=10)
    worker_training_rows: int = Field(default=50_000, ge=100)
    worker_retrain_hours: float = Field(default=24.0, gt=0)
    # Calibration: the share of the training window the forest alone puts at SUSPICIOUS or
    # above (score >= 0.5) and at CRITICAL (score >= 0.8).
    worker_suspicious_share: float = Field(default=0.02, gt=0, lt=0.5)
    worker_critical_share: float = Field(default=0.001, gt=0, lt=0.5)
    # The supervised model is trained (and blended in) once this many labelled
    # transactions, this many of them fraud, are known.
    worker_min_labels: int = Field(default=500, ge=10)
    worker_min_fraud_labels: int = Field(default=20, ge=1)

    jwt_secret: str = DEFAULT_JWT_SECRET
    jwt_algorithm: str = "HS256"
    jwt_issuer: str = "bank"
    access_token_minutes: int = 15
    refresh_token_days: int = 14
    mfa_challenge_minutes: int = 5
    # 32 bytes, base64: the original key for personal data at rest. It keys the email hash
    # and reads ciphertext written before key ids; it encrypts too unless pii_keys is set.
    pii_key: str = DEFAULT_PII_KEY
    # Key rotation: `id:base64key,...`, newest first. The first encrypts; all decrypt.
    # `python -m scripts.reencrypt_pii` rewrites older ciphertext with the first.
    pii_keys: str = ""
    # The key of the one-time codes' HMAC-SHA256: the database stores only the HMAC, so a
    # reader of the database cannot try the million codes against it.
    otp_key: str = DEFAULT_OTP_KEY
    bcrypt_rounds: int = 12

    # Rate limits in the `limits` notation ("5/minute"); keyed per IP or per user.
    rate_limits_enabled: bool = True
    rate_limit_login: str = "5/minute"
    rate_limit_register: str = "3/minute"
    rate_limit_money: str = "20/minute"
    rate_limit_read: str = "120/minute"
    # Per user: every route that checks a secret (PIN change, MFA setup and enable, the
    # MFA login step) and, stricter, profile changes (EMAIL_TAKEN reveals an address).
    rate_limit_secret: str = "10/minute"
    rate_limit_profile: str = "10/hour"
    # Comma-separated addresses or networks of reverse proxies whose X-Forwarded-For /
    # X-Forwarded-Proto are believed. Empty: forwarding headers are ignored (serve with
    # `uvicorn --no-proxy-headers`, so uvicorn does not apply them itself).
    trusted_proxies: str = ""
    # A header carrying the client's country (ISO 3166 alpha-2, e.g. Cloudflare's
    # CF-IPCountry), believed only from BANK_TRUSTED_PROXIES. Empty: the country is unknown
    # and the risk rules' country rule does not fire.
    country_header: str = ""

    # Outgoing mail (one-time codes). Unset host: messages go to the in-app inbox instead.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_starttls: bool = True
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "Bank <no-reply@bank.example>"
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)

    cors_origins: list[str] = Field(default_factory=lambda: ["http://localhost:8000"])
    redis_url: str | None = Field(default=None, validation_alias="REDIS_URL")

    # LedgerGPT (ledger_gpt/): an OpenAI-compatible endpoint, when set, writes the SQL;
    # without one the offline engine does. Every statement gets this time limit and the
    # LIMIT below when it has none (at most the maximum).
    openai_base_url: str | None = Field(default=None, validation_alias="OPENAI_BASE_URL")
    openai_api_key: str | None = Field(default=None, validation_alias="OPENAI_API_KEY")
    ledger_gpt_model: str = Field(default="gpt-4o-mini", validation_alias="LEDGER_GPT_MODEL")
    ledger_gpt_llm_timeout_seconds: float = Field(default=30.0, gt=0)
    ledger_gpt_statement_seconds: float = Field(default=5.0, gt=0)
    ledger_gpt_default_limit: int = Field(default=200, ge=1, le=10_000)

    # HTTP surface. Bodies are refused (413) above these sizes before they are parsed;
    # the batch route carries up to 1,000 items, so it gets a little more.
    max_body_bytes: int = 1_048_576
    max_batch_body_bytes: int = 2_097_152
    # Strict-Transport-Security, only when the service is reached over TLS (off by default).
    hsts_enabled: bool = False
    hsts_max_age: int = 31_536_000
    # /metrics: with a token, only `Authorization: Bearer <token>` scrapes it (from
    # anywhere); without one, only clients in these networks may (loopback by default).
    metrics_token: str | None = None
    metrics_networks: list[str] = Field(default_factory=lambda: ["127.0.0.0/8", "::1/128"])

    log_level: str = "INFO"
    # One JSON line per request, written by a background thread (never blocks the loop).
    access_log: bool = True
    frontend_dir: Path = REPO_ROOT / "frontend"
    schema_dir: Path = REPO_ROOT / "schema"

    @model_validator(mode="after")
    def _refuse_default_secrets_in_production(self) -> Settings:
        if self.env == "production" and self.jwt_secret == DEFAULT_JWT_SECRET:
            raise ValueError("BANK_JWT_SECRET must be set to a private value in production")
        if self.env == "production" and self.pii_key == DEFAULT_PII_KEY:
            raise ValueError("BANK_PII_KEY must be set to a private value in production")
        if self.env == "production" and self.otp_key == DEFAULT_OTP_KEY:
            raise ValueError("BANK_OTP_KEY must be set to a private value in production")
        if self.env == "production":
            defaults = [name for name, value in DEFAULT_DB_PASSWORDS.items()
                        if getattr(self, name) == value]
            if defaults:
                names = ", ".join(f"BANK_{name.upper()}" for name in defaults)
                raise ValueError(f"{names} must be set to private values in production")
        return self

    @field_validator("pii_keys")
    @classmethod
    def _well_formed_key_ring(cls, text: str) -> str:
        from api.security.pii import parse_key_ring  # the one parser of the format

        parse_key_ring(text)
        return text

    @property
    def trusted_proxy_list(self) -> list[str]:
        return [item.strip() for item in self.trusted_proxies.split(",") if item.strip()]

    @field_validator("db_user_hosts")
    @classmethod
    def _named_hosts_only(cls, hosts: list[str]) -> list[str]:
        if not hosts:
            raise ValueError("name at least one host the database users log in from")
        for host in hosts:
            if not host or any(char in host for char in "%_'\"\\` ") or len(host) > 255:
                raise ValueError(f"{host!r} is not a host name or address (no wildcards)")
        return hosts

    def admin_address(self) -> DatabaseAddress:
        if not self.database_url:
            raise RuntimeError(
                "BANK_DATABASE_URL is not set; run `make run` or `python -m scripts.dbserver url`"
            )
        return DatabaseAddress.from_url(self.database_url).with_database(self.db_name)

    def app_address(self) -> DatabaseAddress:
        return self.admin_address().as_role("bank_app", self.app_db_password)

    def worker_address(self) -> DatabaseAddress:
        return self.admin_address().as_role("bank_worker", self.worker_db_password)


@lru_cache
def get_settings() -> Settings:
    return Settings()
