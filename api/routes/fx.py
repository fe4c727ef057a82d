"""/fx: the exchange rates in force, a quote for a conversion with its fee, publishing a rate.

Rates and quotes are for anyone signed in (the procedure re-checks the session in the same
call); publishing is `fx:publish` (managers and admins), re-checked in SQL and audited.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.deps import Caller, Currencies, LedgerDep, ReadLimit, Require
from api.fields import AccountNumber, Amount, CurrencyCode
from api.schemas.fx import (
    FxPublishedRate,
    FxPublishRequest,
    FxPublishResponse,
    FxQuoteResponse,
    FxRateResponse,
)
from api.security.permissions import Permission
from api.security.tokens import AccessClaims

router = APIRouter(prefix="/fx", tags=["fx"])

Publisher = Annotated[AccessClaims, Require(Permission.FX_PUBLISH)]


@router.get("/rates", response_model=list[FxRateResponse], dependencies=[ReadLimit])
async def list_rates(caller: Caller, ledger: LedgerDep) -> list[FxRateResponse]:
    """Every currency pair: the rate in force, its valid_from, and the next one scheduled."""
    rows = await ledger.fx_rates(session_id=caller.session_id, user_id=caller.user_id, at=None)
    return [FxRateResponse.model_validate(row) for row in rows]


@router.get("/quote", response_model=FxQuoteResponse, dependencies=[ReadLimit])
async def quote(
    caller: Caller, ledger: LedgerDep, currencies: Currencies,
    from_currency: Annotated[CurrencyCode, Query(alias="from")],
    to_currency: Annotated[CurrencyCode, Query(alias="to")],
    amount: Annotated[Amount, Query(description="In the `from` currency")],
    to_account: Annotated[AccountNumber | None, Query(
        description="The receiving account: one of your own (in `to`) is quoted without the "
                    "fee; any other number, or none, with the fee to another customer")] = None,
) -> FxQuoteResponse:
    """Rate, converted amount, the transfer's fee, total debited, and how long it holds."""
    row = await ledger.fx_quote(from_currency=from_currency, to_currency=to_currency,
                                amount=amount, session_id=caller.session_id,
                                user_id=caller.user_id, to_account_number=to_account)
    return FxQuoteResponse.of(row, currencies)


@router.post("/rates", status_code=status.HTTP_201_CREATED, response_model=FxPublishResponse)
async def publish_rate(
    body: FxPublishRequest, caller: Publisher, ledger: LedgerDep
) -> FxPublishResponse:
    """Publish a rate against JOD from valid_from (default now); cross pairs are re-derived."""
    rows = await ledger.publish_fx_rate(
        base_currency=body.base_currency, quote_currency=body.quote_currency, rate=body.rate,
        valid_from=body.valid_from, reason=body.reason, actor_id=caller.user_id,
        session_id=caller.session_id)
    published = [FxPublishedRate.model_validate(row) for row in rows]
    return FxPublishResponse(published=published[0], derived=published[1:])
