"""Fraud alerts, their resolution, the fraud statistics and the risk scores."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from api.fields import SafeText
from api.money import Money
from api.schemas.base import FromRow, RequestModel, UtcDateTime


def _decimal_text(value: Any) -> Any:
    """Scores and rates as decimal strings, as the database computed them."""
    return None if value is None else str(value)


def _reasons(value: Any) -> Any:
    """The worker's reasons arrive as JSON text (a list of phrases or of objects)."""
    if value is None:
        return []
    decoded = json.loads(value) if isinstance(value, str | bytes) else value
    return decoded if isinstance(decoded, list) else [decoded]


DecimalText = Annotated[str | None, BeforeValidator(_decimal_text)]
Reasons = Annotated[list[Any], BeforeValidator(_reasons)]


class FraudAlert(FromRow):
    """An alert with its transaction, the score's reasons and the account's status now."""

    money = {"amount": "currency"}

    id: int
    transaction_id: int
    account_id: int | None
    account_number: str | None
    account_status: str | None
    score: DecimalText
    verdict: str
    status: str
    action_taken: str | None
    resolution: str | None
    resolution_note: str | None
    resolved_by: int | None
    resolved_by_username: str | None
    created_at: UtcDateTime
    resolved_at: UtcDateTime | None
    amount: Money
    currency: str
    transaction_type: str
    transaction_created_at: UtcDateTime
    from_account_number: str | None
    to_account_number: str | None
    model_version: str | None
    reasons: Reasons


class FraudAlertPage(BaseModel):
    items: list[FraudAlert]
    next_cursor: str | None


class ResolveAlertRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"resolution": "false_positive", "note": "customer confirmed the purchase by phone"}]})

    resolution: Literal["confirmed_fraud", "false_positive"]
    note: Annotated[SafeText, Field(min_length=1, max_length=1000)]


class Label(BaseModel):
    """What the bank now knows about the transaction, as the risk worker learns it."""

    is_fraud: bool
    source: str
    labelled_at: UtcDateTime


class ResolvedAlert(FraudAlert):
    """The resolved alert, its label, and whether its account is still frozen.

    Resolving moves no money and lifts no freeze: after a false positive on an alert whose
    action froze the account, `account_frozen` stays true until staff unfreeze it
    (POST /admin/accounts/{id}/unfreeze).
    """

    label: Label
    account_frozen: bool

    @classmethod
    def from_row(cls, row: Mapping[str, Any], currencies: Any) -> ResolvedAlert:
        label = Label(is_fraud=bool(row["label_is_fraud"]), source=str(row["label_source"]),
                      labelled_at=row["labelled_at"])
        return cls.of({**row, "label": label,
                       "account_frozen": row.get("account_status") == "frozen"}, currencies)


class VerdictCount(BaseModel):
    verdict: str
    scored: int
    alerts: int
    open_alerts: int
    confirmed_fraud: int
    false_positives: int


class LevelCount(BaseModel):
    level: str
    scored: int
    alerts: int


class WorkerLag(BaseModel):
    """The newest transaction against the newest one the risk worker has scored."""

    newest_transaction_id: int | None
    newest_transaction_at: UtcDateTime | None
    newest_scored_transaction_id: int | None
    newest_scored_transaction_at: UtcDateTime | None
    last_scored_at: UtcDateTime | None
    transactions_behind: int
    seconds_behind: DecimalText


class FraudStats(BaseModel):
    scored: int
    alerts: int
    open_alerts: int
    resolved_alerts: int
    confirmed_fraud: int
    false_positives: int
    labelled_fraud: int = Field(description="scored transactions labelled fraud (any source)")
    fraud_rate: DecimalText = Field(description="confirmed-fraud alerts / scored transactions")
    alert_precision: DecimalText = Field(description="confirmed-fraud alerts / resolved alerts")
    per_verdict: list[VerdictCount]
    per_level: list[LevelCount]
    worker_lag: WorkerLag

    @classmethod
    def from_rows(cls, totals: Mapping[str, Any], verdicts: Sequence[Mapping[str, Any]],
                  levels: Sequence[Mapping[str, Any]]) -> FraudStats:
        return cls.model_validate({
            **totals, "per_verdict": verdicts, "per_level": levels,
            "worker_lag": WorkerLag.model_validate(totals)})


class RiskScore(FromRow):
    """A scored transaction: the worker's score, verdict, model and reasons."""

    money = {"amount": "currency"}
    model_config = ConfigDict(populate_by_name=True)

    transaction_id: int
    reference: str
    type: str
    status: str
    amount: Money
    currency: str
    from_account: str | None = Field(validation_alias="from_account_number")
    to_account: str | None = Field(validation_alias="to_account_number")
    created_at: UtcDateTime
    score: DecimalText
    verdict: str
    rule_score: DecimalText
    model_score: DecimalText
    model_version: str | None
    reasons: Reasons
    scored_at: UtcDateTime


class RiskScorePage(BaseModel):
    items: list[RiskScore]
    next_cursor: str | None
