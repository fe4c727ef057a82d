"""Races through the real procedures: many connections at once against the same accounts."""

from __future__ import annotations

import asyncio
import secrets
from decimal import Decimal

import pymysql

from tests.support.ledger import (
    aconnect,
    aproc,
    balance,
    deposit,
    error_code,
    integrity_problems,
    new_user,
    open_account,
    query,
)


async def _connections(address, n):
    return await asyncio.gather(*(aconnect(address) for _ in range(n)))


async def _close(conns):
    for conn in conns:
        conn.close()


class TestRaces:
    async def test_fifty_withdrawals_of_which_only_k_fit(self, addresses, admin_conn, app_conn):
        account = open_account(app_conn, new_user(admin_conn), "JOD")
        k = 17
        deposit(app_conn, account["id"], str(Decimal("10.000") * k))
        conns = await _connections(addresses.admin, 50)
        try:
            results = await asyncio.gather(
                *(
                    aproc(c, "sp_withdraw_cash", account_id=account["id"], amount="10.000",
                          description=None, idempotency_key=secrets.token_hex(8), actor_id=1,
                          session_id=None, owner_id=None, client_ip=None, country=None)
                    for c in conns
                ),
                return_exceptions=True,
            )
        finally:
            await _close(conns)
        succeeded = [r for r in results if not isinstance(r, BaseException)]
        failed = [r for r in results if isinstance(r, BaseException)]
        assert len(succeeded) == k
        assert {error_code(e) for e in failed} == {"INSUFFICIENT_FUNDS"}
        assert balance(admin_conn, account["id"]) == 0
        low = query(
            admin_conn,
            "SELECT MIN(balance_after) AS m FROM ledger_entries WHERE account_id=%s",
            account["id"],
        )
        assert low[0]["m"] == 0
        assert integrity_problems(admin_conn) == []

    async def test_opposite_transfers_between_the_same_accounts_never_deadlock(
        self, addresses, admin_conn, app_conn
    ):
        a = open_account(app_conn, new_user(admin_conn), "JOD")
        b = open_account(app_conn, new_user(admin_conn), "JOD")
        deposit(app_conn, a["id"], "1000")
        deposit(app_conn, b["id"], "1000")
        conns = await _connections(addresses.admin, 40)
        rounds = 5

        async def worker(i, conn):
            for _ in range(rounds):
                src, dst = (a, b) if i % 2 == 0 else (b, a)
                await aproc(conn, "sp_perform_transfer", from_account_id=src["id"],
                            to_account_number=dst["account_number"], amount="1.000", fee="0",
                            description=None, idempotency_key=secrets.token_hex(8), actor_id=1,
                            session_id=None, owner_id=None, otp_hash=None,
                            client_ip=None, country=None)

        try:
            results = await asyncio.gather(
                *(worker(i, c) for i, c in enumerate(conns)), return_exceptions=True
            )
        finally:
            await _close(conns)
        assert [r for r in results if isinstance(r, BaseException)] == []
        assert balance(admin_conn, a["id"]) == Decimal("1000")
        assert balance(admin_conn, b["id"]) == Decimal("1000")
        assert (
            query(
                admin_conn, "SELECT COUNT(*) AS n FROM ledger_entries WHERE account_id=%s", a["id"]
            )[0]["n"]
            == 201
        )

    async def test_same_key_twenty_times_at_once_posts_once(self, addresses, admin_conn, app_conn):
        user = new_user(admin_conn)
        src = open_account(app_conn, user, "JOD")
        dst = open_account(app_conn, new_user(admin_conn), "USD")
        deposit(app_conn, src["id"], "500")
        key = secrets.token_hex(8)
        conns = await _connections(addresses.admin, 20)
        try:
            results = await asyncio.gather(
                *(
                    aproc(c, "sp_perform_transfer", from_account_id=src["id"],
                          to_account_number=dst["account_number"], amount="100", fee="0",
                          description="rent", idempotency_key=key, actor_id=user, session_id=None,
                          owner_id=user, otp_hash=None, client_ip=None, country=None)
                    for c in conns
                ),
                return_exceptions=True,
            )
        finally:
            await _close(conns)
        assert [r for r in results if isinstance(r, BaseException)] == []
        posted = [r for r in results if not isinstance(r, BaseException)]
        ids = {rows[0]["id"] for rows in posted}
        assert len(ids) == 1
        assert sum(rows[0]["replayed"] for rows in posted) == 19
        # A customer's call: the schedule's fee (1 %), not the fee="0" it passed, once.
        assert balance(admin_conn, src["id"]) == Decimal("399")
        assert balance(admin_conn, dst["id"]) == Decimal("141")

    async def test_same_key_with_different_accounts_at_once_posts_once(
        self, addresses, admin_conn, app_conn
    ):
        user = new_user(admin_conn)
        sources = [open_account(app_conn, user, "JOD") for _ in range(6)]
        dst = open_account(app_conn, new_user(admin_conn), "JOD")
        for s in sources:
            deposit(app_conn, s["id"], "50")
        key = secrets.token_hex(8)
        conns = await _connections(addresses.admin, len(sources))
        try:
            results = await asyncio.gather(
                *(
                    aproc(c, "sp_perform_transfer", from_account_id=s["id"],
                          to_account_number=dst["account_number"], amount="10", fee="0",
                          description=None, idempotency_key=key, actor_id=user, session_id=None,
                          owner_id=user, otp_hash=None, client_ip=None, country=None)
                    for c, s in zip(conns, sources, strict=True)
                ),
                return_exceptions=True,
            )
        finally:
            await _close(conns)
        ok = [r for r in results if not isinstance(r, BaseException)]
        errors = [r for r in results if isinstance(r, BaseException)]
        assert all(isinstance(e, pymysql.err.MySQLError) for e in errors)
        assert {error_code(e) for e in errors} <= {"IDEMPOTENCY_CONFLICT"}
        assert len({rows[0]["id"] for rows in ok if rows[0]["replayed"] == 0}) == 1
        assert balance(admin_conn, dst["id"]) == Decimal("10")
        assert integrity_problems(admin_conn) == []
