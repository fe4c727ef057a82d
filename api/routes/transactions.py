"""/transactions: deposit, withdraw, transfer, batch, history, one transaction, reversal.

Each money route is one procedure call: the procedure checks the session, ownership
(p_owner_id), KYC, status, limits and funds, and replays an earlier result for a repeated
Idempotency-Key. Cash is a teller's act: a deposit by staff (`money:cash_any`) is cash at
the counter, a customer's own deposit is a top-up from an external funding source.
"""

from __future__ import annotations

from collections.abc import Awaitable
from decimal import Decimal
from typing import Annotated, TypeVar

from fastapi import APIRouter, Path, Query, Request, Response, status

from api import auth
from api.deps import (
    Caller,
    Currencies,
    CurrentUser,
    IdempotencyKey,
    LedgerDep,
    MoneyLimit,
    ReadLimit,
    SettingsDep,
    claims_require,
    require,
)
from api.errors import AccountNotFound, BankError, TransactionNotFound, ValidationFailed
from api.observability import Metrics
from api.permissions import Permission, role_can
from api.schemas import (
    Amount,
    BatchTransferRequest,
    BatchTransferResponse,
    DepositRequest,
    Instant,
    ReverseRequest,
    TransactionDetailResponse,
    TransactionPage,
    TransactionResponse,
    TransactionStatus,
    TransactionType,
    TransferRequest,
    WithdrawRequest,
)
from api.security.tokens import AccessClaims

router = APIRouter(prefix="/transactions", tags=["transactions"])


T = TypeVar("T")


async def _counted(request: Request, kind: str, call: Awaitable[T]) -> T:
    """Await a money call, counting its outcome for /metrics."""
    metrics: Metrics = request.app.state.metrics
    try:
        result = await call
    except BankError as exc:
        metrics.transactions.labels(kind, exc.code).inc()
        raise
    metrics.transactions.labels(kind, getattr(result, "status", "completed")).inc()
    return result


def _cash_owner(claims: AccessClaims) -> int | None:
    """p_owner_id for cash operations: NULL for tellers and up, the caller for customers."""
    if role_can(claims.role, Permission.MONEY_CASH_ANY):
        return None
    claims_require(claims, Permission.MONEY_MOVE_OWN)
    return claims.user_id


def _replayed(response: Response, txn: TransactionResponse) -> TransactionResponse:
    if txn.replayed:
        response.headers["Idempotency-Replayed"] = "true"
    return txn


@router.post("/deposit", status_code=status.HTTP_201_CREATED,
             response_model=TransactionResponse, dependencies=[MoneyLimit])
async def deposit(
    request: Request, response: Response, body: DepositRequest, caller: Caller,
    key: IdempotencyKey, ledger: LedgerDep, currencies: Currencies,
) -> TransactionResponse:
    """Staff: cash in to any customer's account. Customer: a top-up of your own account."""
    owner = _cash_owner(caller)

    async def run() -> TransactionResponse:
        if owner is None:
            row = await ledger.deposit(account_id=body.account_id, amount=body.amount,
                                       description=body.description, key=key,
                                       actor_id=caller.user_id, session_id=caller.session_id,
                                       owner_id=None)
        else:
            row = await ledger.top_up(account_id=body.account_id, amount=body.amount,
                                      description=body.description, key=key,
                                      actor_id=caller.user_id, session_id=caller.session_id)
        return TransactionResponse.of(row, currencies)

    return _replayed(response, await _counted(request, "deposit", run()))


@router.post("/withdraw", status_code=status.HTTP_201_CREATED,
             response_model=TransactionResponse, dependencies=[MoneyLimit])
async def withdraw(
    request: Request, response: Response, body: WithdrawRequest, caller: Caller,
    key: IdempotencyKey, ledger: LedgerDep, settings: SettingsDep, currencies: Currencies,
) -> TransactionResponse:
    """Cash out of your own account (PIN once set), or (teller and up) any customer's."""
    owner = _cash_owner(caller)
    if owner is not None:
        await auth.check_pin(ledger, settings, caller, body.pin)

    async def run() -> TransactionResponse:
        row = await ledger.withdraw(account_id=body.account_id, amount=body.amount,
                                    description=body.description, key=key,
                                    actor_id=caller.user_id, session_id=caller.session_id,
                                    owner_id=owner)
        return TransactionResponse.of(row, currencies)

    return _replayed(response, await _counted(request, "withdrawal", run()))


@router.post("/transfer", status_code=status.HTTP_201_CREATED,
             response_model=TransactionResponse, dependencies=[MoneyLimit])
async def transfer(
    request: Request, response: Response, body: TransferRequest, caller: Caller,
    key: IdempotencyKey, ledger: LedgerDep, settings: SettingsDep, currencies: Currencies,
) -> TransactionResponse:
    """From your account to any account number; converted when the currencies differ."""
    claims_require(caller, Permission.MONEY_MOVE_OWN)
    await auth.check_pin(ledger, settings, caller, body.pin)

    async def run() -> TransactionResponse:
        row = await ledger.transfer(from_account_id=body.from_account_id,
                                    to_account_number=body.to_account_number,
                                    amount=body.amount, fee=Decimal(0),
                                    description=body.description, key=key,
                                    actor_id=caller.user_id, session_id=caller.session_id,
                                    owner_id=caller.user_id)
        return TransactionResponse.of(row, currencies)

    return _replayed(response, await _counted(request, "transfer", run()))


@router.post("/batch", status_code=status.HTTP_201_CREATED,
             response_model=BatchTransferResponse, dependencies=[MoneyLimit])
async def batch_transfer(
    request: Request, response: Response, body: BatchTransferRequest, caller: Caller,
    key: IdempotencyKey, ledger: LedgerDep, settings: SettingsDep, currencies: Currencies,
) -> BatchTransferResponse:
    """Up to 1,000 transfers from one of your accounts, all or nothing, in one call."""
    claims_require(caller, Permission.MONEY_MOVE_OWN)
    await auth.check_pin(ledger, settings, caller, body.pin)
    items = [{"to_account_number": t.to_account_number, "amount": str(t.amount),
              "description": t.description} for t in body.transfers]

    async def run() -> BatchTransferResponse:
        rows = await ledger.batch_transfer(from_account_id=body.from_account_id, items=items,
                                           description=body.description, key=key,
                                           actor_id=caller.user_id,
                                           session_id=caller.session_id,
                                           owner_id=caller.user_id)
        if not rows:
            raise BankError()
        parent = TransactionResponse.of(rows[0], currencies)
        children = [TransactionResponse.of(r, currencies) for r in rows[1:]]
        return BatchTransferResponse(batch=parent, transfers=children, count=len(children),
                                     total=parent.amount)

    result = await _counted(request, "batch", run())
    if result.batch.replayed:
        response.headers["Idempotency-Replayed"] = "true"
    return result


@router.get("/history", response_model=TransactionPage, dependencies=[ReadLimit])
async def history(
    caller: Caller, ledger: LedgerDep, currencies: Currencies,
    account_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    type: Annotated[TransactionType | None, Query()] = None,
    status: Annotated[TransactionStatus | None, Query()] = None,
    start: Annotated[Instant | None, Query(alias="from")] = None,
    end: Annotated[Instant | None, Query(alias="to")] = None,
    min_amount: Annotated[Amount | None, Query()] = None,
    max_amount: Annotated[Amount | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=20, pattern=r"^[0-9]+$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> TransactionPage:
    """Transactions touching your accounts (staff: everyone's), newest first, keyset-paged."""
    row = await ledger.principal(session_id=caller.session_id, user_id=caller.user_id,
                                 account_id=account_id)
    read_any = role_can(str(row["role"]), Permission.TRANSACTIONS_READ_ANY)
    if account_id is not None:
        owner = row["account_owner_id"]
        if owner is None or (int(owner) != caller.user_id and not read_any):
            raise AccountNotFound()
    before = int(cursor) if cursor else None
    if before is not None and before > 2**63 - 1:
        raise ValidationFailed("cursor: out of range")
    rows = await ledger.list_transactions(
        user_id=None if read_any else caller.user_id, account_id=account_id, type=type,
        status=status, start=start, end=end, min_amount=min_amount,
        max_amount=max_amount, before_id=before, limit=limit + 1)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = str(rows[-1]["id"])
    return TransactionPage(items=[TransactionResponse.of(r, currencies) for r in rows],
                           next_cursor=next_cursor)


@router.get("/{transaction_id:int}", response_model=TransactionDetailResponse,
            dependencies=[ReadLimit])
async def get_transaction(
    transaction_id: Annotated[int, Path(ge=1, le=2**63 - 1)], user: CurrentUser,
    ledger: LedgerDep, currencies: Currencies,
) -> TransactionDetailResponse:
    """One transaction with its ledger entries (404 when it does not touch your accounts)."""
    row, entries = await ledger.get_transaction(transaction_id)
    if not user.can(Permission.TRANSACTIONS_READ_ANY) and user.id not in (
        row.get("from_user_id"), row.get("to_user_id")
    ):
        raise TransactionNotFound()
    if not user.can(Permission.TRANSACTIONS_READ_ANY):
        # Show the customer only their own legs, never the other party's balance.
        own = {row.get("from_account_id") if row.get("from_user_id") == user.id else None,
               row.get("to_account_id") if row.get("to_user_id") == user.id else None}
        entries = [e for e in entries if e["account_id"] in own]
    return TransactionDetailResponse.with_entries(row, entries, currencies)


@router.post("/{transaction_id:int}/reverse", status_code=status.HTTP_201_CREATED,
             response_model=TransactionResponse)
async def reverse(
    request: Request, response: Response,
    transaction_id: Annotated[int, Path(ge=1, le=2**63 - 1)], body: ReverseRequest,
    user: CurrentUser, key: IdempotencyKey, ledger: LedgerDep, currencies: Currencies,
) -> TransactionResponse:
    """Manager: post the opposite entries of a completed transaction, linked to it."""
    require(user, Permission.TRANSACTIONS_REVERSE)

    async def run() -> TransactionResponse:
        row = await ledger.reverse(transaction_id=transaction_id, reason=body.reason, key=key,
                                   actor_id=user.id)
        return TransactionResponse.of(row, currencies)

    return _replayed(response, await _counted(request, "reversal", run()))

