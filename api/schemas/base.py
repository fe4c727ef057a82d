"""Shared bases: request bodies refuse unknown fields; responses validate from rows."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    ValidationInfo,
    model_validator,
)

from api.money import Currencies, quantised


class RequestModel(BaseModel):
    """Request bodies refuse unknown fields: a typo must not be silently ignored."""

    model_config = ConfigDict(extra="forbid")


def _as_utc(value: datetime | None) -> datetime | None:
    """The database keeps naive UTC (every session runs with time_zone '+00:00')."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDateTime = Annotated[datetime, AfterValidator(_as_utc)]


class FromRow(BaseModel):
    """A response validated from a procedure's row, its money in its currency's exponent.

    `money` names each money field and the field that holds its currency code; the
    currencies come in the validation context (`of`).
    """

    money: ClassVar[Mapping[str, str]] = {}

    @classmethod
    def of(cls, row: Mapping[str, Any], currencies: Currencies) -> Self:
        return cls.model_validate(row, context={"currencies": currencies})

    @model_validator(mode="after")
    def _quantise(self, info: ValidationInfo) -> Self:
        currencies: Currencies = (info.context or {}).get("currencies", {})
        for field, currency_field in self.money.items():
            code = getattr(self, currency_field)
            setattr(self, field, quantised(getattr(self, field), currencies.get(code or "")))
        return self


