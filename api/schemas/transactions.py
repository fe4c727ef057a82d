"""Money movement: deposits, withdrawals, transfers, batches, reversals, confirmations, reviews."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

from api.fields import (
    AccountNumber,
    Amount,
    Description,
    Id,
    Pin,
    SafeText,
)
from api.money import Currencies, Money
from api.schemas.base import FromRow, RequestModel, UtcDateTime
from api.schemas.fx import applied_rate_text
from api.schemas.risk import RiskHit

# -- money ------------------------------------------------------------------------------


class DepositRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"account_id": 7, "amount": "1000.000", "description": "salary"}]})

    account_id: Id
    amount: Amount
    description: Description | None = None


class WithdrawRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"account_id": 7, "amount": "50.000", "pin": "4821", "description": "ATM"}]})

    account_id: Id
    amount: Amount
    pin: Pin | None = None
    description: Description | None = None


class TransferRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"from_account_id": 7, "to_account_number": "100000000018", "amount": "100.000",
         "pin": "4821", "description": "rent"}]})

    from_account_id: Id
    to_account_number: AccountNumber
    amount: Amount
    pin: Pin | None = None
    description: Description | None = None


class BatchItem(RequestModel):
    to_account_number: AccountNumber
    amount: Amount
    description: Description | None = None


class BatchTransferRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"from_account_id": 7, "description": "payroll", "transfers": [
            {"to_account_number": "100000000018", "amount": "250.000", "description": "May"},
            {"to_account_number": "100000000026", "amount": "310.500"}]}]})

    from_account_id: Id
    transfers: Annotated[list[BatchItem], Field(min_length=1, max_length=1000)]
    description: Description | None = None
    pin: Pin | None = None


class ReverseRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"reason": "duplicate posting"}]})

    reason: Annotated[SafeText, Field(min_length=1, max_length=255)]


class ConfirmRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"otp": "042917"}]})

    otp: Annotated[str, Field(pattern=r"^[0-9]{6}$", description="the six-digit one-time code")]


class ReviewDecisionRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"reason": "payee confirmed by phone"}]})

    reason: Annotated[SafeText | None, Field(min_length=1, max_length=255)] = None


class Risk(BaseModel):
    score: str | None = None
    verdict: str | None = None


class LedgerEntry(FromRow):
    money = {"amount": "currency", "balance_after": "currency"}

    id: int
    account_id: int
    account_number: str | None
    amount: Money
    currency: str
    balance_after: Money | None
    entry_type: str
    created_at: UtcDateTime | None


class TransactionResponse(FromRow):
    money = {"amount": "currency", "fee": "currency", "target_amount": "target_currency"}
    # The row names the accounts' numbers as from_account_number and to_account_number.
    model_config = ConfigDict(populate_by_name=True)

    id: int
    reference: str
    type: str
    status: str
    amount: Money
    currency: str
    fee: Money
    from_account: str | None = Field(validation_alias="from_account_number")
    from_account_id: int | None
    to_account: str | None = Field(validation_alias="to_account_number")
    to_account_id: int | None
    target_amount: Money | None = None
    target_currency: str | None = None
    fx_rate: str | None = None
    description: str | None = None
    parent_id: int | None = None
    reversal_of_id: int | None = None
    reversed_by_id: int | None = None
    is_high_value: bool = False
    created_at: UtcDateTime | None
    replayed: bool = False
    risk: Risk | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_columns(cls, row: Any) -> Any:
        """fx_rate as text; risk_score and risk_verdict folded into `risk`."""
        if not isinstance(row, Mapping) or "risk" in row:
            return row
        shaped = dict(row)
        if shaped.get("fx_rate") is not None:
            shaped["fx_rate"] = applied_rate_text(shaped["fx_rate"])
        if shaped.get("risk_score") is not None:
            shaped["risk"] = Risk(score=str(shaped["risk_score"]),
                                  verdict=shaped.get("risk_verdict"))
        return shaped


class TransactionDetailResponse(TransactionResponse):
    entries: list[LedgerEntry]

    @classmethod
    def with_entries(cls, row: Mapping[str, Any], entries: Sequence[Mapping[str, Any]],
                     currencies: Currencies) -> TransactionDetailResponse:
        return cls.of({**row, "entries": entries}, currencies)


class BatchTransferResponse(BaseModel):
    batch: TransactionResponse
    transfers: list[TransactionResponse]
    count: int
    total: str

    @property
    def replayed(self) -> bool:
        return self.batch.replayed


class TransactionPage(BaseModel):
    items: list[TransactionResponse]
    next_cursor: str | None


class ReviewItem(TransactionResponse):
    """A transaction waiting for staff, with the review rules it hit."""

    money = {**TransactionResponse.money, "held_amount": "currency"}

    review_hits: list[str]
    amount_jod: str
    held_amount: Money
    owner_id: int
    confirmed_at: UtcDateTime | None = None
    # The risk rules' judgement (None and [] when it was not assessed).
    rule_points: int | None = None
    rule_hits: list[RiskHit] = []

    @model_validator(mode="before")
    @classmethod
    def _hits(cls, row: Any) -> Any:
        """review_hits and rule_hits arrive as JSON text; amount_jod as a string."""
        if not isinstance(row, Mapping):
            return row
        shaped = dict(row)
        hits = shaped.get("review_hits")
        shaped["review_hits"] = json.loads(hits) if isinstance(hits, str | bytes) else (hits or [])
        rule_hits = shaped.get("rule_hits")
        shaped["rule_hits"] = (json.loads(rule_hits) if isinstance(rule_hits, str | bytes)
                               else (rule_hits or []))
        if shaped.get("amount_jod") is not None:
            shaped["amount_jod"] = str(shaped["amount_jod"])
        return shaped


class ReviewPage(BaseModel):
    items: list[ReviewItem]
    next_cursor: str | None


