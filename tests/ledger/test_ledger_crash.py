"""Crash recovery: the database server is killed with SIGKILL while many connections post
transfers. Every transfer acknowledged before the kill must survive, none half-written."""

from __future__ import annotations

import asyncio
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pymysql
import pytest

from api.config import DatabaseAddress
from scripts.db_connection import connect
from scripts.dbserver import PrivateServer
from scripts.migrate import migrate
from tests.support.ledger import (
    aconnect,
    aproc,
    deposit,
    integrity_problems,
    new_user,
    open_account,
    query,
)

SMALL = {"innodb-buffer-pool-size": "128M", "innodb-log-file-size": "48M", "max-connections": "100"}


@pytest.fixture
def crash_server() -> Iterator[PrivateServer]:
    base = Path(tempfile.mkdtemp(prefix="bankcrash-", dir="/tmp"))
    server = PrivateServer(base, options=SMALL)
    try:
        yield server
    finally:
        if server.is_running():
            server.kill()
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.slow
async def test_acknowledged_transfers_survive_sigkill(crash_server: PrivateServer) -> None:
    info = crash_server.start()
    migrate(info.admin_url("bank"), database="bank")
    admin = DatabaseAddress.from_url(info.admin_url("bank"))
    conn = connect(admin, dict_rows=True)
    try:
        accounts = []
        for _ in range(8):
            account = open_account(conn, new_user(conn), "JOD")
            deposit(conn, account["id"], "100000")
            accounts.append(account)
    finally:
        conn.close()

    acknowledged: list[int] = []
    in_doubt = 0
    stop = asyncio.Event()

    async def poster(i: int) -> None:
        nonlocal in_doubt
        db = await aconnect(admin)  # a system actor: the transfers pass a NULL session
        try:
            n = 0
            while not stop.is_set():
                src, dst = accounts[(i + n) % 8], accounts[(i + n + 1 + i % 7) % 8]
                n += 1
                try:
                    rows = await aproc(db, "sp_perform_transfer", from_account_id=src["id"],
                                       to_account_number=dst["account_number"], amount="1.000",
                                       fee="0", description=None,
                                       idempotency_key=secrets.token_hex(8), actor_id=1,
                                       session_id=None, owner_id=None, otp_hash=None,
                                       client_ip=None, country=None)
                except (pymysql.err.MySQLError, ConnectionError, OSError, RuntimeError):
                    in_doubt += 1
                    return
                acknowledged.append(rows[0]["id"])
        finally:
            db.close()

    tasks = [asyncio.create_task(poster(i)) for i in range(24)]
    while len(acknowledged) < 600:
        await asyncio.sleep(0.01)
    crash_server.kill()
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert in_doubt > 0  # the kill really interrupted calls in flight

    crash_server.start()
    conn = connect(admin, dict_rows=True)
    try:
        present = {
            row["id"] for row in query(conn, "SELECT id FROM transactions WHERE type = 'transfer'")
        }
        assert set(acknowledged) <= present
        half_written = query(
            conn,
            "SELECT t.id FROM transactions t LEFT JOIN ledger_entries e "
            "ON e.transaction_id = t.id WHERE t.type = 'transfer' "
            "GROUP BY t.id HAVING COUNT(e.id) <> 2",
        )
        assert half_written == []
        assert integrity_problems(conn) == []
        total = query(conn, "SELECT SUM(balance) AS s FROM accounts WHERE kind = 'customer'")[0][
            "s"
        ]
        assert total == 800000
    finally:
        conn.close()
