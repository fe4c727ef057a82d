"""Fault injection against a live instance: does any acknowledged transfer get lost or doubled?

Starts its own throwaway MariaDB (scripts.dbserver.PrivateServer in a temp dir) and the
API under scripts/supervise.py on loopback, then runs N clients that post keyed
transfers and retry every ambiguous answer (timeout, connection error, 5xx) with the
same Idempotency-Key until it is definite. Meanwhile it injects, one after another:

  db-kill      kill -9 of the database, restarted at once (crash recovery)
  db-flap      kill -9 and restart four times in 30 s
  api-kill     kill -9 of uvicorn (the supervisor restarts it)
  db-stall     SIGSTOP of the database for 15 s, then SIGCONT

and prints, per scenario: operations started, acknowledged, ambiguous answers retried,
lost (acknowledged but not in the ledger), duplicated (one key posted twice, or money
moved that no client asked for), the longest time in the scenario with no transfer
acknowledged (no_ack_s), and seconds from the fault's end to the first acknowledged
transfer begun after it (recovery_s). At the end: rows in vw_ledger_integrity_check.

    python -m bench.chaos [--clients 16] [--stall 15]        (or: make chaos)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx

from api.config import REPO_ROOT, DatabaseAddress
from scripts.db_connection import connect
from scripts.dbserver import PrivateServer
from scripts.migrate import migrate

DATABASE = "bank_chaos"
PASSWORD = "Chaos-Harbour-Lantern-7"
AMOUNT = Decimal("0.010")
FUNDING = "400.000"
SMALL_SERVER = {"innodb-buffer-pool-size": "128M", "innodb-log-file-size": "48M",
                "max-connections": "200"}
CLIENT_TIMEOUT = 10.0
SETTLE_TIMEOUT = 60.0  # after the last fault, how long ambiguous operations may keep retrying


@dataclass
class Operation:
    key: str
    sender: int
    started: float
    phase: str
    acknowledged_at: float | None = None
    txn_id: int | None = None
    rejected: str | None = None
    ambiguous: int = 0
    causes: list[str] = field(default_factory=list)


@dataclass
class Run:
    ops: list[Operation] = field(default_factory=list)
    phase: str = "warm-up"
    # (name, started, fault cleared) per scenario
    phases: list[tuple[str, float, float]] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Client:
    user_id: int
    token: str
    account_id: int


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Instance:
    """The database server and the supervised API that the run attacks."""

    def __init__(self, base: Path) -> None:
        self.server = PrivateServer(base / "db", options=SMALL_SERVER)
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.supervisor: subprocess.Popen[bytes] | None = None
        self.log_path = base / "api.log"
        self.log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.admin_url = ""

    def start(self) -> None:
        info = self.server.start()
        self.admin_url = info.admin_url(DATABASE)
        migrate(self.admin_url, database=DATABASE)
        env = {**os.environ, "BANK_DATABASE_URL": self.admin_url, "BANK_DB_NAME": DATABASE,
               "BANK_RATE_LIMITS_ENABLED": "false", "BANK_ACCESS_LOG": "false",
               "BANK_BCRYPT_ROUNDS": "4", "BANK_DB_POOL_MAX": "20"}
        self.supervisor = subprocess.Popen(
            [sys.executable, "-m", "scripts.supervise", "--name", "api", "--",
             sys.executable, "-m", "uvicorn", "--factory", "api.main:app_factory",
             "--host", "127.0.0.1", "--port", str(self.port), "--no-proxy-headers"],
            cwd=REPO_ROOT, env=env, stdout=self.log, stderr=self.log)

    def api_pid(self) -> int | None:
        if self.supervisor is None:
            return None
        path = Path(f"/proc/{self.supervisor.pid}/task/{self.supervisor.pid}/children")
        with contextlib.suppress(FileNotFoundError, ValueError):
            children = path.read_text().split()
            return int(children[0]) if children else None
        return None

    def admin(self) -> Any:
        return connect(DatabaseAddress.from_url(self.admin_url), dict_rows=True)

    def stop(self) -> None:
        if self.supervisor is not None and self.supervisor.poll() is None:
            self.supervisor.send_signal(signal.SIGTERM)
            try:
                self.supervisor.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.supervisor.kill()
        pid = self.server.pid
        if pid is not None and self.server.is_running():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
            self.server.kill()
        self.log.close()


async def wait_ready(http: httpx.AsyncClient, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        with contextlib.suppress(httpx.HTTPError):
            if (await http.get("/ready", timeout=2)).status_code == 200:
                return time.monotonic() - started
        await asyncio.sleep(0.1)
    raise RuntimeError(f"the API was not ready within {timeout:.0f}s")


async def make_clients(instance: Instance, http: httpx.AsyncClient, count: int) -> list[Client]:
    """Customers with funded JOD accounts (funded by a teller, as a bank would)."""
    names = [f"chaos{secrets.token_hex(4)}" for _ in range(count + 1)]
    for name in names:
        response = await http.post("/auth/register", json={
            "username": name, "password": PASSWORD, "email": f"{name}@example.com",
            "full_name": f"Chaos {name}", "date_of_birth": "1990-01-01"})
        response.raise_for_status()
    conn = instance.admin()
    try:
        with conn.cursor() as cur:
            cur.execute("UPDATE users SET kyc_status = 'verified' WHERE username LIKE 'chaos%'")
            cur.execute("UPDATE users SET role = 'teller' WHERE username = %s", (names[0],))
    finally:
        conn.close()
    conn = instance.admin()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT id, username FROM users WHERE username LIKE 'chaos%'")
            user_ids = {row["username"]: int(row["id"]) for row in cur.fetchall()}
    finally:
        conn.close()
    tokens = {}
    for name in names:
        response = await http.post("/auth/login", json={"username": name, "password": PASSWORD})
        response.raise_for_status()
        tokens[name] = response.json()["access_token"]
    teller = {"Authorization": f"Bearer {tokens[names[0]]}"}
    clients = []
    for name in names[1:]:
        auth = {"Authorization": f"Bearer {tokens[name]}"}
        account = await http.post("/accounts/", headers=auth,
                                  json={"account_type": "savings", "currency": "JOD"})
        account.raise_for_status()
        body = account.json()
        deposit = await http.post("/transactions/deposit",
                                  headers={**teller, "Idempotency-Key": secrets.token_hex(12)},
                                  json={"account_id": body["id"], "amount": FUNDING})
        deposit.raise_for_status()
        clients.append(Client(user_id=user_ids[name], token=tokens[name],
                              account_id=body["id"]))
    return clients


async def client_loop(run: Run, http: httpx.AsyncClient, me: Client, payees: list[str],
                      rng: Any) -> None:
    auth = {"Authorization": f"Bearer {me.token}"}
    while not run.stop.is_set():
        op = Operation(key=secrets.token_hex(12), sender=me.user_id, started=time.monotonic(),
                       phase=run.phase)
        run.ops.append(op)
        body = {"from_account_id": me.account_id, "amount": str(AMOUNT),
                "to_account_number": rng.choice(payees)}
        settle_by = None
        while True:
            try:
                response = await http.post("/transactions/transfer", json=body,
                                           headers={**auth, "Idempotency-Key": op.key},
                                           timeout=CLIENT_TIMEOUT)
            except httpx.HTTPError as exc:
                response = None
                op.causes.append(type(exc).__name__)
            if response is not None and response.status_code in (200, 201):
                op.acknowledged_at = time.monotonic()
                op.txn_id = int(response.json()["id"])
                break
            if response is not None and 400 <= response.status_code < 500:
                op.rejected = f"{response.status_code} {response.json().get('code')}"
                break
            op.ambiguous += 1  # no answer, or a 5xx: it may or may not have happened
            if response is not None:
                op.causes.append(f"{response.status_code} "
                                 f"{response.json().get('code', '') if response.content else ''}")
            if run.stop.is_set():
                settle_by = settle_by or time.monotonic() + SETTLE_TIMEOUT
                if time.monotonic() > settle_by:
                    return
            retry_after = 0.5
            if response is not None:
                with contextlib.suppress(ValueError):
                    retry_after = min(float(response.headers.get("Retry-After", 0.5)), 2.0)
            await asyncio.sleep(retry_after)


async def phase(run: Run, name: str, fault: Callable[[], Awaitable[None]]) -> None:
    run.phase = name
    started = time.monotonic()
    await fault()
    run.phases.append((name, started, time.monotonic()))
    print(f"chaos: {name} injected and cleared", file=sys.stderr, flush=True)


async def main_async(args: argparse.Namespace) -> int:
    base = Path(tempfile.mkdtemp(prefix="bank-chaos-", dir="/tmp"))
    instance = Instance(base)
    rng = random.Random(7)
    try:
        print(f"chaos: starting a database and the API in {base}", file=sys.stderr, flush=True)
        instance.start()
        async with httpx.AsyncClient(base_url=instance.base_url, timeout=CLIENT_TIMEOUT,
                                     limits=httpx.Limits(max_connections=200)) as http:
            await wait_ready(http, 60)
            clients = await make_clients(instance, http, args.clients)
            numbers = []
            for c in clients:
                account = (await http.get(f"/accounts/{c.account_id}",
                                          headers={"Authorization": f"Bearer {c.token}"})).json()
                numbers.append(account["account_number"])
            run = Run()
            tasks = [asyncio.create_task(client_loop(
                         run, http, c, [n for n in numbers if n != own], rng))
                     for c, own in zip(clients, numbers, strict=True)]
            await asyncio.sleep(3)

            async def db_kill() -> None:
                instance.server.kill()
                await asyncio.to_thread(instance.server.start)

            async def db_flap() -> None:
                started = time.monotonic()
                for _ in range(4):
                    instance.server.kill()
                    await asyncio.sleep(1)
                    await asyncio.to_thread(instance.server.start)
                    await asyncio.sleep(max(0.0, (started + 30 - time.monotonic()) / 8))
                await asyncio.sleep(max(0.0, started + 30 - time.monotonic()))

            async def api_kill() -> None:
                pid = instance.api_pid()
                if pid is not None:
                    os.kill(pid, signal.SIGKILL)

            async def db_stall() -> None:
                pid = instance.server.pid
                assert pid is not None
                os.kill(pid, signal.SIGSTOP)
                try:
                    await asyncio.sleep(args.stall)
                finally:
                    os.kill(pid, signal.SIGCONT)

            for name, fault in (("db-kill", db_kill), ("db-flap", db_flap),
                                ("api-kill", api_kill), ("db-stall", db_stall)):
                await phase(run, name, fault)
                await asyncio.sleep(args.between)
            run.phase = "cool-down"
            run.stop.set()
            await asyncio.gather(*tasks)
        report(run, instance, clients)
    finally:
        instance.stop()
        shutil.rmtree(base, ignore_errors=True)
    return 0


def report(run: Run, instance: Instance, clients: list[Client]) -> None:
    conn = instance.admin()
    try:
        with conn.cursor() as cur:
            ids = [c.user_id for c in clients]
            marks = ", ".join(["%s"] * len(ids))
            cur.execute("SELECT idempotency_key AS k, COUNT(*) AS n, MIN(id) AS id"
                        f" FROM transactions WHERE type = 'transfer' AND initiator_id IN ({marks})"
                        " GROUP BY idempotency_key", ids)
            posted = {row["k"]: (int(row["n"]), int(row["id"])) for row in cur.fetchall()}
            cur.execute("SELECT COUNT(*) AS n FROM vw_ledger_integrity_check")
            integrity = int(cur.fetchone()["n"])
    finally:
        conn.close()
    issued = {op.key for op in run.ops}
    strangers = len(set(posted) - issued)  # money moved under a key no client used
    log = (instance.log_path.read_text(errors="replace")
           if instance.log_path.exists() else "")
    api_restarts = log.count("supervise[api]: exited with")
    db_down_lines = log.count('"msg": "database is down"')
    header = (f"{'scenario':<10} {'ops':>6} {'acked':>6} {'ambiguous':>9} {'lost':>5} "
              f"{'duplicated':>10} {'no_ack_s':>8} {'recovery_s':>10}")
    print(header)
    print("-" * len(header))
    fault_ends = {name: end for name, _, end in run.phases}
    starts = {name: start for name, start, _ in run.phases}
    names = ["warm-up", *fault_ends, "cool-down"]
    totals = [0, 0, 0, 0, 0]
    for name in names:
        ops = [op for op in run.ops if op.phase == name]
        acked = [op for op in ops if op.acknowledged_at is not None]
        lost = sum(1 for op in acked if op.key not in posted or posted[op.key][1] != op.txn_id)
        duplicated = sum(1 for op in ops if posted.get(op.key, (0, 0))[0] > 1)
        ambiguous = sum(1 for op in ops if op.ambiguous)
        recovery = gap = "-"
        end = fault_ends.get(name)
        if end is not None:
            # from the fault's end to the first acknowledgement of a transfer begun after it
            after = [op.acknowledged_at for op in run.ops
                     if op.acknowledged_at is not None and op.started >= end]
            recovery = f"{min(after) - end:.1f}" if after else "never"
            start = starts[name]
            times = sorted(op.acknowledged_at for op in run.ops if op.acknowledged_at
                           is not None and start <= op.acknowledged_at <= end + 5)
            edges = [start, *times]
            # the longest time in the scenario with no transfer acknowledged at all
            gap = f"{max(b - a for a, b in pairwise(edges)):.1f}" \
                if times else "all"
        print(f"{name:<10} {len(ops):>6} {len(acked):>6} {ambiguous:>9} {lost:>5} "
              f"{duplicated:>10} {gap:>8} {recovery:>10}")
        for i, value in enumerate((len(ops), len(acked), ambiguous, lost, duplicated)):
            totals[i] += value
    print("-" * len(header))
    print(f"{'total':<10} {totals[0]:>6} {totals[1]:>6} {totals[2]:>9} {totals[3]:>5} "
          f"{totals[4] + strangers:>10}")
    unsettled = sum(1 for op in run.ops if op.acknowledged_at is None and op.rejected is None)
    rejected = sum(1 for op in run.ops if op.rejected is not None)
    print(f"integrity rows: {integrity}   rejected (4xx): {rejected}   "
          f"unsettled when the run ended: {unsettled}")
    causes: dict[str, int] = {}
    for op in run.ops:
        for cause in op.causes:
            causes[cause] = causes.get(cause, 0) + 1
    print("ambiguous answers: " + ", ".join(f"{k} x{v}" for k, v in sorted(causes.items())))
    print(f"API restarts by the supervisor: {api_restarts}   "
          f"'database is down' log lines: {db_down_lines}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.chaos", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--stall", type=float, default=15.0, help="seconds of SIGSTOP")
    parser.add_argument("--between", type=float, default=8.0,
                        help="seconds of normal traffic after each fault")
    return asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
