"""/accounts: open, list and read accounts, balances (also as of a past instant), statements."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from api.deps import Currencies, CurrentUser, LedgerDep, OwnAccount, ReadLimit, Require
from api.errors import ValidationFailed
from api.fields import Instant, keyset_cursor, keyset_page
from api.schemas.accounts import (
    AccountCreateRequest,
    AccountResponse,
    BalanceResponse,
    StatementResponse,
)
from api.security.permissions import Permission

router = APIRouter(prefix="/accounts", tags=["accounts"])

Cursor = Annotated[str | None, Query(max_length=19, pattern=r"^[1-9][0-9]{0,18}$",
                                     description="X-Next-Cursor of the previous page")]


# Both /accounts/ and /accounts answer (the documented form has the slash).
@router.post("/", status_code=status.HTTP_201_CREATED, response_model=AccountResponse,
             dependencies=[Require(Permission.ACCOUNTS_OWN)])
@router.post("", status_code=status.HTTP_201_CREATED, response_model=AccountResponse,
             dependencies=[Require(Permission.ACCOUNTS_OWN)], include_in_schema=False)
async def create_account(
    body: AccountCreateRequest, user: CurrentUser, ledger: LedgerDep, currencies: Currencies
) -> AccountResponse:
    """Open an account for the caller in one of the bank's currencies."""
    row = await ledger.create_account(user_id=user.id, account_type=body.account_type,
                                      currency=body.currency, actor_id=user.id)
    return AccountResponse.of(row, currencies)


@router.get("/", response_model=list[AccountResponse], dependencies=[ReadLimit])
@router.get("", response_model=list[AccountResponse], dependencies=[ReadLimit],
            include_in_schema=False)
async def list_accounts(
    response: Response, user: CurrentUser, ledger: LedgerDep, currencies: Currencies,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AccountResponse]:
    """The caller's accounts, oldest first: a JSON list, one page at a time.

    When more remain, `X-Next-Cursor` holds the cursor for the next page and `Link`
    its URL (rel="next").
    """
    rows = await ledger.list_accounts(user_id=user.id, after_id=keyset_cursor(cursor),
                                      limit=limit + 1)
    rows, next_cursor = keyset_page(rows, limit)
    if next_cursor is not None:
        response.headers["X-Next-Cursor"] = next_cursor
        response.headers["Link"] = f'</accounts/?cursor={next_cursor}&limit={limit}>; rel="next"'
    return [AccountResponse.of(row, currencies) for row in rows]


@router.get("/{account_id}", response_model=AccountResponse, dependencies=[ReadLimit])
async def get_account(
    account: OwnAccount, ledger: LedgerDep, currencies: Currencies
) -> AccountResponse:
    """One account (404 when it is not the caller's and their role may not read others')."""
    return AccountResponse.of(await ledger.get_account(account.account_id), currencies)


@router.get("/{account_id}/balance", response_model=BalanceResponse, dependencies=[ReadLimit])
async def get_balance(
    account: OwnAccount, ledger: LedgerDep, currencies: Currencies,
    at: Annotated[Instant | None, Query(description="A past instant (RFC 3339)")] = None,
) -> BalanceResponse:
    """The balance now, or as it was at `at` (summed from the ledger entries)."""
    row = await ledger.balance(account_id=account.account_id, at=at)
    return BalanceResponse.of(row, currencies)


@router.get("/{account_id}/statement", response_model=StatementResponse,
            dependencies=[ReadLimit])
async def get_statement(
    account: OwnAccount, ledger: LedgerDep, currencies: Currencies,
    start: Annotated[Instant | None, Query(alias="from")] = None,
    end: Annotated[Instant | None, Query(alias="to")] = None,
    cursor: Annotated[str | None, Query(max_length=20, pattern=r"^[0-9]+$",
                                        description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> StatementResponse:
    """Opening and closing balance for the period and its entries, oldest first, paged."""
    if start is not None and end is not None and start > end:
        raise ValidationFailed("`from` must not be after `to`.")
    header, entries = await ledger.statement(account_id=account.account_id, start=start,
                                             end=end, after_entry_id=keyset_cursor(cursor),
                                             limit=limit + 1)
    entries, next_cursor = keyset_page(entries, limit, key="entry_id")
    return StatementResponse.of({**header, "entries": entries, "next_cursor": next_cursor},
                                currencies)
