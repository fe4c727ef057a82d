"""Faults the API must survive quickly: lock waits, a starved pool, a stalled or absent database.

Each test runs its own app with short deadlines against the real test database; the
stall test stops the private server itself (SIGSTOP) for a few seconds and always
resumes it. The API-before-database test runs a live uvicorn, since start-up is
uvicorn's business.
"""

from __future__ import annotations

import asyncio
import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.config import REPO_ROOT, DatabaseAddress
from api.errors import DatabaseBusy, ServiceUnavailable
from api.main import create_app
from scripts.db_connection import connect
from scripts.dbserver import default_server
from tests.support.app import Bank, Person, client_for, make_settings, running

FAST = {"db_lock_wait_seconds": 2, "db_pool_wait_seconds": 1.0, "db_read_timeout_seconds": 1.5,
        "db_write_timeout_seconds": 2.5, "db_probe_timeout_seconds": 0.8,
        "db_reconnect_max_seconds": 0.5, "db_connect_timeout_seconds": 1.0,
        "db_slow_call_seconds": 1.0,
        "integrity_check_seconds": 0}


@asynccontextmanager
async def fast_app(admin_url: str, database: str, **overrides: Any) -> AsyncIterator[FastAPI]:
    app = create_app(make_settings(admin_url, database, **{**FAST, **overrides}))
    async with running(app):
        yield app


@contextmanager
def row_locked(addresses: Any, account_id: int) -> Iterator[None]:
    """Another session holds the account's row lock (SELECT ... FOR UPDATE) until the end."""
    conn = connect(addresses.admin)
    try:
        with conn.cursor() as cur:
            cur.execute("START TRANSACTION")
            cur.execute("SELECT id FROM accounts WHERE id = %s FOR UPDATE", (account_id,))
        yield
    finally:
        with suppress(Exception):
            conn.rollback()
        conn.close()


async def timed(request: Any) -> tuple[Any, float]:
    started = time.monotonic()
    response = await request
    return response, time.monotonic() - started


async def eventually(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        await asyncio.sleep(0.05)


def metric(app: FastAPI, name: str, **labels: str) -> float:
    value = app.state.metrics.registry.get_sample_value(name, labels)
    return float(value or 0)


async def pair(bank: Bank) -> tuple[Person, dict[str, Any], dict[str, Any]]:
    payer = await bank.person()
    src = await bank.account(payer, "JOD", deposit="50.000")
    dst = await bank.account(await bank.person(), "JOD")
    return payer, src, dst


def transfer(client: httpx.AsyncClient, payer: Person, src: dict[str, Any],
             dst: dict[str, Any], key: str | None = None) -> Any:
    return client.post("/transactions/transfer", headers=payer.money_headers(key),
                       json={"from_account_id": src["id"], "amount": "1.000",
                             "to_account_number": dst["account_number"]})


class TestServiceUnavailable:
    def test_every_503_carries_retry_after(self):
        assert ServiceUnavailable().headers["Retry-After"] == "2"
        assert DatabaseBusy().headers["Retry-After"] == "1"
        assert ServiceUnavailable(headers={"Retry-After": "7"}).headers["Retry-After"] == "7"


class TestLockWait:
    async def test_a_held_payee_row_answers_503_within_seconds(self, bank, admin_url, database,
                                                               addresses):
        payer, src, dst = await pair(bank)
        async with fast_app(admin_url, database) as app, client_for(app) as client:
            with row_locked(addresses, dst["id"]):
                response, elapsed = await timed(transfer(client, payer, src, dst, key="held-1"))
            assert response.status_code == 503, response.text
            assert response.json()["code"] == "DATABASE_BUSY"
            assert 0 < int(response.headers["Retry-After"]) <= 5
            # one lock wait of 2 s, retried once: not InnoDB's 50 s, not four times
            assert 3.5 < elapsed < 5.5, elapsed
            assert metric(app, "bank_db_unavailable_total", reason="lock_wait") == 1
            again = await transfer(client, payer, src, dst, key="held-1")
            assert again.status_code == 201, again.text
        assert await bank.balance(payer, src["id"]) == "48.750"  # 1.000 and its 0.250 fee


class TestPoolStarvation:
    async def test_one_hot_row_does_not_take_the_api_down(self, bank, admin_url, database,
                                                          addresses):
        payer, src, dst = await pair(bank)
        other, other_src, _ = await pair(bank)
        async with fast_app(admin_url, database, db_pool_max=3, db_lock_wait_seconds=4,
                            db_write_timeout_seconds=6) as app, client_for(app) as client:
            with row_locked(addresses, dst["id"]):
                waiting = [asyncio.create_task(transfer(client, payer, src, dst))
                           for _ in range(3)]
                pool = app.state.ledger.pool

                async def starved() -> bool:
                    return bool(pool.size == pool.maxsize and pool.freesize == 0)

                await eventually(starved, 5, "three transfers hold the whole pool")
                read, read_s = await timed(
                    client.get(f"/accounts/{other_src['id']}/balance", headers=other.auth))
                ready, ready_s = await timed(client.get("/ready"))
                for task in waiting:
                    task.cancel()
                await asyncio.gather(*waiting, return_exceptions=True)
        assert read.status_code == 503, (read.status_code, read_s)
        assert read_s < 2.0, (read.status_code, read_s)
        assert read.json()["code"] == "DATABASE_BUSY"
        assert "Retry-After" in read.headers
        assert ready.status_code == 200, (ready.text, ready_s)
        assert ready_s < 1.0, (ready.text, ready_s)


def _private_server_pid(admin_url: str) -> int | None:
    """The private server's pid, when the suite runs against it (else the stall is skipped)."""
    server = default_server()
    info = server.info
    if info is None or DatabaseAddress.from_url(admin_url).port != info.port:
        return None
    return server.pid if server.is_running() else None


class TestStalledDatabase:
    async def test_requests_answer_503_in_time_and_recover(self, bank, admin_url, database):
        pid = _private_server_pid(admin_url)
        if pid is None:
            pytest.skip("needs the private server of scripts/dbserver.py to stop it")
        payer, src, dst = await pair(bank)
        async with fast_app(admin_url, database) as app, client_for(app) as client:
            assert (await client.get(f"/accounts/{src['id']}", headers=payer.auth)).is_success
            os.kill(pid, signal.SIGSTOP)
            try:
                in_flight = asyncio.create_task(
                    timed(transfer(client, payer, src, dst, key="stall-1")))

                async def down() -> bool:
                    return metric(app, "bank_db_state_changes_total", state="down") == 1

                # The slow call has the database probed: known down before its own deadline.
                await eventually(down, 2.3, "the stall detected")
                assert not in_flight.done()
                more, more_s = await timed(asyncio.gather(*(
                    client.get(f"/accounts/{src['id']}", headers=payer.auth)
                    for _ in range(10))))
                read, read_s = await timed(
                    client.get(f"/accounts/{src['id']}/balance", headers=payer.auth))
                ready, ready_s = await timed(client.get("/ready"))
                money, money_s = await in_flight
            finally:
                os.kill(pid, signal.SIGCONT)
            assert money.status_code == 503, (money.text, money_s)
            assert money_s < 4.0, (money.text, money_s)
            assert more_s < 1.0, more_s  # while down, 503 at once: no request waits
            assert read.status_code == 503, (read.text, read_s)
            assert read_s < 1.0, (read.text, read_s)
            assert ready.status_code == 503, (ready.text, ready_s)
            assert ready_s < 1.2, (ready.text, ready_s)
            assert {r.status_code for r in more} == {503}
            assert all("Retry-After" in r.headers for r in [money, read, ready, *more])
            # logged and counted once per change of state, not once per request
            assert metric(app, "bank_db_state_changes_total", state="down") == 1

            async def ready_again() -> bool:
                return (await client.get("/ready")).status_code == 200

            await eventually(ready_again, 15, "/ready after SIGCONT")
            retried = await transfer(client, payer, src, dst, key="stall-1")
            assert retried.status_code in (200, 201), retried.text
            # up at start, down once, up once again
            assert metric(app, "bank_db_state_changes_total", state="up") == 2
            assert metric(app, "bank_db_state_changes_total", state="down") == 1
        # the ambiguous transfer and its retry moved the money exactly once
        assert Decimal(await bank.balance(payer, src["id"])) == Decimal("48.750")  # with the fee


class _Forwarder:
    """A TCP port that refuses connections until `open()`, then forwards to the database."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._server: socket.socket | None = None
        self._stop = threading.Event()

    def open(self) -> None:
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(64)
        server.settimeout(0.2)
        self._server = server
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.close()

    def _accept(self) -> None:
        assert self._server is not None
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except (TimeoutError, OSError):
                continue
            upstream = socket.create_connection(self.target)
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()

    def _pipe(self, a: socket.socket, b: socket.socket) -> None:
        with a, b:
            while not self._stop.is_set():
                readable, _, _ = select.select([a, b], [], [], 0.2)
                for source in readable:
                    data = source.recv(65536)
                    if not data:
                        return
                    (b if source is a else a).sendall(data)


class TestApiBeforeDatabase:
    def test_starts_serves_503_then_connects_in_the_background(self, admin_url, database):
        address = DatabaseAddress.from_url(admin_url)
        forwarder = _Forwarder((address.host, address.port))
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            api_port = probe.getsockname()[1]
        url = (f"mysql://{address.user}:{address.password}@127.0.0.1:{forwarder.port}/"
               f"{database}")
        env = {**os.environ, "BANK_DATABASE_URL": url, "BANK_DB_NAME": database,
               "BANK_ACCESS_LOG": "false", "BANK_DB_RECONNECT_MAX_SECONDS": "0.5",
               "BANK_INTEGRITY_CHECK_SECONDS": "0"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "api.main:app_factory",
             "--host", "127.0.0.1", "--port", str(api_port), "--no-proxy-headers"],
            cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        base = f"http://127.0.0.1:{api_port}"
        try:
            health = _poll(base + "/health", lambda r: r.status_code == 200, proc, 30)
            assert health.json() == {"status": "ok"}
            ready = httpx.get(base + "/ready", timeout=5)
            assert ready.status_code == 503
            assert "Retry-After" in ready.headers
            login = httpx.post(base + "/auth/login",
                               json={"username": "nobody.here", "password": "y"}, timeout=5)
            assert login.status_code == 503
            assert "Retry-After" in login.headers
            for _ in range(20):
                assert httpx.get(base + "/ready", timeout=5).status_code == 503
            forwarder.open()
            _poll(base + "/ready", lambda r: r.status_code == 200, proc, 15)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                _, stderr = proc.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, stderr = proc.communicate()
            forwarder.close()
        log = stderr.decode(errors="replace")
        # one line when it found the database down, one when it came up; none per request
        assert len(re.findall(r'"msg": "database is down"', log)) == 1, log
        assert len(re.findall(r'"msg": "database is up"', log)) == 1, log
        assert "request failed" not in log
        assert "Application startup failed" not in log


def _poll(url: str, done: Any, proc: subprocess.Popen[bytes], timeout: float) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        assert proc.poll() is None, "uvicorn exited"
        with suppress(httpx.TransportError):
            response = httpx.get(url, timeout=2)
            if done(response):
                return response
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} not as expected within {timeout}s")
        time.sleep(0.05)
