"""/analytics: what the bank's models say about the caller's money.

`/analytics/risk-scores` lists scored transactions: risk staff (`fraud:read`) see every
score; anyone else the scores of their own payments and of deposits to their accounts.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.deps import Caller, Currencies, LedgerDep, ReadLimit
from api.fields import Instant, keyset_cursor, keyset_page
from api.schemas.fraud import RiskScore, RiskScorePage
from api.security.permissions import Permission, role_can

router = APIRouter(prefix="/analytics", tags=["analytics"])


@router.get("/risk-scores", response_model=RiskScorePage, dependencies=[ReadLimit])
async def risk_scores(
    caller: Caller, ledger: LedgerDep, currencies: Currencies,
    verdict: Annotated[Literal["SAFE", "SUSPICIOUS", "CRITICAL"] | None, Query()] = None,
    account_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    since: Annotated[Instant | None, Query(description="transactions created at or after")
                     ] = None,
    until: Annotated[Instant | None, Query(description="transactions created at or before")
                     ] = None,
    cursor: Annotated[str | None, Query(max_length=20, pattern=r"^[0-9]+$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> RiskScorePage:
    """Scored transactions the caller may see, newest first, keyset-paged."""
    rows = await ledger.list_risk_scores(
        verdict=verdict, account_id=account_id, since=since, until=until,
        before_id=keyset_cursor(cursor), limit=limit + 1,
        all_=role_can(caller.role, Permission.FRAUD_READ), viewer_id=caller.user_id,
        session_id=caller.session_id)
    page, next_cursor = keyset_page(rows, limit, key="transaction_id")
    return RiskScorePage(items=[RiskScore.of(r, currencies) for r in page],
                         next_cursor=next_cursor)
