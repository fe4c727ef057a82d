"""The grammar of what clients send: amounts, free text, instants, names, codes.

One annotated type per kind of input, shared by every request body and query parameter,
so a rule (say, what an amount may look like) is written once. Each states its pattern in
the schema for clients and fuzzers; the validators enforce it with a reason.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema

from api.errors import ValidationFailed
from api.security.usernames import RULE as USERNAME_RULE

Row = dict[str, Any]

# -- amounts ----------------------------------------------------------------------------
# One grammar for every amount, in bodies and in queries: ASCII digits, at most
# AMOUNT_INTEGER_DIGITS before the point and 4 after it; no sign, no spaces, no underscores,
# no exponent, no other script's digits. The bound is the ledger's (fn_amount_error: below
# 10^13; the batch procedure's pattern says the same, and a test keeps the three agreeing).
# The procedure then refuses more decimals than the currency has (INVALID_AMOUNT) and more
# than the currency's max_amount (AMOUNT_OUT_OF_RANGE).
AMOUNT_INTEGER_DIGITS = 13
AMOUNT_PATTERN = rf"^[0-9]{{1,{AMOUNT_INTEGER_DIGITS}}}(\.[0-9]{{1,4}})?$"
_AMOUNT = re.compile(AMOUNT_PATTERN, re.ASCII)
# A JSON number arrives as a float; beyond 15 significant digits its shortest decimal form
# may no longer be the digits the client wrote, so such amounts must be sent as strings.
_EXACT_FLOAT_DIGITS = sys.float_info.dig


def _parse_amount(value: Any) -> Decimal:
    """The amount a client sent (a decimal string, a JSON integer or an exact JSON decimal)."""
    if isinstance(value, bool):
        raise ValueError("an amount is a decimal string such as \"100.50\"")
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        text = repr(value)
        if text.endswith(".0"):
            text = text[:-2]
        digits = len(text.replace(".", "").lstrip("0"))
        if digits > _EXACT_FLOAT_DIGITS:
            raise ValueError("send amounts with more than 15 significant digits as strings")
    elif isinstance(value, Decimal):
        text = format(value, "f")
    elif isinstance(value, str):
        text = value
    else:
        raise ValueError("an amount is a decimal string such as \"100.50\"")
    if not _AMOUNT.fullmatch(text):
        raise ValueError("an amount is ASCII digits with an optional point and up to 4 decimals, "
                         f"at most {AMOUNT_INTEGER_DIGITS} digits before the point, no sign, "
                         "spaces or exponent")
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:  # unreachable after the pattern; kept as a guard
        raise ValueError("not a decimal amount") from exc
    if amount <= 0:
        raise ValueError("an amount must be greater than zero")
    return amount


Amount = Annotated[
    Decimal,
    BeforeValidator(_parse_amount),
    WithJsonSchema({
        "anyOf": [
            {"type": "string", "pattern": AMOUNT_PATTERN,
             "maxLength": AMOUNT_INTEGER_DIGITS + 5},
            {"type": "number", "exclusiveMinimum": 0,
             "maximum": 10**AMOUNT_INTEGER_DIGITS - 1},
        ],
        "description": f"A positive decimal: up to {AMOUNT_INTEGER_DIGITS} digits, a point "
                       "and up to 4 decimals "
                       "(no more than the currency has). Send it as a string; JSON numbers "
                       "are accepted when they have at most 15 significant digits.",
        "examples": ["100.000"],
    }),
]

# -- text -------------------------------------------------------------------------------
# Free text is shown to other people (a transfer's description reaches the payee), so it
# may not hold what changes how the text around it is displayed: control characters (Cc),
# format characters (Cf: bidi overrides and isolates U+202A-202E/U+2066-2069, zero-width
# spaces, BOM, ...), surrogates, and line/paragraph separators. Emoji keep working: ZWJ
# (U+200D, a family, the rainbow flag) and the tag characters U+E0020-E007F (the flags
# of England, Scotland and Wales) stay allowed.
_ALLOWED_FORMAT = {"\u200d", *map(chr, range(0xE0020, 0xE0080))}
_FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}


# Planes 0, 1 and 14 hold every such character; the rest are letters, private use or unassigned.
_PLANES_WITH_FORMAT_CHARACTERS = (*range(0x0, 0x20000), *range(0xE0000, 0xE1000))


def _forbidden_ranges() -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    for code in _PLANES_WITH_FORMAT_CHARACTERS:
        char = chr(code)
        if unicodedata.category(char) in _FORBIDDEN_CATEGORIES and char not in _ALLOWED_FORMAT:
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return ranges


def _escape(code: int) -> str:
    # Characters beyond the BMP are written as themselves: JSON Schema tools disagree on
    # how to escape them (ECMA-262 has no \U).
    return f"\\u{code:04x}" if code <= 0xFFFF else chr(code)


def _char_class(ranges: list[tuple[int, int]]) -> str:
    return "".join(_escape(lo) if lo == hi else f"{_escape(lo)}-{_escape(hi)}"
                   for lo, hi in ranges)


_FORBIDDEN = _forbidden_ranges()
_UNSAFE_CHAR = re.compile(f"[{_char_class(_FORBIDDEN)}]")
# Surrogates cannot be written in a schema pattern (UTF-8 regex engines refuse them) and
# cannot arrive as UTF-8 either; only a JSON `\ud800` escape makes one, and the
# validator refuses it.
SAFE_TEXT_PATTERN = "^[^" + _char_class(
    [(lo, hi) for lo, hi in _FORBIDDEN if not 0xD800 <= lo <= 0xDFFF]) + "]*$"


def _refuse_unsafe_characters(value: str) -> str:
    found = _UNSAFE_CHAR.search(value)
    if found is not None:
        raise ValueError(f"contains U+{ord(found.group()):04X} "
                         f"({unicodedata.name(found.group(), 'a control character')}), "
                         "a control or text-direction character that is not allowed")
    return value


# Use SafeText for every free-text field a person types and another person may see.
# The pattern is stated in the schema (for clients and fuzzers); the validator enforces it
# and names the offending character.
SafeText = Annotated[str, AfterValidator(_refuse_unsafe_characters),
                     Field(json_schema_extra={"pattern": SAFE_TEXT_PATTERN})]

# -- instants ---------------------------------------------------------------------------
# Query instants are ISO 8601 with a zone (never a Unix number), between 1970 and 9999 UTC.
# RFC 3339 date-time, the `format` the schema states.
_ISO_INSTANT = re.compile(
    r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$",
    re.ASCII | re.IGNORECASE)


def _parse_instant(value: Any) -> datetime:
    """A client's instant as the naive UTC datetime the database compares with."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and (match := _ISO_INSTANT.fullmatch(value)):
        day, time_of_day, fraction, zone = match.groups()
        fraction = (fraction or "")[:7]  # microseconds: the database keeps DATETIME(6)
        zone = "+00:00" if zone.upper() == "Z" else zone
        try:
            parsed = datetime.fromisoformat(f"{day}T{time_of_day}{fraction}{zone}")
        except ValueError as exc:
            raise ValueError("not a valid date and time") from exc
    else:
        raise ValueError("an instant is ISO 8601 with a zone, e.g. 2026-01-31T23:59:59Z")
    if parsed.tzinfo is None:
        raise ValueError("an instant needs a zone (Z or +hh:mm)")
    try:
        as_utc = parsed.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("the instant is out of range (1970..9999 UTC)") from exc
    if as_utc.year < 1970:
        raise ValueError("the instant is out of range (1970..9999 UTC)")
    return as_utc.replace(tzinfo=None)


Instant = Annotated[
    datetime,
    BeforeValidator(_parse_instant),
    WithJsonSchema({"type": "string", "format": "date-time",
                    "description": "RFC 3339 (ISO 8601 with a zone), 1970..9999 UTC",
                    "examples": ["2026-01-31T23:59:59Z"]}),
]

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
AccountNumber = Annotated[str, Field(min_length=1, max_length=34, pattern=r"^[A-Za-z0-9-]+$")]
Description = Annotated[SafeText, Field(max_length=255)]
Pin = Annotated[str, Field(pattern=r"^[0-9]{4,6}$")]
# Checked and normalised by api.security.usernames (one rule); the pattern documents it.
Username = Annotated[str, Field(
    min_length=3, max_length=64, description=USERNAME_RULE,
    json_schema_extra={"pattern": r"^[A-Za-z0-9][A-Za-z0-9._-]{2,31}$"})]
Password = Annotated[str, Field(min_length=1, max_length=128)]
# A password being chosen: the schema states the policy's real bounds (10 characters, 72
# bytes of UTF-8, bcrypt's limit); api/security/passwords.py enforces them with a clear
# WEAK_PASSWORD reason, so they are only documented here.
NewPassword = Annotated[str, Field(min_length=1, max_length=128, json_schema_extra={
    "minLength": 10, "maxLength": 72,
    "description": "At least 10 characters and at most 72 bytes in UTF-8; not a common password"})]
Email = Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
FullName = Annotated[SafeText, Field(min_length=1, max_length=200)]
Phone = Annotated[str, Field(pattern=r"^\+?[0-9][0-9 ()-]{5,19}$")]


def _calendar_date_text(value: Any) -> Any:
    # pydantic would read a number as a Unix time (0 -> 1970-01-01): dates are text only.
    if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return value
    raise ValueError("must be a calendar date written YYYY-MM-DD")


def _past_date(value: date) -> date:
    if value >= date.today() or value.year < 1900:
        raise ValueError("date_of_birth must be a past date after 1900")
    return value


DateOfBirth = Annotated[date, BeforeValidator(_calendar_date_text), AfterValidator(_past_date)]
AccountType = Literal["savings", "checking", "wallet", "fixed_deposit"]
CurrencyCode = Annotated[str, Field(min_length=3, max_length=3, pattern=r"^[A-Z]{3}$",
                                    examples=["JOD"])]
TransactionType = Literal["deposit", "withdrawal", "transfer", "batch", "reversal",
                          "bill_payment", "interest", "fee"]
TransactionStatus = Literal["completed", "pending_otp", "pending_review", "rejected",
                            "reversed", "failed"]


def keyset_cursor(cursor: str | None) -> int | None:
    """A page's cursor (digits, checked by the query's pattern) as the id it stands for."""
    if not cursor:
        return None
    value = int(cursor)
    if value > 2**63 - 1:
        raise ValidationFailed("cursor: out of range")
    return value


def keyset_page(rows: list[Row], limit: int, *, key: str = "id") -> tuple[list[Row], str | None]:
    """A page fetched with limit + 1 rows: the page, and the next cursor (its last `key`)
    when the extra row came back."""
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, str(rows[-1][key])
    return rows, None
