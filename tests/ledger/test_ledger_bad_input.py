"""Bad input to the money procedures: each is a clear coded error and writes nothing."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import pymysql
import pytest

from tests.support.ledger import (
    counts,
    deposit,
    error_code,
    new_user,
    open_account,
    proc,
    query,
)


@pytest.fixture
def accounts(admin_conn, app_conn):
    user = new_user(admin_conn)
    jod = open_account(app_conn, user, "JOD")
    usd = open_account(app_conn, user, "USD")
    frozen = open_account(app_conn, user, "JOD", "checking")
    closed = open_account(app_conn, user, "JOD", "wallet")
    deposit(app_conn, jod["id"], "100")
    deposit(app_conn, frozen["id"], "100")
    proc(app_conn, "sp_set_account_status", account_id=frozen["id"], status="frozen", reason="test",
         actor_id=1)
    proc(app_conn, "sp_set_account_status", account_id=closed["id"], status="closed", reason="test",
         actor_id=1)
    return {"user": user, "jod": jod, "usd": usd, "frozen": frozen, "closed": closed}


def _refused(admin_conn, app_conn, code, procedure, arguments):
    before = counts(admin_conn)
    with pytest.raises(pymysql.err.MySQLError) as err:
        proc(app_conn, procedure, **arguments)
    assert error_code(err.value) == code, err.value
    assert counts(admin_conn) == before


def _cash(account_id, amount):
    return {"account_id": account_id, "amount": amount, "description": None,
            "idempotency_key": secrets.token_hex(6), "actor_id": 1, "session_id": None,
            "owner_id": None}


def _withdraw(account_id, amount):
    return "sp_withdraw_cash", {**_cash(account_id, amount), "client_ip": None, "country": None}


def _deposit(account_id, amount):
    return "sp_deposit_cash", _cash(account_id, amount)


def _transfer(from_id, to_number, amount, fee="0"):
    return "sp_perform_transfer", {
        "from_account_id": from_id, "to_account_number": to_number, "amount": amount,
        "fee": fee, "description": None, "idempotency_key": secrets.token_hex(6), "actor_id": 1,
        "session_id": None, "owner_id": None, "otp_hash": None, "client_ip": None,
        "country": None}


class TestAmounts:
    @pytest.mark.parametrize("amount", ["0", "-5", "0.000", "-0.001"])
    def test_zero_and_negative(self, admin_conn, app_conn, accounts, amount):
        _refused(admin_conn, app_conn, "INVALID_AMOUNT", *_deposit(accounts["jod"]["id"], amount))
        _refused(admin_conn, app_conn, "INVALID_AMOUNT", *_withdraw(accounts["jod"]["id"], amount))
        _refused(
            admin_conn,
            app_conn,
            "INVALID_AMOUNT",
            *_transfer(accounts["jod"]["id"], accounts["usd"]["account_number"], amount),
        )

    @pytest.mark.parametrize(
        ("account", "amount"), [("jod", "1.0001"), ("usd", "1.001"), ("jod", "0.00001")]
    )
    def test_more_decimals_than_the_currency_has(
        self, admin_conn, app_conn, accounts, account, amount
    ):
        _refused(admin_conn, app_conn, "INVALID_AMOUNT", *_deposit(accounts[account]["id"], amount))

    def test_huge_amount(self, admin_conn, app_conn, accounts):
        _refused(
            admin_conn,
            app_conn,
            "INVALID_AMOUNT",
            *_deposit(accounts["jod"]["id"], "10000000000000"),
        )

    def test_negative_fee(self, admin_conn, app_conn, accounts):
        _refused(
            admin_conn,
            app_conn,
            "INVALID_AMOUNT",
            *_transfer(accounts["jod"]["id"], accounts["usd"]["account_number"], "1", "-1"),
        )


class TestAccounts:
    def test_unknown_currency(self, admin_conn, app_conn, accounts):
        _refused(
            admin_conn,
            app_conn,
            "UNKNOWN_CURRENCY",
            "sp_create_account",
            {"user_id": accounts["user"], "account_type": "savings", "currency": "XYZ",
             "actor_id": 1},
        )

    def test_unknown_account_type(self, admin_conn, app_conn, accounts):
        _refused(
            admin_conn,
            app_conn,
            "INVALID_ACCOUNT_TYPE",
            "sp_create_account",
            {"user_id": accounts["user"], "account_type": "gl", "currency": "JOD", "actor_id": 1},
        )

    def test_unknown_user(self, admin_conn, app_conn):
        _refused(
            admin_conn,
            app_conn,
            "USER_NOT_FOUND",
            "sp_create_account",
            {"user_id": 987654321, "account_type": "savings", "currency": "JOD", "actor_id": 1},
        )

    def test_inactive_user(self, admin_conn, app_conn):
        user = new_user(admin_conn)
        query(admin_conn, "UPDATE users SET status = 'blocked' WHERE id = %s", user)
        _refused(
            admin_conn,
            app_conn,
            "USER_INACTIVE",
            "sp_create_account",
            {"user_id": user, "account_type": "savings", "currency": "JOD", "actor_id": 1},
        )

    def test_same_account_transfer(self, admin_conn, app_conn, accounts):
        _refused(
            admin_conn,
            app_conn,
            "SAME_ACCOUNT",
            *_transfer(accounts["jod"]["id"], accounts["jod"]["account_number"], "1"),
        )

    def test_unknown_accounts(self, admin_conn, app_conn, accounts):
        _refused(admin_conn, app_conn, "ACCOUNT_NOT_FOUND", *_deposit(987654321, "1"))
        _refused(admin_conn, app_conn, "ACCOUNT_NOT_FOUND", *_withdraw(987654321, "1"))
        _refused(
            admin_conn,
            app_conn,
            "ACCOUNT_NOT_FOUND",
            *_transfer(accounts["jod"]["id"], "999999999999", "1"),
        )
        _refused(
            admin_conn,
            app_conn,
            "ACCOUNT_NOT_FOUND",
            *_transfer(987654321, accounts["usd"]["account_number"], "1"),
        )

    def test_system_account_cannot_be_a_transfer_target(self, admin_conn, app_conn, accounts):
        _refused(
            admin_conn,
            app_conn,
            "ACCOUNT_NOT_FOUND",
            *_transfer(accounts["jod"]["id"], "GL-JOD-CASH_VAULT", "1"),
        )

    def test_frozen_account_neither_sends_nor_receives(self, admin_conn, app_conn, accounts):
        frozen = accounts["frozen"]
        _refused(admin_conn, app_conn, "ACCOUNT_FROZEN", *_withdraw(frozen["id"], "1"))
        _refused(admin_conn, app_conn, "ACCOUNT_FROZEN", *_deposit(frozen["id"], "1"))
        _refused(
            admin_conn,
            app_conn,
            "ACCOUNT_FROZEN",
            *_transfer(frozen["id"], accounts["jod"]["account_number"], "1"),
        )
        _refused(
            admin_conn,
            app_conn,
            "ACCOUNT_FROZEN",
            *_transfer(accounts["jod"]["id"], frozen["account_number"], "1"),
        )

    def test_closed_account_neither_sends_nor_receives(self, admin_conn, app_conn, accounts):
        closed = accounts["closed"]
        _refused(admin_conn, app_conn, "ACCOUNT_CLOSED", *_deposit(closed["id"], "1"))
        _refused(
            admin_conn,
            app_conn,
            "ACCOUNT_CLOSED",
            *_transfer(accounts["jod"]["id"], closed["account_number"], "1"),
        )

    def test_account_with_money_cannot_be_closed(self, admin_conn, app_conn, accounts):
        _refused(
            admin_conn,
            app_conn,
            "ACCOUNT_NOT_EMPTY",
            "sp_set_account_status",
            {"account_id": accounts["jod"]["id"], "status": "closed", "reason": "test",
             "actor_id": 1},
        )

    def test_ownership_is_enforced_in_sql(self, admin_conn, app_conn, accounts):
        stranger = new_user(admin_conn)
        procedure, arguments = _withdraw(accounts["jod"]["id"], "1")
        arguments["owner_id"] = stranger
        _refused(admin_conn, app_conn, "ACCOUNT_NOT_FOUND", procedure, arguments)


class TestIdempotency:
    def test_same_key_other_payload_is_a_conflict(self, admin_conn, app_conn, accounts):
        key = secrets.token_hex(6)
        proc(app_conn, "sp_deposit_cash", account_id=accounts["jod"]["id"], amount="5",
             description=None, idempotency_key=key, actor_id=1, session_id=None, owner_id=None)
        _refused(
            admin_conn,
            app_conn,
            "IDEMPOTENCY_CONFLICT",
            "sp_deposit_cash",
            {"account_id": accounts["jod"]["id"], "amount": "6", "description": None,
             "idempotency_key": key, "actor_id": 1, "session_id": None, "owner_id": None},
        )

    def test_same_key_same_payload_replays(self, admin_conn, app_conn, accounts):
        key = secrets.token_hex(6)
        first = proc(app_conn, "sp_deposit_cash", account_id=accounts["jod"]["id"], amount="5",
                     description=None, idempotency_key=key, actor_id=1, session_id=None,
                     owner_id=None)[0]
        before = counts(admin_conn)
        again = proc(app_conn, "sp_deposit_cash", account_id=accounts["jod"]["id"], amount="5.000",
                     description=None, idempotency_key=key, actor_id=1, session_id=None,
                     owner_id=None)[0]
        assert (again["id"], again["replayed"], first["replayed"]) == (first["id"], 1, 0)
        assert counts(admin_conn) == before


class TestSessions:
    def test_revoked_or_unknown_session_is_refused(self, admin_conn, app_conn, accounts):
        _refused(
            admin_conn,
            app_conn,
            "SESSION_REVOKED",
            "sp_withdraw_cash",
            {"account_id": accounts["jod"]["id"], "amount": "1", "description": None,
             "idempotency_key": secrets.token_hex(6), "actor_id": accounts["user"],
             "session_id": "0" * 32, "owner_id": accounts["user"], "client_ip": None,
             "country": None},
        )


@contextmanager
def _no_rate(admin_conn, base, quote) -> Iterator[None]:
    """Every rate of one pair moved a thousand years ahead for one test, then put back."""
    shift = ("UPDATE fx_rates SET valid_from = valid_from {} INTERVAL 1000 YEAR"
             " WHERE base_currency = %s AND quote_currency = %s")
    query(admin_conn, shift.format("+"), base, quote)
    try:
        yield
    finally:
        query(admin_conn, shift.format("-"), base, quote)


class TestMissingRows:
    def test_a_pair_without_a_rate_in_force(self, admin_conn, app_conn, accounts):
        with _no_rate(admin_conn, "JOD", "USD"):
            _refused(admin_conn, app_conn, "FX_RATE_UNAVAILABLE",
                     *_transfer(accounts["jod"]["id"], accounts["usd"]["account_number"], "10"))

    def test_unknown_transaction(self, admin_conn, app_conn):
        _refused(admin_conn, app_conn, "TRANSACTION_NOT_FOUND", "sp_get_transaction",
                 {"transaction_id": 987654321, "viewer_id": None})

    def test_unknown_hold(self, admin_conn, app_conn):
        _refused(admin_conn, app_conn, "HOLD_NOT_FOUND", "sp_release_hold",
                 {"hold_id": 987654321, "actor_id": 1})
