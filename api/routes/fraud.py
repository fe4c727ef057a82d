"""/fraud: the alerts the risk worker raises, their resolution by analysts, and the statistics.

Risk staff (`fraud:read`: analysts, managers, auditors, admins) read every alert and the
statistics; anyone else the alerts on their own payments, without the staff's notes.
Resolving one is an analyst's or admin's act (`fraud:resolve`), re-checked in SQL, audited,
and recorded as the transaction's label for the worker's learning loop.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from api.deps import Caller, Currencies, LedgerDep, ReadLimit, Require
from api.fields import Instant, keyset_cursor, keyset_page
from api.schemas.fraud import (
    FraudAlert,
    FraudAlertPage,
    FraudStats,
    ResolveAlertRequest,
    ResolvedAlert,
)
from api.security.permissions import Permission, role_can
from api.security.tokens import AccessClaims

router = APIRouter(prefix="/fraud", tags=["fraud"])

Reader = Annotated[AccessClaims, Require(Permission.FRAUD_READ)]


@router.get("/alerts", response_model=FraudAlertPage, dependencies=[ReadLimit])
async def list_alerts(
    caller: Caller, ledger: LedgerDep, currencies: Currencies,
    status: Annotated[Literal["open", "resolved"] | None, Query()] = None,
    verdict: Annotated[Literal["SUSPICIOUS", "CRITICAL"] | None, Query()] = None,
    since: Annotated[Instant | None, Query(description="raised at or after")] = None,
    until: Annotated[Instant | None, Query(description="raised at or before")] = None,
    account_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    cursor: Annotated[str | None, Query(max_length=20, pattern=r"^[0-9]+$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> FraudAlertPage:
    """Fraud alerts, newest first, keyset-paged: the transaction, the reasons, the account now."""
    rows = await ledger.list_fraud_alerts(
        status=status, verdict=verdict, since=since, until=until, account_id=account_id,
        before_id=keyset_cursor(cursor), limit=limit + 1,
        all_=role_can(caller.role, Permission.FRAUD_READ), viewer_id=caller.user_id,
        session_id=caller.session_id)
    page, next_cursor = keyset_page(rows, limit)
    return FraudAlertPage(items=[FraudAlert.of(r, currencies) for r in page],
                          next_cursor=next_cursor)


@router.post("/alerts/{alert_id}/resolve", response_model=ResolvedAlert)
async def resolve_alert(
    alert_id: Annotated[int, Path(ge=1, le=2**63 - 1)], body: ResolveAlertRequest,
    caller: Annotated[AccessClaims, Require(Permission.FRAUD_RESOLVE)], ledger: LedgerDep,
    currencies: Currencies,
) -> ResolvedAlert:
    """Confirm the fraud or clear it, once (a second resolution is 409); moves no money."""
    row = await ledger.resolve_fraud_alert(alert_id=alert_id, resolution=body.resolution,
                                           note=body.note, actor_id=caller.user_id,
                                           session_id=caller.session_id)
    return ResolvedAlert.from_row(row, currencies)


@router.get("/stats", response_model=FraudStats, dependencies=[ReadLimit])
async def stats(caller: Reader, ledger: LedgerDep) -> FraudStats:
    """Totals per verdict and rule level, fraud rate, alert precision and the worker's lag."""
    totals, verdicts, levels = await ledger.fraud_stats(viewer_id=caller.user_id,
                                                        session_id=caller.session_id)
    return FraudStats.from_rows(totals, verdicts, levels)
