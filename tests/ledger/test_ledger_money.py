"""Deposits, withdrawals, transfers, FX, fees, reversals, batches, holds and statements,
called through the real procedures by a trusted system caller (NULL session)."""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from decimal import Decimal

import pymysql
import pytest

from tests.support.ledger import (
    balance,
    batch,
    call,
    call_all,
    deposit,
    error_code,
    fee_income,
    integrity_problems,
    new_user,
    open_account,
    proc,
    proc_all,
    query,
    transfer,
)


@pytest.fixture
def customer(admin_conn, app_conn):
    """A customer with a funded JOD account (1000.000) and an empty JOD account."""
    user = new_user(admin_conn)
    main = open_account(app_conn, user, "JOD")
    spare = open_account(app_conn, user, "JOD", "checking")
    deposit(app_conn, main["id"], "1000.000")
    return {"user": user, "main": main, "spare": spare}


class TestAccounts:
    def test_account_number_has_mod97_check_digits(self, admin_conn, app_conn):
        account = open_account(app_conn, new_user(admin_conn), "USD")
        number = account["account_number"]
        assert len(number) == 12
        assert number.isdigit()
        assert int(number) % 97 == 1

    def test_new_account_is_empty_active_and_audited(self, admin_conn, app_conn):
        user = new_user(admin_conn)
        account = open_account(app_conn, user, "EUR", "wallet")
        assert (account["status"], account["balance"], account["currency"]) == ("active", 0, "EUR")
        audit = query(
            admin_conn,
            "SELECT actor_user_id, action FROM audit_log WHERE table_name='accounts' AND row_id=%s",
            account["id"],
        )
        assert audit == [{"actor_user_id": user, "action": "INSERT"}]

    def test_list_accounts_returns_only_the_users_own(self, admin_conn, app_conn, customer):
        other = new_user(admin_conn)
        open_account(app_conn, other, "USD")
        ids = [row["id"] for row in call(app_conn, "sp_list_accounts", customer["user"], None, 100)]
        assert ids == [customer["main"]["id"], customer["spare"]["id"]]

    def test_system_accounts_are_not_visible_as_customer_accounts(self, admin_conn, app_conn):
        gl = query(admin_conn, "SELECT id FROM accounts WHERE kind='system' LIMIT 1")[0]["id"]
        with pytest.raises(pymysql.err.MySQLError) as err:
            call(app_conn, "sp_get_account", gl)
        assert error_code(err.value) == "ACCOUNT_NOT_FOUND"


class TestCash:
    def test_deposit_and_withdrawal_move_the_vault(self, admin_conn, app_conn, customer):
        vault = query(
            admin_conn, "SELECT id FROM accounts WHERE gl_type='cash_vault' AND currency='JOD'"
        )[0]["id"]
        before = balance(admin_conn, vault)
        txn = proc(app_conn, "sp_withdraw_cash", account_id=customer["main"]["id"],
                   amount="250.125", description="ATM", idempotency_key=secrets.token_hex(6),
                   actor_id=customer["user"], session_id=None, owner_id=customer["user"],
                   client_ip=None, country=None)[0]
        assert (txn["type"], txn["status"], txn["amount"]) == (
            "withdrawal",
            "completed",
            Decimal("250.125"),
        )
        assert balance(admin_conn, customer["main"]["id"]) == Decimal("749.875")
        assert balance(admin_conn, vault) == before + Decimal("250.125")
        assert integrity_problems(admin_conn) == []

    def test_withdrawal_over_the_balance_is_refused(self, admin_conn, app_conn, customer):
        with pytest.raises(pymysql.err.MySQLError) as err:
            proc(app_conn, "sp_withdraw_cash", account_id=customer["main"]["id"], amount="1000.001",
                 description=None, idempotency_key=secrets.token_hex(6), actor_id=customer["user"],
                 session_id=None, owner_id=None, client_ip=None, country=None)
        assert error_code(err.value) == "INSUFFICIENT_FUNDS"

    def test_overdraft_limit_allows_going_below_zero_up_to_it(self, admin_conn, app_conn, customer):
        proc(app_conn, "sp_set_account_limits", account_id=customer["main"]["id"],
             overdraft_limit="100.000", per_transaction_limit=None, daily_limit=None, actor_id=1)
        proc(app_conn, "sp_withdraw_cash", account_id=customer["main"]["id"], amount="1100.000",
             description=None, idempotency_key=secrets.token_hex(6), actor_id=1, session_id=None,
             owner_id=None, client_ip=None, country=None)
        assert balance(admin_conn, customer["main"]["id"]) == Decimal("-100.000")
        with pytest.raises(pymysql.err.MySQLError) as err:
            proc(app_conn, "sp_withdraw_cash", account_id=customer["main"]["id"], amount="0.001",
                 description=None, idempotency_key=secrets.token_hex(6), actor_id=1,
                 session_id=None, owner_id=None, client_ip=None, country=None)
        assert error_code(err.value) == "INSUFFICIENT_FUNDS"

    def test_per_transaction_and_daily_limits(self, admin_conn, app_conn, customer):
        proc(app_conn, "sp_set_account_limits", account_id=customer["main"]["id"],
             overdraft_limit=None, per_transaction_limit="300.000", daily_limit="500.000",
             actor_id=1)
        account = customer["main"]["id"]
        with pytest.raises(pymysql.err.MySQLError) as err:
            proc(app_conn, "sp_withdraw_cash", account_id=account, amount="300.001",
                 description=None, idempotency_key=secrets.token_hex(6), actor_id=1,
                 session_id=None, owner_id=None, client_ip=None, country=None)
        assert error_code(err.value) == "LIMIT_EXCEEDED"
        proc(app_conn, "sp_withdraw_cash", account_id=account, amount="300.000", description=None,
             idempotency_key=secrets.token_hex(6), actor_id=1, session_id=None, owner_id=None,
             client_ip=None, country=None)
        with pytest.raises(pymysql.err.MySQLError) as err:
            transfer(app_conn, account, customer["spare"]["account_number"], "200.001")
        assert error_code(err.value) == "DAILY_LIMIT_EXCEEDED"
        transfer(app_conn, account, customer["spare"]["account_number"], "200.000")


class TestTransfer:
    def test_same_currency_moves_exact_amounts(self, admin_conn, app_conn, customer):
        txn = transfer(
            app_conn, customer["main"]["id"], customer["spare"]["account_number"], "123.456"
        )
        assert txn["to_account_id"] == customer["spare"]["id"]
        assert balance(admin_conn, customer["main"]["id"]) == Decimal("876.544")
        assert balance(admin_conn, customer["spare"]["id"]) == Decimal("123.456")
        _, entries = call_all(app_conn, "sp_get_transaction", txn["id"], None)
        assert [e["amount"] for e in entries] == [Decimal("-123.456"), Decimal("123.456")]
        assert [e["balance_after"] for e in entries] == [Decimal("876.544"), Decimal("123.456")]

    def test_fee_is_its_own_pair_of_entries(self, admin_conn, app_conn, customer):
        before = fee_income(admin_conn, "JOD")
        txn = transfer(
            app_conn,
            customer["main"]["id"],
            customer["spare"]["account_number"],
            "100",
            fee="1.500",
        )
        entries = call_all(app_conn, "sp_get_transaction", txn["id"], None)[1]
        fees = [(e["account_id"], e["amount"]) for e in entries if e["entry_type"] == "fee"]
        # The fee income line's sub-account picked by the transaction (id modulo the shards).
        fee_gl = query(admin_conn, "SELECT a.id FROM accounts a JOIN bank_settings b "
                       "WHERE a.gl_type = 'fee_income' AND a.currency = 'JOD' "
                       "AND a.gl_shard = %s MOD b.gl_shards", txn["id"])[0]["id"]
        assert fees == [(customer["main"]["id"], Decimal("-1.500")), (fee_gl, Decimal("1.500"))]
        assert balance(admin_conn, customer["main"]["id"]) == Decimal("898.500")
        assert fee_income(admin_conn, "JOD") == before + Decimal("1.500")

    def test_fee_counts_against_funds(self, admin_conn, app_conn, customer):
        with pytest.raises(pymysql.err.MySQLError) as err:
            transfer(
                app_conn,
                customer["main"]["id"],
                customer["spare"]["account_number"],
                "999.000",
                fee="1.001",
            )
        assert error_code(err.value) == "INSUFFICIENT_FUNDS"

    def test_opposite_transfers_leave_balances_consistent(self, admin_conn, app_conn, customer):
        main, spare = customer["main"], customer["spare"]
        transfer(app_conn, main["id"], spare["account_number"], "10")
        transfer(app_conn, spare["id"], main["account_number"], "4")
        assert balance(admin_conn, main["id"]) == Decimal("994.000")
        assert integrity_problems(admin_conn) == []


class TestTransactionViewer:
    """sp_get_transaction shows a customer their own legs only; staff see every leg."""

    def test_each_party_sees_its_own_legs_and_a_stranger_nothing(
        self, admin_conn, app_conn, customer
    ):
        payee_owner = new_user(admin_conn)
        payee = open_account(app_conn, payee_owner, "JOD")
        txn = transfer(app_conn, customer["main"]["id"], payee["account_number"], "10",
                       fee="0.500")
        _, everything = call_all(app_conn, "sp_get_transaction", txn["id"], None)
        assert len(everything) == 4  # principal and fee, each a pair
        _, sender_view = call_all(app_conn, "sp_get_transaction", txn["id"], customer["user"])
        assert [(e["account_id"], e["amount"]) for e in sender_view] == [
            (customer["main"]["id"], Decimal("-10.000")),
            (customer["main"]["id"], Decimal("-0.500"))]
        header, payee_view = call_all(app_conn, "sp_get_transaction", txn["id"], payee_owner)
        assert header[0]["id"] == txn["id"]
        assert [(e["account_id"], e["amount"]) for e in payee_view] == [
            (payee["id"], Decimal("10.000"))]
        stranger = new_user(admin_conn)
        with pytest.raises(pymysql.err.MySQLError) as err:
            call_all(app_conn, "sp_get_transaction", txn["id"], stranger)
        assert error_code(err.value) == "TRANSACTION_NOT_FOUND"


class TestFx:
    @pytest.mark.parametrize(
        ("source", "target", "amount", "expected"),
        [
            ("JOD", "USD", "100.000", "141.00"),  # 100 * 1.41
            ("JOD", "USD", "1.500", "2.11"),  # 2.115 rounds down, in the bank's favour
            ("JOD", "USD", "1.234", "1.73"),  # 1.73994
            ("USD", "EUR", "10.01", "9.30"),  # 9.30007: 1.31 / 1.41 through JOD
            ("EUR", "JOD", "1.01", "0.770"),  # 0.77099: JOD keeps three decimals
            ("USD", "JOD", "1.01", "0.716"),  # 0.71631
        ],
    )
    def test_conversion_rounds_to_the_target_exponent(
        self, admin_conn, app_conn, source, target, amount, expected
    ):
        sender = open_account(app_conn, new_user(admin_conn), source)
        receiver = open_account(app_conn, new_user(admin_conn), target)
        deposit(app_conn, sender["id"], "500")
        txn = transfer(app_conn, sender["id"], receiver["account_number"], amount)
        assert txn["target_amount"] == Decimal(expected)
        assert balance(admin_conn, receiver["id"]) == Decimal(expected)

    def test_fx_position_accounts_balance_each_currency(self, admin_conn, app_conn):
        jod = open_account(app_conn, new_user(admin_conn), "JOD")
        usd = open_account(app_conn, new_user(admin_conn), "USD")
        eur = open_account(app_conn, new_user(admin_conn), "EUR")
        deposit(app_conn, jod["id"], "1000")
        first = transfer(app_conn, jod["id"], usd["account_number"], "100")
        second = transfer(app_conn, usd["id"], eur["account_number"], "141.00")
        for txn in (first, second):
            entries = call_all(app_conn, "sp_get_transaction", txn["id"], None)[1]
            per_currency: dict[str, Decimal] = {}
            for entry in entries:
                per_currency[entry["currency"]] = (
                    per_currency.get(entry["currency"], 0) + entry["amount"]
                )
            assert set(per_currency.values()) == {Decimal(0)}
            assert sorted(e["entry_type"] for e in entries) == [
                "fx",
                "fx",
                "principal",
                "principal",
            ]
        # 141.00 * 1.31 / 1.41 through the two JOD mids at full precision, rounded once: 131.00
        # (the stored cross rate, truncated to 10 places, would have credited 130.99)
        assert balance(admin_conn, eur["id"]) == Decimal("131.00")
        sheet = query(
            admin_conn,
            "SELECT currency, SUM(balance) AS net FROM vw_balance_sheet GROUP BY currency",
        )
        assert all(row["net"] == 0 for row in sheet)


class TestReversal:
    def test_reversal_posts_opposite_entries_and_links_both_ways(
        self, admin_conn, app_conn, customer
    ):
        txn = transfer(
            app_conn, customer["main"]["id"], customer["spare"]["account_number"], "40", fee="0.500"
        )
        rev = proc(app_conn, "sp_reverse_transaction", transaction_id=txn["id"],
                   reason="customer error", idempotency_key=secrets.token_hex(6), actor_id=1)[0]
        assert (rev["type"], rev["reversal_of_id"]) == ("reversal", txn["id"])
        original = call_all(app_conn, "sp_get_transaction", txn["id"], None)[0][0]
        assert (original["status"], original["reversed_by_id"]) == ("reversed", rev["id"])
        assert balance(admin_conn, customer["main"]["id"]) == Decimal("1000.000")
        assert balance(admin_conn, customer["spare"]["id"]) == Decimal("0")
        assert integrity_problems(admin_conn) == []

    def test_second_reversal_is_refused(self, app_conn, customer):
        txn = transfer(app_conn, customer["main"]["id"], customer["spare"]["account_number"], "1")
        proc(app_conn, "sp_reverse_transaction", transaction_id=txn["id"], reason="oops",
             idempotency_key=secrets.token_hex(6), actor_id=1)
        with pytest.raises(pymysql.err.MySQLError) as err:
            proc(app_conn, "sp_reverse_transaction", transaction_id=txn["id"], reason="again",
                 idempotency_key=secrets.token_hex(6), actor_id=1)
        assert error_code(err.value) == "ALREADY_REVERSED"

    def test_reversal_of_a_reversal_is_refused(self, app_conn, customer):
        txn = transfer(app_conn, customer["main"]["id"], customer["spare"]["account_number"], "1")
        rev = proc(app_conn, "sp_reverse_transaction", transaction_id=txn["id"], reason="oops",
                   idempotency_key=secrets.token_hex(6), actor_id=1)[
            0
        ]
        with pytest.raises(pymysql.err.MySQLError) as err:
            proc(app_conn, "sp_reverse_transaction", transaction_id=rev["id"], reason="undo",
                 idempotency_key=secrets.token_hex(6), actor_id=1)
        assert error_code(err.value) == "NOT_REVERSIBLE"

    def test_reversal_fails_whole_when_the_money_was_spent(self, admin_conn, app_conn, customer):
        txn = transfer(app_conn, customer["main"]["id"], customer["spare"]["account_number"], "50")
        proc(app_conn, "sp_withdraw_cash", account_id=customer["spare"]["id"], amount="50",
             description=None, idempotency_key=secrets.token_hex(6), actor_id=1, session_id=None,
             owner_id=None, client_ip=None, country=None)
        before = query(admin_conn, "SELECT COUNT(*) AS n FROM ledger_entries")[0]["n"]
        with pytest.raises(pymysql.err.MySQLError) as err:
            proc(app_conn, "sp_reverse_transaction", transaction_id=txn["id"], reason="late",
                 idempotency_key=secrets.token_hex(6), actor_id=1)
        assert error_code(err.value) == "REVERSAL_WOULD_OVERDRAW"
        assert query(admin_conn, "SELECT COUNT(*) AS n FROM ledger_entries")[0]["n"] == before
        status = query(admin_conn, "SELECT status FROM transactions WHERE id=%s", txn["id"])[0][
            "status"
        ]
        assert status == "completed"


class TestBatch:
    def test_batch_posts_every_item_under_one_parent(self, admin_conn, app_conn, customer):
        others = [
            open_account(app_conn, new_user(admin_conn), cur) for cur in ("JOD", "USD", "JOD")
        ]
        items = [
            {"to_account_number": a["account_number"], "amount": amt}
            for a, amt in zip(others, ["10.000", "20", "30.5"], strict=True)
        ]
        rows = batch(app_conn, customer["main"]["id"], json.dumps(items), description="payroll")
        assert rows[0]["type"] == "batch"
        assert rows[0]["amount"] == Decimal("60.5")
        assert [r["parent_id"] for r in rows[1:]] == [rows[0]["id"]] * 3
        # Each item to another customer pays 1 %, at least 0.250: 0.250 + 0.250 + 0.305
        assert balance(admin_conn, customer["main"]["id"]) == Decimal("938.695")
        assert balance(admin_conn, others[1]["id"]) == Decimal("28.20")

    def test_batch_is_all_or_nothing_and_names_the_failing_item(
        self, admin_conn, app_conn, customer
    ):
        good = open_account(app_conn, new_user(admin_conn), "JOD")
        items = [
            {"to_account_number": good["account_number"], "amount": "600"},
            {"to_account_number": good["account_number"], "amount": "600"},
        ]
        before = query(admin_conn, "SELECT COUNT(*) AS n FROM transactions")[0]["n"]
        with pytest.raises(pymysql.err.MySQLError) as err:
            batch(app_conn, customer["main"]["id"], json.dumps(items))
        assert str(err.value.args[1]).startswith("INSUFFICIENT_FUNDS: transfers[1]:")
        assert query(admin_conn, "SELECT COUNT(*) AS n FROM transactions")[0]["n"] == before
        assert balance(admin_conn, good["id"]) == 0

    @pytest.mark.parametrize(
        ("items", "code"),
        [
            ("[]", "BATCH_EMPTY"),
            ("{}", "INVALID_ARGUMENT"),
            ("not json", "INVALID_ARGUMENT"),
            (
                json.dumps([{"to_account_number": "000000000000", "amount": "1"}] * 1001),
                "BATCH_TOO_LARGE",
            ),
            (
                json.dumps([{"to_account_number": "000000000000", "amount": "1"}]),
                "ACCOUNT_NOT_FOUND",
            ),
        ],
    )
    def test_malformed_batches_are_refused(self, app_conn, customer, items, code):
        with pytest.raises(pymysql.err.MySQLError) as err:
            batch(app_conn, customer["main"]["id"], items)
        assert error_code(err.value) == code

    def test_batch_replay_returns_the_same_rows(self, admin_conn, app_conn, customer):
        other = open_account(app_conn, new_user(admin_conn), "JOD")
        items = json.dumps([{"to_account_number": other["account_number"], "amount": "5"}])
        key = secrets.token_hex(6)
        first = batch(app_conn, customer["main"]["id"], items, key=key)
        again = batch(app_conn, customer["main"]["id"], items, key=key)
        assert [r["id"] for r in again] == [r["id"] for r in first]
        assert all(r["replayed"] == 1 for r in again)
        assert balance(admin_conn, other["id"]) == Decimal("5")

    def test_batch_with_fx_and_repeated_payees_keeps_running_balances(
        self, admin_conn, app_conn, customer
    ):
        usd = open_account(app_conn, new_user(admin_conn), "USD")
        jod = open_account(app_conn, new_user(admin_conn), "JOD")
        deposit(app_conn, jod["id"], "5")
        items = [
            {"to_account_number": usd["account_number"], "amount": "100"},
            {"to_account_number": jod["account_number"], "amount": 1.5},
            {"to_account_number": usd["account_number"], "amount": "1.500", "description": "tip"},
        ]
        rows = batch(app_conn, customer["main"]["id"], json.dumps(items), description="mixed")
        assert [r["target_amount"] for r in rows[1:]] == [
            Decimal("141.00"),
            Decimal("1.500"),
            Decimal("2.11"),
        ]
        assert rows[3]["description"] == "tip"
        assert rows[1]["description"] == "mixed"
        assert balance(admin_conn, usd["id"]) == Decimal("143.11")
        # Fees: 1.000 (1 % of 100) + 0.250 + 0.250 (the minimum)
        assert balance(admin_conn, customer["main"]["id"]) == Decimal("895.500")
        afters = query(
            admin_conn,
            "SELECT balance_after FROM ledger_entries WHERE account_id=%s ORDER BY id",
            usd["id"],
        )
        assert [r["balance_after"] for r in afters] == [Decimal("141.00"), Decimal("143.11")]
        sender = query(
            admin_conn,
            "SELECT balance_after FROM ledger_entries WHERE account_id=%s ORDER BY id",
            customer["main"]["id"],
        )
        assert [r["balance_after"] for r in sender][-6:] == [
            Decimal("900.000"),  # each item's principal, then its fee
            Decimal("899.000"),
            Decimal("897.500"),
            Decimal("897.250"),
            Decimal("895.750"),
            Decimal("895.500"),
        ]
        assert integrity_problems(admin_conn) == []

    @pytest.mark.parametrize(
        ("limits", "code"),
        [
            ((None, None, "150.000"), "DAILY_LIMIT_EXCEEDED"),
            ((None, "99.000", None), "LIMIT_EXCEEDED"),
        ],
    )
    def test_batch_limits_name_the_item_where_they_trip(
        self, admin_conn, app_conn, customer, limits, code
    ):
        call(app_conn, "sp_set_account_limits", customer["main"]["id"], *limits, 1)
        other = open_account(app_conn, new_user(admin_conn), "JOD")
        items = [
            {"to_account_number": other["account_number"], "amount": a} for a in ("60", "60", "100")
        ]
        with pytest.raises(pymysql.err.MySQLError) as err:
            batch(app_conn, customer["main"]["id"], json.dumps(items))
        assert str(err.value.args[1]).startswith(f"{code}: transfers[2]:")
        assert balance(admin_conn, other["id"]) == 0

    @pytest.mark.parametrize("amount", ["-1", "0", "1.0001", "abc", None, "1e3"])
    def test_batch_rejects_bad_item_amounts(self, admin_conn, app_conn, customer, amount):
        other = open_account(app_conn, new_user(admin_conn), "JOD")
        items = [
            {"to_account_number": other["account_number"], "amount": "1"},
            {"to_account_number": other["account_number"], "amount": amount},
        ]
        with pytest.raises(pymysql.err.MySQLError) as err:
            batch(app_conn, customer["main"]["id"], json.dumps(items))
        assert str(err.value.args[1]).startswith("INVALID_AMOUNT: transfers[1]:")

    def test_batch_to_a_frozen_payee_is_refused(self, admin_conn, app_conn, customer):
        frozen = open_account(app_conn, new_user(admin_conn), "JOD")
        proc(app_conn, "sp_set_account_status", account_id=frozen["id"], status="frozen",
             reason="test", actor_id=1)
        items = [{"to_account_number": frozen["account_number"], "amount": "1"}]
        with pytest.raises(pymysql.err.MySQLError) as err:
            batch(app_conn, customer["main"]["id"], json.dumps(items))
        assert error_code(err.value) == "ACCOUNT_FROZEN"


class TestHolds:
    def test_hold_reduces_available_not_balance(self, admin_conn, app_conn, customer):
        account = customer["main"]["id"]
        hold = proc(app_conn, "sp_place_hold", account_id=account, amount="300", reason="card auth",
                    expires_at=None, actor_id=1)[0]
        assert hold["available_balance"] == Decimal("700.000")
        assert balance(admin_conn, account) == Decimal("1000.000")
        with pytest.raises(pymysql.err.MySQLError) as err:
            proc(app_conn, "sp_withdraw_cash", account_id=account, amount="700.001",
                 description=None, idempotency_key=secrets.token_hex(6), actor_id=1,
                 session_id=None, owner_id=None, client_ip=None, country=None)
        assert error_code(err.value) == "INSUFFICIENT_FUNDS"
        call(app_conn, "sp_release_hold", hold["id"], 1)
        proc(app_conn, "sp_withdraw_cash", account_id=account, amount="700.001", description=None,
             idempotency_key=secrets.token_hex(6), actor_id=1, session_id=None, owner_id=None,
             client_ip=None, country=None)
        with pytest.raises(pymysql.err.MySQLError) as err:
            call(app_conn, "sp_release_hold", hold["id"], 1)
        assert error_code(err.value) == "HOLD_NOT_ACTIVE"
        assert integrity_problems(admin_conn) == []


class TestStatement:
    def test_opening_closing_and_keyset_pages(self, admin_conn, app_conn, customer):
        account = customer["main"]["id"]
        start = query(admin_conn, "SELECT NOW(6) AS now")[0]["now"]
        for amount in ("1", "2", "3", "4", "5"):
            transfer(app_conn, account, customer["spare"]["account_number"], amount)
        end = query(admin_conn, "SELECT NOW(6) AS now")[0]["now"]
        header, page1 = proc_all(app_conn, "sp_account_statement", account_id=account, from_=start,
                                 to=end, after_entry_id=None, limit=3)
        assert header[0]["opening_balance"] == Decimal("1000.000")
        assert header[0]["closing_balance"] == Decimal("985.000")
        assert [e["amount"] for e in page1] == [Decimal("-1"), Decimal("-2"), Decimal("-3")]
        _, page2 = proc_all(app_conn, "sp_account_statement", account_id=account, from_=start,
                            to=end, after_entry_id=page1[-1]["entry_id"], limit=3)
        assert [e["balance_after"] for e in page2] == [Decimal("990.000"), Decimal("985.000")]

    def test_balance_at_a_past_instant(self, admin_conn, app_conn, customer):
        account = customer["main"]["id"]
        middle = query(admin_conn, "SELECT NOW(6) AS now")[0]["now"]
        transfer(app_conn, account, customer["spare"]["account_number"], "100")
        past = call(app_conn, "sp_get_balance", account, middle)[0]
        now = call(app_conn, "sp_get_balance", account, None)[0]
        before_open = call(app_conn, "sp_get_balance", account, datetime(2000, 1, 1))[0]
        assert (past["balance"], now["balance"], before_open["balance"]) == (
            Decimal("1000.000"),
            Decimal("900.000"),
            Decimal("0"),
        )

    def test_period_that_ends_before_it_starts_is_refused(self, app_conn, customer):
        now = datetime.now()
        with pytest.raises(pymysql.err.MySQLError) as err:
            proc_all(app_conn, "sp_account_statement", account_id=customer["main"]["id"], from_=now,
                     to=now - timedelta(days=1), after_entry_id=None, limit=10)
        assert error_code(err.value) == "INVALID_ARGUMENT"


class TestHistory:
    def test_user_scope_filters_and_keyset_pages(self, admin_conn, app_conn, customer):
        stranger = open_account(app_conn, new_user(admin_conn), "JOD")
        deposit(app_conn, stranger["id"], "50")
        for amount in ("1", "2", "3"):
            transfer(app_conn, customer["main"]["id"], customer["spare"]["account_number"], amount)
        transfer(app_conn, stranger["id"], customer["spare"]["account_number"], "7")

        def history(**filters):
            args = {
                "user": customer["user"],
                "account": None,
                "type": None,
                "status": None,
                "from": None,
                "to": None,
                "min": None,
                "max": None,
                "before": None,
                "limit": 50,
            } | filters
            return call(app_conn, "sp_list_transactions", *args.values())

        everything = history()
        assert [t["type"] for t in everything] == ["transfer"] * 4 + ["deposit"]
        assert all(stranger["id"] != t["to_account_id"] for t in everything)
        assert [t["amount"] for t in history(type="transfer", min="2", max="3")] == [
            Decimal("3"),
            Decimal("2"),
        ]
        page = history(limit=2)
        rest = history(limit=50, before=page[-1]["id"])
        assert [t["id"] for t in page + rest] == [t["id"] for t in everything]
        assert len(history(account=customer["spare"]["id"])) == 4
        # Another customer's account is not there for this user, as if it did not exist.
        with pytest.raises(pymysql.err.MySQLError) as err:
            history(user=customer["user"], account=stranger["id"])
        assert error_code(err.value) == "ACCOUNT_NOT_FOUND"
        with pytest.raises(pymysql.err.MySQLError) as err:
            history(user=None, account=10**15)
        assert error_code(err.value) == "ACCOUNT_NOT_FOUND"
        assert len(history(user=None, account=stranger["id"])) == 2
