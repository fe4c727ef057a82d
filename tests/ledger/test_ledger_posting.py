"""One posting path: the account-side rules as one pure function (fn_debit_error), references
minted in one place (fn_new_reference), every path refusing an inactive currency alike, and
the single transfer (the one path that writes its rows itself) posting exactly what the
generic journal (sp_post_journal) posts, scenario by scenario."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pymysql
import pytest

from tests.support.ledger import (
    batch,
    call,
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


class TestDebitRule:
    """fn_debit_error states each account-side rule once, in the ledger's precedence."""

    @pytest.mark.parametrize(
        ("arguments", "code"),
        [
            (("active", 1, 10, 50, 10, 100, 10, 100, 0), None),
            (("frozen", 0, 99, 50, 99, 1, 99, 0, 0), "ACCOUNT_FROZEN"),
            (("closed", 0, 99, 50, 99, 1, 99, 0, 0), "ACCOUNT_CLOSED"),
            (("active", 0, 99, 50, 99, 1, 99, 0, 0), "UNKNOWN_CURRENCY"),
            (("active", 1, 99, 50, 99, 1, 99, 0, 0), "LIMIT_EXCEEDED"),
            (("active", 1, 10, 50, 10, 9.999, 10, 0, 0), "DAILY_LIMIT_EXCEEDED"),
            (("active", 1, 10, 50, 10, 100, 10.5, 10, 0), "INSUFFICIENT_FUNDS"),
            (("active", 1, 10, 50, 10, 100, 10.5, 10, 0.5), None),
            # NULL skips a check: a credit passes only the status and the currency.
            (("active", 1, None, None, None, None, None, None, None), None),
            ((None, None, 99, 50, None, None, None, None, None), "LIMIT_EXCEEDED"),
        ],
    )
    def test_precedence_and_skipped_checks(self, app_conn, arguments, code):
        marks = ", ".join(["%s"] * len(arguments))
        got = query(app_conn, f"SELECT fn_debit_error({marks}) AS e", *arguments)[0]["e"]
        assert (got.split(":", 1)[0] if got else None) == code

    def test_references_are_minted_unique_in_one_shape(self, app_conn):
        rows = query(app_conn, "SELECT fn_new_reference() AS r FROM seq_1_to_50")
        references = [row["r"] for row in rows]
        assert len(set(references)) == 50
        assert all(r.startswith("TX") and len(r) == 18 for r in references)


class TestInactiveCurrency:
    """A currency the bank stops supporting is refused by every money path alike."""

    def test_every_path_refuses_an_inactive_currency(self, admin_conn, app_conn):
        user = new_user(admin_conn)
        eur, eur_too = open_account(app_conn, user, "EUR"), open_account(app_conn, user, "EUR")
        jod = open_account(app_conn, user, "JOD")
        deposit(app_conn, eur["id"], "100")
        deposit(app_conn, jod["id"], "100")
        key = secrets.token_hex(8)
        earlier = transfer(app_conn, eur["id"], eur_too["account_number"], "1", key=key)
        attempts: dict[str, Callable[[], Any]] = {
            "deposit": lambda: deposit(app_conn, eur["id"], "1"),
            "withdrawal": lambda: proc(
                app_conn, "sp_withdraw_cash", account_id=eur["id"], amount="1", description=None,
                idempotency_key=secrets.token_hex(8), actor_id=1, session_id=None,
                owner_id=None, client_ip=None, country=None),
            "top-up": lambda: proc(
                app_conn, "sp_top_up", account_id=eur["id"], amount="1", description=None,
                idempotency_key=secrets.token_hex(8), actor_id=user, session_id=None),
            "transfer from it": lambda: transfer(app_conn, eur["id"],
                                                 eur_too["account_number"], "1"),
            "transfer into it": lambda: transfer(app_conn, jod["id"], eur["account_number"], "5"),
            "batch from it": lambda: batch(app_conn, eur["id"], json.dumps(
                [{"to_account_number": eur_too["account_number"], "amount": "1"}])),
            "batch into it": lambda: batch(app_conn, jod["id"], json.dumps(
                [{"to_account_number": eur["account_number"], "amount": "5"}])),
        }
        with currency_bounds(admin_conn, "EUR", is_active="0"):
            before = counts(admin_conn)
            for name, attempt in attempts.items():
                with pytest.raises(pymysql.err.MySQLError) as err:
                    attempt()
                assert error_code(err.value) == "UNKNOWN_CURRENCY", name
            assert counts(admin_conn) == before
            # A known key still replays what it posted while the currency was active.
            again = transfer(app_conn, eur["id"], eur_too["account_number"], "1", key=key)
            assert (again["id"], again["replayed"]) == (earlier["id"], 1)
        assert integrity_problems(admin_conn) == []


def journal_transfer(conn: Any, *, sender: dict[str, Any], payee: dict[str, Any], amount: str,
                     fee: str, key: str) -> list[dict[str, Any]]:
    """The same transfer posted through the generic journal: its legs, sp_post_journal, the row."""
    amount_d, fee_d = Decimal(amount), Decimal(fee)
    rate, target = Decimal(1), amount_d
    if sender["currency"] != payee["currency"]:
        converted = query(conn, "SELECT fn_fx_applied_rate(%s, %s, NOW(6)) AS rate,"
                          " fn_fx_convert(%s, %s, %s, c.exponent, NOW(6)) AS target"
                          " FROM currencies c WHERE c.code = %s",
                          sender["currency"], payee["currency"], sender["currency"],
                          payee["currency"], amount, payee["currency"])[0]
        rate, target = converted["rate"], converted["target"]
    gl = {(row["gl_type"], row["currency"]): row["id"] for row in query(
        conn, "SELECT id, gl_type, currency FROM accounts WHERE kind = 'system'")}
    legs = [(sender["id"], -amount_d, sender["currency"], "principal"),
            (payee["id"], target, payee["currency"], "principal")]
    if fee_d:
        legs.append((sender["id"], -fee_d, sender["currency"], "fee"))
    if sender["currency"] != payee["currency"]:
        legs += [(gl["fx_position", sender["currency"]], amount_d, sender["currency"], "fx"),
                 (gl["fx_position", payee["currency"]], -target, payee["currency"], "fx")]
    if fee_d:
        legs.append((gl["fee_income", sender["currency"]], fee_d, sender["currency"], "fee"))
    digest = f"journal|{sender['id']}|{payee['account_number']}|{amount}|{fee}"
    with conn.cursor() as cur:
        cur.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
        cur.execute("START TRANSACTION")
        try:
            cur.execute("SELECT id FROM accounts WHERE id IN (%s, %s) ORDER BY id FOR UPDATE",
                        (sender["id"], payee["id"]))
            cur.execute("CALL sp_journal_reset()")
            cur.executemany("INSERT INTO tmp_journal_legs (account_id, amount, currency,"
                            " entry_type) VALUES (%s, %s, %s, %s)", legs)
            cur.execute(
                "CALL sp_post_journal('transfer', %s, %s, %s, %s, %s, %s, %s, %s, NULL, NULL, 1,"
                " %s, UNHEX(SHA2(%s, 256)), NULL, 'transaction.transfer', %s, NULL,"
                " JSON_OBJECT('transaction_id', 0), '$.transaction_id', @posted)",
                (amount, sender["currency"], fee, sender["id"], payee["id"], str(target),
                 payee["currency"], str(rate), key, digest, sender["user_id"]))
            replayed = list(cur.fetchall()) if cur.description else []
            while cur.nextset():
                pass
        except pymysql.err.MySQLError:
            cur.execute("ROLLBACK")
            raise
    if replayed:
        return replayed
    posted = query(conn, "SELECT @posted AS id")[0]["id"]
    return call(conn, "sp_emit_transaction", posted, 0)


def posted_rows(conn: Any, txn_id: int, accounts: list[int]) -> dict[str, Any]:
    """What a posting left, by account position rather than id: entries and balances."""
    position = {account: i for i, account in enumerate(accounts)}
    entries = query(conn, "SELECT account_id, amount, currency, balance_after, entry_type"
                          " FROM ledger_entries WHERE transaction_id = %s ORDER BY id", txn_id)
    return {
        "entries": sorted((str(position.get(e["account_id"], "gl:" + e["currency"])), e["amount"],
                           e["currency"], e["entry_type"],
                           e["balance_after"] if e["account_id"] in position else None)
                          for e in entries),
        "balances": [query(conn, "SELECT balance, available_balance FROM accounts WHERE id = %s",
                           a)[0] for a in accounts],
    }


SHAPE_IGNORED = {"id", "reference", "created_at", "from_account_id", "to_account_id",
                 "from_account_number", "to_account_number"}


class TestTransferMatchesTheJournal:
    """sp_perform_transfer writes its rows itself (the hot path); the generic journal posts
    the same legs. Each scenario runs through both, on twin accounts, and must agree."""

    @pytest.fixture
    def twins(self, admin_conn, app_conn) -> Callable[[str, str], list[dict[str, Any]]]:
        def make(sender_currency: str, payee_currency: str) -> list[dict[str, Any]]:
            pair = []
            for _ in range(2):
                user = new_user(admin_conn)
                sender = open_account(app_conn, user, sender_currency)
                payee = open_account(app_conn, new_user(admin_conn), payee_currency)
                deposit(app_conn, sender["id"], "100")
                sender["user_id"] = user
                pair.append({"sender": sender, "payee": payee})
            return pair
        return make

    def both(self, app_conn, pair, *, amount: str, fee: str = "0", key: str | None = None
             ) -> list[Any]:
        """(result row or error code) through the transfer and through the journal (each its
        own key: keys are per initiator, and both post as the system user)."""
        key = key or secrets.token_hex(8)
        outcomes: list[Any] = []
        for twin, post in zip(pair, ("transfer", "journal"), strict=True):
            try:
                if post == "transfer":
                    row = transfer(app_conn, twin["sender"]["id"],
                                   twin["payee"]["account_number"], amount, fee=fee, key=key + "-t")
                else:
                    row = journal_transfer(app_conn, sender=twin["sender"], payee=twin["payee"],
                                           amount=amount, fee=fee, key=key + "-j")[0]
                outcomes.append(row)
            except pymysql.err.MySQLError as exc:
                outcomes.append(error_code(exc))
        return outcomes

    def assert_same(self, admin_conn, pair, outcomes) -> None:
        by_transfer, by_journal = outcomes
        if isinstance(by_transfer, str):
            assert by_transfer == by_journal
        else:
            assert list(by_transfer) == list(by_journal), "the result row's columns"
            assert {k: v for k, v in by_transfer.items() if k not in SHAPE_IGNORED} == \
                {k: v for k, v in by_journal.items() if k not in SHAPE_IGNORED}
            left, right = (posted_rows(admin_conn, row["id"],
                                       [twin["sender"]["id"], twin["payee"]["id"]])
                           for row, twin in zip(outcomes, pair, strict=True))
            assert left == right
        balances = [[query(admin_conn, "SELECT balance FROM accounts WHERE id = %s",
                           twin[side]["id"])[0]["balance"] for side in ("sender", "payee")]
                    for twin in pair]
        assert balances[0] == balances[1]

    @pytest.mark.parametrize(
        ("currencies", "amount", "fee", "expected"),
        [
            (("JOD", "JOD"), "40.500", "0", None),
            (("JOD", "USD"), "10.000", "0", None),
            (("JOD", "JOD"), "40.000", "0.750", None),
            (("EUR", "JOD"), "25.00", "1.00", None),
            (("JOD", "JOD"), "99.500", "0.600", "INSUFFICIENT_FUNDS"),
        ],
        ids=["same-currency", "cross-currency", "fee", "cross-currency-fee",
             "insufficient-funds"],
    )
    def test_scenario(self, admin_conn, app_conn, twins, currencies, amount, fee, expected):
        pair = twins(*currencies)
        outcomes = self.both(app_conn, pair, amount=amount, fee=fee)
        if expected:
            assert outcomes == [expected, expected]
        self.assert_same(admin_conn, pair, outcomes)
        assert integrity_problems(admin_conn) == []

    def test_replay_and_conflict(self, admin_conn, app_conn, twins):
        pair = twins("JOD", "JOD")
        key = secrets.token_hex(8)
        first = self.both(app_conn, pair, amount="5.000", key=key)
        again = self.both(app_conn, pair, amount="5.000", key=key)
        assert [row["id"] for row in again] == [row["id"] for row in first]
        assert [row["replayed"] for row in again] == [1, 1]
        self.assert_same(admin_conn, pair, again)
        conflict = self.both(app_conn, pair, amount="6.000", key=key)
        assert conflict == ["IDEMPOTENCY_CONFLICT"] * 2
        self.assert_same(admin_conn, pair, conflict)
        assert integrity_problems(admin_conn) == []
