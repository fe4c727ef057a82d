"""The migrator: schema files once, repeatable objects every time, then users and grants.

1. `schema/NN_*.sql` in numeric order, each applied once and recorded with its SHA-256
   in `schema_migrations`; an applied file that has since changed is an error.
2. `procedures/`, `triggers/`, `views/` (`*.sql`, name order) re-created on every run;
   each file drops its own object first. Views that need a view not yet created are
   retried until no more progress is made.
3. The database users of `ROLES` and exactly the privileges declared there.
4. With `seed=True`, `data/*.sql` in name order (those files are idempotent themselves).

Least privilege: the admin login named by the URL only creates the database, the users and
the grants. Steps 1, 2 and 4 run as the schema owner `bank_owner`, which may build and
change the schema but holds no DROP (so no DROP TABLE, no TRUNCATE) except on the view
names of `views/`, which `DROP VIEW` and `CREATE OR REPLACE VIEW` need. Every routine,
trigger and view is defined by `bank_owner`. Only the server admin holds DROP on tables.

Files are split into statements the way the `mysql`/`mariadb` client does, `DELIMITER`
included, so every file also loads with `mariadb bank < file.sql`.

    python -m scripts.migrate [--database NAME] [--seed]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pymysql  # type: ignore[import-untyped]
import pymysql.cursors  # type: ignore[import-untyped]

from api.config import DatabaseAddress, Settings, get_settings

REPO_ROOT = Path(__file__).resolve().parent.parent


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
# Internal helpers (sp_post_entry, sp_audit_append, sp_replay_idempotent, sp_assert_*,
# sp_emit_*, sp_check_amount, sp_move_cash, fn_*, ...) run under their definer and are
# not callable by any service user. When the API starts calling a procedure, add it here;
# tests/test_database_privileges.py fails until you do.
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
)

# Who may do what: the only place grants are declared. The migrator grants exactly this
# (and revokes anything else these users hold on the database). Grants on tables and
# procedures that do not exist yet are skipped until a later migrate creates them.
ROLES: dict[str, RoleGrants] = {
    # The API reads and writes only through the procedures it calls: no table privilege.
    "bank_app": RoleGrants("app_db_password", procedures=API_PROCEDURES),
    # The risk worker reads what it scores and writes scores through one procedure.
    "bank_worker": RoleGrants(
        "worker_db_password",
        tables=(
            "transactions",
            "ledger_entries",
            "accounts",
            "transaction_risk_scores",
            "fraud_alerts",
        ),
        procedures=("sp_record_risk_score",),
    ),
    # LedgerGPT and the dashboard: reporting views only.
    "bank_readonly": RoleGrants("readonly_db_password", view_prefix="vw_"),
}

# The schema owner: runs the schema files, defines every routine, trigger and view, and
# loads the seed. No DROP on tables (TRUNCATE needs DROP too); DROP on view names only.
OWNER = "bank_owner"
OWNER_ROLE = RoleGrants(
    "owner_db_password",
    database=(
        "SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "ALTER", "INDEX", "REFERENCES",
        "CREATE TEMPORARY TABLES", "CREATE VIEW", "SHOW VIEW", "CREATE ROUTINE",
        "ALTER ROUTINE", "TRIGGER", "EXECUTE",
    ),
    drop_views=True,
)

# Session SQL mode for everything the migrator creates: routines keep the mode they were
# created with, so a lax server default must not make procedures truncate money silently.
SQL_MODE = "STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"
REPEATABLE_DIRS = ("procedures", "triggers", "views")
# ER_NO_SUCH_TABLE, ER_VIEW_INVALID: a view names a view that is not there (yet).
MISSING_OBJECT_ERRORS = frozenset({1146, 1356})
SCHEMA_FILE = re.compile(r"^(\d+)_[\w.-]+\.sql$")
IDENTIFIER = re.compile(r"^[A-Za-z0-9_$]{1,64}$")
LOCK_TIMEOUT_SECONDS = 600


class MigrationError(RuntimeError):
    """The database could not be brought up to date; the message names the file."""


class StatementError(MigrationError):
    """One statement of one file failed; `code` is the server's error number."""

    def __init__(self, message: str, *, path: Path, code: int) -> None:
        super().__init__(message)
        self.path = path
        self.code = code


@dataclass(frozen=True)
class SchemaFile:
    """One versioned schema file: its version (the file name) and checksum."""

    version: str
    path: Path
    checksum: str


@dataclass
class MigrationReport:
    """What one migrate run did."""

    database: str
    applied: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seeded: list[str] = field(default_factory=list)
    routines: int = 0
    triggers: int = 0
    views: int = 0

    def summary(self) -> str:
        """A few lines for the CLI."""
        applied = ", ".join(self.applied) if self.applied else "none"
        lines = [
            f"database {self.database}: applied {len(self.applied)} schema file(s) ({applied}),"
            f" {len(self.skipped)} already applied",
            f"loaded {self.routines} routine(s), {self.triggers} trigger(s), {self.views} view(s)",
        ]
        if self.seeded:
            lines.append(f"seeded from {', '.join(self.seeded)}")
        return "\n".join(lines)


@dataclass(frozen=True)
class SchemaStatus:
    """How a database's applied schema compares with the files on disk."""

    applied: list[str]
    pending: list[str]
    changed: list[str]
    missing: list[str]

    @property
    def current(self) -> bool:
        return not (self.pending or self.changed or self.missing)


# -- splitting SQL scripts ---------------------------------------------------------------

_DELIMITER_COMMAND = re.compile(r"[ \t]*delimiter[ \t]+(\S+)[^\n]*(?:\n|\Z)", re.IGNORECASE)
_NON_SPACE = re.compile(r"\S")
_QUOTES = "'\"`"
# Comments that are code: MySQL executable comments and optimizer hints.
_CODE_COMMENTS = ("/*!", "/*M!", "/*+")


class _SqlSplitter:
    """A single pass over a script, tracking strings, comments and the delimiter."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.statements: list[str] = []
        self.start: int | None = None  # first code character of the current statement
        self.pos = 0
        self._set_delimiter(";")

    def _set_delimiter(self, delimiter: str) -> None:
        self.delimiter = delimiter
        self.special = re.compile("['\"`#/\\-\n" + re.escape(delimiter[0]) + "]")

    def run(self) -> list[str]:
        text, end = self.text, len(self.text)
        while self.pos < end:
            if self._at_line_start() and self._delimiter_command():
                continue
            if text.startswith(self.delimiter, self.pos):
                self._finish(self.pos)
                self.pos += len(self.delimiter)
                continue
            char = text[self.pos]
            if char in _QUOTES:
                self._mark_code()
                self.pos = _end_of_quoted(text, self.pos)
            elif char == "#" or _is_dash_comment(text, self.pos):
                newline = text.find("\n", self.pos)
                self.pos = end if newline < 0 else newline
            elif text.startswith("/*", self.pos):
                if text.startswith(_CODE_COMMENTS, self.pos):
                    self._mark_code()
                close = text.find("*/", self.pos + 2)
                self.pos = end if close < 0 else close + 2
            else:
                self._skip_plain()
        self._finish(end)
        return self.statements

    def _at_line_start(self) -> bool:
        return self.pos == 0 or self.text[self.pos - 1] == "\n"

    def _delimiter_command(self) -> bool:
        """Handle a client `DELIMITER xx` line; it also ends any statement before it."""
        match = _DELIMITER_COMMAND.match(self.text, self.pos)
        if match is None:
            return False
        self._finish(self.pos)
        self._set_delimiter(match.group(1))
        self.pos = match.end()
        return True

    def _skip_plain(self) -> None:
        """Advance over ordinary text up to the next character that may matter."""
        if self.text[self.pos] == "\n":
            self.pos += 1  # the next line may be a DELIMITER command
            return
        following = self.special.search(self.text, self.pos + 1)
        stop = following.start() if following else len(self.text)
        if self.start is None:
            code = _NON_SPACE.search(self.text, self.pos, stop)
            if code is not None:
                self.start = code.start()
        self.pos = stop

    def _mark_code(self) -> None:
        if self.start is None:
            self.start = self.pos

    def _finish(self, stop: int) -> None:
        if self.start is not None:
            statement = self.text[self.start : stop].rstrip()
            if statement:
                self.statements.append(statement)
        self.start = None


def _end_of_quoted(text: str, pos: int) -> int:
    """Index just past the string or quoted identifier that starts at `pos`."""
    quote, index, end = text[pos], pos + 1, len(text)
    while index < end:
        char = text[index]
        if char == "\\" and quote != "`":
            index += 2
        elif char == quote and text.startswith(quote * 2, index):
            index += 2
        elif char == quote:
            return index + 1
        else:
            index += 1
    return end


def _is_dash_comment(text: str, pos: int) -> bool:
    """`-- ` starts a comment only when followed by whitespace (or the end)."""
    return text.startswith("--", pos) and (pos + 2 == len(text) or text[pos + 2].isspace())


def split_sql(text: str) -> list[str]:
    """Split a script into statements as the mysql client does (DELIMITER, quotes, comments)."""
    return _SqlSplitter(text).run()


# -- connections and small queries -------------------------------------------------------


def connect(address: DatabaseAddress, *, use_database: bool = True, dict_rows: bool = False) -> Any:
    """A PyMySQL connection to `address` (autocommit, utf8mb4, one statement per call)."""
    return pymysql.connect(
        host=address.host,
        port=address.port,
        user=address.user,
        password=address.password,
        database=address.database if use_database else None,
        unix_socket=address.unix_socket,
        charset="utf8mb4",
        autocommit=True,
        cursorclass=pymysql.cursors.DictCursor if dict_rows else pymysql.cursors.Cursor,
    )


def _cursor(conn: Any) -> Any:
    """A tuple-row cursor, whatever the connection's default cursor class."""
    return conn.cursor(pymysql.cursors.Cursor)


def quote_identifier(name: str) -> str:
    """`name` as a backquoted identifier."""
    return "`" + name.replace("`", "``") + "`"


def _checked_name(name: str) -> str:
    if not IDENTIFIER.match(name):
        raise MigrationError(f"refusing database name {name!r}: use letters, digits and _ only")
    return name


def _account(user: str, host: str) -> str:
    return "'" + user.replace("'", "''") + "'@'" + host.replace("'", "''") + "'"


def _column(cur: Any, query: str, args: Sequence[Any] = ()) -> list[Any]:
    cur.execute(query, tuple(args))
    return [row[0] for row in cur.fetchall()]


def execute(cur: Any, statement: str) -> None:
    """Run one statement and drain every result set (a CALL leaves an extra one)."""
    cur.execute(statement)
    while cur.nextset():
        pass


def run_script(conn: Any, path: Path, *, root: Path | None = None) -> int:
    """Run every statement of one file; returns how many ran."""
    label = path.relative_to(root) if root and path.is_relative_to(root) else path
    statements = split_sql(path.read_text(encoding="utf-8-sig"))
    with _cursor(conn) as cur:
        for number, statement in enumerate(statements, start=1):
            try:
                execute(cur, statement)
            except pymysql.err.MySQLError as exc:
                code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0
                detail = exc.args[1] if len(exc.args) > 1 else str(exc)
                raise StatementError(
                    f"{label}: statement {number} failed with error {code}: {detail}\n"
                    f"{_excerpt(statement)}",
                    path=path,
                    code=code,
                ) from exc
    return len(statements)


def _excerpt(statement: str, lines: int = 6) -> str:
    head = statement.splitlines()[:lines]
    more = "\n    ..." if len(statement.splitlines()) > lines else ""
    return "\n".join("    " + line for line in head) + more


# -- schema files ------------------------------------------------------------------------


def schema_files(root: Path = REPO_ROOT) -> list[SchemaFile]:
    """`root/schema/NN_*.sql` in numeric order, with their SHA-256."""
    found: list[tuple[int, str, Path]] = []
    for path in (root / "schema").glob("*.sql"):
        match = SCHEMA_FILE.match(path.name)
        if match is None:
            raise MigrationError(f"schema/{path.name}: schema files must be named NN_name.sql")
        found.append((int(match.group(1)), path.name, path))
    return [
        SchemaFile(version=name, path=path, checksum=hashlib.sha256(path.read_bytes()).hexdigest())
        for _, name, path in sorted(found)
    ]


def applied_migrations(conn: Any, database: str) -> dict[str, str]:
    """version -> checksum of what `database` has applied ({} before the first migrate)."""
    table = f"{quote_identifier(database)}.schema_migrations"
    with _cursor(conn) as cur:
        try:
            cur.execute(f"SELECT version, checksum FROM {table}")
        except pymysql.err.ProgrammingError as exc:
            if exc.args and exc.args[0] in (1049, 1146):  # no such database / table
                return {}
            raise
        return {str(row[0]): str(row[1]) for row in cur.fetchall()}


def pending_migrations(applied: Mapping[str, str], root: Path = REPO_ROOT) -> list[str]:
    """Schema versions on disk that `applied` (version -> checksum) does not have yet."""
    return [item.version for item in schema_files(root) if item.version not in applied]


def schema_status(conn: Any, database: str, root: Path = REPO_ROOT) -> SchemaStatus:
    """Applied, pending, changed and missing schema files of `database`."""
    applied = applied_migrations(conn, database)
    files = schema_files(root)
    on_disk = {item.version: item.checksum for item in files}
    return SchemaStatus(
        applied=[item.version for item in files if item.version in applied],
        pending=pending_migrations(applied, root),
        changed=[v for v, checksum in applied.items() if on_disk.get(v, checksum) != checksum],
        missing=sorted(set(applied) - set(on_disk)),
    )


def _check_applied(applied: Mapping[str, str], files: Sequence[SchemaFile]) -> None:
    """Refuse to go on when an applied file was edited or removed."""
    for item in files:
        if item.version in applied and applied[item.version] != item.checksum:
            raise MigrationError(
                f"schema/{item.version} was changed after it was applied (checksum "
                f"{applied[item.version][:12]}... in schema_migrations, {item.checksum[:12]}... "
                "on disk). Applied schema files are immutable: restore it and put the change "
                "in a new NN_*.sql file (or, for a throwaway dev database, drop it)."
            )
    missing = sorted(set(applied) - {item.version for item in files})
    if missing:
        raise MigrationError(
            f"schema_migrations lists {', '.join(missing)} but schema/ no longer has "
            "that file; restore it (or, for a throwaway dev database, drop it)."
        )


def _apply_schema(conn: Any, database: str, root: Path, report: MigrationReport) -> None:
    files = schema_files(root)
    applied = applied_migrations(conn, database)
    _check_applied(applied, files)
    for item in files:
        if item.version in applied:
            report.skipped.append(item.version)
            continue
        try:
            run_script(conn, item.path, root=root)
        except StatementError as exc:
            raise MigrationError(
                f"{exc}\nschema/{item.version} is not recorded as applied; the statements "
                "before the failing one have run (DDL cannot be rolled back), so fix the file "
                "and make it safe to re-run, or drop the development database."
            ) from exc
        with _cursor(conn) as cur:
            cur.execute(
                "INSERT INTO schema_migrations (version, checksum, applied_at)"
                " VALUES (%s, %s, NOW(6))",
                (item.version, item.checksum),
            )
        report.applied.append(item.version)


# -- repeatable objects ------------------------------------------------------------------


def _load_repeatable(conn: Any, root: Path) -> None:
    for directory in REPEATABLE_DIRS:
        paths = sorted((root / directory).glob("*.sql"))
        if directory == "views":
            _load_views(conn, paths, root)
        else:
            for path in paths:
                run_script(conn, path, root=root)


def _load_views(conn: Any, paths: Sequence[Path], root: Path) -> None:
    """Name order, retrying views whose referenced view is created by a later file."""
    pending = list(paths)
    while pending:
        failures: list[StatementError] = []
        for path in pending:
            try:
                run_script(conn, path, root=root)
            except StatementError as exc:
                if exc.code not in MISSING_OBJECT_ERRORS:
                    raise
                failures.append(exc)
        if len(failures) == len(pending):
            raise MigrationError(
                "views refer to tables or views that do not exist:\n"
                + "\n".join(str(exc) for exc in failures)
            )
        pending = [exc.path for exc in failures]


# What each repeatable folder defines, and how to find and drop what is no longer there.
_STALE_OBJECTS = {
    "procedures": (
        "SELECT ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES"
        " WHERE ROUTINE_SCHEMA = %s"
    ),
    "triggers": (
        "SELECT TRIGGER_NAME, 'TRIGGER' FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = %s"
    ),
    "views": "SELECT TABLE_NAME, 'VIEW' FROM information_schema.VIEWS WHERE TABLE_SCHEMA = %s",
}


def _drop_stale_objects(conn: Any, database: str, root: Path) -> None:
    """Drop procedures, functions, triggers and views whose file was removed.

    Every repeatable file is named after the object it defines, so the folders are the
    complete list: an object without a file is left over from an older version.
    """
    with _cursor(conn) as cur:
        for directory, query in _STALE_OBJECTS.items():
            wanted = {path.stem for path in (root / directory).glob("*.sql")}
            cur.execute(query, (database,))
            for object_name, kind in cur.fetchall():
                if object_name not in wanted:
                    cur.execute(
                        f"DROP {kind} IF EXISTS {quote_identifier(database)}."
                        f"{quote_identifier(object_name)}"
                    )


_OBJECT_COUNTS = {
    "routines": "SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = %s",
    "triggers": "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = %s",
    "views": "SELECT COUNT(*) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = %s",
}


def _count_objects(conn: Any, database: str, report: MigrationReport) -> None:
    with _cursor(conn) as cur:
        for attribute, query in _OBJECT_COUNTS.items():
            setattr(report, attribute, int(_column(cur, query, (database,))[0]))


# -- users and grants --------------------------------------------------------------------

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
    with _cursor(conn) as cur:
        for user, role in roles.items():
            password = getattr(settings, role.password_setting)
            for stale_host in sorted(set(_hosts_of(cur, user)) - set(hosts)):
                cur.execute("DROP USER %s@%s", (user, stale_host))
            wanted = _wanted_privileges(cur, database, role, root)
            for host in hosts:
                login = (user, host, password)
                cur.execute("CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s", login)
                cur.execute("ALTER USER %s@%s IDENTIFIED BY %s", login)
                _set_privileges(cur, database, user, host, wanted)


def _hosts_of(cur: Any, user: str) -> list[str]:
    return [str(host) for host in _column(cur, "SELECT Host FROM mysql.user WHERE User = %s",
                                          (user,))]


def _wanted_privileges(cur: Any, database: str, role: RoleGrants, root: Path) -> set[Privilege]:
    tables = set(_column(cur, _TABLE_NAMES, (database,)))
    procedures = set(_column(cur, _PROCEDURE_NAMES, (database,)))
    views = _column(cur, _VIEW_NAMES, (database,))
    wanted = {("DATABASE", "", privilege) for privilege in role.database}
    wanted |= {("TABLE", name, "SELECT") for name in role.tables if name in tables}
    wanted |= {("PROCEDURE", name, "EXECUTE") for name in role.procedures if name in procedures}
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


# -- entry points ------------------------------------------------------------------------


@contextlib.contextmanager
def _migration_lock(conn: Any, database: str) -> Iterator[None]:
    """One migrator per database at a time (a server-side named lock)."""
    name = "bank_migrate:" + hashlib.sha256(database.encode()).hexdigest()[:32]
    with _cursor(conn) as cur:
        cur.execute("SELECT GET_LOCK(%s, %s)", (name, LOCK_TIMEOUT_SECONDS))
        if cur.fetchone()[0] != 1:
            raise MigrationError(f"another migrator has held the lock on {database} too long")
    try:
        yield
    finally:
        with _cursor(conn) as cur:
            cur.execute("SELECT RELEASE_LOCK(%s)", (name,))


def _create_database(admin: Any, database: str) -> None:
    with _cursor(admin) as cur:
        cur.execute(
            f"CREATE DATABASE IF NOT EXISTS {quote_identifier(database)}"
            " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        )


def _prepare(conn: Any, database: str) -> None:
    with _cursor(conn) as cur:
        cur.execute("SET SESSION sql_mode = %s", (SQL_MODE,))
        cur.execute(f"USE {quote_identifier(database)}")
        cur.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version VARCHAR(255) NOT NULL PRIMARY KEY,"
            " checksum CHAR(64) NOT NULL,"
            " applied_at DATETIME(6) NOT NULL"
            ") ENGINE=InnoDB"
        )


def owner_address(admin: DatabaseAddress, settings: Settings | None = None) -> DatabaseAddress:
    """The admin's server, logged in as the schema owner."""
    settings = settings or get_settings()
    return admin.as_role(OWNER, settings.owner_db_password)


def _connect_owner(admin: DatabaseAddress, settings: Settings) -> Any:
    try:
        return connect(owner_address(admin, settings), use_database=False)
    except pymysql.err.OperationalError as exc:
        raise MigrationError(
            f"cannot log in as {OWNER} ({exc.args[-1]}); the migrator's host must be one of "
            f"BANK_DB_USER_HOSTS ({', '.join(settings.db_user_hosts)})"
        ) from exc


def migrate(
    admin_url: str,
    *,
    database: str | None = None,
    root: Path = REPO_ROOT,
    seed: bool = False,
    roles: Mapping[str, RoleGrants] | None = None,
) -> MigrationReport:
    """Bring `database` (default: the URL's) up to date with the SQL files under `root`.

    The admin login creates the database and the users and grants; the schema itself is
    built by the schema owner. `roles` replaces ROLES (tests of the migrator use it).
    """
    settings = get_settings()
    address = DatabaseAddress.from_url(admin_url)
    name = _checked_name(database or address.database)
    root = Path(root).resolve()
    report = MigrationReport(database=name)
    admin = connect(address, use_database=False)
    try:
        with _migration_lock(admin, name):
            _create_database(admin, name)
            sync_owner(admin, name, root, settings)
            owner = _connect_owner(address, settings)
            try:
                _prepare(owner, name)
                _apply_schema(owner, name, root, report)
                _load_repeatable(owner, root)
                _drop_stale_objects(owner, name, root)
                # Again: creating a routine grants its creator rights on it by name, which
                # the database-wide grants make redundant; the owner keeps exactly OWNER_ROLE.
                sync_owner(admin, name, root, settings)
                sync_roles(admin, name, settings, roles=roles, root=root)
                if seed:
                    _seed_once(owner, root, report)
                _count_objects(owner, name, report)
            finally:
                owner.close()
    finally:
        admin.close()
    return report


def _seed_once(conn: Any, root: Path, report: MigrationReport) -> None:
    """Load each data/*.sql file once per database (again only if the file changed).

    `seed_runs` is the migrator's own bookkeeping, like schema_migrations: a restart of
    `make run` finds the demo data recorded there and does not load it again.
    """
    with _cursor(conn) as cur:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS seed_runs ("
            " file_name VARCHAR(255) NOT NULL PRIMARY KEY,"
            " checksum CHAR(64) NOT NULL,"
            " seeded_at DATETIME(6) NOT NULL"
            ") ENGINE=InnoDB"
        )
        cur.execute("SELECT file_name, checksum FROM seed_runs")
        done = dict(cur.fetchall())
    for path in sorted((root / "data").glob("*.sql")):
        checksum = hashlib.sha256(path.read_bytes()).hexdigest()
        if done.get(path.name) == checksum:
            continue
        run_script(conn, path, root=root)
        with _cursor(conn) as cur:
            cur.execute(
                "REPLACE INTO seed_runs (file_name, checksum, seeded_at)"
                " VALUES (%s, %s, UTC_TIMESTAMP(6))",
                (path.name, checksum),
            )
        report.seeded.append(path.name)


def drop_database(admin_url: str, name: str) -> None:
    """Drop `name` and revoke what the owner and the ROLES users held on it (admin only)."""
    _checked_name(name)
    conn = connect(DatabaseAddress.from_url(admin_url), use_database=False)
    try:
        with _cursor(conn) as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {quote_identifier(name)}")
            for user in all_accounts():
                for host in _hosts_of(cur, user):
                    _set_privileges(cur, name, user, host, set())
    finally:
        conn.close()


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: migrate the configured database (and optionally load the demo data)."""
    from scripts.dbserver import ServerError, resolve_admin_url

    parser = argparse.ArgumentParser(
        prog="python -m scripts.migrate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--database", help="database name (default: BANK_DB_NAME or 'bank')")
    parser.add_argument("--seed", action="store_true", help="then load data/*.sql")
    parser.add_argument("--root", type=Path, default=REPO_ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        report = migrate(
            resolve_admin_url(),
            database=args.database or get_settings().db_name,
            root=args.root,
            seed=args.seed,
        )
    except (MigrationError, ServerError) as exc:
        print(f"migrate: {exc}", file=sys.stderr)
        return 1
    print(report.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
