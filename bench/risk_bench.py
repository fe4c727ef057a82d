"""Risk worker benchmark: backfill throughput (one worker, two) and commit-to-score lag.

Builds a fresh `bank_risk_bench` database on the configured server, posts ordinary traffic
(customers paying merchants) through the ledger's procedures as a trusted caller (batch
transfers for the backfill set, single sp_perform_transfer calls for the lag run), trains
the worker's forest once, then:

1. backfill: `python -m ai_worker --backfill` over every unscored transaction, with one
   process and then (scores cleared) two at once; the rate is counted from the first score
   to the last, so process start-up is not in it;
2. lag: one worker running (`python -m ai_worker`) while transfers arrive at --rate per
   second for --seconds; lag is scored_at - created_at of each of those (both from the
   database clock), p50 and p99.

    python -m bench.risk_bench [--payments 60000] [--per-customer 12] [--batch-size 5000]
                               [--rate 300] [--seconds 20]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import secrets
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from ai_worker.worker import RiskWorker
from api.config import REPO_ROOT, DatabaseAddress, get_settings
from scripts.db_connection import connect
from scripts.dbserver import resolve_admin_url
from scripts.migrate import drop_database, migrate
from tests.support.ledger import query, transfer
from tests.support.traffic import make_traffic, scorable_count

BENCH_DB = "bank_risk_bench"
TRAINING_ROWS = 20_000


def scored(conn: Any) -> int:
    return int(query(conn, "SELECT COUNT(*) AS n FROM transaction_risk_scores")[0]["n"])


def reset_scores(conn: Any) -> None:
    """Forget every score, alert and freeze (bench database only), to backfill again."""
    query(conn, "DELETE FROM notifications WHERE kind = 'fraud.critical'")
    query(conn, "DELETE FROM fraud_alerts")
    query(conn, "DELETE FROM transaction_risk_scores")
    query(conn, "UPDATE accounts SET status = 'active' WHERE status = 'frozen'")


def start_workers(count: int, url: str, env: dict[str, str], *extra: str
                  ) -> list[subprocess.Popen[bytes]]:
    return [subprocess.Popen([sys.executable, "-m", "ai_worker", "--database-url", url, *extra],
                             cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL) for _ in range(count)]


def backfill(conn: Any, workers: int, url: str, env: dict[str, str], batch: int) -> float:
    """Transactions per second of `workers` processes backfilling everything unscored."""
    reset_scores(conn)
    total = scorable_count(conn)
    procs = start_workers(workers, url, env, "--backfill", "--batch-size", str(batch))
    first_at = first_count = None
    try:
        while True:
            count = scored(conn)
            now = time.monotonic()
            if first_at is None and count > 0:
                first_at, first_count = now, count
            if count >= total:
                break
            if all(p.poll() is not None for p in procs):
                raise RuntimeError(f"workers exited with {count} of {total} scored")
            time.sleep(0.02)
    finally:
        for proc in procs:
            proc.wait(timeout=120)
    assert first_at is not None
    assert first_count is not None
    return (total - first_count) / max(now - first_at, 1e-9)


def lag_run(conn: Any, admin: DatabaseAddress, url: str, env: dict[str, str], *, rate: float,
            seconds: float, pairs: list[tuple[int, str]]) -> tuple[float, float, int, float]:
    """(p50 ms, p99 ms, transfers, achieved rate) of commit-to-score lag at `rate`/s."""
    procs = start_workers(1, url, env)
    try:
        time.sleep(4)  # the worker imports and loads its model
        first_id = int(query(conn, "SELECT IFNULL(MAX(id), 0) AS m FROM transactions")[0]["m"])
        posted = post_at_rate(admin, pairs, rate=rate, seconds=seconds)
        print(f"posted {posted} transfers in {seconds:.0f} s")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            left = query(conn, "SELECT COUNT(*) AS n FROM transactions t WHERE t.id > %s AND"
                         " t.type = 'transfer' AND NOT EXISTS (SELECT 1 FROM"
                         " transaction_risk_scores s WHERE s.transaction_id = t.id)", first_id)
            if left[0]["n"] == 0:
                break
            time.sleep(0.1)
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)
    lags = sorted(float(r["lag"]) for r in query(
        conn, "SELECT TIMESTAMPDIFF(MICROSECOND, t.created_at, s.scored_at) / 1000 AS lag"
        " FROM transactions t JOIN transaction_risk_scores s ON s.transaction_id = t.id"
        " WHERE t.id > %s AND t.type = 'transfer'", first_id))
    p50 = lags[len(lags) // 2]
    p99 = lags[min(len(lags) - 1, int(len(lags) * 0.99))]
    return p50, p99, len(lags), posted / seconds


def post_at_rate(admin: DatabaseAddress, pairs: list[tuple[int, str]], *, rate: float,
                 seconds: float, connections: int = 6) -> int:
    """Single transfers through sp_perform_transfer, paced to `rate` per second in total."""
    count = [0]
    lock = threading.Lock()
    start = time.monotonic()

    def run(worker: int) -> None:
        conn = connect(admin, dict_rows=True)
        rng = random.Random(worker)
        interval = connections / rate
        due = start + worker * interval / connections
        try:
            while due < start + seconds:
                pause = due - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                sender, receiver = rng.choice(pairs)
                transfer(conn, sender, receiver, f"{rng.lognormvariate(3.7, 0.6):.2f}")
                with lock:
                    count[0] += 1
                due += interval
        finally:
            conn.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return count[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.risk_bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--payments", type=int, default=60_000)
    parser.add_argument("--per-customer", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=300.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args(argv)
    admin_url = resolve_admin_url()
    settings = get_settings()
    model_dir = REPO_ROOT / ".run" / f"risk-bench-models-{secrets.token_hex(3)}"
    drop_database(admin_url, BENCH_DB)
    migrate(admin_url, database=BENCH_DB)
    admin = DatabaseAddress.from_url(admin_url).with_database(BENCH_DB)
    worker_address = admin.as_role("bank_worker", settings.worker_db_password)
    url = (f"mysql://bank_worker:{settings.worker_db_password}@{admin.host}:{admin.port}/"
           f"{BENCH_DB}" + (f"?unix_socket={admin.unix_socket}" if admin.unix_socket else ""))
    env = {**os.environ, "BANK_WORKER_MODEL_DIR": str(model_dir), "PYTHONPATH": str(REPO_ROOT),
           "BANK_LOG_LEVEL": "WARNING", "BANK_WORKER_TRAINING_ROWS": str(TRAINING_ROWS)}
    conn = connect(admin, dict_rows=True)
    try:
        # Alert only: a CRITICAL score must not freeze the senders the lag run pays from.
        query(conn, "UPDATE bank_settings SET fraud_critical_action = 'alert'")
        started = time.monotonic()
        # A retail bank's mix: many customers with a few payments each (a customer's 30-day
        # history is what each batch reads back).
        traffic = make_traffic(conn, customers=max(1, args.payments // args.per_customer),
                               merchants=500, payments=args.payments)
        print(f"posted {scorable_count(conn)} transactions in {time.monotonic() - started:.1f} s")
        # Train once up front (scoring the first batch on the way), so both runs use it.
        # A full window (BANK_WORKER_TRAINING_ROWS rows), so no worker retrains while timed.
        trainer = RiskWorker(settings.model_copy(update={"worker_model_dir": Path(model_dir),
                                                         "worker_training_rows": TRAINING_ROWS}),
                             worker_address, batch_size=args.batch_size)
        trainer.step()
        trainer.clock = datetime.now()  # train on everything posted, not the first batch only
        started = time.monotonic()
        trainer.maybe_train()
        print(f"trained {trainer.scorer.version} in {time.monotonic() - started:.1f} s")
        trainer.close()
        rates = {}
        for workers in (1, 2):
            rates[workers] = backfill(conn, workers, url, env, args.batch_size)
            print(f"backfill with {workers} worker(s): {rates[workers]:,.0f} transactions/s")
        pairs = [(c["id"], m["account_number"]) for c in traffic.customers[:1000]
                 for m in random.Random(1).sample(traffic.merchants, 5)]
        p50, p99, n, achieved = lag_run(conn, admin, url, env, rate=args.rate,
                                        seconds=args.seconds, pairs=pairs)
    finally:
        conn.close()
        drop_database(admin_url, BENCH_DB)
    cpu = platform.processor() or platform.machine()
    print(f"\nmachine: {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}")
    print("| measure | value |\n|---|---|")
    print(f"| backfill, 1 worker (batch {args.batch_size}) | {rates[1]:,.0f} transactions/s |")
    print(f"| backfill, 2 workers | {rates[2]:,.0f} transactions/s |")
    print(f"| lag at {achieved:.0f} transfers/s ({n} transfers), p50 | {p50:,.0f} ms |")
    print(f"| lag, p99 | {p99:,.0f} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
