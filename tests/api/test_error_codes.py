"""Every error code keeps its status, rendering and detail rule (a pinned copy of the contract).

`error_codes.json` was written from the tree before the codes became a table; regenerate
it only for a deliberate contract change: `python -m tests.api.test_error_codes`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from api.errors import (
    PROCEDURE_CODES,
    BankError,
    ProcedureCode,
    ProcedureError,
    error_for_code,
    known_codes,
    problem_response,
)

PINNED = Path(__file__).with_name("error_codes.json")
PROCEDURE_TEXT = "Procedure text for this one case."


def _rendered(code: str, text: str) -> dict[str, Any]:
    response = problem_response(error_for_code(code, text))
    body = json.loads(bytes(response.body))
    body.pop("request_id")
    return {"status": response.status_code, "body": body, "headers": dict(response.headers)}


def current_contract() -> dict[str, Any]:
    return {code: {"status": status, "default": _rendered(code, ""),
                   "with_text": _rendered(code, f" {PROCEDURE_TEXT} ")}
            for code, status in known_codes().items()}


class TestErrorCodes:
    def test_every_code_renders_as_pinned(self):
        assert current_contract() == json.loads(PINNED.read_text())

    def test_unknown_code_is_a_500_without_the_procedure_text(self):
        rendered = _rendered("NO_SUCH_CODE", PROCEDURE_TEXT)
        assert rendered["status"] == 500
        assert rendered["body"]["code"] == "INTERNAL_ERROR"
        assert PROCEDURE_TEXT not in rendered["body"]["detail"]

    def test_a_404_never_echoes_the_procedure_text(self):
        for code, status in known_codes().items():
            if status == 404:
                assert PROCEDURE_TEXT not in _rendered(code, PROCEDURE_TEXT)["body"]["detail"]

    def test_a_table_code_is_a_procedure_error_from_its_row(self):
        error = error_for_code("INSUFFICIENT_FUNDS", " Balance 1.00, needed 2.00. ")
        assert isinstance(error, ProcedureError)
        assert (error.code, error.status, error.detail) == (
            "INSUFFICIENT_FUNDS", 422, "Balance 1.00, needed 2.00.")
        assert error_for_code("INSUFFICIENT_FUNDS", "").detail == "Insufficient funds."

    def test_a_code_lives_in_one_place(self):
        with pytest.raises(TypeError, match="INSUFFICIENT_FUNDS"):
            type("Shadow", (BankError,), {"code": "INSUFFICIENT_FUNDS"})
        with pytest.raises(TypeError, match="ACCOUNT_NOT_FOUND"):
            type("Shadow", (BankError,), {"code": "ACCOUNT_NOT_FOUND"})
        assert set(PROCEDURE_CODES) <= set(known_codes())

    def test_the_table_refuses_a_404_that_echoes_and_any_5xx(self):
        with pytest.raises(ValueError, match="404"):
            ProcedureCode(404, "Hold not found.")
        with pytest.raises(ValueError, match="5xx"):
            ProcedureCode(503, "Busy.", False)


if __name__ == "__main__":
    PINNED.write_text(json.dumps(current_contract(), indent=1, sort_keys=True) + "\n")
