"""The views LedgerGPT may read and what each of their columns means.

The allow-list is `ALLOWED_VIEWS`. Column descriptions are read from the `-- Columns:`
block in each view file's header (views/<name>.sql), the same text a DBA reads there.
The LLM's schema context is built from these descriptions and the live view columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from api.config import REPO_ROOT

ALLOWED_VIEWS: tuple[str, ...] = (
    "vw_accounts",
    "vw_audit_changes",
    "vw_balance_sheet",
    "vw_customer_statement",
    "vw_customers",
    "vw_flagged_transactions",
    "vw_fx_position",
    "vw_fx_rates_current",
    "vw_incidents",
    "vw_ledger_integrity_check",
    "vw_login_events",
    "vw_pending_reviews",
    "vw_reversals",
    "vw_transactions",
)

_COLUMN_LINE = re.compile(r"^--   (\w+)\s{2,}(\S.*)$")
_CONTINUED = re.compile(r"^--\s{4,}(\S.*)$")


@dataclass(frozen=True)
class ViewDoc:
    """One view's header sentence and its columns' descriptions, in header order."""

    name: str
    summary: str
    columns: dict[str, str] = field(default_factory=dict)


def parse_view_header(name: str, text: str) -> ViewDoc:
    """The summary (first header line) and the `-- Columns:` block of a view file."""
    lines = text.splitlines()
    summary = lines[0].removeprefix("--").strip() if lines else name
    summary = summary.removeprefix(f"{name}:").strip()
    columns: dict[str, str] = {}
    inside = False
    last: str | None = None
    for line in lines:
        if not line.startswith("--"):
            break
        if line.startswith("-- Columns:"):
            inside = True
            continue
        if not inside:
            continue
        if match := _COLUMN_LINE.match(line):
            last = match.group(1)
            columns[last] = match.group(2).strip()
        elif last is not None and (more := _CONTINUED.match(line)):
            columns[last] += " " + more.group(1).strip()
        else:
            inside = False
    return ViewDoc(name=name, summary=summary, columns=columns)


@cache
def view_docs(root: Path = REPO_ROOT) -> dict[str, ViewDoc]:
    """Every allowed view's documentation, from the header of its view file."""
    return {name: parse_view_header(name, (root / "views" / f"{name}.sql").read_text())
            for name in ALLOWED_VIEWS}
