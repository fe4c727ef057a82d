"""The migrator: versioned schema files once, repeatable objects every run, then grants.

The model is Flyway's: versioned files are applied once, in order, and recorded with a
checksum; repeatable objects are re-created from their files on every run.

1. `schema/NN_*.sql` (`SCHEMA_FILE_PATTERN` in api/config.py) in numeric order, each applied
   once and recorded with its SHA-256 in `schema_migrations`; an applied file that has
   since changed, or has gone, is an error.
2. `procedures/`, `triggers/`, `views/` (`*.sql`, name order; not `TEMPLATE.sql`, the
   skeleton new routines are copied from) re-created on every run; each file drops its own
   object first. Views that need a view not yet created are retried until no more progress
   is made. Objects whose file was removed are dropped.
3. The database users and exactly the privileges declared in `scripts/db_roles.py`.
4. With `seed=True`, `data/*.sql` in name order, each once per database (again if changed).

Least privilege: the admin login named by the URL only creates the database, the users and
the grants. Steps 1, 2 and 4 run as the schema owner `bank_owner`, which may build and
change the schema but holds no DROP (so no DROP TABLE, no TRUNCATE) except on the view
names of `views/`, which `DROP VIEW` and `CREATE OR REPLACE VIEW` need. Every routine,
trigger and view is defined by `bank_owner`. Only the server admin holds DROP on tables.

Files are split into statements by `scripts/sql_splitter.py`, the way the `mysql`/`mariadb`
client does, so every file also loads with `mariadb bank < file.sql`.

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

import pymysql

from api.config import REPO_ROOT, SCHEMA_FILE_PATTERN, DatabaseAddress, Settings, get_settings
from scripts.db_connection import column, connect, quote_identifier, tuple_cursor
from scripts.db_roles import (
    OWNER,
    RoleGrants,
    UnknownRoutineError,
    owner_address,
    revoke_all,
    sync_owner,
    sync_roles,
)
from scripts.sql_splitter import split_sql

# Session SQL mode for everything the migrator creates: routines keep the mode they were
# created with, so a lax server default must not make procedures truncate money silently.
SQL_MODE = "STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"
REPEATABLE_DIRS = ("procedures", "triggers", "views")
# procedures/TEMPLATE.sql is the skeleton a new routine is copied from, not a routine.
TEMPLATE_FILE = "TEMPLATE.sql"
# ER_NO_SUCH_TABLE, ER_VIEW_INVALID: a view names a view that is not there (yet).
MISSING_OBJECT_ERRORS = frozenset({1146, 1356})
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


# -- connections and small queries -------------------------------------------------------


def _checked_name(name: str) -> str:
    if not IDENTIFIER.match(name):
        raise MigrationError(f"refusing database name {name!r}: use letters, digits and _ only")
    return name


def execute(cur: Any, statement: str) -> None:
    """Run one statement and drain every result set (a CALL leaves an extra one)."""
    cur.execute(statement)
    while cur.nextset():
        pass


def run_script(conn: Any, path: Path, *, root: Path | None = None) -> int:
    """Run every statement of one file; returns how many ran."""
    label = path.relative_to(root) if root and path.is_relative_to(root) else path
    statements = split_sql(path.read_text(encoding="utf-8-sig"))
    with tuple_cursor(conn) as cur:
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
        match = SCHEMA_FILE_PATTERN.match(path.name)
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
    with tuple_cursor(conn) as cur:
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
        with tuple_cursor(conn) as cur:
            cur.execute(
                "INSERT INTO schema_migrations (version, checksum, applied_at)"
                " VALUES (%s, %s, NOW(6))",
                (item.version, item.checksum),
            )
        report.applied.append(item.version)


# -- repeatable objects ------------------------------------------------------------------


def repeatable_files(root: Path, directory: str) -> list[Path]:
    """The object files of one repeatable folder, in name order, without the template."""
    return sorted(path for path in (root / directory).glob("*.sql") if path.name != TEMPLATE_FILE)


def _load_repeatable(conn: Any, root: Path) -> None:
    for directory in REPEATABLE_DIRS:
        paths = repeatable_files(root, directory)
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
    with tuple_cursor(conn) as cur:
        for directory, query in _STALE_OBJECTS.items():
            wanted = {path.stem for path in repeatable_files(root, directory)}
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
    with tuple_cursor(conn) as cur:
        for attribute, query in _OBJECT_COUNTS.items():
            setattr(report, attribute, int(column(cur, query, (database,))[0]))


# -- entry points ------------------------------------------------------------------------


@contextlib.contextmanager
def _migration_lock(conn: Any, database: str) -> Iterator[None]:
    """One migrator per database at a time (a server-side named lock)."""
    name = "bank_migrate:" + hashlib.sha256(database.encode()).hexdigest()[:32]
    with tuple_cursor(conn) as cur:
        cur.execute("SELECT GET_LOCK(%s, %s)", (name, LOCK_TIMEOUT_SECONDS))
        if cur.fetchone()[0] != 1:
            raise MigrationError(f"another migrator has held the lock on {database} too long")
    try:
        yield
    finally:
        with tuple_cursor(conn) as cur:
            cur.execute("SELECT RELEASE_LOCK(%s)", (name,))


def _create_database(admin: Any, database: str) -> None:
    with tuple_cursor(admin) as cur:
        cur.execute(
            f"CREATE DATABASE IF NOT EXISTS {quote_identifier(database)}"
            " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        )


def _prepare(conn: Any, database: str) -> None:
    with tuple_cursor(conn) as cur:
        cur.execute("SET SESSION sql_mode = %s", (SQL_MODE,))
        cur.execute(f"USE {quote_identifier(database)}")
        cur.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version VARCHAR(255) NOT NULL PRIMARY KEY,"
            " checksum CHAR(64) NOT NULL,"
            " applied_at DATETIME(6) NOT NULL"
            ") ENGINE=InnoDB"
        )


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
    settings: Settings | None = None,
) -> MigrationReport:
    """Bring `database` (default: the URL's) up to date with the SQL files under `root`.

    The admin login creates the database and the users and grants; the schema itself is
    built by the schema owner. `roles` replaces ROLES (tests of the migrator use it);
    `settings` (default: the environment's) gives the passwords and the users' hosts.
    """
    settings = settings or get_settings()
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
                try:
                    sync_roles(admin, name, settings, roles=roles, root=root)
                except UnknownRoutineError as exc:
                    raise MigrationError(str(exc)) from exc
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
    with tuple_cursor(conn) as cur:
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
        with tuple_cursor(conn) as cur:
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
        with tuple_cursor(conn) as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {quote_identifier(name)}")
        revoke_all(conn, name)
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
    settings = get_settings()
    try:
        report = migrate(
            resolve_admin_url(),
            database=args.database or settings.db_name,
            root=args.root,
            seed=args.seed,
            settings=settings,
        )
    except (MigrationError, ServerError) as exc:
        print(f"migrate: {exc}", file=sys.stderr)
        return 1
    print(report.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
