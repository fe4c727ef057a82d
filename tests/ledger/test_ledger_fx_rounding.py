"""Cross-currency conversion never pays out: the credited amount rounds down, dust is refused,
and no round trip, single or batched, grows a customer's money. Called as bank_app through
the real procedures against the real database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pymysql
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scripts.db_connection import connect
from tests.support.ledger import (
    balance,
    batch,
    currency_bounds,
    deposit,
    error_code,
    integrity_problems,
    new_user,
    open_account,
    proc,
    query,
    transfer,
)

EXPONENT = {"JOD": 3, "USD": 2, "EUR": 2}
PAIRS = [(a, b) for a in EXPONENT for b in EXPONENT if a != b]
FLOAT = "1000000"
PROPERTY = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def units(currency: str, count: int) -> Decimal:
    return Decimal(count).scaleb(-EXPONENT[currency])


def amounts(currency: str, most: int = 100_000) -> st.SearchStrategy[Decimal]:
    """Any amount a conversion accepts: from the minimum (1) to `most`, every decimal used."""
    one = 10 ** EXPONENT[currency]
    return st.integers(min_value=one, max_value=most * one).map(lambda n: units(currency, n))


def quote(conn: Any, source: str, target: str) -> Decimal:
    rows = query(conn, "SELECT rate FROM vw_fx_rates_current "
                       "WHERE base_currency = %s AND quote_currency = %s", source, target)
    return Decimal(rows[0]["rate"])


@pytest.fixture(scope="module")
def wallet(addresses) -> Iterator[dict[str, Any]]:
    """One verified customer with a well-funded, high-limit account in each currency."""
    admin = connect(addresses.admin, dict_rows=True)  # a system actor: NULL sessions allowed
    try:
        user = new_user(admin)
        accounts = {}
        for currency in EXPONENT:
            account = open_account(admin, user, currency)
            proc(admin, "sp_set_account_limits", account_id=account["id"], overdraft_limit=None,
                 per_transaction_limit="1000000", daily_limit="1000000000", actor_id=1)
            deposit(admin, account["id"], FLOAT)
            accounts[currency] = account
        yield {"user": user, "accounts": accounts}
    finally:
        admin.close()


def value_in(conn: Any, wallet: dict[str, Any], home: str, away: str) -> Decimal:
    """The customer's two accounts in `home`, the away one at the bank's quote back home."""
    home_id, away_id = wallet["accounts"][home]["id"], wallet["accounts"][away]["id"]
    return balance(conn, home_id) + balance(conn, away_id) * quote(conn, away, home)


class TestRounding:
    def test_converted_amount_rounds_down(self, admin_conn, app_conn):
        sender = open_account(app_conn, new_user(admin_conn), "JOD")
        receiver = open_account(app_conn, new_user(admin_conn), "USD")
        deposit(app_conn, sender["id"], "10")
        txn = transfer(app_conn, sender["id"], receiver["account_number"], "1.999")
        assert txn["target_amount"] == Decimal("2.81")  # 2.81859: half away from zero said 2.82

    def test_conversion_below_the_minimum_is_refused(self, admin_conn, app_conn):
        sender = open_account(app_conn, new_user(admin_conn), "EUR")
        receiver = open_account(app_conn, new_user(admin_conn), "JOD")
        deposit(app_conn, sender["id"], "10")
        with pytest.raises(pymysql.err.MySQLError) as err:
            transfer(app_conn, sender["id"], receiver["account_number"], "0.99")
        assert error_code(err.value) == "FX_AMOUNT_TOO_SMALL"
        with currency_bounds(admin_conn, "EUR", min_fx_amount="5"):
            with pytest.raises(pymysql.err.MySQLError) as err:
                transfer(app_conn, sender["id"], receiver["account_number"], "4.99")
            assert error_code(err.value) == "FX_AMOUNT_TOO_SMALL"
        assert balance(admin_conn, sender["id"]) == Decimal("10.00")

    def test_conversion_that_rounds_to_zero_is_refused(self, admin_conn, app_conn):
        sender = open_account(app_conn, new_user(admin_conn), "JOD")
        receiver = open_account(app_conn, new_user(admin_conn), "EUR")
        deposit(app_conn, sender["id"], "1")
        with currency_bounds(admin_conn, "JOD", min_fx_amount="0.001"):
            with pytest.raises(pymysql.err.MySQLError) as err:
                transfer(app_conn, sender["id"], receiver["account_number"], "0.007")  # 0.0091
            assert error_code(err.value) == "INVALID_AMOUNT"
            items = [{"to_account_number": receiver["account_number"], "amount": "0.007"}]
            with pytest.raises(pymysql.err.MySQLError) as err:
                batch(app_conn, sender["id"], json.dumps(items))
            assert str(err.value.args[1]).startswith("INVALID_AMOUNT: transfers[0]:")

    def test_published_quotes_have_no_gainful_cycle(self, admin_conn):
        problems = {row["check_name"] for row in integrity_problems(admin_conn)}
        assert "fx_round_trip_gain" not in problems


class TestDustAttack:
    """The report's attack: 1,000 tiny conversions one way, 1,000 back, 4 JOD became 8."""

    def test_dust_batches_are_refused_at_the_default_minimum(self, admin_conn, app_conn):
        user = new_user(admin_conn)
        jod, eur = open_account(app_conn, user, "JOD"), open_account(app_conn, user, "EUR")
        deposit(app_conn, jod["id"], "4")
        items = [{"to_account_number": eur["account_number"], "amount": "0.004"}] * 1000
        with pytest.raises(pymysql.err.MySQLError) as err:
            batch(app_conn, jod["id"], json.dumps(items))
        assert str(err.value.args[1]).startswith("FX_AMOUNT_TOO_SMALL: transfers[0]:")
        assert balance(admin_conn, jod["id"]) == Decimal("4.000")

    def test_dust_round_trip_loses_even_without_a_minimum(self, admin_conn, app_conn):
        user = new_user(admin_conn)
        jod, eur = open_account(app_conn, user, "JOD"), open_account(app_conn, user, "EUR")
        deposit(app_conn, jod["id"], "8")
        with currency_bounds(admin_conn, "JOD", min_fx_amount="0.001"), \
                currency_bounds(admin_conn, "EUR", min_fx_amount="0.01"):
            there = [{"to_account_number": eur["account_number"], "amount": "0.008"}] * 1000
            batch(app_conn, jod["id"], json.dumps(there))  # 0.01048 EUR each, credited 0.01
            assert balance(admin_conn, eur["id"]) == Decimal("10.00")
            back = [{"to_account_number": jod["account_number"], "amount": "0.01"}] * 1000
            batch(app_conn, eur["id"], json.dumps(back))  # 0.00763 JOD each, credited 0.007
        assert balance(admin_conn, eur["id"]) == 0
        assert balance(admin_conn, jod["id"]) == Decimal("7.000")  # was 8.000: no gain
        assert integrity_problems(admin_conn) == []


class TestRoundTripProperty:
    @PROPERTY
    @given(data=st.data())
    def test_single_round_trip_never_gains(self, admin_conn, app_conn, wallet, data):
        home, away = data.draw(st.sampled_from(PAIRS))
        amount = data.draw(amounts(home))
        before = value_in(admin_conn, wallet, home, away)
        accounts = wallet["accounts"]
        there = transfer(app_conn, accounts[home]["id"], accounts[away]["account_number"],
                         amount)
        received = Decimal(there["target_amount"])
        # The applied rate is the published one at full precision (within its 10 decimals).
        applied = Decimal(there["fx_rate"])
        assert 0 <= applied - quote(admin_conn, home, away) < Decimal("1e-10")
        assert received <= amount * applied
        if received >= 1:  # the smallest conversion back
            transfer(app_conn, accounts[away]["id"], accounts[home]["account_number"], received)
        assert value_in(admin_conn, wallet, home, away) <= before

    @PROPERTY
    @given(data=st.data())
    def test_batched_round_trip_never_gains(self, admin_conn, app_conn, wallet, data):
        home, away = data.draw(st.sampled_from(PAIRS))
        sent = data.draw(st.lists(amounts(home, 20_000), min_size=1, max_size=25))
        before = value_in(admin_conn, wallet, home, away)
        accounts = wallet["accounts"]
        items = [{"to_account_number": accounts[away]["account_number"], "amount": str(a)}
                 for a in sent]
        rows = batch(app_conn, accounts[home]["id"], json.dumps(items))
        received = [Decimal(r["target_amount"]) for r in rows[1:]]
        back = [{"to_account_number": accounts[home]["account_number"], "amount": str(r)}
                for r in received if r >= 1]
        if back:
            batch(app_conn, accounts[away]["id"], json.dumps(back))
        assert value_in(admin_conn, wallet, home, away) <= before

    def test_the_fx_book_stays_non_negative(self, admin_conn):
        """After every round trip above, the bank's FX book is worth at least zero."""
        book = query(admin_conn, "SELECT base_currency, SUM(value_in_base) AS value "
                                 "FROM vw_fx_position GROUP BY base_currency")
        assert len(book) == 3, book
        assert all(row["value"] >= 0 for row in book), book
        assert integrity_problems(admin_conn) == []

