"""What a question names: customers, accounts, amounts, currencies, dates, types, top-N.

`extract` reads them from the question's text, fixing small typos against the bank's
vocabulary and the known usernames first. Every value that reaches SQL is either one of
a closed set (a known username, a currency code, a type) or a number or date parsed
here, so question text never reaches a statement verbatim.
"""

from __future__ import annotations

import calendar
import difflib
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

CURRENCY_WORDS = {
    "jod": "JOD", "dinar": "JOD", "dinars": "JOD", "jd": "JOD",
    "usd": "USD", "dollar": "USD", "dollars": "USD", "us$": "USD",
    "eur": "EUR", "euro": "EUR", "euros": "EUR", "€": "EUR",
}
TYPE_WORDS = {
    "deposit": "deposit", "deposits": "deposit", "withdrawal": "withdrawal",
    "withdrawals": "withdrawal", "transfer": "transfer", "transfers": "transfer",
    "wire": "transfer", "wires": "transfer", "reversal": "reversal", "reversals": "reversal",
    "bill": "bill_payment", "bills": "bill_payment", "interest": "interest", "batch": "batch",
    "batches": "batch",
}
STATUS_WORDS = {
    "completed": "completed", "complete": "completed", "successful": "completed",
    "rejected": "rejected", "reversed": "reversed", "failed": "failed",
    "pending_review": "pending_review", "pending_otp": "pending_otp",
}
ACCOUNT_TYPES = {"savings": "savings", "saving": "savings", "checking": "checking",
                 "current": "checking", "wallet": "wallet", "fixed": "fixed_deposit"}
MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
MONTHS |= {name.lower(): number for number, name in enumerate(calendar.month_abbr) if name}

# Words of the bank's questions: a misspelt word close to one of these is read as it.
VOCABULARY = frozenset([
    "transactions", "transaction", "transfers", "transfer", "deposits", "deposit",
    "withdrawals", "withdrawal", "payments", "payment", "balance", "balances", "statement",
    "statements", "account", "accounts", "customer", "customers", "suspicious", "critical",
    "flagged", "fraud", "risky", "highvalue", "reversals", "reversal", "reversed", "approved",
    "approve", "approval", "approvals", "pending", "review", "reviews", "failed", "login",
    "logins", "signin",
    "incidents", "incident", "alerts", "alert", "integrity", "ledger", "sheet", "fees", "fee",
    "earned", "volume", "daily", "weekly", "monthly", "senders", "sender", "receivers",
    "receiver", "recipients", "exchange", "currency", "currencies", "conversions", "converted",
    "audit", "changes", "changed", "yesterday", "today", "week", "month", "year", "since",
    "between", "largest", "biggest", "top", "show", "list", "count", "total", "history",
    "entries", "users", "user", "savings", "checking", "wallet", "dollars", "euros", "dinars",
    "over", "under", "above", "below", "least", "most", "amount", "amounts", "who", "what",
    "which", "where", "when", "much", "many", "last", "past", "this"
])

STOP_WORDS = frozenset([
    "a", "an", "the", "of", "for", "by", "from", "to", "in", "on", "at", "and", "or", "with",
    "is", "are", "was", "were", "did", "do", "does", "has", "have", "me", "my", "our", "all",
    "any", "show", "list", "give", "get", "find", "what", "which", "who", "whom", "how", "many",
    "much", "were", "there", "please", "pls", "each", "per", "every", "their", "his", "her",
    "its", "that", "this", "those", "these", "than", "more", "less", "over", "under", "above",
    "below", "between", "since", "after", "before", "ago", "last", "past", "next", "first",
    "within", "during", "account", "accounts", "customer", "customers", "user", "users", "bank",
    "sent", "received", "made", "paid"
])


@dataclass
class Entities:
    """Everything a question named that a filter can use."""

    users: list[str] = field(default_factory=list)
    unknown_names: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    account_type: str | None = None
    min_amount: Decimal | None = None
    min_inclusive: bool = False
    max_amount: Decimal | None = None
    max_inclusive: bool = False
    currencies: list[str] = field(default_factory=list)
    date_from: str | None = None  # SQL expressions: CURDATE() - INTERVAL 7 DAY, '2026-03-01'
    date_to: str | None = None  # exclusive upper bound
    date_words: str | None = None  # the period in words, for the explanation
    types: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    verdicts: list[str] = field(default_factory=list)
    top_n: int | None = None
    text: str = ""  # the normalised question


def normalise(question: str, usernames: Collection[str]) -> str:
    """Lower case, spaced punctuation, typos fixed against the vocabulary and usernames."""
    text = question.lower().replace("\u2019", "'")
    text = re.sub(r"'s\b", "", text)
    text = re.sub(r"high[- ]value", "highvalue", text)
    text = re.sub(r"log[- ]?ins?\b", "login", text)
    text = re.sub(r"sign[- ]?ins?\b", "login", text)
    text = re.sub(r"\btxns?\b|\btrx\b", "transactions", text)
    words = re.findall(r"[\w$€.,:/-]+|\S", text)
    names = {name.lower() for name in usernames}
    fixed: list[str] = []
    for word in words:
        bare = word.strip(".,?!:")
        if (len(bare) >= 4 and bare.isalpha() and bare not in VOCABULARY and bare not in names
                and bare not in STOP_WORDS and bare not in MONTHS):
            match = difflib.get_close_matches(bare, [*VOCABULARY, *names], n=1, cutoff=0.8)
            if match:
                word = word.replace(bare, match[0])
        fixed.append(word)
    return " ".join(fixed)


_NUMBER = r"\$?\s?(\d[\d,]*(?:\.\d+)?)\s?(k|m|thousand|million)?\b"
_ISO = r"(\d{4}-\d{2}-\d{2})"


def parse_amount(number: str, scale: str | None) -> Decimal | None:
    try:
        value = Decimal(number.replace(",", ""))
    except InvalidOperation:
        return None
    factor = {"k": 1000, "thousand": 1000, "m": 1_000_000, "million": 1_000_000}
    return value * factor.get(scale or "", 1)


def extract(question: str, usernames: Collection[str], *, today: date | None = None) -> Entities:
    """The entities of `question`; `usernames` are the bank's users (vw_customers)."""
    today = today or date.today()
    found = Entities()
    text = normalise(question, usernames)
    found.text = text
    rest = _dates(text, found, today)
    rest = _amounts(rest, found)
    tokens = re.findall(r"[a-z_]+|\d+", rest)
    names = {name.lower(): name for name in usernames}
    for token in tokens:
        if token in names and names[token] not in found.users:
            found.users.append(names[token])
        if token in CURRENCY_WORDS and CURRENCY_WORDS[token] not in found.currencies:
            found.currencies.append(CURRENCY_WORDS[token])
        if token in TYPE_WORDS and TYPE_WORDS[token] not in found.types:
            found.types.append(TYPE_WORDS[token])
        if token in STATUS_WORDS and STATUS_WORDS[token] not in found.statuses:
            found.statuses.append(STATUS_WORDS[token])
        if token in ACCOUNT_TYPES:
            found.account_type = ACCOUNT_TYPES[token]
    found.accounts = re.findall(r"\b\d{10,16}\b", text)
    if "critical" in tokens:
        found.verdicts.append("CRITICAL")
    if "suspicious" in tokens:
        found.verdicts.append("SUSPICIOUS")
    if re.search(r"\bsafe\b", text):
        found.verdicts.append("SAFE")
    top = re.search(r"\b(?:top|largest|biggest|highest)\s+(\d{1,4})\b", rest) \
        or re.search(r"\b(\d{1,4})\s+(?:largest|biggest|highest|top)\b", rest)
    if top:
        found.top_n = int(top.group(1))
    elif re.search(r"\b(top|largest|biggest|highest)\b", text):
        found.top_n = 10
    for match in re.finditer(r"\b(?:of|for|by|from|to|customer|user)\s+([a-z][a-z_]{2,})\b",
                             rest):
        word = match.group(1)
        if (word not in names and word not in VOCABULARY and word not in STOP_WORDS
                and word not in CURRENCY_WORDS and word not in TYPE_WORDS
                and word not in ACCOUNT_TYPES and word not in STATUS_WORDS
                and word not in MONTHS and word not in _PERIOD_WORDS):
            found.unknown_names.append(word)
    return found


_PERIOD_WORDS = frozenset({"day", "days", "week", "weeks", "month", "months", "year", "years",
                           "date", "now", "yesterday", "today", "them", "it", "money",
                           "whom", "which", "currency", "pair", "pairs", "type"})


def _set_period(found: Entities, start: str | None, end: str | None, words: str) -> None:
    found.date_from, found.date_to, found.date_words = start, end, words


def _lit(day: date) -> str:
    return f"'{day.isoformat()}'"


def _dates(text: str, found: Entities, today: date) -> str:
    """Read the period named in `text`; return the text without it."""
    rules: list[tuple[str, object]] = [
        (rf"\bbetween\s+{_ISO}\s+and\s+{_ISO}", "between"),
        (rf"\bfrom\s+{_ISO}\s+(?:to|until|till)\s+{_ISO}", "between"),
        (rf"\b(?:since|after|from)\s+{_ISO}", "since"),
        (rf"\b(?:before|until)\s+{_ISO}", "before"),
        (rf"\bon\s+{_ISO}|\b{_ISO}", "on"),
        (r"\btoday\b", "today"),
        (r"\byesterday\b", "yesterday"),
        (r"\b(?:in\s+the\s+)?(?:last|past)\s+(\d+)\s+(day|week|month)s?\b", "rolling"),
        (r"\b(?:last|past|previous)\s+(week|month|year)\b", "rolling1"),
        (r"\bthis\s+(week|month|year)\b", "this"),
        (r"\b(?:in|during)\s+(" + "|".join(sorted(MONTHS, key=len, reverse=True))
         + r")(?:\s+(\d{4}))?\b", "month"),
        (r"\b(?:in|during)\s+(\d{4})\b", "year"),
    ]
    for pattern, kind in rules:
        match = re.search(pattern, text)
        if not match:
            continue
        groups = [g for g in match.groups() if g is not None]
        if kind == "between":
            end = date.fromisoformat(groups[1]) + timedelta(days=1)
            _set_period(found, _lit(date.fromisoformat(groups[0])), _lit(end),
                        f"from {groups[0]} to {groups[1]}")
        elif kind == "since":
            _set_period(found, _lit(date.fromisoformat(groups[0])), None, f"since {groups[0]}")
        elif kind == "before":
            _set_period(found, None, _lit(date.fromisoformat(groups[0])), f"before {groups[0]}")
        elif kind == "on":
            day = date.fromisoformat(groups[0])
            _set_period(found, _lit(day), _lit(day + timedelta(days=1)), f"on {groups[0]}")
        elif kind == "today":
            _set_period(found, "CURDATE()", None, "today")
        elif kind == "yesterday":
            _set_period(found, "CURDATE() - INTERVAL 1 DAY", "CURDATE()", "yesterday")
        elif kind in {"rolling", "rolling1"}:
            count = int(groups[0]) if kind == "rolling" else 1
            unit = groups[-1]
            days = count * {"day": 1, "week": 7, "month": 30, "year": 365}[unit]
            _set_period(found, f"CURDATE() - INTERVAL {days} DAY", None,
                        f"in the last {days} days")
        elif kind == "this":
            unit = groups[0]
            if unit == "week":
                start = today - timedelta(days=today.weekday())
            elif unit == "month":
                start = today.replace(day=1)
            else:
                start = today.replace(month=1, day=1)
            _set_period(found, _lit(start), None, f"this {unit} (since {start.isoformat()})")
        elif kind == "month":
            month = MONTHS[groups[0]]
            year = int(groups[1]) if len(groups) > 1 else (
                today.year if month <= today.month else today.year - 1)
            start = date(year, month, 1)
            end = date(year + (month == 12), month % 12 + 1, 1)
            _set_period(found, _lit(start), _lit(end), f"in {calendar.month_name[month]} {year}")
        elif kind == "year":
            year = int(groups[0])
            _set_period(found, _lit(date(year, 1, 1)), _lit(date(year + 1, 1, 1)), f"in {year}")
        return text[:match.start()] + " " + text[match.end():]
    return text


def _amounts(text: str, found: Entities) -> str:
    """Read amount bounds from `text`; return the text without them."""
    between = re.search(rf"\bbetween\s+{_NUMBER}\s+(?:and|to|-)\s+{_NUMBER}", text)
    if between:
        low = parse_amount(between.group(1), between.group(2))
        high = parse_amount(between.group(3), between.group(4))
        if low is not None and high is not None:
            found.min_amount, found.max_amount = min(low, high), max(low, high)
            found.min_inclusive = found.max_inclusive = True
        return text[:between.start()] + " " + text[between.end():]
    bounds = [
        (r"(?:over|above|more\s+than|greater\s+than|exceeding|larger\s+than|bigger\s+than|>)",
         "min", False),
        (r"(?:at\s+least|no\s+less\s+than|minimum(?:\s+of)?|>=)", "min", True),
        (r"(?:under|below|less\s+than|smaller\s+than|<)", "max", False),
        (r"(?:at\s+most|up\s+to|no\s+more\s+than|maximum(?:\s+of)?|<=)", "max", True),
    ]
    for words, side, inclusive in bounds:
        match = re.search(rf"{words}\s*{_NUMBER}", text)
        if not match:
            continue
        value = parse_amount(match.group(1), match.group(2))
        if value is None:
            continue
        if side == "min":
            found.min_amount, found.min_inclusive = value, inclusive
        else:
            found.max_amount, found.max_inclusive = value, inclusive
        text = text[:match.start()] + " " + text[match.end():]
    return text
