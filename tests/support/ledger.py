"""Calling the ledger procedures from tests, synchronously (PyMySQL) and concurrently (aiomysql)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import aiomysql
import pymysql

from api import signatures
from api.config import DatabaseAddress
from api.signatures import Signature
from scripts.db_connection import connect
from scripts.migrate import drop_database, migrate

# Signatures per server, database and user (each user sees only what it may execute).
_SIGNATURES: dict[tuple[Any, ...], dict[str, Signature]] = {}


def connected(address: DatabaseAddress) -> Iterator[Any]:
    """A PyMySQL connection (autocommit, dict rows) for the life of a fixture."""
    conn = connect(address, dict_rows=True)
    try:
        yield conn
    finally:
        conn.close()


def signature(conn: Any, procedure: str) -> Signature:
    """What `procedure` takes, read once per connection target; re-read when it is new."""
    target = _target(conn)
    known = _SIGNATURES.get(target)
    if known is None or procedure not in known:
        known = _SIGNATURES[target] = signatures.read(conn)
    if procedure not in known:
        raise ValueError(f"{procedure} is not a procedure this connection may call")
    return known[procedure]


def _target(conn: Any) -> tuple[Any, ...]:
    """Server, user and database of a PyMySQL or aiomysql connection (PyMySQL keeps bytes)."""
    return tuple(v.decode() if isinstance(v, bytes) else v
                 for v in (conn.host, conn.port, conn.user, conn.db))


def proc(conn: Any, procedure: str, /, **arguments: Any) -> list[dict[str, Any]]:
    """CALL a procedure by parameter name (api/signatures.py); returns its first result set."""
    return proc_all(conn, procedure, **arguments)[0]


def proc_all(conn: Any, procedure: str, /, **arguments: Any) -> list[list[dict[str, Any]]]:
    """CALL a procedure by parameter name; returns every result set it produced."""
    return call_all(conn, procedure, *signature(conn, procedure).arguments(arguments))


def call(conn: Any, procedure: str, *args: Any) -> list[dict[str, Any]]:
    """CALL a procedure and return its first result set (the rest are drained)."""
    return call_all(conn, procedure, *args)[0]


def call_all(conn: Any, procedure: str, *args: Any) -> list[list[dict[str, Any]]]:
    """CALL a procedure and return every result set it produced (at least one, maybe empty)."""
    placeholders = ", ".join(["%s"] * len(args))
    with conn.cursor(pymysql.cursors.DictCursor) as cur:
        cur.execute(f"CALL {procedure}({placeholders})", args)
        sets: list[list[dict[str, Any]]] = []
        while True:
            if cur.description is not None:
                sets.append(list(cur.fetchall()))
            if not cur.nextset():
                break
    return sets or [[]]


def error_code(exc: BaseException) -> str:
    """The stable CODE before the colon of a procedure's SIGNAL message."""
    message = str(exc.args[1]) if len(exc.args) > 1 else str(exc)
    return message.split(":", 1)[0]


def query(conn: Any, sql: str, *args: Any) -> list[dict[str, Any]]:
    """Run a plain statement as the connection's user (tests inspect base tables as admin)."""
    with conn.cursor(pymysql.cursors.DictCursor) as cur:
        cur.execute(sql, args)
        return list(cur.fetchall())


def new_user(admin_conn: Any, role: str = "customer") -> int:
    """A fresh active user with a unique name (test setup, written as admin)."""
    name = f"u_{role[:4]}_{secrets.token_hex(5)}"
    with admin_conn.cursor() as cur:
        cur.execute(
            "INSERT INTO users (username, role, status, kyc_status, password_hash) "
            "VALUES (%s, %s, 'active', 'verified', '!')",
            (name, role),
        )
        return int(cur.lastrowid)


def open_account(
    app_conn: Any, user_id: int, currency: str = "JOD", account_type: str = "savings"
) -> dict[str, Any]:
    return proc(app_conn, "sp_create_account", user_id=user_id, account_type=account_type,
                currency=currency, actor_id=user_id)[0]


def deposit(
    app_conn: Any, account_id: int, amount: Decimal | str, actor: int = 1
) -> dict[str, Any]:
    return proc(app_conn, "sp_deposit_cash", account_id=account_id, amount=str(amount),
                description="test deposit", idempotency_key=secrets.token_hex(8),
                actor_id=actor, session_id=None, owner_id=None)[0]


def transfer(
    app_conn: Any,
    from_id: int,
    to_number: str,
    amount: Decimal | str,
    *,
    actor: int = 1,
    fee: Decimal | str = "0",
    key: str | None = None,
) -> dict[str, Any]:
    return proc(app_conn, "sp_perform_transfer", from_account_id=from_id,
                to_account_number=to_number, amount=str(amount), fee=str(fee), description=None,
                idempotency_key=key or secrets.token_hex(8), actor_id=actor, session_id=None,
                owner_id=None, otp_hash=None, client_ip=None, country=None)[0]


def counts(admin_conn: Any) -> dict[str, int]:
    """Row counts of every table a money procedure writes."""
    tables = ["transactions", "ledger_entries", "outbox_events", "holds", "audit_log"]
    return {t: query(admin_conn, f"SELECT COUNT(*) AS n FROM {t}")[0]["n"] for t in tables}


def integrity_problems(admin_conn: Any) -> list[dict[str, Any]]:
    return query(admin_conn, "SELECT * FROM vw_ledger_integrity_check")


def balance(admin_conn: Any, account_id: int) -> Decimal:
    return Decimal(
        query(admin_conn, "SELECT balance FROM accounts WHERE id = %s", account_id)[0]["balance"]
    )


def fee_income(admin_conn: Any, currency: str) -> Decimal:
    """The fee income GL line of a currency: the sum of its sub-accounts."""
    return Decimal(query(admin_conn, "SELECT SUM(balance) AS b FROM accounts WHERE kind = 'system'"
                         " AND gl_type = 'fee_income' AND currency = %s", currency)[0]["b"])


async def aconnect(address: DatabaseAddress) -> aiomysql.Connection:
    return await aiomysql.connect(
        host=address.host,
        port=address.port,
        user=address.user,
        password=address.password,
        db=address.database,
        autocommit=True,
        unix_socket=address.unix_socket,
    )


async def aproc(conn: aiomysql.Connection, procedure: str, /, **arguments: Any
                ) -> list[dict[str, Any]]:
    """`proc` over an async connection: CALL by parameter name, first result set."""
    target = _target(conn)
    known = _SIGNATURES.get(target)
    if known is None or procedure not in known:
        async with conn.cursor() as cur:
            await cur.execute(signatures.SIGNATURES_SQL)
            known = _SIGNATURES[target] = signatures.signatures(await cur.fetchall())
    if procedure not in known:
        raise ValueError(f"{procedure} is not a procedure this connection may call")
    return await acall(conn, procedure, *known[procedure].arguments(arguments))


async def acall(conn: aiomysql.Connection, procedure: str, *args: Any) -> list[dict[str, Any]]:
    """CALL over an async connection; returns the first result set, drains the rest."""
    placeholders = ", ".join(["%s"] * len(args))
    async with conn.cursor(aiomysql.DictCursor) as cur:
        await cur.execute(f"CALL {procedure}({placeholders})", args)
        rows = list(await cur.fetchall())
        while await cur.nextset():
            pass
    return rows


def batch(
    app_conn: Any,
    from_id: int,
    items: str,
    *,
    description: str | None = None,
    key: str | None = None,
) -> list[dict[str, Any]]:
    """sp_perform_batch_transfer as a trusted caller; `items` is the JSON text."""
    return proc(app_conn, "sp_perform_batch_transfer", from_account_id=from_id, items=items,
                description=description, idempotency_key=key or secrets.token_hex(8),
                actor_id=1, session_id=None, owner_id=None, otp_hash=None,
                client_ip=None, country=None)


@contextmanager
def currency_bounds(admin_conn: Any, currency: str, **values: str) -> Iterator[None]:
    """Set some of a currency's bounds (data, not code) for one test, then put them back."""
    columns = ", ".join(values)
    saved = query(admin_conn, f"SELECT {columns} FROM currencies WHERE code = %s", currency)[0]
    assignments = ", ".join(f"{name} = %s" for name in values)
    query(admin_conn, f"UPDATE currencies SET {assignments} WHERE code = %s",
          *values.values(), currency)
    try:
        yield
    finally:
        query(admin_conn, f"UPDATE currencies SET {assignments} WHERE code = %s",
              *saved.values(), currency)


@contextmanager
def scratch_database(admin_url: str, prefix: str, *, seed: bool = False
                     ) -> Iterator[DatabaseAddress]:
    """A migrated database of its own, dropped afterwards: for tests that rewrite or corrupt
    data the rest of the suite shares (tampering, key rotation, the demo data)."""
    name = f"bank_{prefix}_{secrets.token_hex(4)}"
    migrate(admin_url, database=name, seed=seed)
    try:
        yield DatabaseAddress.from_url(admin_url).with_database(name)
    finally:
        drop_database(admin_url, name)
