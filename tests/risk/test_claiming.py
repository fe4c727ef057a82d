"""Claiming: concurrent workers score each transaction once; a killed one loses nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from typing import Any

from ai_worker.blend import RULES_UNKNOWN
from api.config import REPO_ROOT, get_settings
from tests.support.ledger import query
from tests.support.traffic import make_traffic, scorable_count


def scores(conn: Any) -> int:
    return int(query(conn, "SELECT COUNT(*) AS n FROM transaction_risk_scores")[0]["n"])


def unscored(conn: Any) -> int:
    return scorable_count(conn) - scores(conn)


def test_three_workers_at_once_score_every_transaction_exactly_once(risk_admin, make_worker):
    make_traffic(risk_admin, customers=12, merchants=30, payments=3600)
    total = scorable_count(risk_admin)
    workers = [make_worker(batch_size=150, worker_min_training_rows=300) for _ in range(3)]
    start = threading.Barrier(3)

    def run(worker: Any) -> None:
        start.wait()
        worker.run(backfill=True)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    counts = [w.scored_total for w in workers]
    assert sum(counts) == total == scores(risk_admin)  # none missed, none counted twice
    assert all(count > 0 for count in counts), counts  # they really shared the work
    assert query(risk_admin, "SELECT COUNT(*) AS n FROM transactions t WHERE type = 'batch'"
                 " AND EXISTS (SELECT 1 FROM transaction_risk_scores s"
                 " WHERE s.transaction_id = t.id)")[0]["n"] == 0
    # Before the first model: rules only, said so; one of them trained it meanwhile (under
    # the training lock). The rule score column is not there yet: the reasons say so.
    versions = {r["model_version"] for r in query(
        risk_admin, "SELECT DISTINCT model_version FROM transaction_risk_scores")}
    assert "rules-only" in versions
    assert query(risk_admin, "SELECT COUNT(*) AS n FROM risk_models WHERE kind = 'forest'"
                 )[0]["n"] >= 1
    reasons = json.loads(query(risk_admin, "SELECT reasons FROM transaction_risk_scores"
                               " ORDER BY score DESC LIMIT 1")[0]["reasons"])
    assert 2 <= len(reasons) <= 4
    assert reasons[-1] == RULES_UNKNOWN


KILLED_WORKER = textwrap.dedent("""
    import sys, time
    from ai_worker import features
    from ai_worker.worker import RiskWorker
    from api.config import DatabaseAddress, get_settings

    settings = get_settings()
    worker = RiskWorker(settings, DatabaseAddress.from_url(sys.argv[1]), batch_size=400)
    worker.connect()
    conn = worker.conn
    conn.begin()
    claimed = worker._claim(conn)
    batch = features.load_batch(conn, claimed, rule_points=False)
    worker._record(conn, worker.scorer.score(features.build(conn, batch)))
    print(len(claimed), flush=True)  # recorded, not committed: now kill me
    time.sleep(120)
""")


def test_a_worker_killed_mid_batch_leaves_nothing_and_the_next_picks_up(
        risk_admin, risk_db, make_worker):
    make_traffic(risk_admin, customers=4, merchants=10, payments=800)
    total = scorable_count(risk_admin)
    url = (f"mysql://bank_worker:{get_settings().worker_db_password}@{risk_db.host}:"
           f"{risk_db.port}/{risk_db.database}")
    child = subprocess.Popen([sys.executable, "-c", KILLED_WORKER, url], cwd=REPO_ROOT,
                             stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    try:
        assert child.stdout is not None
        claimed = int(child.stdout.readline())
        assert claimed == 400
        # Its scores and alerts are written but not committed: nobody sees them.
        assert scores(risk_admin) == 0
        # Another worker skips the locked rows and scores the rest meanwhile.
        other = make_worker(batch_size=1000)
        assert other.step().scored == total - claimed
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        if child.stdout is not None:
            child.stdout.close()
    # The server rolls the dead worker's transaction back; its rows are claimable again.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and unscored(risk_admin):
        other.run(backfill=True)
    assert scores(risk_admin) == total
    assert query(risk_admin, "SELECT COUNT(*) AS n FROM fraud_alerts a LEFT JOIN"
                 " transaction_risk_scores s ON s.transaction_id = a.transaction_id"
                 " WHERE s.transaction_id IS NULL")[0]["n"] == 0


def test_the_worker_reconnects_after_its_connection_is_killed(risk_admin, make_worker):
    traffic = make_traffic(risk_admin, customers=3, merchants=5, payments=300)
    worker = make_worker(batch_size=100, worker_poll_seconds=0.05,
                         worker_reconnect_max_seconds=0.5)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    try:
        wait_for(lambda: unscored(risk_admin) == 0)
        killed = worker.conn.thread_id()
        query(risk_admin, f"KILL CONNECTION {int(killed)}")
        # Money keeps moving while the worker is cut off; it comes back and scores it.
        import random

        from tests.support.traffic import pay
        pay(risk_admin, traffic.customers[0], traffic.merchants, [12.0] * 50, random.Random(1))
        wait_for(lambda: unscored(risk_admin) == 0)
        assert worker.conn is not None
        assert worker.conn.thread_id() != killed
    finally:
        stop.set()
        thread.join(timeout=30)
    assert scores(risk_admin) == scorable_count(risk_admin)


def wait_for(condition: Any, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
