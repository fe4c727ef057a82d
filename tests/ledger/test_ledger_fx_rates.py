"""Published rates, the spread, fn_fx_rate, quotes and fee schedules, through the real procedures.

Tests that change the rates in force in the shared database publish only a rate less
favourable to customers (so the FX book stays worth at least zero) and then restore the
bank's mids; scheduling and spread tests run in a private database.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pymysql
import pytest

from api.config import DatabaseAddress
from scripts.db_connection import connect
from scripts.migrate import drop_database, migrate
from tests.support.ledger import (
    balance,
    deposit,
    error_code,
    integrity_problems,
    new_user,
    open_account,
    proc,
    query,
    transfer,
)

MIDS = {"USD": Decimal("1.41"), "EUR": Decimal("1.31")}
TEN = Decimal("0.0000000001")


def truncated(value: Decimal) -> Decimal:
    return value.quantize(TEN, rounding="ROUND_DOWN")


def rate(conn: Any, base: str, quote: str, at: Any = None) -> Any:
    """fn_fx_rate as a Decimal, or None."""
    found = query(conn, "SELECT fn_fx_rate(%s, %s, %s) AS r", base, quote, at)[0]["r"]
    return None if found is None else Decimal(found)


def publish(conn: Any, base: str, quote: str, value: str, *, actor: int = 1,
            valid_from: Any = None, reason: str = "test") -> list[dict[str, Any]]:
    return proc(conn, "sp_publish_fx_rate", base_currency=base, quote_currency=quote,
                rate=value, valid_from=valid_from, reason=reason, actor_id=actor,
                session_id=None)


@contextmanager
def jod_usd_at(conn: Any, value: str) -> Iterator[None]:
    """JOD->USD (and its derived pairs) at `value` for a block, then the bank's mid again."""
    publish(conn, "JOD", "USD", value)
    try:
        yield
    finally:
        publish(conn, "JOD", "USD", str(MIDS["USD"]), reason="restore the published mid")


def fee(conn: Any, currency: str, amount: str, kind: str = "transfer_external") -> Any:
    return query(conn, "SELECT fn_transfer_fee(%s, %s, %s) AS f", currency, amount, kind)[0]["f"]


def refused(code: str, conn: Any, procedure: str, **arguments: Any) -> None:
    with pytest.raises(pymysql.err.MySQLError) as err:
        proc(conn, procedure, **arguments)
    assert error_code(err.value) == code, err.value


@pytest.fixture(scope="module")
def private_db(admin_url: str) -> Iterator[DatabaseAddress]:
    """A migrated database of its own: these tests leave rates scheduled in the future."""
    name = f"bank_fx_{secrets.token_hex(4)}"
    migrate(admin_url, database=name)
    try:
        yield DatabaseAddress.from_url(admin_url).with_database(name)
    finally:
        drop_database(admin_url, name)


class TestPublishedMids:
    def test_rates_in_force_are_the_mids_their_inverses_and_crosses_through_jod(self, admin_conn):
        assert rate(admin_conn, "JOD", "USD") == Decimal("1.41")
        assert rate(admin_conn, "JOD", "EUR") == Decimal("1.31")
        assert rate(admin_conn, "USD", "JOD") == truncated(1 / Decimal("1.41"))
        assert rate(admin_conn, "EUR", "JOD") == truncated(1 / Decimal("1.31"))
        assert rate(admin_conn, "USD", "EUR") == truncated(Decimal("1.31") / Decimal("1.41"))
        assert rate(admin_conn, "EUR", "USD") == truncated(Decimal("1.41") / Decimal("1.31"))
        assert rate(admin_conn, "JOD", "JOD") == 1

    def test_every_cycle_of_the_published_rates_loses(self, admin_conn):
        codes = ["JOD", "USD", "EUR"]
        for a in codes:
            for b in codes:
                if a != b:
                    assert rate(admin_conn, a, b) * rate(admin_conn, b, a) < 1
                    c = next(x for x in codes if x not in (a, b))
                    assert rate(admin_conn, a, b) * rate(admin_conn, b, c) \
                        * rate(admin_conn, c, a) < 1

    def test_an_instant_before_the_published_mids_sees_the_old_quote(self, admin_conn):
        assert rate(admin_conn, "JOD", "EUR", "2001-01-01") == Decimal("1.30")
        assert rate(admin_conn, "JOD", "EUR", "1999-01-01") is None
        assert rate(admin_conn, "JOD", "XYZ") is None

    def test_the_transfer_procedure_converts_at_the_published_mid(self, admin_conn, app_conn):
        jod = open_account(app_conn, new_user(admin_conn), "JOD")
        eur = open_account(app_conn, new_user(admin_conn), "EUR")
        deposit(app_conn, jod["id"], "500")
        txn = transfer(app_conn, jod["id"], eur["account_number"], "100")
        assert txn["target_amount"] == Decimal("131.00")  # was 130.00 at the old 1.30
        assert Decimal(txn["fx_rate"]) == Decimal("1.31")


class TestFees:
    @pytest.mark.parametrize(("currency", "amount", "expected"), [
        ("JOD", "100.000", "1.000"),
        ("JOD", "100.050", "1.001"),     # 1.0005: half away from zero, 3 decimals
        ("JOD", "123.456", "1.235"),     # 1.23456
        ("JOD", "25.049", "0.250"),      # 0.25049: the minimum, not 0.251... rounds to 0.250
        ("JOD", "1.000", "0.250"),       # the minimum
        ("JOD", "999.999", "10.000"),    # 9.99999 rounds up to the maximum
        ("JOD", "50000.000", "10.000"),  # the maximum
        ("EUR", "100.50", "1.01"),       # 1.005: 2 decimals
        ("EUR", "123.45", "1.23"),       # 1.2345
        ("EUR", "10.00", "0.35"),        # the minimum
        ("EUR", "5000.00", "14.00"),     # the maximum
        ("USD", "35.00", "0.35"),
        ("USD", "1399.99", "14.00"),
    ])
    def test_a_transfer_to_another_customer_costs_one_percent_within_bounds(
            self, admin_conn, currency, amount, expected):
        assert fee(admin_conn, currency, amount) == Decimal(expected)

    @pytest.mark.parametrize("kind", ["transfer_own", "deposit", "bill_payment"])
    def test_own_transfers_deposits_and_bills_are_free(self, admin_conn, kind):
        assert fee(admin_conn, "JOD", "5000", kind) == 0
        assert fee(admin_conn, "EUR", "5000", kind) == 0

    def test_no_schedule_no_fee_decision(self, admin_conn):
        assert fee(admin_conn, "JOD", "100", "wire") is None
        assert fee(admin_conn, "XYZ", "100") is None
        assert fee(admin_conn, "JOD", "-1") is None

    def test_a_dba_changes_the_schedule_without_a_deploy_and_it_is_audited(self, admin_conn):
        before = query(admin_conn, "SELECT MAX(id) AS id FROM audit_log")[0]["id"] or 0
        query(admin_conn, "UPDATE fee_schedules SET percent = 2, max_fee = 20 "
                          "WHERE currency = 'JOD' AND kind = 'transfer_external'")
        try:
            assert fee(admin_conn, "JOD", "500") == Decimal("10.000")
            assert fee(admin_conn, "JOD", "5000") == Decimal("20.000")
        finally:
            query(admin_conn, "UPDATE fee_schedules SET percent = 1, max_fee = 10 "
                              "WHERE currency = 'JOD' AND kind = 'transfer_external'")
        assert fee(admin_conn, "JOD", "5000") == Decimal("10.000")
        audited = query(admin_conn, "SELECT before_data, after_data FROM audit_log "
                                    "WHERE id > %s AND table_name = 'fee_schedules'", before)
        assert len(audited) == 2
        assert '"percent": "1.0000"' in audited[0]["before_data"]
        assert '"percent": "2.0000"' in audited[0]["after_data"]
        assert integrity_problems(admin_conn) == []


class TestQuote:
    def quote(self, conn: Any, source: str, target: str, amount: str) -> dict[str, Any]:
        return proc(conn, "sp_fx_quote", from_=source, to=target, amount=amount,
                    session_id=None, user_id=1, to_account_number=None)[0]

    def test_a_quote_has_rate_converted_amount_fee_total_and_expiry(self, admin_conn):
        q = self.quote(admin_conn, "JOD", "USD", "100")
        assert q["rate"] == Decimal("1.41")
        assert q["converted_amount"] == Decimal("141.00")
        assert q["fee"] == Decimal("1.000")
        assert q["total_debited"] == Decimal("101.000")
        assert q["valid_seconds"] == 60
        assert q["expires_at"] - q["quoted_at"] == timedelta(seconds=60)
        same = self.quote(admin_conn, "EUR", "EUR", "10")
        assert (same["rate"], same["converted_amount"], same["fee"]) == (1, Decimal("10"),
                                                                        Decimal("0.35"))

    def test_the_cross_rate_converts_through_jod_and_rounds_once_down(self, admin_conn):
        q = self.quote(admin_conn, "USD", "EUR", "100.00")
        # 100 / 1.41 * 1.31 = 92.9078...: once, down, to cents (not 70.921 JOD, then 92.90)
        assert q["converted_amount"] == Decimal("92.90")
        assert q["fee"] == Decimal("1.00")

    def test_the_quote_equals_what_the_transfer_posts(self, admin_conn, app_conn):
        jod = open_account(app_conn, new_user(admin_conn), "JOD")
        usd = open_account(app_conn, new_user(admin_conn), "USD")
        deposit(app_conn, jod["id"], "1000")
        q = self.quote(admin_conn, "JOD", "USD", "123.456")
        txn = transfer(app_conn, jod["id"], usd["account_number"], "123.456", fee=q["fee"])
        assert txn["target_amount"] == q["converted_amount"] == Decimal("174.07")
        assert Decimal(txn["fx_rate"]) == q["rate"]
        assert balance(admin_conn, jod["id"]) == Decimal(1000) - q["total_debited"]

    @pytest.mark.parametrize(("source", "target", "amount", "code"), [
        ("JOD", "XYZ", "10", "UNKNOWN_CURRENCY"),
        ("EUR", "JOD", "0.99", "FX_AMOUNT_TOO_SMALL"),
        ("JOD", "USD", "1.0001", "INVALID_AMOUNT"),
        ("JOD", "USD", "0", "INVALID_AMOUNT"),
        ("USD", "EUR", "9999999999999", "AMOUNT_OUT_OF_RANGE"),
    ])
    def test_a_quote_refuses_what_a_transfer_would(self, admin_conn, source, target, amount,
                                                   code):
        refused(code, admin_conn, "sp_fx_quote", from_=source, to=target, amount=amount,
                session_id=None, user_id=1, to_account_number=None)

    def test_a_quote_needs_a_session_from_the_api(self, bank_app_conn):
        refused("SESSION_REQUIRED", bank_app_conn, "sp_fx_quote", from_="JOD", to="USD",
                amount="10", session_id=None, user_id=1, to_account_number=None)
        refused("SESSION_REVOKED", bank_app_conn, "sp_list_fx_rates", session_id="0" * 32,
                user_id=1, at=None)


class TestPublishing:
    def test_a_new_rate_applies_from_now_and_history_keeps_its_rate(self, admin_conn, app_conn):
        jod = open_account(app_conn, new_user(admin_conn), "JOD")
        usd = open_account(app_conn, new_user(admin_conn), "USD")
        deposit(app_conn, jod["id"], "1000")
        old = transfer(app_conn, jod["id"], usd["account_number"], "100")
        assert old["target_amount"] == Decimal("141.00")
        with jod_usd_at(admin_conn, "1.40"):
            rows = query(admin_conn, "SELECT base_currency, quote_currency, rate FROM "
                                     "vw_fx_rates_current")
            current = {(r["base_currency"], r["quote_currency"]): r["rate"] for r in rows}
            assert current[("JOD", "USD")] == Decimal("1.40")
            assert current[("USD", "JOD")] == truncated(1 / Decimal("1.40"))
            assert current[("EUR", "USD")] == truncated(Decimal("1.40") / Decimal("1.31"))
            assert current[("JOD", "EUR")] == Decimal("1.31")  # untouched
            new = transfer(app_conn, jod["id"], usd["account_number"], "100")
            assert new["target_amount"] == Decimal("140.00")
            assert rate(admin_conn, "JOD", "USD", old["created_at"]) == Decimal("1.41")
        stored = query(admin_conn, "SELECT id, fx_rate, target_amount FROM transactions "
                                   "WHERE id IN (%s, %s) ORDER BY id", old["id"], new["id"])
        assert [(r["fx_rate"], r["target_amount"]) for r in stored] == [
            (Decimal("1.41"), Decimal("141.00")), (Decimal("1.40"), Decimal("140.00"))]
        assert rate(admin_conn, "JOD", "USD") == Decimal("1.41")
        assert integrity_problems(admin_conn) == []

    def test_publishing_is_audited_with_actor_and_reason(self, admin_conn):
        manager = new_user(admin_conn, "manager")
        before = query(admin_conn, "SELECT MAX(id) AS id FROM audit_log")[0]["id"] or 0
        rows = publish(admin_conn, "USD", "JOD", str(truncated(1 / Decimal("1.41"))),
                       actor=manager, reason="morning fixing")
        assert (rows[0]["base_currency"], rows[0]["quote_currency"]) == ("USD", "JOD")
        assert rows[0]["is_published"] == 1
        assert len(rows) == 4
        audited = query(admin_conn, "SELECT row_id, actor_user_id, after_data FROM audit_log "
                                    "WHERE id > %s AND table_name = 'fx_rates' ORDER BY id",
                        before)
        assert sorted(r["row_id"] for r in audited) == sorted(r["id"] for r in rows)
        assert {r["actor_user_id"] for r in audited} == {manager}
        assert all("morning fixing" in r["after_data"] for r in audited)
        # Published as USD->JOD: JOD->USD is its inverse (1.4100000001), and the pair loses.
        there, back = rate(admin_conn, "JOD", "USD"), rate(admin_conn, "USD", "JOD")
        assert back == truncated(1 / Decimal("1.41"))
        assert there == truncated(1 / back)
        assert abs(there - Decimal("1.41")) < Decimal("1e-9")
        assert there * back < 1
        publish(admin_conn, "JOD", "USD", "1.41", reason="restore the published mid")
        assert integrity_problems(admin_conn) == []

    def test_only_managers_and_admins_publish(self, admin_conn):
        for role in ("customer", "teller", "auditor"):
            refused("FORBIDDEN", admin_conn, "sp_publish_fx_rate", base_currency="JOD",
                    quote_currency="USD", rate="1.5", valid_from=None, reason=None,
                    actor_id=new_user(admin_conn, role), session_id=None)
        assert rate(admin_conn, "JOD", "USD") == Decimal("1.41")

    @pytest.mark.parametrize(("base", "quote", "value", "valid_from", "code"), [
        ("USD", "EUR", "0.93", None, "INVALID_ARGUMENT"),           # cross: derived only
        ("JOD", "JOD", "1", None, "INVALID_ARGUMENT"),
        ("JOD", "XYZ", "1", None, "UNKNOWN_CURRENCY"),
        ("JOD", "USD", "0", None, "INVALID_ARGUMENT"),
        ("JOD", "USD", "1.00000000001", None, "INVALID_ARGUMENT"),  # 11 decimals
        ("JOD", "USD", "1.5", "2020-01-01", "INVALID_ARGUMENT"),    # history does not change
    ])
    def test_bad_publications_are_refused(self, admin_conn, base, quote, value, valid_from,
                                          code):
        refused(code, admin_conn, "sp_publish_fx_rate", base_currency=base,
                quote_currency=quote, rate=value, valid_from=valid_from, reason=None,
                actor_id=1, session_id=None)
        assert rate(admin_conn, "JOD", "USD") == Decimal("1.41")


class TestScheduleAndSpread:
    def test_a_scheduled_rate_takes_effect_at_its_valid_from(self, private_db):
        conn = connect(private_db, dict_rows=True)
        try:
            now = query(conn, "SELECT NOW(6) AS n")[0]["n"]
            later = now + timedelta(hours=1)
            publish(conn, "JOD", "EUR", "1.30", valid_from=later)
            assert rate(conn, "JOD", "EUR") == Decimal("1.31")
            assert rate(conn, "JOD", "EUR", later) == Decimal("1.30")
            assert rate(conn, "USD", "EUR", later) == truncated(Decimal("1.30") / Decimal("1.41"))
            listed = {(r["base_currency"], r["quote_currency"]): r
                      for r in proc(conn, "sp_list_fx_rates", session_id=None, user_id=1,
                                    at=None)}
            assert listed[("JOD", "EUR")]["next_rate"] == Decimal("1.30")
            assert listed[("JOD", "EUR")]["next_valid_from"] == later
            assert listed[("JOD", "USD")]["next_rate"] is None
            q = proc(conn, "sp_fx_quote", from_="JOD", to="EUR", amount="10", session_id=None,
                     user_id=1, to_account_number=None)[0]
            assert q["valid_seconds"] == 60  # the schedule is an hour away
            # Nothing may be scheduled before it (the crosses assume the mids then) ...
            refused("INVALID_ARGUMENT", conn, "sp_publish_fx_rate", base_currency="JOD",
                    quote_currency="USD", rate="1.40", valid_from=None, reason=None,
                    actor_id=1, session_id=None)
            # ... but the same instant replaces it.
            publish(conn, "JOD", "EUR", "1.305", valid_from=later)
            assert rate(conn, "JOD", "EUR", later) == Decimal("1.305")
        finally:
            conn.close()

    def test_the_spread_lowers_the_rate_into_its_currency(self, private_db):
        conn = connect(private_db, dict_rows=True)
        try:
            query(conn, "UPDATE currencies SET fx_spread = 0.01 WHERE code = 'USD'")
            later = query(conn, "SELECT MAX(valid_from) AS v FROM fx_rates")[0]["v"]
            rows = publish(conn, "JOD", "USD", "1.41", valid_from=later)
            written = {(r["base_currency"], r["quote_currency"]): r for r in rows}
            assert written[("JOD", "USD")]["rate"] == Decimal("1.3959")
            assert written[("JOD", "USD")]["mid_rate"] == Decimal("1.41")
            assert written[("JOD", "USD")]["spread"] == Decimal("0.01")
            assert written[("USD", "JOD")]["rate"] == truncated(1 / Decimal("1.41"))
            assert written[("EUR", "USD")]["rate"] == truncated(
                Decimal("1.41") / Decimal("1.305") * Decimal("0.99"))
            assert written[("USD", "EUR")]["spread"] == 0
        finally:
            conn.close()
