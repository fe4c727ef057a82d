"""The offline engine's entity extraction and its refusal to guess."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from api.config import get_settings
from api.security.pii import PiiCipher
from ledger_gpt.entities import extract
from ledger_gpt.explain import explain_sql
from ledger_gpt.names import apply_aliases, name_aliases
from ledger_gpt.offline import NotUnderstood, OfflineEngine

USERS = ["alice", "bob", "teller", "manager", "auditor", "admin"]
TODAY = date(2026, 12, 2)


class TestEntities:
    @pytest.mark.parametrize(("text", "low", "high"), [
        ("transfers over $500", (Decimal(500), False), None),
        ("between 1k and 5k", (Decimal(1000), True), (Decimal(5000), True)),
        ("at least 2,500.50", (Decimal("2500.50"), True), None),
        ("under 1.5m", None, (Decimal(1_500_000), False)),
    ])
    def test_amounts(self, text, low, high) -> None:
        e = extract(text, USERS, today=TODAY)
        assert (None if e.min_amount is None else (e.min_amount, e.min_inclusive)) == low
        assert (None if e.max_amount is None else (e.max_amount, e.max_inclusive)) == high

    @pytest.mark.parametrize(("text", "start", "end"), [
        ("yesterday", "CURDATE() - INTERVAL 1 DAY", "CURDATE()"),
        ("last week", "CURDATE() - INTERVAL 7 DAY", None),
        ("in the past 3 days", "CURDATE() - INTERVAL 3 DAY", None),
        ("in March", "'2026-03-01'", "'2026-04-01'"),
        ("in december 2025", "'2025-12-01'", "'2026-01-01'"),
        ("since 2026-01-01", "'2026-01-01'", None),
        ("between 2026-10-01 and 2026-10-31", "'2026-10-01'", "'2026-11-01'"),
        ("this month", "'2026-12-01'", None),
    ])
    def test_dates(self, text, start, end) -> None:
        e = extract(f"transactions {text}", USERS, today=TODAY)
        assert (e.date_from, e.date_to) == (start, end)

    def test_typos_names_types_currencies_and_top_n(self) -> None:
        e = extract("top 3 witdrawals of alise in dinars", USERS, today=TODAY)
        assert e.users == ["alice"]
        assert e.types == ["withdrawal"]
        assert e.currencies == ["JOD"]
        assert e.top_n == 3

    def test_verdicts_and_statuses(self) -> None:
        e = extract("suspicious or critical reversed transfers", USERS, today=TODAY)
        assert sorted(e.verdicts) == ["CRITICAL", "SUSPICIOUS"]
        assert e.statuses == ["reversed"]


class TestNoGuessing:
    def test_an_unknown_customer_is_named_not_ignored(self) -> None:
        with pytest.raises(NotUnderstood, match="no user called 'charlie'"):
            OfflineEngine(USERS).draft("transactions of charlie", today=TODAY)

    def test_nothing_recognised_gives_suggestions(self) -> None:
        with pytest.raises(NotUnderstood) as caught:
            OfflineEngine(USERS).draft("what is the meaning of life", today=TODAY)
        assert len(caught.value.suggestions) == 3

    def test_a_statement_needs_an_account_or_a_customer(self) -> None:
        with pytest.raises(NotUnderstood, match="Whose statement"):
            OfflineEngine(USERS).draft("show the statement", today=TODAY)


class TestFullNames:
    def test_full_names_and_unique_name_parts_read_as_usernames(self, reader) -> None:
        aliases = name_aliases(reader, PiiCipher.from_settings(get_settings()))
        assert aliases["alice haddad"] == "alice"
        assert aliases["khoury"] == "bob"
        assert aliases["tariq"] == "teller"
        assert apply_aliases("Alice Haddad's transfers to KHOURY", aliases) == (
            "alice's transfers to bob")

    def test_a_wrong_key_gives_no_names(self, reader) -> None:
        other = PiiCipher("b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXktMzI=")
        assert name_aliases(reader, other) == {}


class TestExplanation:
    def test_the_sql_is_explained_from_its_parse_tree(self) -> None:
        text = explain_sql("SELECT currency, SUM(fee) AS fees FROM vw_transactions"
                           " WHERE fee > 0 GROUP BY currency ORDER BY fees DESC LIMIT 5")
        assert "Reads vw_transactions (journal headers" in text
        assert "Computes currency, fees." in text
        assert "Keeps only rows where fee > 0." in text
        assert "One row per currency." in text
        assert "Sorted by fees descending." in text
        assert "At most 5 rows." in text
