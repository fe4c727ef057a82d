"""Money as the API shows it: `Decimal` inside, a string in its currency's exponent outside.

Amounts arrive from the ledger as DECIMAL(20,4); a response quantises each one to the ISO
4217 exponent of the currency it is in (3 for JOD, 2 for USD and EUR) and carries it as a
decimal string, never a JSON number.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated

from pydantic import PlainSerializer, WithJsonSchema


@dataclass(frozen=True, slots=True)
class Currency:
    code: str
    name: str
    exponent: int

    @property
    def quantum(self) -> Decimal:
        return Decimal(1).scaleb(-self.exponent)

    def quantize(self, amount: Decimal) -> Decimal:
        return amount.quantize(self.quantum)


Currencies = Mapping[str, Currency]


def quantised(amount: Decimal | None, currency: Currency | None) -> Decimal | None:
    """The amount to its currency's exponent (as stored when the currency is unknown)."""
    if amount is None or currency is None:
        return amount
    return currency.quantize(Decimal(amount))


# A money field of a response: validated as Decimal, written as its decimal string.
Money = Annotated[
    Decimal,
    PlainSerializer(lambda amount: str(amount), return_type=str, when_used="always"),
    WithJsonSchema({"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$",
                    "description": "A decimal string in the currency's exponent",
                    "examples": ["100.000"]}),
]
