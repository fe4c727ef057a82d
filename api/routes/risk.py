"""/risk/score: the synchronous risk rules as a scoring service; nothing posts.

The same rules the money paths apply before money moves (fn_risk_assess, through the
read-only sp_risk_score), for one proposed transaction or a list of up to 100. Staff with
`risk:score` only. A list answers per item, an unknown account being that item's error; a
single transaction's error is the response's (404 for an unknown account).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from api.deps import Currencies, LedgerDep, ReadLimit, Require
from api.errors import error_for_code
from api.schemas.risk import (
    RiskScoreItem,
    RiskScoreList,
    RiskScoreListResponse,
    RiskScoreResult,
)
from api.security.permissions import Permission
from api.security.tokens import AccessClaims

router = APIRouter(prefix="/risk", tags=["risk"])

Scorer = Annotated[AccessClaims, Require(Permission.RISK_SCORE)]


@router.post("/score", response_model=RiskScoreResult | RiskScoreListResponse,
             dependencies=[ReadLimit])
async def score(
    body: RiskScoreItem | RiskScoreList, caller: Scorer, ledger: LedgerDep,
    currencies: Currencies,
) -> RiskScoreResult | RiskScoreListResponse:
    """Points (0..150), score, level (LOW, MEDIUM, HIGH), decision and the hits with reasons.

    LOW approves, MEDIUM sends to review, HIGH blocks: what the money paths would do with
    the transaction now (or as of `at`). The session's own rules (new device, country change
    since login) need a session and do not fire here.
    """
    items = body.transactions if isinstance(body, RiskScoreList) else [body]
    rows = await ledger.risk_score(
        actor_id=caller.user_id, session_id=caller.session_id,
        items=[item.model_dump(mode="json", exclude_none=True) for item in items])
    results = [RiskScoreResult.of(row, currencies) for row in rows]
    if isinstance(body, RiskScoreList):
        return RiskScoreListResponse(results=results, count=len(results))
    if results[0].error is not None:
        raise error_for_code(results[0].error.code, results[0].error.detail)
    return results[0]
