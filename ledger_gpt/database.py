"""LedgerGPT's two logins: bank_readonly runs the checked SELECT, bank_gpt_audit logs it.

A statement runs in a read-only transaction with a statement time limit
(`max_statement_time` on MariaDB, the `MAX_EXECUTION_TIME` hint on MySQL) and is rolled
back afterwards; the connection allows one statement per call. The question log is
written through sp_record_gpt_question only, by a login that can execute nothing else.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import Any

import pymysql
from pymysql.constants import FIELD_TYPE

from api.config import DatabaseAddress, Settings
from scripts.db_connection import connect

READONLY_USER = "bank_readonly"
AUDIT_USER = "bank_gpt_audit"
# Server errors that mean the time limit cut the statement off.
TIMEOUT_ERRORS = frozenset({1969, 3024, 1317})
_TYPE_NAMES = {code: name.lower() for name, code in vars(FIELD_TYPE).items() if name.isupper()}


class QueryFailed(Exception):
    """The database refused or failed the statement; the message is safe to show."""


class QuestionLogUnavailable(Exception):
    """The question could not be logged; the answer is withheld (every answer is logged)."""


class QueryTimedOut(QueryFailed):
    """The statement ran past the time limit and was stopped by the server."""


@dataclass(frozen=True)
class Result:
    """What a statement returned, and how long the database took."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    seconds: float


def readonly_address(server: DatabaseAddress, settings: Settings) -> DatabaseAddress:
    """The server's bank database as bank_readonly."""
    return server.as_role(READONLY_USER, settings.readonly_db_password)


def audit_address(server: DatabaseAddress, settings: Settings) -> DatabaseAddress:
    """The server's bank database as bank_gpt_audit (the question log's only writer)."""
    return server.as_role(AUDIT_USER, settings.gpt_audit_db_password)


class Reader:
    """One bank_readonly connection that runs checked statements under a time limit."""

    def __init__(self, address: DatabaseAddress, *, statement_seconds: float) -> None:
        self._conn = connect(address)
        self._seconds = statement_seconds
        self.statements_run = 0  # checked statements sent to the server (tests count them)
        self._mariadb = "mariadb" in str(self._scalar("SELECT VERSION()")).lower()

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _scalar(self, sql: str) -> Any:
        with self._conn.cursor() as cur:
            cur.execute(sql)
            row = cur.fetchone()
        return None if row is None else row[0]

    def limited(self, sql: str) -> str:
        """`sql` with the server's statement time limit attached."""
        if self._mariadb:
            return f"SET STATEMENT max_statement_time={self._seconds:g} FOR {sql}"
        head, rest = sql.split(None, 1)  # a checked statement starts with SELECT or WITH
        return f"{head} /*+ MAX_EXECUTION_TIME({int(self._seconds * 1000)}) */ {rest}"

    def run(self, sql: str) -> Result:
        """Run one checked SELECT in a read-only transaction, then roll it back."""
        started = time.perf_counter()
        try:
            with self._conn.cursor() as cur:
                cur.execute("START TRANSACTION READ ONLY")
                try:
                    self.statements_run += 1
                    cur.execute(self.limited(sql))
                    columns = [d[0] for d in cur.description or ()]
                    rows = [tuple(row) for row in cur.fetchall()]
                finally:
                    self._conn.rollback()
        except pymysql.err.MySQLError as exc:
            code = exc.args[0] if exc.args else 0
            if code in TIMEOUT_ERRORS:
                raise QueryTimedOut(
                    f"the query ran longer than the {self._seconds:g} s limit and was stopped;"
                    " narrow it (a date range, an account, a LIMIT)") from None
            message = str(exc.args[1]) if len(exc.args) > 1 else str(exc)
            raise QueryFailed(f"the database refused the query ({code}): {message}") from None
        return Result(columns=columns, rows=rows, seconds=time.perf_counter() - started)

    def view_columns(self, views: tuple[str, ...]) -> dict[str, list[tuple[str, str]]]:
        """The live columns (name, type) of each view that bank_readonly can see."""
        found: dict[str, list[tuple[str, str]]] = {name: [] for name in views}
        with self._conn.cursor() as cur:
            cur.execute(
                "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS"
                " WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION")
            for table, name, kind in cur.fetchall():
                if table in found:
                    found[table].append((str(name), str(kind)))
            # information_schema leaves out the columns of a view it cannot open for this
            # login (vw_ledger_integrity_check calls a function): ask the view itself.
            for name in [n for n, columns in found.items() if not columns]:
                try:
                    cur.execute(f"SELECT * FROM `{name}` LIMIT 0")
                except pymysql.err.MySQLError:
                    continue
                found[name] = [(str(d[0]), _TYPE_NAMES.get(d[1], "value"))
                               for d in cur.description or ()]
        return {name: columns for name, columns in found.items() if columns}


@dataclass(frozen=True)
class QuestionRecord:
    """One line of the question log."""

    asked_by: str
    question: str
    engine: str
    outcome: str
    sql: str | None = None
    row_count: int | None = None
    detail: str | None = None


# sp_record_gpt_question's parameters, in CREATE order (a test compares them with the server).
RECORD_PARAMETERS = ("p_asked_by", "p_question", "p_engine", "p_outcome", "p_sql",
                     "p_row_count", "p_detail")


class QuestionLog:
    """Writes each question to ledger_gpt_questions and the audit log, as bank_gpt_audit."""

    def __init__(self, address: DatabaseAddress) -> None:
        self._address = address
        self._conn: Any = None

    def record(self, entry: QuestionRecord) -> int:
        try:
            if self._conn is None:
                self._conn = connect(self._address)
            with self._conn.cursor() as cur:
                cur.execute(
                    "CALL sp_record_gpt_question(%s, %s, %s, %s, %s, %s, %s)",
                    (entry.asked_by, entry.question, entry.engine, entry.outcome, entry.sql,
                     entry.row_count, entry.detail))
                row = cur.fetchone()
                while cur.nextset():
                    pass
        except pymysql.err.MySQLError as exc:
            self.close()
            detail = exc.args[1] if len(exc.args) > 1 else exc
            raise QuestionLogUnavailable(
                f"the question log could not be written ({detail}); is the database migrated"
                f" (make migrate) and does {self._address.user} exist?") from None
        return int(row[0])

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(pymysql.err.Error):
                self._conn.close()
            self._conn = None
