"""HTTP load benchmark of the API, with a bare FastAPI+JWT+procedure stack as the ceiling.

Many logged-in customers transfer between their own and other people's accounts (and,
in the mix, read balances and history), driven by `wrk` with bench/http_bench.lua so the
load generator does not eat the CPU it measures. Both servers run as production would:
uvicorn, workers = cores, uvloop, httptools, no reload, no uvicorn access log.

    python -m bench.http_bench [--duration 10] [--users 200] [--connections 1,16,64]

It creates a throwaway database `bank_bench_<hex>` (migrated, then dropped), registers
users through the API (bcrypt cost lowered for the set-up only: logins are not measured),
raises the rate limits out of the way (they are still evaluated on every request) and
prints one table: requests/s (transfers/s for batches), p50/p95/p99 and non-2xx count.
It installs nothing; when `wrk` is missing it says so and exits.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from api import signatures
from api.config import REPO_ROOT, DatabaseAddress, get_settings
from bench.minimal_transfer import install_minimal_transfer
from scripts.db_connection import connect
from scripts.dbserver import resolve_admin_url
from scripts.migrate import drop_database, migrate

LUA = Path(__file__).with_name("http_bench.lua")
PASSWORD = "Bench-Harbour-Lantern-7"

@dataclass
class Result:
    stack: str
    scenario: str
    connections: int
    rate: float
    unit: str
    p50_ms: float
    p95_ms: float
    p99_ms: float
    non2xx: int


def missing_tools() -> list[str]:
    missing = []
    if shutil.which("wrk") is None:
        missing.append("wrk (Debian: apt-get install wrk)")
    for module in ("uvloop", "httptools"):
        try:
            __import__(module)
        except ImportError:
            missing.append(f"{module} (pip install 'uvicorn[standard]')")
    return missing


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    target: list[str], env: dict[str, str], log: Path, port: int, workers: int
) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        *target,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    return subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def wait_until(url: str, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"server exited early (see .run/bench/*.log); waited for {url}")
        try:
            if httpx.get(url, timeout=1).status_code in (200, 405, 422):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"server did not answer {url} in {timeout} s")


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()


async def make_users(base: str, count: int, users_file: Path) -> list[tuple[int, int]]:
    """Register and log in `count` customers with two JOD accounts each (funded by `fund`)."""
    limits = httpx.Limits(max_connections=8)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        semaphore = asyncio.Semaphore(8)

        async def one(i: int) -> str:
            async with semaphore:
                name = f"bench{secrets.token_hex(4)}{i}"
                r = await client.post(
                    "/auth/register",
                    json={
                        "username": name,
                        "password": PASSWORD,
                        "email": f"{name}@bench.example",
                        "full_name": f"Bench {i}",
                        "date_of_birth": "1990-01-01",
                    },
                )
                r.raise_for_status()
                tokens = (
                    await client.post("/auth/login", json={"username": name, "password": PASSWORD})
                ).json()
                auth = {"Authorization": f"Bearer {tokens['access_token']}"}
                accounts = []
                for _ in range(2):
                    acc = (
                        await client.post(
                            "/accounts/",
                            headers=auth,
                            json={"account_type": "checking", "currency": "JOD"},
                        )
                    ).json()
                    accounts.append(acc)
                a1, a2 = accounts
                return (
                    f"{tokens['access_token']} {a1['id']} {a1['account_number']} "
                    f"{a2['id']} {a2['account_number']}"
                )

        lines = await asyncio.gather(*[one(i) for i in range(count)])
    users_file.write_text("\n".join(lines) + "\n")
    ids = []
    for line in lines:
        parts = line.split()
        ids.append((int(parts[1]), int(parts[3])))
    return ids


def fund(conn: Any, ids: list[tuple[int, int]]) -> None:
    """Verify the bench customers' KYC and pay 40,000 JOD cash into each account (a customer's
    own deposit is a top-up of at most 1,000, so the float comes from the counter)."""
    deposit = signatures.read(conn)["sp_deposit_cash"]
    with conn.cursor() as cur:
        cur.execute("UPDATE users SET kyc_status = 'verified' WHERE role = 'customer'")
        for pair in ids:
            for account_id in pair:
                cur.execute(deposit.statement, deposit.arguments({
                    "account_id": account_id, "amount": "40000.000", "description": "bench float",
                    "idempotency_key": f"bench-float-{account_id}", "actor_id": 1,
                    "session_id": None, "owner_id": None}))
                while cur.nextset():
                    pass


def run_wrk(
    url: str, mode: str, connections: int, duration: int, users_file: Path, batch: int
) -> dict[str, int]:
    env = {
        **os.environ,
        "BENCH_USERS": str(users_file),
        "BENCH_MODE": mode,
        "BENCH_BATCH": str(batch),
        "BENCH_RUN": secrets.token_hex(4),
    }
    threads = min(connections, 2)
    command = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{duration}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        url,
    ]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if line.startswith("BENCH_RESULT "):
            parsed: dict[str, int] = json.loads(line.removeprefix("BENCH_RESULT "))
            return parsed
    raise SystemExit(f"wrk gave no result:\n{out}")


def measure(
    stack: str,
    scenario: str,
    mode: str,
    url: str,
    args: argparse.Namespace,
    users_file: Path,
    per_request: int = 1,
) -> list[Result]:
    results = []
    for connections in args.connections:
        raw = run_wrk(url, mode, connections, args.duration, users_file, args.batch)
        seconds = raw["duration_us"] / 1e6
        result = Result(
            stack=stack,
            scenario=scenario,
            connections=connections,
            rate=raw["requests"] * per_request / seconds,
            unit="transfers/s" if per_request > 1 else "req/s",
            p50_ms=raw["p50_us"] / 1000,
            p95_ms=raw["p95_us"] / 1000,
            p99_ms=raw["p99_us"] / 1000,
            non2xx=raw["non2xx"] + raw["socket_errors"],
        )
        results.append(result)
        print(
            f"  {stack:5} {scenario:22} c={connections:<3} {result.rate:8.1f} {result.unit:12}"
            f" p50 {result.p50_ms:6.1f} ms  p99 {result.p99_ms:7.1f} ms"
            f"  errors {result.non2xx}",
            flush=True,
        )
    return results


def table(results: list[Result]) -> str:
    lines = [
        "| stack | scenario | conns | throughput | p50 ms | p95 ms | p99 ms | non-2xx |",
        "|---|---|--:|--:|--:|--:|--:|--:|",
    ]
    for r in results:
        lines.append(
            f"| {r.stack} | {r.scenario} | {r.connections} | {r.rate:,.0f} {r.unit} |"
            f" {r.p50_ms:.1f} | {r.p95_ms:.1f} | {r.p99_ms:.1f} | {r.non2xx} |"
        )
    return "\n".join(lines)


def verdict(results: list[Result]) -> str:
    def rate(stack: str, scenario: str, conns: int) -> float | None:
        for r in results:
            if (r.stack, r.scenario, r.connections) == (stack, scenario, conns):
                return r.rate
        return None

    notes = []
    for conns in (16, 64):
        full, bare = rate("api", "transfer", conns), rate("bare", "transfer", conns)
        if full and bare:
            notes.append(
                f"api/bare transfers at {conns} connections: {full / bare:.0%} (target >= 75%)"
            )
    for conns in (1, 16, 64):
        full, floor = rate("api", "transfer", conns), rate("bare", "sp_perform_transfer", conns)
        if full and floor:
            notes.append(f"api/bare-with-the-real-procedure at {conns}: {full / floor:.0%}")
    one = [r for r in results if (r.stack, r.scenario, r.connections) == ("api", "transfer", 1)]
    if one:
        notes.append(f"api p50 at 1 connection: {one[0].p50_ms:.1f} ms (target <= 6 ms)")
    for conns in (16, 64):
        batch, single = rate("api", "batch", conns), rate("api", "transfer", conns)
        if batch and single:
            notes.append(
                f"batch/single transfers per second at {conns}: {batch / single:.1f}x"
                " (target >= 5x)"
            )
    return "\n".join(notes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.http_bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument(
        "--connections", default="1,16,64", type=lambda s: [int(x) for x in s.split(",")]
    )
    parser.add_argument("--batch", type=int, default=50, help="transfers per batch request")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument(
        "--access-log",
        action="store_true",
        help="keep the API's JSON access log on (written off-loop to a file)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args(argv)

    missing = missing_tools()
    if missing:
        print("http_bench needs: " + "; ".join(missing), file=sys.stderr)
        return 2

    settings = get_settings()
    admin_url = resolve_admin_url()
    database = f"bank_bench_{secrets.token_hex(4)}"
    run_dir = REPO_ROOT / ".run" / "bench"
    run_dir.mkdir(parents=True, exist_ok=True)
    users_file = run_dir / "users.txt"
    print(f"migrating {database} ...", flush=True)
    migrate(admin_url, database=database)
    admin = DatabaseAddress.from_url(admin_url).with_database(database)
    app_address = admin.as_role("bank_app", settings.app_db_password)
    results: list[Result] = []
    try:
        conn = connect(admin)
        install_minimal_transfer(conn, database, settings)  # the bare stack calls it
        # Keep the velocity review rule's check but not its holds: the bench's transfers
        # from a few accounts would otherwise wait for staff after the tenth in 15 minutes.
        with conn.cursor() as cur:
            cur.execute("UPDATE transaction_rules SET window_seconds = 0"
                        " WHERE rule = 'review_velocity'")
        api_env = {
            "BANK_DATABASE_URL": admin_url,
            "BANK_DB_NAME": database,
            "BANK_BCRYPT_ROUNDS": "4",
            "BANK_ACCESS_TOKEN_MINUTES": "240",
            "BANK_RATE_LIMIT_LOGIN": "1000000/minute",
            "BANK_RATE_LIMIT_REGISTER": "1000000/minute",
            "BANK_RATE_LIMIT_MONEY": "10000000/minute",
            "BANK_RATE_LIMIT_READ": "10000000/minute",
            "BANK_DB_POOL_MAX": "40",
            "BANK_ACCESS_LOG": "true" if args.access_log else "false",
            "BANK_LOG_LEVEL": "INFO" if args.access_log else "WARNING",
        }
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(
            ["--factory", "api.main:app_factory"], api_env, run_dir / "api.log", port, args.workers
        )
        try:
            wait_until(f"{base}/ready", server)
            print(f"creating {args.users} users ...", flush=True)
            ids = asyncio.run(make_users(base, args.users, users_file))
            fund(conn, ids)
            run_wrk(base, "transfer", 16, 3, users_file, args.batch)  # warm-up
            results += measure("api", "GET /health (no db)", "health", base, args, users_file)
            results += measure("api", "transfer", "transfer", base, args, users_file)
            results += measure("api", "mix (70% transfer)", "mix", base, args, users_file)
            results += measure(
                "api", "batch", "batch", base, args, users_file, per_request=args.batch
            )
        finally:
            stop(server)
        port = free_port()
        bare_url = f"http://127.0.0.1:{port}"
        bare_env = {
            "BENCH_DB_HOST": app_address.host,
            "BENCH_DB_PORT": str(app_address.port),
            "BENCH_DB_USER": app_address.user,
            "BENCH_DB_PASSWORD": app_address.password,
            "BENCH_DB_NAME": database,
            "BENCH_DB_POOL_MAX": "40",
            "BENCH_JWT_SECRET": settings.jwt_secret,
        }
        server = start_server(
            ["bench.bare_app:app"], bare_env, run_dir / "bare.log", port, args.workers
        )
        try:
            wait_until(f"{bare_url}/transfer", server)
            run_wrk(bare_url, "bare", 16, 3, users_file, args.batch)  # warm-up
            results += measure("bare", "transfer", "bare", bare_url, args, users_file)
            results += measure("bare", "sp_perform_transfer", "bare_ledger", bare_url, args,
                               users_file)
        finally:
            stop(server)
        conn.close()
    finally:
        if not args.keep:
            drop_database(admin_url, database)
    print()
    print(table(results))
    print()
    print(verdict(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
