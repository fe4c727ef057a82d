"""The one gate every statement passes, whoever wrote it: one SELECT over allowed views.

`check_sql` parses the text with sqlglot (MySQL dialect) and either returns the statement
to run, regenerated from the parse tree (so a comment cannot smuggle a second statement
past the parser: what runs is what was checked), with a LIMIT, or raises `Refused` with
the reason in words. `refuse_change_request` turns away questions that ask to change data
before any engine sees them.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

DEFAULT_LIMIT = 200
MAX_LIMIT = 10_000

# Functions that wait, read files, take locks or touch the server's state. The read-only
# transaction and bank_readonly's grants stop writes anyway; these are refused by name so
# the answer explains why.
FORBIDDEN_FUNCTIONS = frozenset({
    "SLEEP", "BENCHMARK", "LOAD_FILE", "GET_LOCK", "RELEASE_LOCK", "RELEASE_ALL_LOCKS",
    "IS_FREE_LOCK", "IS_USED_LOCK", "MASTER_POS_WAIT", "SOURCE_POS_WAIT", "MASTER_GTID_WAIT",
    "SYS_EVAL", "SYS_EXEC", "SETVAL", "NEXTVAL", "LASTVAL", "LAST_INSERT_ID", "ROW_COUNT",
    "FOUND_ROWS", "USER", "CURRENT_USER", "SESSION_USER", "SYSTEM_USER", "CONNECTION_ID",
    "DATABASE", "SCHEMA", "VERSION", "UPDATEXML", "EXTRACTVALUE",
})
SYSTEM_SCHEMAS = frozenset({"mysql", "information_schema", "performance_schema", "sys"})


class Refused(Exception):
    """A statement or a request LedgerGPT will not run; the message says why, in words."""


@dataclass(frozen=True)
class CheckedQuery:
    """A statement that passed the gate: the SQL to run and the views it reads."""

    sql: str
    views: tuple[str, ...]
    limit: int


def check_sql(text: str, allowed_views: Collection[str], *,
              default_limit: int = DEFAULT_LIMIT) -> CheckedQuery:
    """The statement to run for `text`, or `Refused` with the reason."""
    source = text.strip().rstrip(";").strip()
    if not source:
        raise Refused("there is no SQL statement to run")
    if "/*!" in source or "/*+" in source:
        raise Refused("executable comments (/*! ... */) and optimizer hints are not allowed:"
                      " they run text the checker cannot see")
    if re.search(r"\b(INTO\s+(OUT|DUMP)FILE|OUTFILE|DUMPFILE)\b", source, re.IGNORECASE):
        raise Refused("INTO OUTFILE / DUMPFILE writes files on the server: not allowed")
    try:
        statements = [s for s in sqlglot.parse(source, read="mysql") if s is not None]
    except (ParseError, TokenError) as exc:
        raise Refused(f"the SQL does not parse: {_first_line(str(exc))}") from None
    if len(statements) != 1:
        raise Refused(f"exactly one statement may run; this text holds {len(statements)}")
    tree = statements[0]
    if not isinstance(tree, exp.Query):
        raise Refused(f"only a SELECT may run; this is a {_kind(tree)} statement")
    _refuse_side_effects(tree)
    views = _check_sources(tree, allowed_views)
    limit = _apply_limit(tree, default_limit)
    return CheckedQuery(sql=tree.sql(dialect="mysql", comments=False, pretty=True),
                        views=views, limit=limit)


def _refuse_side_effects(tree: exp.Expr) -> None:
    for node in tree.walk():
        if isinstance(node, exp.Into):
            raise Refused("SELECT ... INTO writes into variables, tables or files: not allowed")
        if isinstance(node, exp.Lock):
            raise Refused("locking clauses (FOR UPDATE, LOCK IN SHARE MODE) are not allowed:"
                          " a report must not hold locks on the ledger")
        if isinstance(node, exp.Parameter | exp.SessionParameter | exp.Placeholder):
            raise Refused("user and system variables (@name, @@name) are not allowed")
        if isinstance(node, exp.DML | exp.DDL | exp.Command):
            raise Refused(f"only reading is allowed; the statement contains a {_kind(node)}")
        if isinstance(node, exp.Func):
            name = _function_name(node)
            if name in FORBIDDEN_FUNCTIONS:
                raise Refused(f"the function {name}() is not allowed in a report")
            if name.startswith(("SP_", "FN_")):
                raise Refused(f"the bank's routines ({name.lower()}) are not callable from a"
                              " report")


def _check_sources(tree: exp.Expr, allowed_views: Collection[str]) -> tuple[str, ...]:
    allowed = {name.lower() for name in allowed_views}
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    used: list[str] = []
    for table in tree.find_all(exp.Table):
        name = table.name.lower()
        schema = table.db.lower()
        if not name:
            raise Refused("only the reporting views can be read (a table function was used)")
        if schema in SYSTEM_SCHEMAS or name in SYSTEM_SCHEMAS:
            raise Refused(f"system tables ({schema or name}) are not readable from a report")
        if schema:
            raise Refused(f"{schema}.{name}: only the bank's reporting views, unqualified,"
                          " may be read")
        if name in ctes:
            continue
        if name not in allowed:
            raise Refused(f"{name} is not one of the reporting views LedgerGPT may read"
                          f" ({', '.join(sorted(allowed))})")
        if name not in used:
            used.append(name)
    return tuple(used)


def _apply_limit(tree: exp.Expr, default_limit: int) -> int:
    """Add the default LIMIT when there is none; refuse one above MAX_LIMIT."""
    limit = tree.args.get("limit")
    if limit is None:
        tree.set("limit", exp.Limit(expression=exp.Literal.number(default_limit)))
        return default_limit
    value = limit.expression
    if not (isinstance(value, exp.Literal) and not value.is_string and value.this.isdigit()):
        raise Refused("LIMIT must be a plain number")
    wanted = int(value.this)
    if wanted > MAX_LIMIT:
        raise Refused(f"LIMIT {wanted} is above the maximum of {MAX_LIMIT:,} rows")
    return wanted


def _function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.this).upper()
    return node.sql_name().upper()


def _kind(node: exp.Expr) -> str:
    return node.key.upper()


def _first_line(message: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", message.splitlines()[0] if message else "parse error")


# -- questions that ask to change data --------------------------------------------------------

# An imperative to change something, at the start of the request (after a polite opener).
_OPENER = (
    r"^(?:(?:please|pls|kindly|now|then|and|ok|okay)[,\s]+)*"
    r"(?:(?:can|could|would|will)\s+you\s+"
    r"|i\s+(?:want|need|would\s+like)\s+(?:you\s+)?to\s+"
    r"|let'?s\s+|go\s+ahead\s+and\s+|you\s+(?:must|should)\s+)?(?:please\s+)?"
)
_CHANGE_VERBS = (
    "delete", "remove", "drop", "truncate", "erase", "wipe", "purge", "update", "insert",
    "add", "create", "alter", "modify", "change", "edit", "set", "reset", "approve",
    "reject", "decline", "confirm", "reverse", "refund", "undo", "cancel", "freeze",
    "unfreeze", "block", "unblock", "lock", "unlock", "close", "grant", "revoke", "rename",
    "replace", "restore", "fix", "correct", "adjust", "write", "resolve", "dismiss",
    "disable", "enable", "activate", "deactivate",
)
# Nouns too ("transfer over $500" is a question): a change only with an amount or money.
_MONEY_VERBS = r"(?:transfer|send|pay|move|deposit|withdraw|credit|debit)"
_IMPERATIVE = re.compile(
    _OPENER + r"(" + "|".join(_CHANGE_VERBS) + r"|" + _MONEY_VERBS
    + r"(?=\s+(?:\$|\d|money|funds|cash|it|them|all|the\s+money)))\b",
    re.IGNORECASE,
)
# SQL that changes data anywhere in the request, and change phrases mid-sentence.
_SQL_CHANGE = re.compile(
    r"\b(drop\s+(table|database|view|user|procedure)|delete\s+from|truncate\s+table"
    r"|insert\s+into|update\s+\w+\s+set|alter\s+(table|user)|grant\s+\w+|create\s+(table|user)"
    r"|set\s+(the\s+)?(balance|status|password|role|limit)|replace\s+into)\b",
    re.IGNORECASE,
)


def refuse_change_request(question: str) -> None:
    """Raise `Refused` when the question asks to change data rather than to read it."""
    text = question.strip()
    match = _IMPERATIVE.match(text) or _SQL_CHANGE.search(text)
    if match is None:
        return
    if match.re is _IMPERATIVE:
        what = f"it will not {match.group(1).lower()} anything"
    else:
        what = f"it runs no statement that changes data ({' '.join(match.group(0).split())})"
    raise Refused(
        f"LedgerGPT only reads the ledger: {what}. Changes go through the bank's API"
        " (the staff screens), where each one is authorised and audited.")


# SQL typed into a question: LedgerGPT writes its own SQL and runs none that was typed in.
_EMBEDDED_SQL = re.compile(
    r"\bunion\s+(?:all\s+)?select\b|\bselect\b.+\bfrom\b|;|--|/\*|\*/|#"
    r"|'\s*or\s*'?\w*'?\s*=\s*'?\w*|\bsleep\s*\(|\bbenchmark\s*\(|\binto\s+(?:out|dump)file\b",
    re.IGNORECASE | re.DOTALL,
)


def refuse_embedded_sql(question: str) -> None:
    """Raise `Refused` when the question carries SQL or SQL punctuation of its own."""
    match = _EMBEDDED_SQL.search(question)
    if match is not None:
        raise Refused(
            f"the question contains SQL ({' '.join(match.group(0).split())[:40]}): LedgerGPT"
            " writes its own SQL from the words of a question and runs none typed into it."
            " Ask in words, e.g. 'transactions of alice last week'.")
