"""The honest ceiling for bench/http_bench.py: the least a transfer over HTTP can cost here.

`/transfer` decodes a JWT and calls the minimal two-row transfer procedure
(`bench_minimal_transfer`, bench/sql/bench_minimal_transfer.sql, created by the benchmark in
its throwaway database, the same ceiling bench/ledger_bench.py measures) over the same
aiomysql pool settings as the real API. No validation beyond the JWT, no ledger entries,
no idempotency, no limits: what is left is uvicorn + FastAPI + JWT + one round trip.
`/transfer-ledger` is the same bare stack calling the real `sp_perform_transfer`, which
separates the cost of the API layer from the cost of the ledger procedure.

    BENCH_DB_HOST/PORT/USER/PASSWORD/NAME, BENCH_JWT_SECRET
    uvicorn bench.bare_app:app --workers 2 --loop uvloop --http httptools --no-access-log
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal

import aiomysql
import jwt
from fastapi import FastAPI, Header, HTTPException
from pydantic import BaseModel

from api.signatures import SIGNATURES_SQL, signatures


class Transfer(BaseModel):
    from_id: int
    to_id: int
    amount: Decimal


class LedgerTransfer(BaseModel):
    from_id: int
    to_number: str
    amount: Decimal


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.pool = await aiomysql.create_pool(
        host=os.environ.get("BENCH_DB_HOST", "127.0.0.1"),
        port=int(os.environ.get("BENCH_DB_PORT", "3306")),
        user=os.environ["BENCH_DB_USER"],
        password=os.environ.get("BENCH_DB_PASSWORD", ""),
        db=os.environ["BENCH_DB_NAME"],
        autocommit=True,
        minsize=2,
        maxsize=int(os.environ.get("BENCH_DB_POOL_MAX", "40")),
    )
    async with app.state.pool.acquire() as conn, conn.cursor() as cur:
        await cur.execute(SIGNATURES_SQL)
        app.state.ledger_transfer = signatures(await cur.fetchall())["sp_perform_transfer"]
    yield
    app.state.pool.close()
    await app.state.pool.wait_closed()


app = FastAPI(lifespan=lifespan)
SECRET = os.environ.get("BENCH_JWT_SECRET", "")


@app.post("/transfer")
async def transfer(body: Transfer, authorization: str = Header()) -> dict[str, object]:
    try:
        claims = jwt.decode(
            authorization.removeprefix("Bearer "),
            SECRET,
            algorithms=["HS256"],
            options={"verify_iss": False},
        )
    except jwt.PyJWTError as exc:
        raise HTTPException(401) from exc
    async with app.state.pool.acquire() as conn, conn.cursor() as cur:
        await cur.execute(
            "CALL bench_minimal_transfer(%s, %s, %s)", (body.from_id, body.to_id, body.amount)
        )
        row = await cur.fetchone()
        while await cur.nextset():
            pass
    return {"id": row[0], "user": claims["sub"], "amount": str(body.amount)}


@app.post("/transfer-ledger")
async def transfer_ledger(body: LedgerTransfer, authorization: str = Header(),
                          idempotency_key: str = Header()) -> dict[str, object]:
    """The same bare stack calling the real sp_perform_transfer: isolates the procedure's cost."""
    try:
        claims = jwt.decode(authorization.removeprefix("Bearer "), SECRET, algorithms=["HS256"],
                            options={"verify_iss": False})
    except jwt.PyJWTError as exc:
        raise HTTPException(401) from exc
    user = int(claims["sub"])
    procedure = app.state.ledger_transfer
    arguments = procedure.arguments({
        "from_account_id": body.from_id, "to_account_number": body.to_number,
        "amount": body.amount, "fee": 0, "description": None, "idempotency_key": idempotency_key,
        "actor_id": user, "session_id": claims["sid"], "owner_id": user, "otp_hash": None,
        "client_ip": None, "country": None})
    async with app.state.pool.acquire() as conn, conn.cursor() as cur:
        await cur.execute(procedure.statement, arguments)
        row = await cur.fetchone()
        while await cur.nextset():
            pass
    return {"id": row[0], "user": user, "amount": str(body.amount)}
