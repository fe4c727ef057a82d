"""The database as the API sees it: a pool that may not exist yet, deadlines, and up/down state.

The API starts whether or not the database answers: `start()` tries once, then keeps
connecting in the background with backoff. Every way in has a deadline: a pooled
connection is waited for `db_pool_wait_seconds`, a probe (readiness, recovery) runs on
its own dedicated connection within `db_probe_timeout_seconds`, so neither a hot row
that holds the pool nor a stalled server can make `/ready` hang.

State is `connecting` (no pool yet), `up` or `down`. A failed call only *suspects* the
database; the monitor probes, and only a failed probe marks it down. While down, calls
answer 503 at once instead of each waiting out its deadline. Each change of state is
logged once and counted (`bank_db_state_changes_total`), never once per request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from enum import StrEnum
from typing import Any

import aiomysql
import pymysql

from api.config import Settings
from api.db import connection_kwargs, open_pool
from api.errors import DatabaseBusy, ServiceUnavailable
from api.observability import Metrics
from api.signatures import SIGNATURES_SQL, Signature, signatures

log = logging.getLogger("api.database")

# Seconds a client should wait before retrying while the database is down or connecting.
RETRY_AFTER_DOWN = 2
_FIRST_BACKOFF = 0.25


class DatabaseState(StrEnum):
    CONNECTING = "connecting"
    UP = "up"
    DOWN = "down"


class Database:
    """Owns the pool, the probe connection and the up/down state of one API process."""

    def __init__(self, settings: Settings, metrics: Metrics) -> None:
        self.settings = settings
        self.metrics = metrics
        self.pool: aiomysql.Pool | None = None
        self.state = DatabaseState.CONNECTING
        self.since = time.time()
        self.is_mariadb = False
        # What each procedure takes and whether it only reads, learnt when the pool opens.
        self.procedures: dict[str, Signature] = {}
        self._reason = "not connected yet"
        self._probe_conn: aiomysql.Connection | None = None
        self._probe_lock = asyncio.Lock()
        self._suspect = asyncio.Event()
        self._monitor: asyncio.Task[None] | None = None
        metrics.db_up.set(0)

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Try to connect once (bounded); on failure keep trying in the background."""
        with contextlib.suppress(Exception):
            await self._open()
        if self.pool is None:
            self._mark(DatabaseState.DOWN, self._reason)
        self._monitor = asyncio.create_task(self._watch(), name="database-monitor")

    async def close(self) -> None:
        if self._monitor is not None:
            self._monitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._monitor
        if self._probe_conn is not None:
            self._probe_conn.close()
            self._probe_conn = None
        if self.pool is not None:
            self.pool.close()
            await self.pool.wait_closed()
            self.pool = None

    # -- the way in for calls -----------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[aiomysql.Connection]:
        """A pooled connection within `db_pool_wait_seconds`, or a 503 with Retry-After."""
        pool = self.pool
        if pool is None or not self.is_up:
            self.metrics.db_unavailable.labels("down").inc()
            raise self.unavailable()
        try:
            async with asyncio.timeout(self.settings.db_pool_wait_seconds):
                conn = await pool.acquire()
        except TimeoutError as exc:
            if pool.freesize == 0 and pool.size >= pool.maxsize:
                # Every connection is in use (one hot row, a burst): busy, not broken.
                self.metrics.db_unavailable.labels("pool_exhausted").inc()
                raise DatabaseBusy("Every database connection is in use; retry shortly.",
                                   headers={"Retry-After": "1"}) from exc
            self.report_failure("opening a connection timed out")
            self.metrics.db_unavailable.labels("connect_timeout").inc()
            raise self.unavailable() from exc
        except (OSError, pymysql.err.MySQLError) as exc:
            self.report_failure(f"cannot connect: {_describe(exc)}")
            self.metrics.db_unavailable.labels("connect_failed").inc()
            raise self.unavailable() from exc
        try:
            yield conn
        finally:
            pool.release(conn)

    @property
    def is_up(self) -> bool:
        return self.pool is not None and self.state is DatabaseState.UP

    def unavailable(self) -> ServiceUnavailable:
        return ServiceUnavailable("The database is unreachable; retry shortly.",
                                  headers={"Retry-After": str(RETRY_AFTER_DOWN)})

    def report_failure(self, reason: str) -> None:
        """A call timed out or lost its connection: have the monitor probe the database."""
        self._reason = reason
        self._suspect.set()

    # -- probes ---------------------------------------------------------------------------

    async def probe(self) -> list[dict[str, Any]]:
        """`sp_schema_status` on the dedicated probe connection, within the probe deadline.

        Raises ServiceUnavailable when the database does not answer in time.
        """
        try:
            async with asyncio.timeout(self.settings.db_probe_timeout_seconds):
                async with self._probe_lock:
                    return await self._probe_query()
        except TimeoutError as exc:
            self._drop_probe_conn()
            self.report_failure("a probe timed out")
            raise self.unavailable() from exc
        except (OSError, pymysql.err.MySQLError) as exc:
            self._drop_probe_conn()
            self.report_failure(f"a probe failed: {_describe(exc)}")
            raise self.unavailable() from exc

    async def _probe_query(self) -> list[dict[str, Any]]:
        if self._probe_conn is None or self._probe_conn.closed:
            self._probe_conn = await aiomysql.connect(**connection_kwargs(self.settings))
        try:
            async with self._probe_conn.cursor(aiomysql.DictCursor) as cur:
                await cur.execute("CALL sp_schema_status()")
                rows: list[dict[str, Any]] = list(await cur.fetchall())
                while await cur.nextset():
                    pass
            return rows
        except BaseException:
            self._drop_probe_conn()
            raise

    def _drop_probe_conn(self) -> None:
        if self._probe_conn is not None:
            self._probe_conn.close()
            self._probe_conn = None

    # -- the monitor --------------------------------------------------------------------------

    async def _watch(self) -> None:
        backoff = _FIRST_BACKOFF
        while True:
            if self.pool is None:
                try:
                    await self._open()
                except Exception:  # any failure means "try again later"
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, self.settings.db_reconnect_max_seconds)
                continue
            if self.state is DatabaseState.UP:
                await self._suspect.wait()
            self._suspect.clear()
            try:
                await self.probe()
            except ServiceUnavailable:
                self._mark(DatabaseState.DOWN, self._reason)
                self._suspect.clear()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.settings.db_reconnect_max_seconds)
                continue
            if self.state is not DatabaseState.UP:
                # Idle connections opened before the outage are dead; do not hand them out.
                await self.pool.clear()
                self._mark(DatabaseState.UP, "probe answered")
            backoff = _FIRST_BACKOFF

    async def _open(self) -> None:
        """Open the pool and learn the server: bounded by the connect deadline."""
        try:
            async with asyncio.timeout(self.settings.db_connect_timeout_seconds * 2):
                pool = await open_pool(self.settings)
                try:
                    await self._learn_server(pool)
                except BaseException:
                    pool.close()
                    raise
        except (TimeoutError, OSError, pymysql.err.MySQLError) as exc:
            self._reason = f"cannot connect: {_describe(exc)}"
            raise
        self.pool = pool
        self._mark(DatabaseState.UP, "connected")

    async def _learn_server(self, pool: aiomysql.Pool) -> None:
        async with pool.acquire() as conn, conn.cursor() as cur:
            await cur.execute("SELECT VERSION()")
            (version,) = await cur.fetchone()
            await cur.execute(SIGNATURES_SQL)
            rows = await cur.fetchall()
        self.is_mariadb = "mariadb" in str(version).lower()
        self.procedures = signatures(rows)

    def _mark(self, state: DatabaseState, reason: str) -> None:
        """Record a change of state: one log line and one count, only when it changes."""
        if state is self.state:
            return
        previous, self.state, self.since = self.state, state, time.time()
        self.metrics.db_up.set(1 if state is DatabaseState.UP else 0)
        self.metrics.db_state_changes.labels(state.value).inc()
        fields = {"state": state.value, "previous": previous.value, "reason": reason}
        if state is DatabaseState.UP:
            level = logging.INFO if previous is DatabaseState.CONNECTING else logging.WARNING
            log.log(level, "database is up", extra={"fields": fields})
        else:
            log.error("database is down", extra={"fields": fields})


def _describe(exc: BaseException) -> str:
    """A short, client-free description of a driver error (error number and class)."""
    number = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
    return f"{type(exc).__name__} {number}" if number else type(exc).__name__
