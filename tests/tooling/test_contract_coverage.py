"""The suite's own check that every public procedure is called and every code provoked."""

from __future__ import annotations

from typing import Any

import aiomysql
import pymysql
import pytest

from api.config import REPO_ROOT
from api.errors import known_codes
from scripts.db_roles import API_PROCEDURES
from tests.support.contract_coverage import (
    EXEMPT_CODES,
    Seen,
    _wrap_async,
    _wrap_sync,
    expected_codes,
    public_procedures,
    shortfall,
    signalled_codes,
    whole_run,
)
from tests.support.ledger import aconnect, signature

TESTS = REPO_ROOT / "tests"


class TestShortfall:
    def test_a_code_never_provoked_is_named(self):
        assert shortfall("error code", {"A_CODE", "B_CODE"}, {"A_CODE"}, {}) == [
            "error code never exercised: B_CODE"]

    def test_an_exempt_code_is_not_named(self):
        assert shortfall("error code", {"A_CODE", "B_CODE"}, {"A_CODE"},
                         {"B_CODE": "cannot happen"}) == []

    def test_an_exemption_that_excuses_nothing_is_named(self):
        lines = shortfall("error code", {"A_CODE"}, {"A_CODE"}, {"A_CODE": "was hard once"})
        assert lines == ["error code exemption no longer needed: A_CODE (was hard once)"]

    def test_everything_seen_is_nothing_to_say(self):
        assert shortfall("procedure", {"sp_a"}, {"sp_a", "sp_helper"}, {}) == []


class TestWholeRun:
    def judge(self, *args: str, **options: Any) -> bool:
        values: dict[str, Any] = {"keyword": "", "markexpr": "", "deselected": 0,
                                  "collect_only": False, **options}
        return whole_run(args=args, invocation_dir=TESTS.parent, tests_dir=TESTS, **values)

    def test_make_test_is_whole(self):
        assert self.judge("tests")
        assert self.judge(str(TESTS))

    def test_a_narrower_run_is_not(self):
        assert not self.judge("tests/ledger")
        assert not self.judge("tests", "tests/api")
        assert not self.judge("tests/api/test_money.py::TestX")
        assert not self.judge("tests", keyword="money")
        assert not self.judge("tests", markexpr="not slow")
        assert not self.judge("tests", deselected=3)
        assert not self.judge("tests", collect_only=True)
        assert not self.judge()


class TestWhatIsExpected:
    def test_codes_come_from_signals_messages_and_cases_not_comments(self):
        sql = """-- Errors: 'IN_A_HEADER: never signalled'
            /* 'IN_A_BLOCK: neither' */
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'PLAIN_CODE: text';
            RETURN CONCAT('RETURNED_CODE: too many ', v_n);
            SET v_message = CONCAT(v_code, ': ', CASE v_code WHEN 'CASE_CODE' THEN 'x' END);"""
        assert signalled_codes(sql) == {"PLAIN_CODE", "RETURNED_CODE", "CASE_CODE"}

    def test_the_repository_codes_are_the_mapped_ones(self):
        codes = expected_codes()
        assert {"INSUFFICIENT_FUNDS", "IMMUTABLE_RECORD", "AMOUNT_OUT_OF_RANGE"} <= codes
        assert codes - set(EXEMPT_CODES) <= set(known_codes())

    def test_public_procedures_are_the_allow_list_and_the_service_grants(self):
        procedures = public_procedures()
        assert set(API_PROCEDURES) <= procedures
        assert not any(name.startswith(("sp_assert_", "sp_post_", "fn_")) for name in procedures)


class TestRecording:
    """The cursor wrappers see a real CALL and the real signalled code, and pass both on."""

    def test_a_call_is_named_however_it_is_spelt(self):
        seen = Seen()
        for sql in ("CALL sp_a(%s)", "  call `sp_b`()",
                    "SET STATEMENT max_statement_time=5 FOR CALL sp_c(%s, %s)",
                    "SELECT 'CALL sp_not_a_call()'"):
            seen.statement(sql)
        assert seen.procedures == {"sp_a", "sp_b", "sp_c"}

    def test_the_sync_cursor(self, app_conn):
        seen = Seen()
        execute = _wrap_sync(pymysql.cursors.Cursor.execute, seen)
        called = signature(app_conn, "sp_get_account")
        with app_conn.cursor() as cur, pytest.raises(pymysql.err.MySQLError) as raised:
            execute(cur, called.statement, called.arguments({"account_id": 0}))
        assert raised.value.args[0] == 1644
        assert seen.procedures == {"sp_get_account"}
        assert seen.codes == {"ACCOUNT_NOT_FOUND"}

    async def test_the_async_cursor(self, addresses):
        seen = Seen()
        execute = _wrap_async(aiomysql.cursors.Cursor.execute, seen)
        conn = await aconnect(addresses.admin)
        try:
            async with conn.cursor() as cur:
                await execute(cur, "SELECT 1")
                with pytest.raises(pymysql.err.MySQLError):
                    await execute(cur, "CALL sp_list_accounts(%s, %s, %s)", (1, None, 0))
        finally:
            conn.close()
        assert seen.procedures == {"sp_list_accounts"}
        assert seen.codes == {"INVALID_ARGUMENT"}
