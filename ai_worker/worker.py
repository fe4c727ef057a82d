"""The worker's loop: claim a batch, build its features, score it, record it, commit.

One database transaction per batch (READ COMMITTED): sp_claim_risk_batch locks the rows
(FOR UPDATE SKIP LOCKED), sp_record_risk_scores writes scores, alerts and actions, and
the commit releases the locks. A worker killed or cut off in between leaves nothing
written and its rows unlocked, for the next claim. The worker's id cursor starts each
claim a little behind its last batch (LOOKBACK_BATCHES, for rows that committed late),
and every sweep it goes back to the oldest unscored transaction (a held payment that
posted, rows a stopped worker had claimed).

A lost connection is reopened with backoff; a deadlock, lock wait or duplicate score
(another worker got there first) rolls the batch back and claims again.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pymysql

from ai_worker import features
from ai_worker.features import Array
from ai_worker.scoring import Scored, Scorer, Trainer
from ai_worker.store import ModelStore
from api.config import DatabaseAddress, Settings
from scripts.db_connection import connect, tuple_cursor

log = logging.getLogger("ai_worker")

LOOKBACK_BATCHES = 2
LOCK_WAIT_SECONDS = 5
# Errors after which the batch is rolled back and claimed again at once.
RETRY_ERRORS = frozenset({1213, 1205, 1062})  # deadlock, lock wait timeout, duplicate key
# A connection that is gone: reconnect with backoff.
CONNECTION_ERRORS = frozenset({2003, 2006, 2013, 2055, 1927, 4031, 1053})
MODEL_CHECK_SECONDS = 10.0


@dataclass
class BatchResult:
    """What one claimed batch did."""

    scored: int
    suspicious: int = 0
    critical: int = 0
    frozen: int = 0


class RiskWorker:
    """Scores committed transactions in batches until stopped."""

    def __init__(self, settings: Settings, address: DatabaseAddress, *,
                 batch_size: int | None = None) -> None:
        self.settings = settings
        self.address = address
        self.batch_size = batch_size or settings.worker_batch_size
        self.store = ModelStore(settings.worker_model_dir)
        self.trainer = Trainer(settings, self.store)
        self.scorer = Scorer()
        self.conn: Any = None
        self.after_id = 0
        self.sweep_floor = 0
        self.last_sweep = 0.0
        self.last_model_check = 0.0
        self.clock: datetime | None = None  # the latest transaction time scored so far
        self.supervised_checked: datetime | None = None
        self.scored_total = 0
        self.scored_since_forest = 0
        self.on_scored: Callable[[Scored], None] | None = None  # the evaluation listens

    # -- connection -------------------------------------------------------------------------

    def connect(self) -> None:
        self.close()
        conn = connect(self.address)
        with tuple_cursor(conn) as cur:
            cur.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
            cur.execute("SET SESSION innodb_lock_wait_timeout = %s", (LOCK_WAIT_SECONDS,))
            # Features read history as one GROUP_CONCAT string (features._columns).
            cur.execute("SET SESSION group_concat_max_len = 1073741824")
        self.conn = conn
        self.scorer.rule_points = features.has_rule_points(conn)
        self._load_models(force=True)

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):  # already gone
                self.conn.close()
            self.conn = None

    # -- one batch ----------------------------------------------------------------------------

    def step(self, *, sweep: bool = False) -> BatchResult:
        """Claim, score and record one batch (committed together); 0 scored: nothing to do.

        With `sweep`, first look back to the oldest unscored transaction."""
        if self.conn is None:
            self.connect()
        self._maybe_sweep(force=sweep)
        conn = self.conn
        conn.begin()
        try:
            claimed = self._claim(conn)
            if len(claimed) == 0:
                conn.rollback()
                return BatchResult(0)
            batch = features.load_batch(conn, claimed, rule_points=self.scorer.rule_points)
            scored = self.scorer.score(features.build(conn, batch))
            result = self._record(conn, scored)
            conn.commit()
        except BaseException:
            self._rollback_quietly()
            raise
        self.after_id = max(self.after_id, max(scored.ids) - LOOKBACK_BATCHES * self.batch_size)
        newest = batch.last()
        self.clock = newest if self.clock is None else max(self.clock, newest)
        self.scored_total += result.scored
        self.scored_since_forest += result.scored
        if self.on_scored is not None:
            self.on_scored(scored)
        return result

    def _claim(self, conn: Any) -> Array:
        with tuple_cursor(conn) as cur:
            cur.execute("CALL sp_claim_risk_batch(%s, %s)", (self.after_id, self.batch_size))
            count, text = cur.fetchone()
            while cur.nextset():
                pass
        return features.parse_rows(text, int(count))

    def _record(self, conn: Any, scored: Scored) -> BatchResult:
        with tuple_cursor(conn) as cur:
            cur.execute("CALL sp_record_risk_scores(%s, %s)", (scored.version, scored.payload()))
            row = cur.fetchone()
            while cur.nextset():
                pass
        return BatchResult(int(row[0]), int(row[1]), int(row[2]), int(row[3]))

    def _rollback_quietly(self) -> None:
        with contextlib.suppress(Exception):  # the connection is gone: the server rolled back
            self.conn.rollback()

    def _maybe_sweep(self, *, force: bool) -> None:
        now = time.monotonic()
        if not force and now - self.last_sweep < self.settings.worker_sweep_seconds:
            return
        self.last_sweep = now
        # The oldest transaction not scored that is, or may yet be, scorable (a held one).
        with tuple_cursor(self.conn) as cur:
            cur.execute(
                "SELECT MIN(t.id) FROM transactions t WHERE t.id > %s AND t.type IN %s"
                " AND t.status IN ('completed', 'reversed', 'pending_otp', 'pending_review')"
                " AND NOT EXISTS (SELECT 1 FROM transaction_risk_scores s"
                " WHERE s.transaction_id = t.id)",
                (max(0, self.sweep_floor), features.SCORED_TYPES))
            oldest = cur.fetchone()[0]
        if oldest is not None:
            self.sweep_floor = int(oldest) - 1
            self.after_id = min(self.after_id, self.sweep_floor)

    # -- models -------------------------------------------------------------------------------

    def _load_models(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last_model_check < MODEL_CHECK_SECONDS:
            return
        self.last_model_check = now
        forest = self.store.latest(self.conn, "forest")
        if forest is not None:
            self.scorer.forest = forest
        supervised = self.store.latest(self.conn, "supervised")
        if supervised is not None:
            self.scorer.supervised = supervised

    def maybe_train(self) -> None:
        """Train when no model exists (and enough traffic does), retrain on schedule."""
        if self.clock is None or self.conn is None:
            return
        self._load_models()
        due = timedelta(hours=self.settings.worker_retrain_hours)
        forest = self.scorer.forest
        # On schedule, and while the forest knows less than a full window, each time the
        # traffic scored since has doubled what it was trained on.
        stale = forest is not None and (
            forest.window_to is None or self.clock - forest.window_to >= due
            or (forest.rows < self.settings.worker_training_rows
                and self.scored_since_forest >= forest.rows))
        if forest is None or stale:
            if forest is None and not self.trainer.enough_for_forest(self.conn, self.clock):
                return
            with self._training_lock() as mine:
                if mine:
                    started = time.monotonic()
                    self.scorer.forest = self.trainer.train_forest(
                        self.conn, self.clock, rule_points=self.scorer.rule_points)
                    self.scored_since_forest = 0
                    log.info("trained %s in %.1f s", self.scorer.forest.version,
                             time.monotonic() - started)
                    self._maybe_train_supervised(force=True)
                    return
        self._maybe_train_supervised()

    def _maybe_train_supervised(self, *, force: bool = False) -> None:
        forest, clock = self.scorer.forest, self.clock
        if forest is None or clock is None:
            return
        supervised = self.scorer.supervised
        due = timedelta(hours=self.settings.worker_retrain_hours)
        if supervised is not None and not force and supervised.window_to is not None and (
                clock - supervised.window_to < due):
            return
        if supervised is None and not force and self.supervised_checked is not None and (
                clock - self.supervised_checked < timedelta(hours=1)):
            return
        self.supervised_checked = clock
        if not self.trainer.enough_for_supervised(self.conn, clock):
            return
        with self._training_lock() as mine:
            if mine:
                trained = self.trainer.train_supervised(self.conn, clock, forest,
                                                        rule_points=self.scorer.rule_points)
                if trained is not None:
                    self.scorer.supervised = trained
                    log.info("trained %s", trained.version)

    def _training_lock(self) -> _NamedLock:
        # Named locks are server-wide: the database's name keeps two banks on one server apart.
        return _NamedLock(self.conn, f"bank_risk_training:{self.address.database}")

    # -- the loop -----------------------------------------------------------------------------

    def run(self, stop: threading.Event | None = None, *, once: bool = False,
            backfill: bool = False, progress: Callable[[int], None] | None = None) -> int:
        """Score until `stop` is set (or, with once/backfill, until there is nothing left)."""
        stop = stop or threading.Event()
        backoff = 0.5
        idle_sweeps = 0
        while not stop.is_set():
            try:
                result = self.step(sweep=idle_sweeps == 1)
                backoff = 0.5
            except pymysql.err.MySQLError as exc:
                code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0
                if code in RETRY_ERRORS:
                    log.info("batch rolled back (error %s); claiming again", code)
                    continue
                if code in CONNECTION_ERRORS or isinstance(
                        exc, pymysql.err.InterfaceError | pymysql.err.OperationalError):
                    log.warning("database unavailable (%s); reconnecting in %.1f s", exc, backoff)
                    self.close()
                    stop.wait(backoff)
                    backoff = min(backoff * 2, self.settings.worker_reconnect_max_seconds)
                    continue
                raise
            except OSError as exc:
                log.warning("database unreachable (%s); reconnecting in %.1f s", exc, backoff)
                self.close()
                stop.wait(backoff)
                backoff = min(backoff * 2, self.settings.worker_reconnect_max_seconds)
                continue
            if result.scored:
                idle_sweeps = 0
                if progress is not None:
                    progress(result.scored)
                if once:
                    break
                self._train_safely()
                continue
            # Nothing claimed: after one look back from the oldest gap, idle or finish.
            idle_sweeps += 1
            if (once or backfill) and idle_sweeps >= 2:
                break
            if idle_sweeps >= 2:
                self._train_safely()
                stop.wait(self.settings.worker_poll_seconds)
        return self.scored_total

    def _train_safely(self) -> None:
        try:
            self.maybe_train()
        except pymysql.err.MySQLError as exc:
            log.warning("training skipped: %s", exc)


class _NamedLock:
    """GET_LOCK without waiting: one worker trains at a time; the others keep scoring."""

    def __init__(self, conn: Any, name: str) -> None:
        self.conn = conn
        self.name = name
        self.held = False

    def __enter__(self) -> bool:
        with tuple_cursor(self.conn) as cur:
            cur.execute("SELECT GET_LOCK(%s, 0)", (self.name,))
            self.held = cur.fetchone()[0] == 1
        return self.held

    def __exit__(self, *exc: object) -> None:
        if self.held:
            with tuple_cursor(self.conn) as cur:
                cur.execute("SELECT RELEASE_LOCK(%s)", (self.name,))
