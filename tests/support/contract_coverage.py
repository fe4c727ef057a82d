"""The whole suite calls every public procedure and provokes every code the SQL can SIGNAL.

A pass-through wrapper on the PyMySQL and aiomysql cursors notes each `CALL name(...)` and
the code of each signalled error (MySQL error 1644) seen in the test process: calls through
tests/support/ledger.py, inline SQL in tests and the API's own pool alike (a live uvicorn in
a subprocess is not seen). After a whole run (no -k, -m, narrower paths or deselection, and
every test passed) the run fails with what was never called or provoked, and with any
exemption that no longer excuses anything. Registered by tests/conftest.py.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiomysql
import pymysql
import pytest

from api.config import REPO_ROOT
from scripts.db_roles import API_PROCEDURES, ROLES
from scripts.migrate import repeatable_files

# Codes no procedure call can provoke on a sound database, each with the reason.
EXEMPT_CODES: dict[str, str] = {
    "INTERNAL": "sp_create_account gives up after twenty random account numbers in a row are"
                " already taken; the number space cannot be filled from a test",
}
# Public procedures the suite need not call (none today), each with the reason.
EXEMPT_PROCEDURES: dict[str, str] = {}

_SIGNAL_ERRNO = 1644  # ER_SIGNAL_EXCEPTION: SIGNAL SQLSTATE '45000'
# The API runs a read as `SET STATEMENT max_statement_time=N FOR CALL ...` on MariaDB.
_CALL = re.compile(r"\s*(?:SET\s+STATEMENT\s+.+?\s+FOR\s+)?CALL\s+`?(\w+)`?",
                   re.IGNORECASE | re.DOTALL)
_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
# 'CODE: text' in a SIGNAL or in a message built for one (fn_amount_error returns them),
# and the codes a CASE turns into a message (the batch's per-item errors).
_MESSAGE_CODE = re.compile(r"'([A-Z][A-Z0-9_]{2,}): ")
_CASE_CODE = re.compile(r"WHEN '([A-Z][A-Z0-9_]{2,})' THEN")


@dataclass
class Seen:
    """What the run's own process saw go to the server and come back from it."""

    procedures: set[str] = field(default_factory=set)
    codes: set[str] = field(default_factory=set)

    def statement(self, query: object) -> None:
        if isinstance(query, str) and (match := _CALL.match(query)):
            self.procedures.add(match.group(1).lower())

    def error(self, exc: BaseException) -> None:
        if exc.args and exc.args[0] == _SIGNAL_ERRNO and len(exc.args) > 1:
            self.codes.add(str(exc.args[1]).split(":", 1)[0].strip())


def signalled_codes(sql: str) -> set[str]:
    """The codes one SQL source can SIGNAL (comments, such as header examples, do not count)."""
    code = _COMMENT.sub("", sql)
    return set(_MESSAGE_CODE.findall(code)) | set(_CASE_CODE.findall(code))


def expected_codes(root: Path = REPO_ROOT) -> set[str]:
    """Every code a procedure, function or trigger of the repository can SIGNAL."""
    files = [*repeatable_files(root, "procedures"), *repeatable_files(root, "triggers")]
    return set().union(*(signalled_codes(path.read_text()) for path in files))


def public_procedures(root: Path = REPO_ROOT) -> set[str]:
    """The API's allow-list and whatever else a service user may EXECUTE, once it exists.

    A grant on a procedure not yet written is skipped by the migrator; so it is here.
    """
    granted = set(API_PROCEDURES).union(*(grants.procedures for grants in ROLES.values()))
    return granted & {path.stem for path in repeatable_files(root, "procedures")}


def shortfall(kind: str, expected: Iterable[str], seen: Iterable[str],
              exempt: Mapping[str, str]) -> list[str]:
    """One line per expected name never seen and per exemption that excuses nothing."""
    missing = set(expected) - set(seen)
    lines = [f"{kind} never exercised: {name}" for name in sorted(missing - exempt.keys())]
    lines += [f"{kind} exemption no longer needed: {name} ({exempt[name]})"
              for name in sorted(exempt.keys() - missing)]
    return lines


def whole_run(*, args: Iterable[str], invocation_dir: Path, tests_dir: Path, keyword: str,
              markexpr: str, deselected: int, collect_only: bool) -> bool:
    """Whether this run is the whole suite (`make test`), the only run the check applies to."""
    if keyword or markexpr or deselected or collect_only:
        return False
    paths = list(args)
    return bool(paths) and all(
        "::" not in arg and (invocation_dir / arg).resolve() == tests_dir.resolve()
        for arg in paths)


def _wrap_sync(original: Callable[..., Any], seen: Seen) -> Callable[..., Any]:
    @functools.wraps(original)
    def execute(self: Any, query: Any, args: Any = None) -> Any:
        seen.statement(query)
        try:
            return original(self, query, args)
        except pymysql.err.MySQLError as exc:
            seen.error(exc)
            raise
    return execute


def _wrap_async(original: Callable[..., Any], seen: Seen) -> Callable[..., Any]:
    @functools.wraps(original)
    async def execute(self: Any, query: Any, args: Any = None) -> Any:
        seen.statement(query)
        try:
            return await original(self, query, args)
        except pymysql.err.MySQLError as exc:
            seen.error(exc)
            raise
    return execute


class ContractCoverage:
    """The pytest plugin: records during the session, judges at its end."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.seen = Seen()
        self.deselected = 0
        self.problems: list[str] = []
        self._originals: list[tuple[Any, Callable[..., Any]]] = []

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        for cls, wrap in ((pymysql.cursors.Cursor, _wrap_sync),
                          (aiomysql.cursors.Cursor, _wrap_async)):
            original = cls.execute
            self._originals.append((cls, original))
            cls.execute = wrap(original, self.seen)  # type: ignore[method-assign, unused-ignore]

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self.deselected += len(items)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        for cls, original in self._originals:
            cls.execute = original
        self._originals.clear()
        option = self.config.option
        whole = whole_run(args=self.config.args, invocation_dir=self.config.invocation_params.dir,
                          tests_dir=REPO_ROOT / "tests",
                          keyword=option.keyword, markexpr=option.markexpr,
                          deselected=self.deselected, collect_only=option.collectonly)
        if exitstatus != pytest.ExitCode.OK or not whole:
            return
        self.problems = [
            *shortfall("procedure", public_procedures(), self.seen.procedures, EXEMPT_PROCEDURES),
            *shortfall("error code", expected_codes(), self.seen.codes, EXEMPT_CODES),
        ]
        if self.problems:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.problems:
            terminalreporter.section("contract coverage: FAILED", red=True)
            for line in self.problems:
                terminalreporter.line(line)
            terminalreporter.line("Write the test that calls or provokes it (tests/ledger/, "
                                  "tests/api/), or exempt it with a reason in "
                                  "tests/support/contract_coverage.py.")
