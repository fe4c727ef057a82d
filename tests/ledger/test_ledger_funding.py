"""Where money comes from and how much can move: cash is a teller's act, a customer's own
deposit is a bounded top-up from an external funding source, every path is bounded per
transaction and per day, an overflow is a specific error, and money leaves an account
only once its owner's KYC is verified. Called as bank_app through the real procedures."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pymysql
import pytest

from api.config import DatabaseAddress
from scripts.db_connection import connect
from scripts.migrate import drop_database, migrate
from tests.support.ledger import (
    balance,
    batch,
    counts,
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


def gl_account(admin_conn: Any, gl_type: str, currency: str) -> int:
    rows = query(admin_conn, "SELECT id FROM accounts WHERE gl_type = %s AND currency = %s",
                 gl_type, currency)
    return int(rows[0]["id"])


def top_up(app_conn: Any, account_id: int, amount: str, owner: int) -> dict[str, Any]:
    return proc(app_conn, "sp_top_up", account_id=account_id, amount=amount,
                description="from my card", idempotency_key=secrets.token_hex(8), actor_id=owner,
                session_id=None)[0]


def withdraw(app_conn: Any, account_id: int, amount: str, actor: int,
             owner: int | None) -> dict[str, Any]:
    return proc(app_conn, "sp_withdraw_cash", account_id=account_id, amount=amount,
                description="ATM", idempotency_key=secrets.token_hex(8), actor_id=actor,
                session_id=None, owner_id=owner, client_ip=None, country=None)[0]


def refused(code: str, action: Callable[[], Any], admin_conn: Any) -> str:
    """Run `action`, expect the procedure to refuse it with `code`, and nothing written."""
    before = counts(admin_conn)
    with pytest.raises(pymysql.err.MySQLError) as err:
        action()
    assert error_code(err.value) == code, err.value
    assert counts(admin_conn) == before
    return str(err.value.args[1])


@pytest.fixture
def customer(admin_conn, app_conn):
    """A verified customer with an empty JOD account."""
    user = new_user(admin_conn)
    return {"user": user, "jod": open_account(app_conn, user, "JOD")}


class TestCashIsATellersAct:
    def test_a_customer_cannot_pay_in_cash(self, admin_conn, app_conn, customer):
        account, user = customer["jod"]["id"], customer["user"]
        refused("FORBIDDEN", lambda: proc(app_conn, "sp_deposit_cash", account_id=account,
                                          amount="10.000", description=None,
                                          idempotency_key=secrets.token_hex(8), actor_id=user,
                                          session_id=None, owner_id=user), admin_conn)
        assert balance(admin_conn, account) == 0

    def test_top_up_credits_the_account_against_external_funding_not_the_vault(
        self, admin_conn, app_conn, customer
    ):
        vault = gl_account(admin_conn, "cash_vault", "JOD")
        funding = gl_account(admin_conn, "external_funding", "JOD")
        vault_before, funding_before = balance(admin_conn, vault), balance(admin_conn, funding)
        txn = top_up(app_conn, customer["jod"]["id"], "250.500", customer["user"])
        assert (txn["type"], txn["amount"]) == ("deposit", Decimal("250.500"))
        legs = query(admin_conn, "SELECT account_id, amount FROM ledger_entries "
                                 "WHERE transaction_id = %s ORDER BY id", txn["id"])
        assert [(r["account_id"], r["amount"]) for r in legs] == [
            (customer["jod"]["id"], Decimal("250.500")), (funding, Decimal("-250.500"))]
        assert balance(admin_conn, vault) == vault_before
        assert balance(admin_conn, funding) == funding_before - Decimal("250.500")
        assert integrity_problems(admin_conn) == []

    def test_top_ups_are_limited_per_top_up_and_per_day(self, admin_conn, app_conn, customer):
        account, user = customer["jod"]["id"], customer["user"]
        # The attack of the report: one self-deposit of almost 10^13.
        refused("AMOUNT_OUT_OF_RANGE", lambda: top_up(app_conn, account, "9999999999999.999",
                                                      user), admin_conn)
        refused("LIMIT_EXCEEDED", lambda: top_up(app_conn, account, "1000.001", user), admin_conn)
        top_up(app_conn, account, "1000.000", user)
        top_up(app_conn, account, "999.999", user)
        refused("DAILY_LIMIT_EXCEEDED", lambda: top_up(app_conn, account, "0.002", user),
                admin_conn)
        top_up(app_conn, account, "0.001", user)
        assert balance(admin_conn, account) == Decimal("2000.000")

    def test_top_up_limits_are_data(self, admin_conn, app_conn):
        user = new_user(admin_conn)
        usd = open_account(app_conn, user, "USD")
        with currency_bounds(admin_conn, "USD", top_up_max_amount="5", top_up_daily_limit="8"):
            refused("LIMIT_EXCEEDED", lambda: top_up(app_conn, usd["id"], "5.01", user),
                    admin_conn)
            top_up(app_conn, usd["id"], "5.00", user)
            refused("DAILY_LIMIT_EXCEEDED", lambda: top_up(app_conn, usd["id"], "3.01", user),
                    admin_conn)

    def test_top_up_goes_only_into_the_callers_own_account(self, admin_conn, app_conn, customer):
        stranger = new_user(admin_conn)
        refused("ACCOUNT_NOT_FOUND",
                lambda: top_up(app_conn, customer["jod"]["id"], "10", stranger), admin_conn)

    def test_self_service_cash_withdrawal_is_limited_and_a_teller_is_not(
        self, admin_conn, app_conn, customer
    ):
        account, user = customer["jod"]["id"], customer["user"]
        deposit(app_conn, account, "5000")  # at the counter
        refused("LIMIT_EXCEEDED", lambda: withdraw(app_conn, account, "1000.001", user, user),
                admin_conn)
        withdraw(app_conn, account, "1000.000", user, user)
        withdraw(app_conn, account, "1000.000", user, user)
        refused("DAILY_LIMIT_EXCEEDED", lambda: withdraw(app_conn, account, "0.001", user, user),
                admin_conn)
        teller = new_user(admin_conn, "teller")
        withdraw(app_conn, account, "1500.000", teller, None)
        assert balance(admin_conn, account) == Decimal("1500.000")


class TestBounds:
    def test_no_path_moves_more_than_the_currency_maximum(self, admin_conn, app_conn, customer):
        account, user = customer["jod"]["id"], customer["user"]
        other = open_account(app_conn, new_user(admin_conn), "JOD")
        deposit(app_conn, account, "1000")
        proc(app_conn, "sp_set_account_limits", account_id=account, overdraft_limit=None,
             per_transaction_limit="9000000000", daily_limit="9000000000", actor_id=1)
        over = "1000000000.001"
        refused("AMOUNT_OUT_OF_RANGE", lambda: deposit(app_conn, account, over), admin_conn)
        refused("AMOUNT_OUT_OF_RANGE", lambda: withdraw(app_conn, account, over, 1, None),
                admin_conn)
        refused("AMOUNT_OUT_OF_RANGE",
                lambda: transfer(app_conn, account, other["account_number"], over), admin_conn)
        message = refused("AMOUNT_OUT_OF_RANGE", lambda: batch(
            app_conn, account,
            json.dumps([{"to_account_number": other["account_number"], "amount": over}])),
            admin_conn)
        assert message.startswith("AMOUNT_OUT_OF_RANGE: transfers[0]:")
        refused("AMOUNT_OUT_OF_RANGE", lambda: top_up(app_conn, account, over, user), admin_conn)

    def test_an_account_is_paid_in_at_most_the_daily_credit_bound(self, admin_conn, app_conn):
        payer, payee = new_user(admin_conn), new_user(admin_conn)
        source = open_account(app_conn, payer, "EUR")
        target = open_account(app_conn, payee, "EUR")
        deposit(app_conn, source["id"], "5000")
        with currency_bounds(admin_conn, "EUR", max_amount="1000", max_daily_credit="2000",
                             top_up_max_amount="1000", top_up_daily_limit="2000"):
            deposit(app_conn, target["id"], "1000")
            top_up(app_conn, target["id"], "1000", payee)
            refused("DAILY_CREDIT_LIMIT_EXCEEDED",
                    lambda: deposit(app_conn, target["id"], "0.01"), admin_conn)
            refused("DAILY_CREDIT_LIMIT_EXCEEDED",
                    lambda: top_up(app_conn, target["id"], "0.01", payee), admin_conn)
            # No receiver limit on transfers: anyone could fill it by paying you.
            transfer(app_conn, source["id"], target["account_number"], "1000")
            items = [{"to_account_number": target["account_number"], "amount": "500"}] * 2
            batch(app_conn, source["id"], json.dumps(items))
        assert balance(admin_conn, target["id"]) == Decimal("4000.00")


@pytest.fixture
def private_conn(admin_url: str) -> Iterator[Any]:
    """Admin on a second, private migrated database, for tests that force a state by hand."""
    name = f"bank_edge_{secrets.token_hex(4)}"
    migrate(admin_url, database=name)
    conn = connect(DatabaseAddress.from_url(admin_url).with_database(name), dict_rows=True)
    try:
        yield conn
    finally:
        conn.close()
        drop_database(admin_url, name)


class TestOverflow:
    """A balance at the edge of DECIMAL(20,4) (set by hand in a private database: no path
    can get there) makes the next posting fail with a specific code and write nothing."""

    EDGE = "9999999999999999.0000"

    def test_vault_overflow_is_balance_out_of_range(self, private_conn):
        conn = private_conn
        user = new_user(conn)
        account = open_account(conn, user, "USD")
        edge = -Decimal(self.EDGE)
        query(conn, "UPDATE accounts SET balance = %s, available_balance = %s "
                    "WHERE gl_type = 'cash_vault' AND currency = 'USD'", edge, edge)
        refused("BALANCE_OUT_OF_RANGE", lambda: deposit(conn, account["id"], "1.00"), conn)
        assert balance(conn, account["id"]) == 0
        # Other currencies, and USD out of the vault, still work.
        jod = open_account(conn, user, "JOD")
        deposit(conn, jod["id"], "5")

    def test_receiver_overflow_is_balance_out_of_range(self, private_conn):
        conn = private_conn
        payer, payee = new_user(conn), new_user(conn)
        source = open_account(conn, payer, "JOD")
        target = open_account(conn, payee, "JOD")
        usd = open_account(conn, payee, "USD")
        deposit(conn, source["id"], "100")
        for account in (target, usd):
            query(conn, "UPDATE accounts SET balance = %s, available_balance = %s WHERE id = %s",
                  Decimal(self.EDGE), Decimal(self.EDGE), account["id"])
        refused("BALANCE_OUT_OF_RANGE",
                lambda: transfer(conn, source["id"], target["account_number"], "1"), conn)
        refused("BALANCE_OUT_OF_RANGE",
                lambda: transfer(conn, source["id"], usd["account_number"], "1"), conn)
        items = [{"to_account_number": target["account_number"], "amount": "1"}]
        refused("BALANCE_OUT_OF_RANGE", lambda: batch(conn, source["id"], json.dumps(items)),
                conn)
        assert balance(conn, source["id"]) == Decimal("100.000")


class TestKyc:
    @pytest.mark.parametrize("status", ["pending", "rejected"])
    def test_money_leaves_only_a_verified_owners_account(
        self, admin_conn, app_conn, customer, status
    ):
        account, user = customer["jod"]["id"], customer["user"]
        other = open_account(app_conn, new_user(admin_conn), "JOD")
        deposit(app_conn, account, "100")
        query(admin_conn, "UPDATE users SET kyc_status = %s WHERE id = %s", status, user)
        # Money in still arrives.
        deposit(app_conn, other["id"], "10")
        transfer(app_conn, other["id"], customer["jod"]["account_number"], "1")
        top_up(app_conn, account, "1", user)
        refused("KYC_REQUIRED", lambda: withdraw(app_conn, account, "1", user, user), admin_conn)
        refused("KYC_REQUIRED", lambda: withdraw(app_conn, account, "1", 1, None), admin_conn)
        refused("KYC_REQUIRED",
                lambda: transfer(app_conn, account, other["account_number"], "1"), admin_conn)
        items = [{"to_account_number": other["account_number"], "amount": "1"}]
        refused("KYC_REQUIRED", lambda: batch(app_conn, account, json.dumps(items)), admin_conn)
        query(admin_conn, "UPDATE users SET kyc_status = 'verified' WHERE id = %s", user)
        transfer(app_conn, account, other["account_number"], "1")
        assert balance(admin_conn, account) == Decimal("101.000")
