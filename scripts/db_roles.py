"""Who may do what in the bank's database: the users, their hosts and their grants.

`ROLES` (the service users) and `OWNER_ROLE` (the schema owner) are the only place grants
are declared; `API_PROCEDURES` is the allow-list of procedures the API may call. Each sync
makes every managed user exist at exactly the hosts of `Settings.db_user_hosts` (an account
at any other host is dropped), with the password its Settings field names, holding exactly
the declared privileges on the database: anything else it holds there is revoked. The
migrator (`scripts/migrate.py`) runs a sync on every migrate, as the server admin.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from api.config import REPO_ROOT, DatabaseAddress, Settings, get_settings
from scripts.db_connection import column, quote_identifier, tuple_cursor


@dataclass(frozen=True)
class RoleGrants:
    """What one database user may do inside the bank's database, and where its password is."""

    password_setting: str  # the Settings field that holds the password
    database: tuple[str, ...] = ()  # privileges on every object: `GRANT x ON db.*`
    tables: tuple[str, ...] = ()  # tables it may SELECT from
    procedures: tuple[str, ...] = ()  # procedures it may EXECUTE
    view_prefix: str | None = None  # SELECT on every view whose name starts with this
    # CREATE and DROP on each view of views/ (and each view in the database), by name:
    # DROP VIEW and CREATE OR REPLACE VIEW need DROP; a name-level grant gives no table.
    drop_views: bool = False


# The procedures the API calls (api/ledger.py) and nothing else: the allow-list of bank_app.
# Internal helpers (sp_post_journal, sp_audit_append, sp_replay_idempotent, sp_assert_*,
# sp_emit_*, sp_check_amount, sp_move_cash, fn_*, ...) run under their definer and are
# not callable by any service user. When the API starts calling a procedure, add it here;
# tests/db/test_database_privileges.py fails until you do.
API_PROCEDURES: tuple[str, ...] = (
    # reference data and health
    "sp_list_currencies",
    "sp_schema_status",
    "sp_check_integrity",
    # users and sessions
    "sp_register_user",
    "sp_auth_login_lookup",
    "sp_auth_login_failed",
    "sp_auth_login_succeeded",
    "sp_auth_refresh",
    "sp_auth_logout",
    "sp_auth_principal",
    "sp_get_user_profile",
    "sp_update_user_profile",
    "sp_get_user_secrets",
    "sp_set_user_pin",
    "sp_record_pin_attempt",
    "sp_set_mfa_secret",
    "sp_enable_mfa",
    "sp_set_user_pii",
    # accounts
    "sp_create_account",
    "sp_get_account",
    "sp_list_accounts",
    "sp_get_balance",
    "sp_account_statement",
    # money
    "sp_deposit_cash",
    "sp_top_up",
    "sp_withdraw_cash",
    "sp_perform_transfer",
    "sp_perform_batch_transfer",
    "sp_reverse_transaction",
    "sp_get_transaction",
    "sp_list_transactions",
    "sp_risk_score",
    # staff controls and the audit trail
    "sp_admin_list_users",
    "sp_admin_list_accounts",
    "sp_admin_set_user_status",
    "sp_admin_end_sessions",
    "sp_admin_set_user_role",
    "sp_admin_set_user_kyc",
    "sp_admin_set_account_status",
    "sp_list_audit_log",
    # notifications
    "sp_add_notification",
    "sp_list_notifications",
    "sp_mark_notification_read",
    # exchange rates
    "sp_list_fx_rates",
    "sp_fx_quote",
    "sp_publish_fx_rate",
    # high-value confirmation and staff review
    "sp_confirm_transaction",
    "sp_review_transaction",
    "sp_list_reviews",
    "sp_expire_pending_transactions",
    # fraud alerts and risk scores
    "sp_list_fraud_alerts",
    "sp_resolve_fraud_alert",
    "sp_fraud_stats",
    "sp_list_risk_scores",
)

# Who may do what: the only place grants are declared. The migrator grants exactly this
# (and revokes anything else these users hold on the database). A grant on a table that does
# not exist yet is skipped until a later migrate creates it; a granted procedure that does
# not exist is an error (UnknownRoutineError): a misspelt or removed routine must not leave
# a service user silently without it.
ROLES: dict[str, RoleGrants] = {
    # The API reads and writes only through the procedures it calls: no table privilege.
    "bank_app": RoleGrants("app_db_password", procedures=API_PROCEDURES),
    # The risk worker reads what it scores, claims batches, and writes scores (with their
    # alerts and actions) and its model log through procedures.
    "bank_worker": RoleGrants(
        "worker_db_password",
        tables=(
            "transactions",
            "ledger_entries",
            "accounts",
            "transaction_risk_scores",
            "fraud_alerts",
            "transaction_labels",
            "risk_models",
        ),
        procedures=("sp_claim_risk_batch", "sp_record_risk_scores", "sp_record_risk_model"),
    ),
    # LedgerGPT and the dashboard: reporting views only.
    "bank_readonly": RoleGrants("readonly_db_password", view_prefix="vw_"),
    # LedgerGPT's question log: one procedure that appends a question to the audit log.
    "bank_gpt_audit": RoleGrants("gpt_audit_db_password", procedures=("sp_record_gpt_question",)),
}

# The schema owner: runs the schema files, defines every routine, trigger and view, and
# loads the seed. No DROP on tables (TRUNCATE needs DROP too); DROP on view names only.
OWNER = "bank_owner"
OWNER_ROLE = RoleGrants(
    "owner_db_password",
    database=(
        "SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "ALTER", "INDEX", "REFERENCES",
        "CREATE TEMPORARY TABLES", "CREATE VIEW", "SHOW VIEW", "CREATE ROUTINE",
        "ALTER ROUTINE", "TRIGGER", "EXECUTE", "EVENT",
    ),
    drop_views=True,
)


# -- users and grants --------------------------------------------------------------------

class UnknownRoutineError(RuntimeError):
    """A service user is granted a procedure the database does not have."""


# (object kind, object name, privilege); kind is DATABASE (name ""), TABLE or PROCEDURE.
Privilege = tuple[str, str, str]

_TABLE_NAMES = "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s"
_VIEW_NAMES = "SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = %s"
_PROCEDURE_NAMES = (
    "SELECT ROUTINE_NAME FROM information_schema.ROUTINES"
    " WHERE ROUTINE_SCHEMA = %s AND ROUTINE_TYPE = 'PROCEDURE'"
)


def all_accounts(roles: Mapping[str, RoleGrants] | None = None) -> dict[str, RoleGrants]:
    """The schema owner and the service users: every database user the migrator manages."""
    return {OWNER: OWNER_ROLE, **(ROLES if roles is None else roles)}


def sync_owner(conn: Any, database: str, root: Path = REPO_ROOT,
               settings: Settings | None = None) -> None:
    """Create the schema owner (bank_owner) with its password and exactly its privileges."""
    _sync_accounts(conn, database, {OWNER: OWNER_ROLE}, root, settings or get_settings())


def sync_roles(
    conn: Any,
    database: str,
    settings: Settings | None = None,
    *,
    roles: Mapping[str, RoleGrants] | None = None,
    root: Path = REPO_ROOT,
) -> None:
    """Create the ROLES users, set their passwords, and make their grants match ROLES."""
    _sync_accounts(conn, database, ROLES if roles is None else roles, root,
                   settings or get_settings())


def _sync_accounts(
    conn: Any, database: str, roles: Mapping[str, RoleGrants], root: Path, settings: Settings
) -> None:
    """Each user exists at exactly the configured hosts, with its password and its grants."""
    hosts = list(dict.fromkeys(settings.db_user_hosts))
    with tuple_cursor(conn) as cur:
        for user, role in roles.items():
            password = getattr(settings, role.password_setting)
            for stale_host in sorted(set(_hosts_of(cur, user)) - set(hosts)):
                cur.execute("DROP USER %s@%s", (user, stale_host))
            try:
                wanted = _wanted_privileges(cur, database, role, root)
            except UnknownRoutineError as exc:
                raise UnknownRoutineError(f"{user}: {exc}") from None
            for host in hosts:
                login = (user, host, password)
                cur.execute("CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s", login)
                cur.execute("ALTER USER %s@%s IDENTIFIED BY %s", login)
                _set_privileges(cur, database, user, host, wanted)


def revoke_all(conn: Any, database: str) -> None:
    """Revoke what the owner and the ROLES users hold on `database` (after it is dropped)."""
    with tuple_cursor(conn) as cur:
        for user in all_accounts():
            for host in _hosts_of(cur, user):
                _set_privileges(cur, database, user, host, set())


def _hosts_of(cur: Any, user: str) -> list[str]:
    return [str(host) for host in column(cur, "SELECT Host FROM mysql.user WHERE User = %s",
                                          (user,))]


def _wanted_privileges(cur: Any, database: str, role: RoleGrants, root: Path) -> set[Privilege]:
    tables = set(column(cur, _TABLE_NAMES, (database,)))
    procedures = set(column(cur, _PROCEDURE_NAMES, (database,)))
    views = column(cur, _VIEW_NAMES, (database,))
    wanted = {("DATABASE", "", privilege) for privilege in role.database}
    wanted |= {("TABLE", name, "SELECT") for name in role.tables if name in tables}
    unknown = sorted(set(role.procedures) - procedures)
    if unknown:
        raise UnknownRoutineError(
            f"{', '.join(unknown)}: granted in scripts/db_roles.py but not in the database"
            " (no procedures/<name>.sql defines it); fix the name or remove the grant"
        )
    wanted |= {("PROCEDURE", name, "EXECUTE") for name in role.procedures}
    if role.view_prefix is not None:
        prefix = role.view_prefix
        wanted |= {("TABLE", name, "SELECT") for name in views if name.startswith(prefix)}
    if role.drop_views:
        # The views to (re)create and those still there to drop; never a base table's name.
        names = {path.stem for path in (root / "views").glob("*.sql")} | set(views)
        names -= tables - set(views)
        wanted |= {("TABLE", name, grant) for name in names for grant in ("CREATE", "DROP")}
    return wanted


def _held_privileges(cur: Any, database: str, user: str, host: str) -> set[Privilege]:
    grantee = _account(user, host)
    held: set[Privilege] = set()
    cur.execute(
        "SELECT PRIVILEGE_TYPE FROM information_schema.SCHEMA_PRIVILEGES"
        " WHERE GRANTEE = %s AND TABLE_SCHEMA = %s",
        (grantee, database),
    )
    held |= {("DATABASE", "", str(row[0])) for row in cur.fetchall()}
    cur.execute(
        "SELECT TABLE_NAME, PRIVILEGE_TYPE FROM information_schema.TABLE_PRIVILEGES"
        " WHERE GRANTEE = %s AND TABLE_SCHEMA = %s",
        (grantee, database),
    )
    held |= {("TABLE", str(row[0]), str(row[1])) for row in cur.fetchall()}
    cur.execute(
        "SELECT Routine_name, Routine_type, Proc_priv FROM mysql.procs_priv"
        " WHERE User = %s AND Host = %s AND Db = %s",
        (user, host, database),
    )
    for name, kind, privileges in cur.fetchall():
        for privilege in _set_members(privileges):
            held.add((str(kind), str(name), "GRANT OPTION" if privilege == "GRANT" else privilege))
    return held


def _set_members(value: Any) -> list[str]:
    items = value.split(",") if isinstance(value, str) else list(value or ())
    return [str(item).strip().upper() for item in items if str(item).strip()]


def _set_privileges(cur: Any, database: str, user: str, host: str, wanted: set[Privilege]) -> None:
    held = _held_privileges(cur, database, user, host)
    account = _account(user, host)
    for target, privileges in _by_target(database, held - wanted):
        cur.execute(f"REVOKE {privileges} ON {target} FROM {account}")
    # Every wanted privilege of an object that lacks one: a name-level DROP on a view that
    # does not exist yet is accepted only in the same statement as CREATE.
    missing = {(kind, name) for kind, name, _ in wanted - held}
    regrant = {item for item in wanted if (item[0], item[1]) in missing}
    for target, privileges in _by_target(database, regrant):
        cur.execute(f"GRANT {privileges} ON {target} TO {account}")


def _by_target(database: str, privileges: set[Privilege]) -> list[tuple[str, str]]:
    """The privileges grouped per object, as `target, "priv, priv"` pairs."""
    grouped: dict[str, list[str]] = {}
    for kind, name, privilege in sorted(privileges):
        grouped.setdefault(_target(kind, database, name), []).append(privilege)
    return [(target, ", ".join(names)) for target, names in grouped.items()]


def _target(kind: str, database: str, name: str) -> str:
    if kind == "DATABASE":
        return f"{quote_identifier(database)}.*"
    prefix = "" if kind == "TABLE" else f"{kind} "
    return f"{prefix}{quote_identifier(database)}.{quote_identifier(name)}"


def owner_address(admin: DatabaseAddress, settings: Settings | None = None) -> DatabaseAddress:
    """The admin's server, logged in as the schema owner."""
    settings = settings or get_settings()
    return admin.as_role(OWNER, settings.owner_db_password)


def _account(user: str, host: str) -> str:
    return "'" + user.replace("'", "''") + "'@'" + host.replace("'", "''") + "'"
