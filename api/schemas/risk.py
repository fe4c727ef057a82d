"""The risk rules: a proposed transaction to score, and the judgement of the rules."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from api.fields import AccountNumber, Amount, Id, Instant
from api.money import Money
from api.schemas.base import FromRow, RequestModel

# The total's ceiling (risk_rules' points add up to at most this).
MAX_POINTS = 150
# One request scores at most this many transactions (sp_risk_score refuses more).
MAX_ITEMS = 100


def _ip_address(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError as exc:
        raise ValueError("not an IPv4 or IPv6 address") from exc


IpAddress = Annotated[str, Field(max_length=45), AfterValidator(_ip_address)]
Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166 alpha-2")]


class RiskScoreItem(RequestModel):
    """One proposed transaction; its amount is in the sender account's currency."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"from_account_id": 7, "to_account_number": "100000000012", "amount": "2500.000",
         "type": "transfer", "at": "2026-01-31T02:30:00Z", "client_ip": "203.0.113.7",
         "country": "JO"}]})

    from_account_id: Id
    to_account_number: AccountNumber | None = None
    amount: Amount
    type: Literal["transfer", "withdrawal"] = "transfer"
    at: Instant | None = Field(default=None, description="Judge as of this instant (default now)")
    client_ip: IpAddress | None = None
    country: Country | None = None


class RiskScoreList(RequestModel):
    transactions: Annotated[list[RiskScoreItem], Field(min_length=1, max_length=MAX_ITEMS)]


class RiskHit(BaseModel):
    rule: str
    points: int
    reason: str


class RiskItemError(BaseModel):
    code: str
    detail: str


class RiskScoreResult(FromRow):
    """The rules' judgement: points (0..150), score (points / 150), level and decision."""

    money = {"amount": "currency"}

    index: int
    from_account_id: int | None
    to_account_id: int | None = None
    amount: Money | None = None
    currency: str | None = None
    amount_jod: str | None = None
    points: int | None = None
    score: Decimal | None = None
    level: Literal["LOW", "MEDIUM", "HIGH"] | None = None
    decision: Literal["approve", "review", "block"] | None = None
    hits: list[RiskHit] = []
    reasons: list[str] = []
    error: RiskItemError | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_row(cls, row: Any) -> Any:
        """sp_risk_score's row: the assessment as JSON text, or the item's 'CODE: text'."""
        if not isinstance(row, Mapping) or "index" in row:
            return row
        shaped: dict[str, Any] = {key: row.get(key) for key in (
            "from_account_id", "to_account_id", "amount", "currency")}
        shaped["index"] = row["seq"]
        if row.get("amount_jod") is not None:
            shaped["amount_jod"] = str(row["amount_jod"])
        if row.get("error"):
            code, _, detail = str(row["error"]).partition(":")
            shaped["error"] = {"code": code.strip(), "detail": detail.strip()}
            return shaped
        judged = json.loads(row["assessment"])
        shaped.update(points=judged["points"], level=judged["level"],
                      decision=judged["decision"], hits=judged["hits"],
                      reasons=[hit["reason"] for hit in judged["hits"]],
                      score=(Decimal(judged["points"]) / MAX_POINTS).quantize(Decimal("0.0001")))
        return shaped


class RiskScoreListResponse(BaseModel):
    results: list[RiskScoreResult]
    count: int
