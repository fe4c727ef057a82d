"""One amount bound: below 10^13, stated by fn_amount_error and agreed by every other check.

The API's grammar (api/fields.py), the batch procedure's per-item pattern and the
currencies' data bounds (schema 06's CHECK) must all say the same, so an amount is refused
at the edge or accepted by the ledger's form check, never one and not the other.
"""

from __future__ import annotations

import json
import re

import pymysql
import pytest
from pydantic import TypeAdapter, ValidationError

from api.config import REPO_ROOT
from api.fields import AMOUNT_INTEGER_DIGITS, AMOUNT_PATTERN, Amount
from tests.support.ledger import batch, deposit, error_code, new_user, open_account

LEDGER_BOUND = 10**AMOUNT_INTEGER_DIGITS


def _sql(path: str) -> str:
    return (REPO_ROOT / path).read_text()


class TestOneStatement:
    def test_the_ledger_states_the_bound(self):
        limits = re.findall(r"p_amount >= ([0-9]+) THEN", _sql("procedures/fn_amount_error.sql"))
        assert [int(limit) for limit in limits] == [LEDGER_BOUND]

    def test_the_batch_pattern_agrees(self):
        patterns = re.findall(r"NOT REGEXP '\^\[0-9\]\{1,([0-9]+)\}",
                              _sql("procedures/sp_perform_batch_transfer.sql"))
        assert [int(digits) for digits in patterns] == [AMOUNT_INTEGER_DIGITS]

    def test_the_api_grammar_agrees(self):
        assert AMOUNT_PATTERN.startswith(f"^[0-9]{{1,{AMOUNT_INTEGER_DIGITS}}}")

    def test_the_currencies_data_bound_is_inside_it(self, admin_conn):
        with admin_conn.cursor() as cur:
            cur.execute("SELECT MAX(max_amount) AS most FROM currencies")
            assert cur.fetchone()["most"] < LEDGER_BOUND
        check = _sql("schema/06_money_bounds.sql")
        ceiling = re.search(r"max_amount <= ([0-9]+)", check)
        assert ceiling is not None
        assert int(ceiling.group(1)) < LEDGER_BOUND


class TestAtTheEdges:
    adapter = TypeAdapter(Amount)

    def test_the_api_accepts_the_largest_amount_and_refuses_one_digit_more(self):
        largest = "9" * AMOUNT_INTEGER_DIGITS + ".9999"
        assert str(self.adapter.validate_python(largest)) == largest
        with pytest.raises(ValidationError):
            self.adapter.validate_python("1" + "0" * AMOUNT_INTEGER_DIGITS)

    def test_the_ledger_refuses_the_bound_itself(self, admin_conn, app_conn):
        account = open_account(app_conn, new_user(admin_conn), "JOD")
        with pytest.raises(pymysql.err.MySQLError) as err:
            deposit(app_conn, account["id"], str(LEDGER_BOUND))
        assert error_code(err.value) == "INVALID_AMOUNT"

    def test_a_batch_item_one_digit_longer_is_malformed(self, admin_conn, app_conn):
        user = new_user(admin_conn)
        sender, payee = open_account(app_conn, user, "JOD"), open_account(app_conn, user, "JOD")
        deposit(app_conn, sender["id"], "10")
        item = {"to_account_number": payee["account_number"],
                "amount": "1" * (AMOUNT_INTEGER_DIGITS + 1)}
        with pytest.raises(pymysql.err.MySQLError) as err:
            batch(app_conn, sender["id"], json.dumps([item]))
        assert error_code(err.value) == "INVALID_AMOUNT"
