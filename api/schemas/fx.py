"""Exchange rates and quotes."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
)

from api.fields import (
    CurrencyCode,
    Instant,
    SafeText,
)
from api.money import Money
from api.schemas.base import FromRow, RequestModel, UtcDateTime

# -- exchange rates ---------------------------------------------------------------------

# Units of the quote currency per unit of the base: above zero, at most 10 decimals.
FxRateValue = Annotated[Decimal, Field(gt=0, lt=1000000, max_digits=16, decimal_places=10,
                                       examples=["1.4100"])]


class FxRateResponse(BaseModel):
    """One currency pair: the rate in force, how it was derived, and the next one scheduled."""

    base_currency: str
    quote_currency: str
    rate: Decimal
    mid_rate: Decimal | None = None
    spread: Decimal
    valid_from: UtcDateTime
    next_rate: Decimal | None = None
    next_valid_from: UtcDateTime | None = None


class FxPublishRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"base_currency": "JOD", "quote_currency": "USD", "rate": "1.4150",
         "valid_from": "2026-01-31T08:00:00Z", "reason": "central bank fixing"}]})

    base_currency: CurrencyCode
    quote_currency: CurrencyCode
    rate: FxRateValue
    valid_from: Instant | None = None
    reason: Annotated[SafeText, Field(min_length=1, max_length=255)] | None = None


class FxPublishedRate(BaseModel):
    id: int
    base_currency: str
    quote_currency: str
    rate: Decimal
    mid_rate: Decimal | None
    spread: Decimal
    valid_from: UtcDateTime
    published_by: int | None
    reason: str | None
    created_at: UtcDateTime


class FxPublishResponse(BaseModel):
    """The rate published and the pairs derived from it through JOD, all at one valid_from."""

    published: FxPublishedRate
    derived: list[FxPublishedRate]


def applied_rate_text(rate: Any) -> str:
    """A recorded rate (20 decimals) as text: 10 decimals when it has no more, as published."""
    value = Decimal(rate)
    ten = value.quantize(Decimal("1e-10"))
    return str(ten if ten == value else value.normalize())


class FxQuoteResponse(FromRow):
    """What a transfer to another customer would post now; the quote reserves nothing."""

    money = {"amount": "from_currency", "fee": "from_currency",
             "total_debited": "from_currency", "converted_amount": "to_currency"}

    from_currency: str
    to_currency: str
    amount: Money
    rate: str
    converted_amount: Money
    fee: Money
    total_debited: Money
    rate_valid_from: UtcDateTime | None
    quoted_at: UtcDateTime
    expires_at: UtcDateTime
    valid_seconds: int
    guarantee: str = ("A transfer posts at the rate in force when it posts; this quote holds "
                      "until expires_at unless a new rate is published before then.")

    @field_validator("rate", mode="before")
    @classmethod
    def _rate_text(cls, value: Any) -> str:
        """The rate the transfer records, written as the transaction writes it."""
        return applied_rate_text(value)


