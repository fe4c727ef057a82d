"""/transactions: deposit, withdraw, transfer, batch, history, one transaction, reversal.

Each money route is one procedure call: the procedure checks the session, ownership
(p_owner_id), KYC, status, limits and funds, and replays an earlier result for a repeated
Idempotency-Key. Cash is a teller's act: a deposit by staff (`money:cash_any`) is cash at
the counter, a customer's own deposit is a top-up from an external funding source.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from api.deps import (
    ClientCountry,
    ClientIp,
    Currencies,
    CurrentUser,
    Idempotent,
    LedgerDep,
    MoneyLimit,
    NotifierDep,
    PiiDep,
    ReadLimit,
    Require,
    SettingsDep,
)
from api.fields import (
    Amount,
    Instant,
    TransactionStatus,
    TransactionType,
    keyset_cursor,
    keyset_page,
)
from api.pending import new_otp, otp_digest, send_otp
from api.schemas.transactions import (
    BatchTransferRequest,
    BatchTransferResponse,
    ConfirmRequest,
    DepositRequest,
    ReverseRequest,
    ReviewDecisionRequest,
    TransactionDetailResponse,
    TransactionPage,
    TransactionResponse,
    TransferRequest,
    WithdrawRequest,
)
from api.security.permissions import Permission, role_can
from api.security.sessions import check_pin
from api.security.tokens import AccessClaims

router = APIRouter(prefix="/transactions", tags=["transactions"])

MovesMoney = Annotated[AccessClaims, Require(Permission.MONEY_MOVE_OWN)]


def _cash_owner(caller: AccessClaims) -> int | None:
    """p_owner_id for cash: NULL at a teller's counter, the caller for their own account."""
    return None if role_can(caller.role, Permission.MONEY_CASH_ANY) else caller.user_id


@router.post("/deposit", status_code=status.HTTP_201_CREATED,
             response_model=TransactionResponse, dependencies=[MoneyLimit])
async def deposit(
    body: DepositRequest, caller: MovesMoney, idempotency: Idempotent, ledger: LedgerDep,
    currencies: Currencies,
) -> TransactionResponse:
    """Staff: cash in to any customer's account. Customer: a top-up of your own account."""
    if _cash_owner(caller) is None:
        row = await ledger.deposit(account_id=body.account_id, amount=body.amount,
                                   description=body.description, idempotency_key=idempotency.key,
                                   actor_id=caller.user_id, session_id=caller.session_id,
                                   owner_id=None)
    else:
        row = await ledger.top_up(account_id=body.account_id, amount=body.amount,
                                  description=body.description, idempotency_key=idempotency.key,
                                  actor_id=caller.user_id, session_id=caller.session_id)
    return idempotency.answer(TransactionResponse.of(row, currencies))


@router.post("/withdraw", status_code=status.HTTP_201_CREATED,
             response_model=TransactionResponse, dependencies=[MoneyLimit])
async def withdraw(
    body: WithdrawRequest, caller: MovesMoney, idempotency: Idempotent, ledger: LedgerDep,
    settings: SettingsDep, currencies: Currencies, ip: ClientIp, country: ClientCountry,
) -> TransactionResponse:
    """Cash out of your own account (PIN once set), or (teller and up) any customer's."""
    owner = _cash_owner(caller)
    if owner is not None:
        await check_pin(ledger, settings, caller, body.pin)
    row = await ledger.withdraw(account_id=body.account_id, amount=body.amount,
                                description=body.description, idempotency_key=idempotency.key,
                                actor_id=caller.user_id, session_id=caller.session_id,
                                owner_id=owner, client_ip=ip, country=country)
    return idempotency.answer(TransactionResponse.of(row, currencies))


@router.post("/transfer", status_code=status.HTTP_201_CREATED,
             response_model=TransactionResponse, dependencies=[MoneyLimit])
async def transfer(
    body: TransferRequest, caller: MovesMoney, idempotency: Idempotent, ledger: LedgerDep,
    settings: SettingsDep, currencies: Currencies, notifier: NotifierDep, pii: PiiDep,
    ip: ClientIp, country: ClientCountry,
) -> TransactionResponse:
    """From your account to any account number; converted when the currencies differ.

    Above the confirmation threshold the transfer is created `pending_otp` with amount and
    fee held, and a six-digit code is sent to you (POST /transactions/{id}/confirm); one that
    a review rule or the risk rules' MEDIUM level holds is created `pending_review` and waits
    for staff; the risk rules' HIGH level refuses it (422 RISK_DECLINED, with the reasons).
    """
    await check_pin(ledger, settings, caller, body.pin)
    code = new_otp()
    row = await ledger.transfer(from_account_id=body.from_account_id,
                                to_account_number=body.to_account_number,
                                amount=body.amount,
                                description=body.description, idempotency_key=idempotency.key,
                                actor_id=caller.user_id, session_id=caller.session_id,
                                owner_id=caller.user_id, otp_hash=otp_digest(settings, code),
                                client_ip=ip, country=country)
    if row["status"] == "pending_otp" and not row["replayed"]:
        await send_otp(notifier=notifier, ledger=ledger, pii=pii, code=code,
                       user_id=caller.user_id, session_id=caller.session_id,
                       transaction_id=int(row["id"]), reference=str(row["reference"]),
                       transaction_type=str(row["type"]))
    return idempotency.answer(TransactionResponse.of(row, currencies))


@router.post("/{transaction_id:int}/confirm", response_model=TransactionResponse,
             dependencies=[MoneyLimit])
async def confirm(
    transaction_id: Annotated[int, Path(ge=1, le=2**63 - 1)], body: ConfirmRequest,
    caller: MovesMoney, idempotency: Idempotent, ledger: LedgerDep, settings: SettingsDep,
    currencies: Currencies,
) -> TransactionResponse:
    """Your one-time code for a `pending_otp` transfer or batch: it completes (or goes to review).

    Answers the transaction; for a batch its header (type `batch`), whose transfers are
    posted together, all or nothing, at the amounts, fees and rates of its creation.

    A wrong code is OTP_INVALID; the third wrong one, or an expired code, cancels the
    transfer (status `failed`) and releases the money.
    """
    row = await ledger.confirm_transaction(
        transaction_id=transaction_id, otp_hash=otp_digest(settings, body.otp),
        idempotency_key=idempotency.key, actor_id=caller.user_id, session_id=caller.session_id)
    return idempotency.answer(TransactionResponse.of(row, currencies))


Reviews = Annotated[AccessClaims, Require(Permission.TRANSACTIONS_REVIEW)]


@router.post("/{transaction_id:int}/approve", response_model=TransactionResponse,
             dependencies=[MoneyLimit])
async def approve(
    transaction_id: Annotated[int, Path(ge=1, le=2**63 - 1)], body: ReviewDecisionRequest,
    caller: Reviews, idempotency: Idempotent, ledger: LedgerDep, currencies: Currencies,
) -> TransactionResponse:
    """Staff: approve a `pending_review` transaction; it posts. Never your own."""
    row = await ledger.review_transaction(
        transaction_id=transaction_id, decision="approve", reason=body.reason,
        idempotency_key=idempotency.key, actor_id=caller.user_id, session_id=caller.session_id)
    return idempotency.answer(TransactionResponse.of(row, currencies))


@router.post("/{transaction_id:int}/reject", response_model=TransactionResponse,
             dependencies=[MoneyLimit])
async def reject(
    transaction_id: Annotated[int, Path(ge=1, le=2**63 - 1)], body: ReviewDecisionRequest,
    caller: Reviews, idempotency: Idempotent, ledger: LedgerDep, currencies: Currencies,
) -> TransactionResponse:
    """Staff: reject a `pending_review` transaction (a reason is required); the hold is released."""
    row = await ledger.review_transaction(
        transaction_id=transaction_id, decision="reject", reason=body.reason,
        idempotency_key=idempotency.key, actor_id=caller.user_id, session_id=caller.session_id)
    return idempotency.answer(TransactionResponse.of(row, currencies))


@router.post("/batch", status_code=status.HTTP_201_CREATED,
             response_model=BatchTransferResponse, dependencies=[MoneyLimit])
async def batch_transfer(
    body: BatchTransferRequest, caller: MovesMoney, idempotency: Idempotent, ledger: LedgerDep,
    settings: SettingsDep, currencies: Currencies, notifier: NotifierDep, pii: PiiDep,
    ip: ClientIp, country: ClientCountry,
) -> BatchTransferResponse:
    """Up to 1,000 transfers from one of your accounts, all or nothing, in one call.

    The confirmation and review rules judge the batch as a whole (its total with fees, and
    each item as a payment to its payee): a held batch answers its header alone, `pending_otp`
    or `pending_review` with the total plus fees held, `transfers` empty and `count` 0. Its
    id is what POST /transactions/{id}/confirm, /approve and /reject take; they answer the
    header, and once it is `completed` its transfers exist (GET /transactions/history).
    """
    await check_pin(ledger, settings, caller, body.pin)
    items = [{"to_account_number": t.to_account_number, "amount": str(t.amount),
              "description": t.description} for t in body.transfers]
    code = new_otp()
    parent_row, *child_rows = await ledger.batch_transfer(
        from_account_id=body.from_account_id, items=items, description=body.description,
        idempotency_key=idempotency.key, actor_id=caller.user_id, session_id=caller.session_id,
        owner_id=caller.user_id, otp_hash=otp_digest(settings, code), client_ip=ip,
        country=country)
    if parent_row["status"] == "pending_otp" and not parent_row["replayed"]:
        await send_otp(notifier=notifier, ledger=ledger, pii=pii, code=code,
                       user_id=caller.user_id, session_id=caller.session_id,
                       transaction_id=int(parent_row["id"]),
                       reference=str(parent_row["reference"]),
                       transaction_type=str(parent_row["type"]))
    parent = TransactionResponse.of(parent_row, currencies)
    children = [TransactionResponse.of(r, currencies) for r in child_rows]
    return idempotency.answer(BatchTransferResponse(batch=parent, transfers=children,
                                                count=len(children), total=str(parent.amount)))


@router.get("/history", response_model=TransactionPage, dependencies=[ReadLimit])
async def history(
    user: CurrentUser, ledger: LedgerDep, currencies: Currencies,
    account_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    transaction_type: Annotated[TransactionType | None, Query(alias="type")] = None,
    transaction_status: Annotated[TransactionStatus | None, Query(alias="status")] = None,
    start: Annotated[Instant | None, Query(alias="from")] = None,
    end: Annotated[Instant | None, Query(alias="to")] = None,
    min_amount: Annotated[Amount | None, Query()] = None,
    max_amount: Annotated[Amount | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=20, pattern=r"^[0-9]+$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> TransactionPage:
    """Transactions touching your accounts (staff: everyone's), newest first, keyset-paged.

    An `account_id` that is not yours (and your role may not read others') is a 404.
    """
    read_any = user.can(Permission.TRANSACTIONS_READ_ANY)
    rows = await ledger.list_transactions(
        user_id=None if read_any else user.id, account_id=account_id,
        transaction_type=transaction_type, transaction_status=transaction_status,
        start=start, end=end, min_amount=min_amount, max_amount=max_amount,
        before_id=keyset_cursor(cursor), limit=limit + 1)
    rows, next_cursor = keyset_page(rows, limit)
    return TransactionPage(items=[TransactionResponse.of(r, currencies) for r in rows],
                           next_cursor=next_cursor)


@router.get("/{transaction_id:int}", response_model=TransactionDetailResponse,
            dependencies=[ReadLimit])
async def get_transaction(
    transaction_id: Annotated[int, Path(ge=1, le=2**63 - 1)], user: CurrentUser,
    ledger: LedgerDep, currencies: Currencies,
) -> TransactionDetailResponse:
    """One transaction with its ledger entries: your own legs, or (staff) all of them.

    404 when it does not touch your accounts.
    """
    viewer = None if user.can(Permission.TRANSACTIONS_READ_ANY) else user.id
    row, entries = await ledger.get_transaction(transaction_id=transaction_id, viewer_id=viewer)
    return TransactionDetailResponse.with_entries(row, entries, currencies)


@router.post("/{transaction_id:int}/reverse", status_code=status.HTTP_201_CREATED,
             response_model=TransactionResponse,
             dependencies=[Require(Permission.TRANSACTIONS_REVERSE)])
async def reverse(
    transaction_id: Annotated[int, Path(ge=1, le=2**63 - 1)], body: ReverseRequest,
    user: CurrentUser, idempotency: Idempotent, ledger: LedgerDep, currencies: Currencies,
) -> TransactionResponse:
    """Manager: post the opposite entries of a completed transaction, linked to it."""
    row = await ledger.reverse(transaction_id=transaction_id, reason=body.reason,
                               idempotency_key=idempotency.key, actor_id=user.id)
    return idempotency.answer(TransactionResponse.of(row, currencies))
