"""Procedure-level benchmark: transfers per second and latency through sp_perform_transfer.

Every transfer goes to another customer, so it pays the scheduled fee (the fee income
account); the FX scenario also converts JOD into USD (both FX position accounts).

Runs against a fresh `bank_bench` database on the configured server (the private one under
.run/ by default), connected as bank_app exactly as the API is (each transfer names its
owner's live session, as the API's do). For an honest ceiling it also
measures, in the same run, the minimal two-row transfer procedure (two UPDATEs, no checks,
no journal: bench/sql/bench_minimal_transfer.sql) created only in the bench database.

    python -m bench.ledger_bench [--seconds 5] [--connections 1,16,64] [--gl-shards 8]

--gl-shards sets bank_settings.gl_shards in the bench database: 1 posts every fee and
conversion on the one fee income and FX position account per currency (no spreading).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiomysql

from api import signatures
from api.config import DatabaseAddress, get_settings
from api.signatures import Signature
from bench.minimal_transfer import install_minimal_transfer
from scripts.db_connection import connect
from scripts.dbserver import resolve_admin_url
from scripts.migrate import drop_database, migrate

BENCH_DB = "bank_bench"
ACCOUNTS = 2000
FX_ACCOUNTS = 200  # USD accounts of other customers, the payees of the FX scenario
BATCH_SIZE = 100

@dataclass
class Result:
    name: str
    connections: int
    calls: int
    transfers: int
    seconds: float
    latencies_ms: list[float]
    errors: int

    @property
    def rate(self) -> float:
        return self.transfers / self.seconds

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


# (account id, account number, owner's user id, owner's session id)
BenchAccount = tuple[int, str, int, str]


def prepare(
    admin_url: str,
) -> tuple[DatabaseAddress, list[BenchAccount], dict[str, Signature]]:
    """A fresh bench database with ACCOUNTS funded JOD accounts with high limits, then
    FX_ACCOUNTS USD accounts of other customers, and the procedures' signatures (calls name
    their arguments: api/signatures.py)."""
    drop_database(admin_url, BENCH_DB)
    migrate(admin_url, database=BENCH_DB)
    admin = DatabaseAddress.from_url(admin_url).with_database(BENCH_DB)
    conn = connect(admin)
    known = signatures.read(conn)
    create, limits, deposit = (known[name] for name in (
        "sp_create_account", "sp_set_account_limits", "sp_deposit_cash"))
    accounts: list[BenchAccount] = []
    settings = get_settings()
    install_minimal_transfer(conn, BENCH_DB, settings)
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO users (username, kyc_status, password_hash) "
            "SELECT CONCAT('bench', seq), 'verified', '!' "
            f"FROM seq_1_to_{ACCOUNTS + FX_ACCOUNTS}"
        )
        cur.execute("SELECT id FROM users WHERE username LIKE 'bench%' ORDER BY id")
        user_ids = [row[0] for row in cur.fetchall()]
        for i, uid in enumerate(user_ids):
            currency = "JOD" if i < ACCOUNTS else "USD"
            cur.execute(create.statement, create.arguments(
                {"user_id": uid, "account_type": "checking", "currency": currency,
                 "actor_id": uid}))
            account_id, number = cur.fetchone()[:2]
            cur.nextset()
            cur.execute(limits.statement, limits.arguments(
                {"account_id": account_id, "overdraft_limit": 0, "per_transaction_limit": 1000000,
                 "daily_limit": 1000000000, "actor_id": 1}))
            cur.nextset()
            cur.execute(deposit.statement, deposit.arguments(
                {"account_id": account_id, "amount": 1000000, "description": "bench float",
                 "idempotency_key": f"bench-{account_id}", "actor_id": 1, "session_id": None,
                 "owner_id": None}))
            cur.nextset()
            session = secrets.token_hex(16)
            cur.execute(
                "INSERT INTO auth_sessions (id, user_id, expires_at)"
                " VALUES (%s, %s, NOW(6) + INTERVAL 1 DAY)",
                (session, uid),
            )
            accounts.append((account_id, number, uid, session))
        # Thousands of transfers a second from a few hundred accounts would all pass the
        # velocity review rule's 10 in 15 minutes and wait for staff; a window of 0 keeps
        # the rule's check (its query runs) while every transfer posts, as the bench measures.
        cur.execute("UPDATE transaction_rules SET window_seconds = 0"
                    " WHERE rule = 'review_velocity'")
        # The risk rules' velocity would hold them too: at 0 points they still read the
        # sender's recent payments (the windows' queries run) and never hit.
        cur.execute("UPDATE risk_rules SET points = 0 WHERE code LIKE 'velocity%'")
    conn.close()
    return admin.as_role("bank_app", settings.app_db_password), accounts, known


async def run_load(
    name: str,
    address: DatabaseAddress,
    connections: int,
    seconds: float,
    make_call: Callable[[aiomysql.Cursor, int], Awaitable[int]],
) -> Result:
    """`connections` workers call as fast as they can for `seconds`; returns the totals."""
    pool = await aiomysql.create_pool(
        host=address.host,
        port=address.port,
        user=address.user,
        password=address.password,
        db=address.database,
        autocommit=True,
        minsize=connections,
        maxsize=connections,
    )
    latencies: list[float] = []
    counters = {"calls": 0, "transfers": 0, "errors": 0}
    deadline = time.perf_counter() + seconds

    async def worker(index: int) -> None:
        async with pool.acquire() as conn, conn.cursor() as cur:
            n = 0
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    transfers = await make_call(cur, index * 1_000_003 + n)
                    while await cur.nextset():
                        pass
                except aiomysql.Error:
                    counters["errors"] += 1
                    continue
                finally:
                    n += 1
                latencies.append((time.perf_counter() - started) * 1000)
                counters["calls"] += 1
                counters["transfers"] += transfers

    began = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(connections)))
    elapsed = time.perf_counter() - began
    pool.close()
    await pool.wait_closed()
    return Result(
        name,
        connections,
        counters["calls"],
        counters["transfers"],
        elapsed,
        latencies,
        counters["errors"],
    )


def scenarios(
    accounts: list[BenchAccount], known: dict[str, Signature],
) -> dict[str, Callable[[aiomysql.Cursor, int], Awaitable[int]]]:
    ids = [a[0] for a in accounts]
    numbers = [a[1] for a in accounts]
    hot = numbers[0]
    count = ACCOUNTS
    fx_numbers = numbers[ACCOUNTS:]

    transfer, batch_transfer = known["sp_perform_transfer"], known["sp_perform_batch_transfer"]
    transfer_sql, batch_sql = transfer.statement, batch_transfer.statement

    def caller(index: int) -> dict[str, object]:
        """actor, session and owner for a transfer from account `index`: its owner."""
        _, _, user, session = accounts[index]
        return {"actor_id": user, "session_id": session, "owner_id": user}

    def transfer_arguments(src: int, to_number: str) -> tuple[object, ...]:
        return transfer.arguments({
            "from_account_id": ids[src], "to_account_number": to_number, "amount": "1.000",
            "fee": None, "description": None, "idempotency_key": secrets.token_hex(12),
            "otp_hash": None, "client_ip": "198.51.100.7", "country": None, **caller(src)})

    def pair(n: int) -> tuple[int, int]:
        src = (n * 7919) % (count - 1) + 1
        dst = (src + 1 + (n * 104729) % (count - 2)) % count
        return src, dst if dst != src else (src + 1) % count or 1

    async def minimal(cur: aiomysql.Cursor, n: int) -> int:
        src, dst = pair(n)
        await cur.execute("CALL bench_minimal_transfer(%s, %s, 1)", (ids[src], ids[dst]))
        return 1

    async def uniform(cur: aiomysql.Cursor, n: int) -> int:
        src, dst = pair(n)
        await cur.execute(transfer_sql, transfer_arguments(src, numbers[dst]))
        return 1

    async def fees_and_fx(cur: aiomysql.Cursor, n: int) -> int:
        src, _ = pair(n)
        await cur.execute(transfer_sql, transfer_arguments(src, fx_numbers[n % len(fx_numbers)]))
        return 1

    async def hot_account(cur: aiomysql.Cursor, n: int) -> int:
        src, _ = pair(n)
        await cur.execute(transfer_sql, transfer_arguments(src, hot))
        return 1

    async def batch(cur: aiomysql.Cursor, n: int) -> int:
        src, _ = pair(n)
        items = [
            {"to_account_number": numbers[(src + 1 + i * 13) % count], "amount": "1.000"}
            for i in range(BATCH_SIZE)
        ]
        items = [item for item in items if item["to_account_number"] != numbers[src]]
        await cur.execute(batch_sql, batch_transfer.arguments({
            "from_account_id": ids[src], "items": json.dumps(items), "description": None,
            "idempotency_key": secrets.token_hex(12), "otp_hash": None,
            "client_ip": "198.51.100.7", "country": None, **caller(src)}))
        return len(items)

    return {
        "minimal two-row procedure (ceiling)": minimal,
        "sp_perform_transfer, uniform (fee)": uniform,
        "sp_perform_transfer, uniform JOD->USD (fee and FX)": fees_and_fx,
        "sp_perform_transfer, hot account (fee)": hot_account,
        f"sp_perform_batch_transfer ({BATCH_SIZE}/call), uniform": batch,
    }


def server_settings(admin_url: str) -> dict[str, str]:
    conn = connect(DatabaseAddress.from_url(admin_url), use_database=False)
    with conn.cursor() as cur:
        cur.execute("SELECT VERSION(), @@innodb_flush_log_at_trx_commit, @@sync_binlog, @@log_bin")
        version, flush, sync_binlog, log_bin = cur.fetchone()
    conn.close()
    return {
        "version": version,
        "innodb_flush_log_at_trx_commit": str(flush),
        "sync_binlog": str(sync_binlog),
        "log_bin": str(log_bin),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", default="1,16,64")
    parser.add_argument("--only", default="", help="run only scenarios whose name contains this")
    parser.add_argument("--gl-shards", type=int, default=0,
                        help="sub-accounts per fee income / FX position account (0: as migrated)")
    args = parser.parse_args()
    levels = [int(c) for c in args.connections.split(",")]

    admin_url = resolve_admin_url()
    settings = server_settings(admin_url)
    print(
        f"# ledger benchmark: {platform.node()}, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}, MariaDB {settings['version']}"
    )
    print(
        "# durability: innodb_flush_log_at_trx_commit="
        f"{settings['innodb_flush_log_at_trx_commit']}, "
        f"log_bin={settings['log_bin']}, sync_binlog={settings['sync_binlog']}; "
        f"{args.seconds:.0f}s per cell; client and server share the machine's cores"
    )
    print("# preparing bench database ...", flush=True)
    app, accounts, known = prepare(admin_url)
    bench_db = connect(DatabaseAddress.from_url(admin_url).with_database(BENCH_DB), dict_rows=True)
    with bench_db.cursor() as cur:
        if args.gl_shards:
            cur.execute("UPDATE bank_settings SET gl_shards = %s WHERE id = 1", (args.gl_shards,))
        cur.execute("SELECT gl_shards FROM bank_settings WHERE id = 1")
        print(f"# gl_shards={cur.fetchone()['gl_shards']} (fee income, FX position sub-accounts)")
    bench_db.close()
    print()
    print("| scenario | conns | transfers/s | calls/s | p50 ms | p99 ms | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, make_call in scenarios(accounts, known).items():
        if args.only not in name:
            continue
        for connections in levels:
            result = await run_load(name, app, connections, args.seconds, make_call)
            print(
                f"| {name} | {connections} | {result.rate:,.0f} | "
                f"{result.calls / result.seconds:,.0f} | "
                f"{result.percentile(50):.2f} | {result.percentile(99):.2f} | {result.errors} |",
                flush=True,
            )
    check = connect(DatabaseAddress.from_url(admin_url).with_database(BENCH_DB), dict_rows=True)
    with check.cursor() as cur:
        cur.execute("SELECT COUNT(*) AS n FROM vw_ledger_integrity_check")
        problems = cur.fetchone()["n"]
    check.close()
    print(
        f"\n# integrity check after the run: {problems} problems "
        "(the minimal procedure bypasses the journal, so it shows up as balance mismatches)"
        if problems
        else "\n# integrity check after the run: clean"
    )
    drop_database(admin_url, BENCH_DB)


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        pass
    asyncio.run(main())
