"""The ledger's integrity checked while the bank runs, not only by tests.

A background task in each API process calls `sp_check_integrity` every
`integrity_check_seconds`: incremental (the transactions and audit rows since the last
run's watermark), and the whole `vw_ledger_integrity_check` once every
`integrity_full_check_hours`. The procedure takes a named database lock, so with several
API processes one runs a check and the others are told 'skipped'; it records each run
and writes the staff notification (an 'integrity.violation' outbox event) itself, so the
event is in the same transaction as the finding. This process exposes the result as
metrics and in `/ready`, and logs one line per check that finds rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio

from api.config import Settings
from api.errors import BankError, ServiceUnavailable
from api.ledger import Ledger
from api.observability import Metrics

log = logging.getLogger("api.integrity")

# A check may take longer than a money call is allowed to: a full scan of a large ledger,
# or an incremental one after a long pause. Past these it is abandoned (and rolled back).
FULL_CHECK_TIMEOUT_SECONDS = 600.0
INCREMENTAL_CHECK_TIMEOUT_SECONDS = 120.0


@dataclass(frozen=True, slots=True)
class AuditAnchor:
    """The audit chain's head as `scripts/audit_anchor.py save` wrote it, outside the database."""

    last_id: int
    last_hash: str
    row_count: int
    taken_at: str


async def read_audit_anchor(path: Path | None) -> AuditAnchor | None:
    """The configured anchor file, or None when none is configured.

    A configured file that cannot be read or parsed raises AnchorUnreadable: the proof is
    missing, which the caller reports as a failed comparison, not as "no anchor".
    """
    if path is None:
        return None
    try:
        raw: dict[str, Any] = json.loads(await anyio.Path(path).read_text())
        return AuditAnchor(last_id=int(raw["last_id"]), last_hash=str(raw["last_hash"]),
                           row_count=int(raw["row_count"]), taken_at=str(raw["taken_at"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.error("the audit anchor %s cannot be read: %s", path, exc)
        raise AnchorUnreadable(f"the configured anchor file cannot be read ({path.name})") from exc


class AnchorUnreadable(Exception):
    """The configured audit anchor file is missing or malformed."""


@dataclass(frozen=True, slots=True)
class IntegrityCheck:
    """What one run of sp_check_integrity found."""

    outcome: str  # 'checked', or 'skipped' when another process holds the check's lock
    kind: str
    check_id: int | None
    violations: int | None
    from_txn_id: int | None
    to_txn_id: int | None
    last_full_at: datetime | None
    checked_at: datetime
    rows: tuple[dict[str, Any], ...] = ()


class IntegrityMonitor:
    """Runs the check on a schedule and remembers the last result."""

    def __init__(self, ledger: Ledger, settings: Settings, metrics: Metrics) -> None:
        self.ledger = ledger
        self.settings = settings
        self.metrics = metrics
        self.last: IntegrityCheck | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.settings.integrity_check_seconds > 0:
            self._task = asyncio.create_task(self._loop(), name="integrity-check")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def check(self, *, full: bool = False, since_txn_id: int | None = None
                    ) -> IntegrityCheck:
        """Run one check now (on demand, or from the schedule)."""
        timeout = FULL_CHECK_TIMEOUT_SECONDS if full else INCREMENTAL_CHECK_TIMEOUT_SECONDS
        summary, rows = await self.ledger.check_integrity(full=full, since_txn_id=since_txn_id,
                                                          timeout=timeout)
        result = IntegrityCheck(
            outcome=str(summary["outcome"]), kind=str(summary["kind"]),
            check_id=_int(summary["check_id"]), violations=_int(summary["violations"]),
            from_txn_id=_int(summary["from_txn_id"]), to_txn_id=_int(summary["to_txn_id"]),
            last_full_at=summary["last_full_at"], checked_at=datetime.now(UTC),
            rows=tuple(rows))
        if result.outcome == "checked":
            self._record(result)
        return result

    def summary(self) -> dict[str, Any] | None:
        """The last check this process ran, for /ready's detail."""
        if self.last is None:
            return None
        found = asdict(self.last)
        found.pop("rows")
        return found

    def _record(self, result: IntegrityCheck) -> None:
        self.last = result
        violations = result.violations or 0
        self.metrics.integrity_violations.set(violations)
        self.metrics.integrity_last_check.labels(result.kind).set(time.time())
        if violations:
            self.metrics.integrity_violations_found.inc(violations)
            log.error("integrity check found violations", extra={"fields": {
                "kind": result.kind, "check_id": result.check_id, "violations": violations,
                "rows": [dict(row) for row in result.rows[:5]]}})

    def _full_due(self) -> bool:
        if self.last is None:
            return False  # the first run learns when the last full check was
        last_full = self.last.last_full_at
        if last_full is None:
            return True
        if last_full.tzinfo is None:
            last_full = last_full.replace(tzinfo=UTC)
        period = timedelta(hours=self.settings.integrity_full_check_hours)
        return datetime.now(UTC) - last_full >= period

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.integrity_check_seconds)
            try:
                await self.check(full=self._full_due())
            except ServiceUnavailable:
                continue  # the database's state is logged by api.database
            except BankError:
                log.exception("integrity check failed")


def _int(value: Any) -> int | None:
    return None if value is None else int(value)
