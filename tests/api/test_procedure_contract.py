"""Python calls procedures by parameter name, and the names agree with information_schema.

The order of a procedure's parameters is stated once, in its SQL file. `Ledger` names every
argument (api/signatures.py) and the call helper orders them from the signature read when
the pool opened; these tests check each `Ledger` method's keywords against
information_schema.PARAMETERS and prove that a wrong name fails before reaching the server.
"""

from __future__ import annotations

import ast
import inspect
import re
import secrets
from decimal import Decimal
from itertools import groupby

import pytest

from api import ledger as ledger_module
from api.ledger import Ledger
from api.signatures import python_name
from tests.support.ledger import balance, deposit, new_user, open_account, proc, query

_HELPERS = {"call", "rows", "row", "one", "posted"}
_CALL_OPTIONS = {"result_sets", "timeout", "counted_as"}
# Ledger methods that reach the database only through another Ledger method.
_INDIRECT = {"currency"}


def procedure_parameters(conn) -> dict[str, list[str]]:
    """Each procedure the connection's user may execute, with its parameters in order."""
    rows = query(conn,
                 "SELECT r.ROUTINE_NAME AS name, p.PARAMETER_NAME AS parameter"
                 " FROM information_schema.ROUTINES r"
                 " LEFT JOIN information_schema.PARAMETERS p"
                 "   ON p.SPECIFIC_SCHEMA = r.ROUTINE_SCHEMA AND p.SPECIFIC_NAME = r.ROUTINE_NAME"
                 " WHERE r.ROUTINE_SCHEMA = DATABASE() AND r.ROUTINE_TYPE = 'PROCEDURE'"
                 " ORDER BY r.ROUTINE_NAME, p.ORDINAL_POSITION")
    return {name: [row["parameter"] for row in group if row["parameter"] is not None]
            for name, group in groupby(rows, key=lambda row: row["name"])}


def ledger_calls() -> dict[str, list[tuple[str, list[str]]]]:
    """Per Ledger method, each procedure it calls with the keywords it passes, in source order."""
    tree = ast.parse(inspect.getsource(ledger_module))
    (ledger_class,) = [node for node in tree.body
                       if isinstance(node, ast.ClassDef) and node.name == "Ledger"]
    found: dict[str, list[tuple[str, list[str]]]] = {}
    for method in ledger_class.body:
        if not isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        calls = found.setdefault(method.name, [])
        for node in ast.walk(method):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in _HELPERS and node.args
                    and isinstance(node.args[0], ast.Constant)):
                assert all(k.arg is not None for k in node.keywords), (
                    f"Ledger.{method.name} passes **arguments: name them")
                keywords = [k.arg for k in node.keywords if k.arg not in _CALL_OPTIONS]
                calls.append((node.args[0].value, keywords))  # type: ignore[arg-type]
    return found


class TestEveryLedgerMethodMatchesItsProcedure:
    def test_each_call_names_the_parameters_in_order(self, bank_app_conn):
        declared = procedure_parameters(bank_app_conn)
        problems = []
        for method, calls in ledger_calls().items():
            for procedure, keywords in calls:
                if procedure not in declared:
                    problems.append(f"Ledger.{method}: {procedure} is not executable by bank_app")
                    continue
                expected = [python_name(p) for p in declared[procedure]]
                if keywords != expected:
                    problems.append(f"Ledger.{method}: {procedure}({', '.join(keywords)}),"
                                    f" declared ({', '.join(expected)})")
        assert problems == []

    def test_every_public_method_calls_a_procedure(self):
        calls = ledger_calls()
        public = {name for name, member in inspect.getmembers(Ledger, inspect.iscoroutinefunction)
                  if not name.startswith("_")}
        silent = sorted(public - _HELPERS - _INDIRECT - {m for m, c in calls.items() if c})
        assert silent == []

    def test_every_procedure_the_api_may_execute_has_a_method(self, bank_app_conn):
        called = {procedure for calls in ledger_calls().values() for procedure, _ in calls}
        assert sorted(set(procedure_parameters(bank_app_conn)) - called) == []

    async def test_the_pool_learns_the_same_signatures(self, app, bank_app_conn):
        learnt = app.state.ledger.database.procedures
        declared = procedure_parameters(bank_app_conn)
        assert {name: list(s.parameters) for name, s in learnt.items()} == {
            name: [python_name(p) for p in parameters] for name, parameters in declared.items()}
        # The read also keeps the read-only detection that sets max_statement_time.
        assert learnt["sp_get_account"].read_only
        assert learnt["sp_list_transactions"].read_only
        assert not learnt["sp_perform_transfer"].read_only


class TestAWrongNameFailsLoudly:
    @pytest.mark.parametrize(("change", "words"), [
        ({"fee": None}, "missing ['fee']"),
        ({"currency": "JOD"}, "unexpected ['currency']"),
        ({"idempotency_key": None, "key": "k"}, "missing ['idempotency_key'], unexpected ['key']"),
    ], ids=["missing", "extra", "misspelt"])
    async def test_the_ledger_refuses_before_the_server_sees_it(self, app, admin_conn, change,
                                                                words):
        payer = open_account(admin_conn, new_user(admin_conn))
        payee = open_account(admin_conn, new_user(admin_conn))
        deposit(admin_conn, payer["id"], "10.000")
        arguments = {"from_account_id": payer["id"], "to_account_number": payee["account_number"],
                     "amount": Decimal("1.000"), "fee": Decimal(0), "description": None,
                     "idempotency_key": secrets.token_hex(8), "actor_id": 1, "session_id": None,
                     "owner_id": None, "otp_hash": None, "client_ip": None, "country": None}
        for name, value in change.items():
            if value is None:
                del arguments[name]
            else:
                arguments[name] = value
        # bank_app with no session: had the call reached the server, it would be SESSION_REQUIRED.
        with pytest.raises(TypeError, match=r"sp_perform_transfer\(.*" + re.escape(words)):
            await app.state.ledger.call("sp_perform_transfer", **arguments)
        assert balance(admin_conn, payer["id"]) == Decimal("10.000")

    def test_the_test_helper_refuses_too(self, admin_conn):
        account = open_account(admin_conn, new_user(admin_conn))
        with pytest.raises(TypeError, match=r"missing \['idempotency_key'"):
            proc(admin_conn, "sp_withdraw_cash", account_id=account["id"], amount="1.000",
                 description=None, actor_id=1, session_id=None, owner_id=None,
                 client_ip=None, country=None)

    def test_keyword_order_does_not_matter(self, admin_conn):
        """Amount and fee are both DECIMAL: positional, swapping them went unnoticed."""
        payer = open_account(admin_conn, new_user(admin_conn))
        payee = open_account(admin_conn, new_user(admin_conn))
        deposit(admin_conn, payer["id"], "100.000")
        proc(admin_conn, "sp_perform_transfer", owner_id=None, session_id=None, actor_id=1,
            otp_hash=None, idempotency_key=secrets.token_hex(8), description=None,
            fee=Decimal("1.000"),
            amount=Decimal("30.000"), to_account_number=payee["account_number"],
            from_account_id=payer["id"], client_ip=None, country=None)
        assert balance(admin_conn, payee["id"]) == Decimal("30.000")
        assert balance(admin_conn, payer["id"]) == Decimal("69.000")
