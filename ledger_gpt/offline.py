"""The offline engine: recognise what is asked, fill its filters, write one SELECT.

Each `Intent` has a topic, the words that call it, examples (the `help` list and the
suggestions when nothing matches) and a builder that turns the extracted entities into
SQL over the reporting views plus a sentence saying what the SQL does. Intents are tried
in order; the first whose pattern matches answers. When none does, or one needs an entity
the question lacks, the engine says so (`NotUnderstood`) instead of guessing.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date

from ledger_gpt.entities import Entities, extract
from ledger_gpt.names import apply_aliases


class NotUnderstood(Exception):
    """The question matched nothing it can answer; `suggestions` are the closest ones."""

    def __init__(self, message: str, suggestions: list[str]) -> None:
        super().__init__(message)
        self.suggestions = suggestions


@dataclass(frozen=True)
class Draft:
    """The SQL an engine wrote for a question and what it does, in words."""

    sql: str
    explanation: str
    intent: str


@dataclass(frozen=True)
class Intent:
    name: str
    topic: str
    pattern: re.Pattern[str]
    examples: tuple[str, ...]
    build: Callable[[Entities], tuple[str, str]]


def _q(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def _in(column: str, values: list[str]) -> str:
    if len(values) == 1:
        return f"{column} = {_q(values[0])}"
    return f"{column} IN ({', '.join(_q(v) for v in values)})"


def _user_id(username: str) -> str:
    return f"(SELECT id FROM vw_customers WHERE username = {_q(username)})"


class Filters:
    """WHERE conditions and their description, built up from the entities."""

    def __init__(self) -> None:
        self.conditions: list[str] = []
        self.words: list[str] = []

    def add(self, condition: str, words: str | None = None) -> None:
        self.conditions.append(condition)
        if words:
            self.words.append(words)

    def where(self) -> str:
        return f" WHERE {' AND '.join(self.conditions)}" if self.conditions else ""

    def described(self) -> str:
        return (" " + ", ".join(self.words)) if self.words else ""

    def period(self, e: Entities, column: str = "created_at") -> None:
        if e.date_from:
            self.add(f"{column} >= {e.date_from}")
        if e.date_to:
            self.add(f"{column} < {e.date_to}")
        if e.date_words:
            self.words.append(e.date_words)

    def amounts(self, e: Entities, column: str = "amount") -> None:
        if e.min_amount is not None:
            op = ">=" if e.min_inclusive else ">"
            self.add(f"{column} {op} {e.min_amount}",
                     f"amount {'at least' if e.min_inclusive else 'over'} {e.min_amount:,}")
        if e.max_amount is not None:
            op = "<=" if e.max_inclusive else "<"
            self.add(f"{column} {op} {e.max_amount}",
                     f"amount {'at most' if e.max_inclusive else 'under'} {e.max_amount:,}")

    def currencies(self, e: Entities, column: str = "currency") -> None:
        if e.currencies:
            self.add(_in(column, e.currencies), f"in {' or '.join(e.currencies)}")


def _limit(e: Entities) -> str:
    return f" LIMIT {e.top_n}" if e.top_n else ""


# -- builders ------------------------------------------------------------------------------


def _integrity(e: Entities) -> tuple[str, str]:
    return ("SELECT check_name, subject_type, subject_id, currency, expected, actual"
            " FROM vw_ledger_integrity_check",
            "Runs the full ledger integrity check (vw_ledger_integrity_check): one row per"
            " broken invariant; no rows means the ledger is consistent.")


def _balance_sheet(e: Entities) -> tuple[str, str]:
    f = Filters()
    f.currencies(e)
    return (f"SELECT currency, kind, line, accounts, balance FROM vw_balance_sheet{f.where()}"
            " ORDER BY currency, kind, line",
            f"Shows the balance sheet (vw_balance_sheet) per currency and line{f.described()};"
            " each currency's lines sum to zero.")


def _failed_logins(e: Entities) -> tuple[str, str]:
    f = Filters()
    f.add("outcome <> 'success'", "failed sign-ins")
    if e.users:
        f.add(_in("username", e.users), f"by {', '.join(e.users)}")
    f.period(e)
    if re.search(r"\b(how many|count|number|per user|by user|each user|most)\b", e.text):
        return (f"SELECT username, COUNT(*) AS failures FROM vw_login_events{f.where()}"
                " GROUP BY username ORDER BY failures DESC, username" + _limit(e),
                f"Counts sign-in attempts per username (vw_login_events):{f.described()},"
                " most first.")
    return (f"SELECT username, outcome, ip_address, created_at FROM vw_login_events{f.where()}"
            " ORDER BY created_at DESC" + _limit(e),
            f"Lists sign-in attempts (vw_login_events):{f.described()}, newest first.")


def _incidents(e: Entities) -> tuple[str, str]:
    f = Filters()
    if re.search(r"\b(open|unresolved|active|outstanding)\b", e.text):
        f.add("status = 'open'", "still open")
    if "alert" in e.text and "integrity" not in e.text:
        f.add("kind = 'fraud_alert'", "fraud alerts only")
    if e.verdicts:
        f.add(_in("severity", e.verdicts), f"severity {' or '.join(e.verdicts)}")
    f.period(e)
    return (f"SELECT kind, id, transaction_id, severity, status, detail, created_at"
            f" FROM vw_incidents{f.where()} ORDER BY created_at DESC" + _limit(e),
            "Lists incidents (vw_incidents: fraud alerts and integrity runs that found"
            f" problems){f.described()}, newest first.")


def _pending_reviews(e: Entities) -> tuple[str, str]:
    f = Filters()
    f.add("status = 'pending_review'", "still waiting")
    f.amounts(e)
    f.currencies(e)
    f.period(e)
    return ("SELECT transaction_id, reference, amount, currency, from_account_number,"
            f" to_account_number, review_hits, created_at FROM vw_pending_reviews{f.where()}"
            " ORDER BY created_at" + _limit(e),
            f"Lists transactions held for staff review (vw_pending_reviews){f.described()},"
            " oldest first.")


def _reversals(e: Entities) -> tuple[str, str]:
    f = Filters()
    if e.users:
        names = [u for u in e.users]
        f.add(_in("approved_by", names), f"approved by {', '.join(names)}")
    f.amounts(e)
    f.currencies(e)
    f.period(e)
    return ("SELECT reference, original_reference, original_type, amount, currency, reason,"
            f" approved_by, created_at FROM vw_reversals{f.where()} ORDER BY created_at DESC"
            + _limit(e),
            "Lists reversals beside the transaction each undid and the staff member who"
            f" approved it (vw_reversals){f.described()}, newest first.")


def _audit_changes(e: Entities) -> tuple[str, str]:
    f = Filters()
    if e.accounts:
        f.add("table_name = 'accounts'")
        f.add(f"row_id IN (SELECT id FROM vw_accounts WHERE {_in('account_number', e.accounts)})",
              f"to account {', '.join(e.accounts)}")
    elif e.users and re.search(r"\bby\s+" + re.escape(e.users[0]) + r"\b", e.text):
        f.add(_in("actor_username", e.users), f"made by {', '.join(e.users)}")
    elif e.users:
        f.add("table_name = 'users'")
        f.add(f"row_id = {_user_id(e.users[0])}", f"to the user {e.users[0]}")
    elif re.search(r"\baccounts?\b", e.text):
        f.add("table_name = 'accounts'", "to accounts")
    elif re.search(r"\busers?\b", e.text):
        f.add("table_name = 'users'", "to users")
    f.period(e)
    return ("SELECT id, table_name, row_id, action, event, reason, actor_username, created_at"
            f" FROM vw_audit_changes{f.where()} ORDER BY id DESC" + _limit(e),
            f"Lists audit-log changes (vw_audit_changes){f.described()}, newest first.")


def _fx_rates(e: Entities) -> tuple[str, str]:
    f = Filters()
    if e.currencies:
        f.add(_in("base_currency", e.currencies[:1]), f"from {e.currencies[0]}")
    if len(e.currencies) > 1:
        f.add(_in("quote_currency", e.currencies[1:2]), f"to {e.currencies[1]}")
    return ("SELECT base_currency, quote_currency, rate, valid_from"
            f" FROM vw_fx_rates_current{f.where()} ORDER BY base_currency, quote_currency",
            f"Shows the exchange rates in force (vw_fx_rates_current){f.described()}.")


def _fx_volume(e: Entities) -> tuple[str, str]:
    f = Filters()
    f.add("target_currency <> currency", "conversions")
    f.add("status = 'completed'")
    if e.currencies:
        f.add(_in("currency", e.currencies[:1]), f"from {e.currencies[0]}")
    if len(e.currencies) > 1:
        f.add(_in("target_currency", e.currencies[1:2]), f"into {e.currencies[1]}")
    f.period(e)
    return ("SELECT currency AS from_currency, target_currency AS to_currency,"
            " COUNT(*) AS conversions, SUM(amount) AS amount_sent,"
            f" SUM(target_amount) AS amount_received FROM vw_transactions{f.where()}"
            " GROUP BY currency, target_currency ORDER BY currency, target_currency",
            "Sums completed cross-currency transactions per currency pair"
            f" (vw_transactions):{f.described()}.")


def _fees(e: Entities) -> tuple[str, str]:
    f = Filters()
    f.add("fee > 0")
    f.add("status = 'completed'", "completed transactions with a fee")
    if e.types:
        f.add(_in("type", e.types), f"of type {', '.join(e.types)}")
    if e.users:
        f.add(f"from_user_id = {_user_id(e.users[0])}", f"paid by {e.users[0]}")
    f.currencies(e)
    f.period(e)
    return ("SELECT currency, COUNT(*) AS transactions, SUM(fee) AS fees_earned"
            f" FROM vw_transactions{f.where()} GROUP BY currency ORDER BY currency",
            f"Sums the fees the bank earned per currency (vw_transactions):{f.described()}.")


def _top_parties(e: Entities) -> tuple[str, str]:
    receiving = bool(re.search(r"\b(receiv\w*|recipients?|payees?|beneficiar\w*|got)\b",
                               e.text))
    side = "to_user_id" if receiving else "from_user_id"
    f = Filters()
    f.add("t.type = 'transfer'")
    f.add("t.status = 'completed'", "completed transfers")
    f.amounts(e, "t.amount")
    f.currencies(e, "t.currency")
    f.period(e, "t.created_at")
    n = e.top_n or 10
    who = "receivers" if receiving else "senders"
    return ("SELECT u.username, t.currency, COUNT(*) AS transfers, SUM(t.amount) AS total"
            f" FROM vw_transactions t JOIN vw_customers u ON u.id = t.{side}{f.where()}"
            f" GROUP BY u.username, t.currency ORDER BY total DESC, u.username LIMIT {n}",
            f"Ranks the top {n} {who} by the total of{f.described()} (vw_transactions"
            " joined to vw_customers), per currency, largest first.")


def _volume(e: Entities) -> tuple[str, str]:
    f = Filters()
    f.add("status = 'completed'", "completed transactions")
    if e.types:
        f.add(_in("type", e.types), f"of type {', '.join(e.types)}")
    f.currencies(e)
    f.period(e)
    if re.search(r"\b(weekly|per week|by week|each week|a week)\b", e.text):
        bucket, label = "DATE(created_at - INTERVAL WEEKDAY(created_at) DAY)", "week_start"
    elif re.search(r"\b(monthly|per month|by month|each month|a month)\b", e.text):
        bucket, label = "DATE_FORMAT(created_at, '%Y-%m')", "month"
    elif re.search(r"\b(daily|per day|by day|each day|a day)\b", e.text):
        bucket, label = "DATE(created_at)", "day"
    else:
        return ("SELECT currency, COUNT(*) AS transactions, SUM(amount) AS volume"
                f" FROM vw_transactions{f.where()} GROUP BY currency ORDER BY currency",
                f"Counts and sums{f.described()} per currency (vw_transactions).")
    return (f"SELECT {bucket} AS {label}, currency, COUNT(*) AS transactions,"
            f" SUM(amount) AS volume FROM vw_transactions{f.where()}"
            f" GROUP BY {bucket}, currency ORDER BY {label}, currency",
            f"Counts and sums{f.described()} per {label.replace('_start', '')} and currency"
            " (vw_transactions), oldest first.")


def _flagged(e: Entities) -> tuple[str, str]:
    f = Filters()
    if e.verdicts:
        f.add(_in("risk_verdict", e.verdicts), f"scored {' or '.join(e.verdicts)}")
    if "highvalue" in e.text:
        f.add("is_high_value = 1", "high-value")
    if e.types:
        f.add(_in("type", e.types), f"of type {', '.join(e.types)}")
    f.amounts(e)
    f.currencies(e)
    f.period(e)
    order = "amount DESC" if e.top_n else "created_at DESC"
    return ("SELECT id, reference, type, status, amount, currency, flag_reason, risk_verdict,"
            f" risk_score, created_at FROM vw_flagged_transactions{f.where()} ORDER BY {order}"
            + _limit(e),
            f"Lists flagged transactions (vw_flagged_transactions){f.described()}"
            f"{', largest first' if e.top_n else ', newest first'}.")


def _statement(e: Entities) -> tuple[str, str]:
    f = Filters()
    if e.accounts:
        f.add(_in("account_number", e.accounts), f"account {', '.join(e.accounts)}")
    elif e.users:
        f.add(f"user_id = {_user_id(e.users[0])}", f"{e.users[0]}'s accounts")
        if e.account_type:
            f.add(_in("account_type", [e.account_type]), f"the {e.account_type} account")
        f.currencies(e)
    else:
        raise NotUnderstood("Whose statement? Name a customer or an account number.",
                            ["statement of alice's savings account", "statement for account"
                             " 423093553080 last month"])
    f.amounts(e, "ABS(amount)")
    f.period(e)
    return ("SELECT account_number, created_at, reference, type, description, entry_type,"
            f" amount, currency, balance_after FROM vw_customer_statement{f.where()}"
            " ORDER BY account_number, entry_id" + _limit(e),
            f"Lists the ledger entries of {f.described().strip()} (vw_customer_statement),"
            " in posting order, with the balance after each.")


def _balances(e: Entities) -> tuple[str, str]:
    f = Filters()
    if e.accounts:
        f.add(_in("a.account_number", e.accounts), f"account {', '.join(e.accounts)}")
    if e.users:
        f.add(_in("u.username", e.users), f"of {', '.join(e.users)}")
    if e.account_type:
        f.add(_in("a.account_type", [e.account_type]), f"{e.account_type} accounts")
    f.currencies(e, "a.currency")
    if not (e.accounts or e.users) and re.search(r"\b(total|sum|overall|all)\b", e.text):
        return ("SELECT a.currency, COUNT(*) AS accounts, SUM(a.balance) AS total_balance"
                f" FROM vw_accounts a{f.where()} GROUP BY a.currency ORDER BY a.currency",
                f"Sums customer balances per currency (vw_accounts){f.described()}.")
    return ("SELECT u.username, a.account_number, a.account_type, a.currency, a.balance,"
            " a.available_balance, a.status FROM vw_accounts a"
            f" JOIN vw_customers u ON u.id = a.user_id{f.where()}"
            " ORDER BY u.username, a.account_number",
            f"Shows customer accounts and their balances (vw_accounts){f.described()}.")


def _customers(e: Entities) -> tuple[str, str]:
    f = Filters()
    if re.search(r"\bstaff\b", e.text):
        f.add("role IN ('teller', 'manager', 'auditor', 'admin')", "staff")
    elif re.search(r"\bcustomers?\b", e.text):
        f.add("role = 'customer'", "customers")
    if re.search(r"\b(blocked|locked)\b", e.text):
        f.add("(status = 'blocked' OR locked_until > NOW())", "blocked or locked")
    return ("SELECT username, role, status, kyc_status, mfa_enabled, last_login_at, created_at"
            f" FROM vw_customers{f.where()} ORDER BY username",
            f"Lists bank users (vw_customers){f.described()}, without secrets.")


def _transactions(e: Entities) -> tuple[str, str]:
    f = Filters()
    if e.users:
        user = e.users[0]
        ident = _user_id(user)
        if re.search(rf"\b(to|received by|paid to|sent to)\s+{user}\b", e.text):
            f.add(f"to_user_id = {ident}", f"received by {user}")
        elif re.search(rf"\b(from|sent by|paid by|by)\s+{user}\b", e.text):
            f.add(f"from_user_id = {ident}", f"sent by {user}")
        else:
            f.add(f"(from_user_id = {ident} OR to_user_id = {ident})", f"involving {user}")
    if e.accounts:
        accounts = ", ".join(_q(a) for a in e.accounts)
        f.add(f"(from_account_number IN ({accounts}) OR to_account_number IN ({accounts}))",
              f"on account {', '.join(e.accounts)}")
    if e.types:
        f.add(_in("type", e.types), f"of type {', '.join(e.types)}")
    if e.statuses:
        f.add(_in("status", e.statuses), f"with status {', '.join(e.statuses)}")
    f.amounts(e)
    f.currencies(e)
    f.period(e)
    order = "amount DESC, id" if e.top_n else "created_at DESC, id DESC"
    return ("SELECT id, reference, type, status, amount, currency, fee, from_account_number,"
            f" to_account_number, description, created_at FROM vw_transactions{f.where()}"
            f" ORDER BY {order}" + _limit(e),
            f"Lists transactions (vw_transactions){f.described()}"
            f"{', largest first' if e.top_n else ', newest first'}.")


def _r(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


INTENTS: tuple[Intent, ...] = (
    Intent("integrity", "integrity",
           _r(r"\bintegrity\b|\binvariants?\b|\bledger\s+(?:check|consistent|balanced|ok)"
              r"|\bconsistency\b|\bbroken\b"),
           ("is the ledger consistent?", "run the integrity check"), _integrity),
    Intent("balance_sheet", "balance sheet",
           _r(r"\bbalance\s*sheet\b|\bgeneral\s+ledger\b|\btrial\s+balance\b|\bgl\b"),
           ("show the balance sheet", "balance sheet in JOD"), _balance_sheet),
    Intent("failed_logins", "logins and incidents",
           _r(r"\b(?:failed|unsuccessful|bad|wrong|invalid|rejected)\s+(?:login|password)"
              r"|\blogin\s+(?:failures?|attempts?)|\block[- ]?outs?\b|\bbrute"),
           ("failed logins in the last 7 days", "how many failed logins per user"),
           _failed_logins),
    Intent("incidents", "logins and incidents",
           _r(r"\bincidents?\b|\balerts?\b"),
           ("open incidents", "fraud alerts this month"), _incidents),
    Intent("pending_reviews", "reviews",
           _r(r"\bpending\s+reviews?\b|\breview\s+queue\b|\b(?:awaiting|waiting\s+for|need\w*)"
              r"\s+(?:review|approval)|\bheld\s+for\s+review\b|\bpending_review\b"
              r"|\bto\s+review\b|\breviews\b"),
           ("pending reviews", "transactions waiting for approval"), _pending_reviews),
    Intent("reversals", "reversals",
           _r(r"\brevers(?:al|als|ing)\b|\bwho\s+reversed\b|\bundone\b|\brefund\w*"),
           ("reversals and who approved them", "reversals last month"), _reversals),
    Intent("audit_changes", "audit log",
           _r(r"\baudit\b|\bwho\s+changed\b|\bchanges?\s+(?:to|of|on|made)\b|\bmodifi\w+\b"
              r"|\bchange\s+history\b"),
           ("audit log changes to alice", "changes to account 423093553080",
            "audit changes made by manager"), _audit_changes),
    Intent("fx_rates", "fx",
           _r(r"\b(?:exchange|fx|conversion|currency)\s+rates?\b|\brates?\b"),
           ("current exchange rates", "exchange rate from JOD to USD"), _fx_rates),
    Intent("fx_volume", "fx",
           _r(r"\bfx\b|\bforeign\s+exchange\b|\bexchange\b|\bconver\w+|\bcurrency\s+pairs?\b"
              r"|\bcross[- ]currency\b"),
           ("FX volume by currency pair", "currency conversions last month"), _fx_volume),
    Intent("fees", "fees",
           _r(r"\bfees?\b|\bcommissions?\b|\bcharges\b"),
           ("fees earned this month", "total fees by currency"), _fees),
    Intent("top_parties", "top senders and receivers",
           _r(r"\b(?:top|biggest|largest|main|highest)\b.*\b(?:senders?|payers?|spenders?"
              r"|receivers?|recipients?|payees?|beneficiar\w*|customers|users)\b"
              r"|\bwho\s+(?:sent|received|paid|transferred)\s+the\s+most\b"),
           ("top 5 senders", "biggest receivers last month"), _top_parties),
    Intent("volume", "volume",
           _r(r"\bvolumes?\b|\bdaily\b|\bweekly\b|\bmonthly\b|\bper\s+(?:day|week|month)\b"
              r"|\bhow\s+many\s+(?:transactions|transfers|deposits|withdrawals|payments)"
              r"|\b(?:count|number)\s+of\s+(?:transactions|transfers|deposits|withdrawals)"),
           ("daily transaction volume last week", "weekly transfer counts",
            "how many transactions per currency"), _volume),
    Intent("flagged", "flagged",
           _r(r"\bflagged\b|\bsuspicious\b|\bcritical\b|\bhighvalue\b|\brisky\b|\brisk\b"
              r"|\bfraud\w*"),
           ("flagged transactions", "suspicious transactions last week",
            "critical transactions", "high-value transactions"), _flagged),
    Intent("statement", "statements",
           _r(r"\bstatements?\b|\bledger\s+entries\b|\bentries\b|\baccount\s+history\b"),
           ("statement of alice's savings account", "statement for account 423093553080"),
           _statement),
    Intent("balances", "balances",
           _r(r"\bbalances?\b|\bhow\s+much\s+(?:money|does|do|is)\b|\bholdings\b"
              r"|\baccounts?\s+(?:of|for)\b|\b\w+\s+accounts\b|\baccounts\b"),
           ("balances of bob", "balance of account 423093553080",
            "total balances by currency"), _balances),
    Intent("customers", "customers",
           _r(r"\b(?:list|all|show)\s+(?:the\s+)?(?:customers|users|staff)\b"
              r"|\bwho\s+are\s+the\s+(?:customers|users|staff)\b|\b(?:blocked|locked)\s+users\b"),
           ("list all customers", "list staff"), _customers),
    Intent("transactions", "transactions",
           _r(r"\btransactions?\b|\btransfers?\b|\bdeposits?\b|\bwithdrawals?\b|\bpayments?\b"
              r"|\bactivity\b|\bmovements?\b|\bwires?\b"),
           ("transactions of alice last week", "transfers over $500",
            "bob's deposits in March", "top 5 largest transfers",
            "withdrawals between 50 and 70 JOD"), _transactions),
)


def example_questions() -> dict[str, list[str]]:
    """Example questions by topic, for `help`."""
    topics: dict[str, list[str]] = {}
    for intent in INTENTS:
        topics.setdefault(intent.topic, []).extend(intent.examples)
    return topics


def closest_questions(question: str, count: int = 3) -> list[str]:
    examples = [q for intent in INTENTS for q in intent.examples]
    scored = sorted(examples, reverse=True,
                    key=lambda q: difflib.SequenceMatcher(None, question.lower(), q).ratio())
    return scored[:count]


class OfflineEngine:
    """Questions to SQL without any network: intents, entities, templates."""

    name = "offline"

    def __init__(self, usernames: Collection[str], *,
                 aliases: Mapping[str, str] | None = None) -> None:
        self.usernames = sorted(usernames)
        self.aliases = dict(aliases or {})  # full names (lower case) to usernames

    def draft(self, question: str, *, today: date | None = None) -> Draft:
        entities = extract(apply_aliases(question, self.aliases), self.usernames, today=today)
        if entities.unknown_names and not entities.users and not entities.accounts:
            name = entities.unknown_names[0]
            raise NotUnderstood(
                f"I know no user called '{name}'. Known usernames: {', '.join(self.usernames)}.",
                closest_questions(question))
        for intent in INTENTS:
            if intent.pattern.search(entities.text):
                sql, explanation = intent.build(entities)
                return Draft(sql=sql, explanation=explanation, intent=intent.name)
        raise NotUnderstood("I did not understand that question, so I ran nothing.",
                            closest_questions(question))
